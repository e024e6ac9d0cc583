"""URL resolution as a browser does it (WHATWG-style), and the entry's public path."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

_SPECIAL = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}
_TRIM = "".join(chr(c) for c in range(0x21))
_TAB_NEWLINE = re.compile("[\t\n\r]")
_QUERY_NEEDS_WORK = re.compile(r"[^!#-&(-;=?-\[\]-~]|%(?![0-9A-Fa-f]{2})")
_FRAGMENT_NEEDS_WORK = re.compile(r"[^!#-;=?-\[\]-_a-~]|%(?![0-9A-Fa-f]{2})")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_OPAQUE_SAFE = "".join(chr(c) for c in range(0x20, 0x7F))
_PATH_NEEDS_WORK = re.compile(r"[^!#-;=?-\[\]-_a-z|~]|%(?![0-9A-Fa-f]{2})")
_PATH_SAFE = "!$%&'()*+,-./:;=@[]^_|~" + "\\"
_QUERY_SAFE = "!$%&()*+,-./:;=?@[]^_`{|}~\\"
_FRAGMENT_SAFE = "!#$%&'()*+,-./:;=?@[]^_{|}~\\"


def resolve_url(base: str, ref: str) -> str:
    """``ref`` made absolute against ``base`` and serialized as a browser would.

    Entities are already decoded by the HTML parser; here leading/trailing controls and spaces
    are trimmed, tabs and newlines removed, ``\\`` read as ``/`` for web schemes, and
    non-ASCII or unsafe characters percent-encoded (``U+00A0`` → ``%C2%A0``).
    """
    ref = _TAB_NEWLINE.sub("", ref.strip(_TRIM))
    found = _SCHEME.match(ref)
    scheme = found.group()[:-1].lower() if found else ""
    base_scheme = base.partition(":")[0].lower()
    if (scheme or base_scheme) in _SPECIAL and "\\" in ref:
        cut = min((i for i in (ref.find("?"), ref.find("#")) if i >= 0), default=len(ref))
        ref = ref[:cut].replace("\\", "/") + ref[cut:]
    if scheme in _SPECIAL and scheme != base_scheme:
        ref = f"{scheme}://{ref[len(scheme) + 1 :].lstrip('/')}"
    try:
        return normalize_url(_join(base, ref))
    except ValueError as exc:
        raise ValueError(f"invalid URL {ref!r}: {exc}") from None


def _join(base: str, ref: str) -> str:
    """RFC 3986 §5.2 reference resolution (``urljoin`` mangles ``;`` and empty queries), with
    WHATWG's reading of ``http:x`` against an ``http:`` base as a relative reference."""
    b, r = urlsplit(base), urlsplit(ref)
    has_query = "?" in ref.partition("#")[0]
    scheme = r.scheme.lower()
    if scheme and not (scheme == b.scheme.lower() and scheme in _SPECIAL and not r.netloc):
        return ref
    if scheme:
        ref = ref[len(scheme) + 1 :]
        r = urlsplit(ref)
        has_query = "?" in ref.partition("#")[0]
    if ref.startswith("//"):
        return f"{b.scheme}:{ref}"
    if not r.path:
        path = b.path
        if has_query:
            query, with_query = r.query, True
        else:
            query, with_query = b.query, "?" in base.partition("#")[0]
    else:
        if r.path.startswith("/"):
            path = _remove_dot_segments(r.path)
        elif b.netloc and not b.path:
            path = _remove_dot_segments("/" + r.path)
        else:
            path = _remove_dot_segments(b.path[: b.path.rfind("/") + 1] + r.path)
        query, with_query = r.query, has_query
    out = f"{b.scheme}://{b.netloc}{path}" if b.netloc else f"{b.scheme}:{path}"
    if with_query:
        out += "?" + query
    if "#" in ref:
        out += "#" + r.fragment
    return out


def _remove_dot_segments(path: str) -> str:
    segments = path.split("/")
    output: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(output) > 1:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if segments[-1] in (".", ".."):
        output.append("")
    return "/".join(output)


_C0_AND_SPACE = "".join(map(chr, range(0x21)))


