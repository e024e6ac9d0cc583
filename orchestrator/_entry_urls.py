"""URL resolution as a browser does it (WHATWG-style), and the entry's public path."""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

_SPECIAL = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}
_TRIM = "".join(chr(c) for c in range(0x21))
_TAB_NEWLINE = re.compile("[\t\n\r]")
_NEEDS_WORK = re.compile(r"[^!#-;=?-\[\]-~]|%(?![0-9A-Fa-f]{2})")
_PATH_NEEDS_WORK = re.compile(r"[^!#-;=?-\[\]-_a-z|~]|%(?![0-9A-Fa-f]{2})")
_PATH_SAFE = "!$%&'()*+,-./:;=@[]^_|~" + "\\"
_QUERY_SAFE = "!$%&'()*+,-./:;=?@[]^_`{|}~\\"
_FRAGMENT_SAFE = "!#$%&'()*+,-./:;=?@[]^_{|}~\\"


def resolve_url(base: str, ref: str) -> str:
    """``ref`` made absolute against ``base`` and serialized as a browser would.

    Entities are already decoded by the HTML parser; here leading/trailing controls and spaces
    are trimmed, tabs and newlines removed, ``\\`` read as ``/`` for web schemes, and
    non-ASCII or unsafe characters percent-encoded (``U+00A0`` → ``%C2%A0``).
    """
    ref = _TAB_NEWLINE.sub("", ref.strip(_TRIM))
    if urlsplit(base).scheme.lower() in _SPECIAL and "\\" in ref:
        ref = ref.replace("\\", "/")
    joined = urljoin(base, ref) if ref else base.partition("#")[0]
    return normalize_url(joined)


def normalize_url(url: str) -> str:
    """Scheme and host lower-cased, default port dropped, unsafe characters percent-encoded."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    if scheme in _SPECIAL and netloc:
        netloc = _normalize_netloc(netloc, scheme)
    path = parts.path
    if scheme in _SPECIAL and netloc and not path:
        path = "/"
    query, fragment = parts.query, parts.fragment
    if _PATH_NEEDS_WORK.search(path):
        path = quote(path, safe=_PATH_SAFE)
    if query and _NEEDS_WORK.search(query):
        query = quote(query, safe=_QUERY_SAFE)
    if fragment and _NEEDS_WORK.search(fragment):
        fragment = quote(fragment, safe=_FRAGMENT_SAFE)
    out = urlunsplit((scheme, netloc, path, query, fragment))
    if url.endswith("?") and not query:
        out += "?"
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
    r"https?://[a-z0-9.\-]+(?::(?!80/|443/)\d+)?/[A-Za-z0-9\-._~!$&'()*+,;=:@/?#]*"
)
_CLEAN_RELATIVE = re.compile(r"[A-Za-z0-9\-_~!$&'()*+,;=@/][A-Za-z0-9\-._~!$&'()*+,;=:@/?#]*")
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