def normalize_url(url: str) -> str:
    """Scheme and host lower-cased, default port dropped, unsafe characters percent-encoded."""
    url = url.strip(_C0_AND_SPACE)  # as the URL parser drops them
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SPECIAL:
        return quote(url, safe=_OPAQUE_SAFE)
    netloc = parts.netloc
    if netloc:
        netloc = _normalize_netloc(netloc, scheme)
    path = parts.path
    if netloc and not path:
        path = "/"
    elif "." in path:
        path = _remove_dot_segments(path)
    query, fragment = parts.query, parts.fragment
    if _PATH_NEEDS_WORK.search(path):
        path = quote(path, safe=_PATH_SAFE)
    if query and _QUERY_NEEDS_WORK.search(query):
        query = quote(query, safe=_QUERY_SAFE)
    if fragment and _FRAGMENT_NEEDS_WORK.search(fragment):
        fragment = quote(fragment, safe=_FRAGMENT_SAFE)
    out = urlunsplit((scheme, netloc, path, "", ""))
    if "?" in url.partition("#")[0]:
        out += "?" + query
    if "#" in url:
        out += "#" + fragment
    return out


def _normalize_netloc(netloc: str, scheme: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    host, port = hostport, ""
    if hostport.startswith("["):
        end = hostport.find("]")
        host, port = hostport[: end + 1], hostport[end + 2 :]
    elif ":" in hostport:
        host, _, port = hostport.rpartition(":")
    host = host.lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = quote(host, safe="")
    if port == _DEFAULT_PORTS.get(scheme):
        port = ""
    return f"{userinfo}{at}{host}{':' + port if port else ''}"


def default_public_path(entry_url: str) -> str:
    """The entry's directory, as import-html-entry's ``defaultGetPublicPath``:
    ``http://a.com/x/index.html`` → ``http://a.com/x/`` (query and hash dropped)."""
    parts = urlsplit(normalize_url(entry_url))
    directory = parts.path.rsplit("/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}{directory}/"


def is_absolute_http_url(url: str) -> bool:
    """True for ``http(s)://host...`` URLs, the only entries the loader can fetch by itself."""
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


_CLEAN_ABSOLUTE = re.compile(
    r"https?://[a-z0-9.\-]+(?::(?!80/|443/)\d+)?/[A-Za-z0-9\-._~!$&()*+,;=:@/?#]*"
)
_CLEAN_RELATIVE = re.compile(r"[A-Za-z0-9\-_~!$&()*+,;=@/][A-Za-z0-9\-._~!$&()*+,;=:@/?#]*")
_DOT_SEGMENT = re.compile(r"(?:^|/)\.\.?(?:[/?#]|$)")


class UrlResolver:
    """``resolve_url`` against one base, with a fast path for the plain URLs most pages use.

    Anything unusual (dot segments, escapes, non-ASCII, whitespace, default ports, schemes other
    than http(s)) goes through ``resolve_url``, so the result is the same either way.
    """

    def __init__(self, base: str) -> None:
        self.base = normalize_url(base)
        parts = urlsplit(self.base)
        self._fast = parts.scheme in ("http", "https") and bool(parts.netloc)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._directory = self._origin + parts.path.rsplit("/", 1)[0] + "/"

    def __call__(self, ref: str) -> str:
        if ref.startswith("./"):
            rest = ref[2:]
            if self._fast and _is_plain_path(rest):
                return self._directory + rest
            return resolve_url(self.base, ref)
        if self._fast and not _DOT_SEGMENT.search(ref):
            if ref.startswith(("http://", "https://")):
                if _CLEAN_ABSOLUTE.fullmatch(ref) and ":80/" not in ref and ":443/" not in ref:
                    return ref
            elif ref.startswith("/"):
                if not ref.startswith("//") and _CLEAN_RELATIVE.fullmatch(ref):
                    return self._origin + ref
            elif (
                _CLEAN_RELATIVE.fullmatch(ref)
                and ":" not in ref.split("/", 1)[0]
                and not ref.startswith(("?", "#"))
            ):
                return self._directory + ref
        return resolve_url(self.base, ref)


def _is_plain_path(ref: str) -> bool:
    """A path-relative reference with nothing a browser would rewrite."""
    return (
        _CLEAN_RELATIVE.fullmatch(ref) is not None
        and not _DOT_SEGMENT.search(ref)
        and not ref.startswith(("/", "?", "#"))
        and ":" not in ref.split("/", 1)[0]
    )
