"""Fetching entries and assets with limits, checking their integrity, and decoding them.

Redirects are followed here, one hop at a time, so that every URL of the chain is checked by
the caller's policy before it is requested (trust is decided on the final URL, not the first).
Bodies are read raw and decoded here too, with an output limit on every step: a compressed body
can never cost more memory than ``max_bytes`` plus one network chunk.
"""

from __future__ import annotations

import asyncio
import base64
import codecs
import hashlib
import hmac
import re
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

import httpx

from .._lru import LRUCache
from .._urls import resolve_url
from .._version import __version__
from ..errors import EntryLoadError, IntegrityError
from ._encodings import lookup as lookup_encoding
from ._http1 import Http1Pool, Target

__all__ = [
    "ACCEPT_ENCODING",
    "MAX_REDIRECTS",
    "FetchHook",
    "Fetched",
    "HopCheck",
    "Send",
    "check_integrity",
    "client_sender",
    "decode_html",
    "decode_text",
    "fetch_bytes",
    "pool_sender",
    "transport_sender",
]

ACCEPT_ENCODING = "gzip, deflate"
"""What we ask servers for: only encodings we decode ourselves with an output limit."""
MAX_REDIRECTS = 10
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

HopCheck = Callable[[str], Awaitable[None]]
"""Called with each URL of a redirect chain before it is requested; raises to refuse it."""

FetchHook = Callable[[str], Awaitable["httpx.Response | str | bytes"]]
"""A custom fetch: returns an ``httpx.Response`` (status checked), or the body as text or bytes."""

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SNIFF_TYPES = ("", "text/plain", "application/octet-stream")
_SRI = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


@dataclass(frozen=True)
class Fetched:
    """A successful response body, with the ``Content-Type`` it came with.

    ``url`` is where the body came from (the last hop); ``hops`` every URL requested on the way,
    the first being the one asked for.
    """

    url: str
    body: bytes
    content_type: str
    hops: tuple[str, ...] = field(default=())
    text_charset: str | None = None
    """Set when the body is known to be text in this charset (a fetch hook returned ``str``)."""
    headers: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )
    """The final response's headers (lower-case names; a repeated header joined by commas)."""
    from_cache: bool = False
    """The body came out of the HTTP cache (fresh, or revalidated by a 304), not the network."""
    not_modified: bool = False
    """A 304 to a conditional request the caller made itself: no body, its copy is current."""

    @property
    def requested(self) -> str:
        return self.hops[0] if self.hops else self.url

    @property
    def mime(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        if self.text_charset is not None:
            return self.text_charset
        for param in self.content_type.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None


class Response(Protocol):
    """What the loader reads of a response: ``httpx.Response``, or the pool's own ``Reply``."""

    @property
    def status_code(self) -> int: ...
    @property
    def reason_phrase(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def extensions(self) -> Mapping[str, Any]: ...
    def aiter_raw(self) -> AsyncIterator[bytes]: ...
    async def aclose(self) -> None: ...


Send = Callable[[str, Mapping[str, str]], Awaitable[Response]]
"""A GET of a URL with headers, its response streamed (redirects are the caller's to follow)."""


def client_sender(client: httpx.AsyncClient) -> Send:
    """``Send`` through a client the user gave: its own hooks, cookies and transport apply."""

    async def send(url: str, headers: Mapping[str, str]) -> httpx.Response:
        request = client.build_request("GET", url, headers=headers)
        return await client.send(request, stream=True, follow_redirects=False)

    return send


USER_AGENT = f"mfe-orchestrator/{__version__} (python-httpx/{httpx.__version__})"
"""What the loader's own requests say they are (app servers' logs tell the composer apart)."""
_DEFAULT_HEADERS = {"user-agent": USER_AGENT, "accept": "*/*"}


def transport_sender(
    transport: httpx.AsyncBaseTransport, timeout: float, urls: LRUCache[str, httpx.URL]
) -> Send:
    """``Send`` straight to a transport (the loader's own): no client machinery per request,
    and no cookie jar, so no app's cookies are ever kept or sent to another. ``urls`` keeps
    parsed URLs (the same few are asked for on every page)."""
    extensions = {"timeout": httpx.Timeout(timeout).as_dict()}

    async def send(url: str, headers: Mapping[str, str]) -> Response:
        parsed = urls.get(url)
        if parsed is None:
            parsed = urls[url] = httpx.URL(url)
        request = httpx.Request(
            "GET", parsed, headers={**_DEFAULT_HEADERS, **headers}, extensions=extensions
        )
        response = await transport.handle_async_request(request)
        response.request = request
        return response

    return send


def pool_sender(pool: Http1Pool, timeout: float, targets: LRUCache[str, Target]) -> Send:
    """``Send`` straight to the loader's connections, no httpx types made (for URLs the cache
    would only pass through); ``targets`` keeps parsed URLs."""

    async def send(url: str, headers: Mapping[str, str]) -> Response:
        target = targets.get(url)
        if target is None:
            target = targets[url] = Target.parse(url)
        return await pool.get(target, {**_DEFAULT_HEADERS, **headers}, timeout)

    return send


async def fetch_bytes(
    url: str,
    *,
    client: Callable[[], Send],
    hook: FetchHook | None,
    time_limit: float,
    max_bytes: int,
    check_hop: HopCheck | None = None,
    content_types: frozenset[str] | None = None,
    request_headers: Mapping[str, str] | None = None,
    conditional: bool = False,
) -> Fetched:
    """GET ``url`` within ``time_limit`` seconds overall; raise ``EntryLoadError`` naming the cause.

    Every URL of the redirect chain passes ``check_hop`` before it is requested. Bodies larger
    than ``max_bytes`` (decoded) are refused as soon as that is known, so they are never
    buffered whole; with ``content_types``, a response whose MIME type is not one of them (``""``
    for none) is refused before its body is read. With ``conditional`` (the caller sent its own
    validators), a final 304 is a ``Fetched`` marked ``not_modified``, with no body.
    """
    try:
        async with asyncio.timeout(time_limit):
            if hook is not None:
                if check_hop is not None:
                    await check_hop(url)
                fetched = await _from_hook(url, await hook(url), max_bytes)
                _check_type(fetched.url, fetched.content_type, content_types)
                return fetched
            return await _follow(
                url, client(), max_bytes, check_hop, content_types, request_headers, conditional
            )
    except EntryLoadError:
        raise
    except (TimeoutError, httpx.TimeoutException):
        raise EntryLoadError(url, f"timed out after {time_limit:g} s") from None
    except httpx.ConnectError as exc:
        raise EntryLoadError(url, f"connection failed: {_describe(exc)}") from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise EntryLoadError(url, f"invalid URL: {exc}") from exc
    except httpx.HTTPError as exc:
        raise EntryLoadError(url, f"connection broken: {_describe(exc)}") from exc
    except Exception as exc:
        if hook is None:
            raise
        raise EntryLoadError(url, f"the fetch hook failed: {_describe(exc)}") from exc


async def _follow(
    url: str,
    send: Send,
    max_bytes: int,
    check_hop: HopCheck | None,
    content_types: frozenset[str] | None,
    request_headers: Mapping[str, str] | None = None,
    conditional: bool = False,
) -> Fetched:
    hops: list[str] = []
    current = url
    while True:
        if len(hops) > MAX_REDIRECTS:
            raise EntryLoadError(url, f"more than {MAX_REDIRECTS} redirects")
        if check_hop is not None:
            try:
                await check_hop(current)
            except EntryLoadError as refused:
                if not hops:
                    raise
                reason = f"{refused.reason} (redirected from {url})"
                raise type(refused)(refused.url, reason) from None
        hops.append(current)
        headers = {**(request_headers or {}), "accept-encoding": ACCEPT_ENCODING}
        reply = await send(current, headers)
        try:
            location = reply.headers.get("location")
            if reply.status_code in _REDIRECTS and location:
                try:
                    current = resolve_url(current, location)
                except ValueError as exc:
                    raise EntryLoadError(url, f"redirected to an invalid URL: {exc}") from None
                continue
            if conditional and reply.status_code == 304:
                found = _header_map(reply.headers)
                return Fetched(current, b"", "", tuple(hops), headers=found, not_modified=True)
            _check_status(current, reply)
            content_type = reply.headers.get("content-type", "")
            _check_type(current, content_type, content_types)
            body = await _read_bounded(current, reply, max_bytes)
            status = reply.extensions.get("caching")
            return Fetched(
                current,
                body,
                content_type,
                tuple(hops),
                headers=_header_map(reply.headers),
                from_cache=bool(getattr(status, "from_cache", False)),
            )
        finally:
            await reply.aclose()


async def _read_bounded(url: str, reply: Response, max_bytes: int) -> bytes:
    """The decoded body, refused as soon as it would exceed ``max_bytes``."""
    declared = reply.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise EntryLoadError(url, f"body too large: {declared} bytes > max_bytes {max_bytes}")
    decoder = _decoder(url, reply.headers.get("content-encoding", ""))
    chunks: list[bytes] = []
    total = 0
    async for raw in reply.aiter_raw():
        piece = raw if decoder is None else decoder.feed(raw, max_bytes - total)
        total += len(piece)
        if total > max_bytes:
            raise EntryLoadError(url, f"body too large: over max_bytes {max_bytes} decoded")
        chunks.append(piece)
    if decoder is not None:
        tail = decoder.finish(url, max_bytes - total)
        total += len(tail)
        chunks.append(tail)
    return b"".join(chunks)


class _Inflater:
    """zlib decoding (gzip or deflate) that never returns more than it is allowed to."""

    def __init__(self, wbits: int, *, fallback_wbits: int | None = None) -> None:
        self._object = zlib.decompressobj(wbits)
        self._fallback = fallback_wbits
        self._started = False

    def feed(self, data: bytes, budget: int) -> bytes:
        limit = max(budget, 0) + 1  # one byte over the budget is enough to refuse
        try:
            out = self._object.decompress(data, limit)
        except zlib.error:
            if self._started or self._fallback is None:
                raise
            # "deflate" is zlib-wrapped by the RFC and raw by many servers: accept both
            self._object = zlib.decompressobj(self._fallback)
            self._fallback = None
            out = self._object.decompress(data, limit)
        self._started = True
        return out

    def finish(self, url: str, budget: int) -> bytes:
        if self._object.unconsumed_tail:
            raise EntryLoadError(url, "body too large: over max_bytes decoded")
        return self._object.flush()[: max(budget, 0) + 1]


def _decoder(url: str, header: str) -> _Inflater | None:
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        raise EntryLoadError(url, f"refused: more than one Content-Encoding ({header})")
    coding = codings[0]
    if coding in ("gzip", "x-gzip"):
        return _Inflater(16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return _Inflater(zlib.MAX_WBITS, fallback_wbits=-zlib.MAX_WBITS)
    raise EntryLoadError(url, f"refused: unsupported Content-Encoding {coding!r}")


def _check_type(url: str, content_type: str, allowed: frozenset[str] | None) -> None:
    if allowed is None:
        return
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime not in allowed:
        raise EntryLoadError(url, f"refused: Content-Type {content_type!r} is not CSS")


async def _from_hook(url: str, result: httpx.Response | str | bytes, max_bytes: int) -> Fetched:
    headers: Mapping[str, str] = MappingProxyType({})
    if isinstance(result, httpx.Response):
        _check_status(url, result)
        body = await result.aread()
        content_type = result.headers.get("content-type", "")
        headers = _header_map(result.headers)
    elif isinstance(result, str):
        try:
            body = result.encode("utf-8")
        except UnicodeEncodeError as exc:
            reason = f"the fetch hook returned text that is not valid Unicode: {exc}"
            raise EntryLoadError(url, reason) from exc
        content_type = ""  # the hook's text says nothing of its type; it is UTF-8 now
    elif isinstance(result, bytes | bytearray):
        body, content_type = bytes(result), ""
    else:
        raise EntryLoadError(url, f"fetch hook returned {type(result).__name__}, not a response")
    if len(body) > max_bytes:
        raise EntryLoadError(url, f"body too large: {len(body)} bytes > max_bytes {max_bytes}")
    charset = "utf-8" if isinstance(result, str) else None
    return Fetched(url, body, content_type, (url,), text_charset=charset, headers=headers)


def _header_map(headers: Mapping[str, str]) -> Mapping[str, str]:
    if not isinstance(headers, httpx.Headers):  # the pool's: lower-case names, joined already
        return MappingProxyType(headers)
    joined: dict[str, str] = {}
    for name, value in headers.multi_items():
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return MappingProxyType(joined)


def _describe(exc: BaseException) -> str:
    """The exception's message, else its cause's, else its type name: never an empty reason."""
    for candidate in (exc, exc.__cause__, exc.__context__):
        if candidate is not None and str(candidate).strip():
            return f"{type(candidate).__name__}: {candidate}"
    return type(exc).__name__


def _check_status(url: str, response: Response) -> None:
    if not 200 <= response.status_code < 300:
        phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
        raise EntryLoadError(url, f"HTTP status {response.status_code}{phrase}")


def decode_html(fetched: Fetched) -> str:
    """The entry's text; charset from ``Content-Type``, a BOM, ``<meta charset>``, or UTF-8.

    Refuses bodies that are not HTML: a non-HTML ``Content-Type``, or binary data.
    """
    mime = fetched.mime
    body = fetched.body
    sniffed = fetched.text_charset is not None or _looks_like_html(body)  # hook text: as given
    if mime not in _HTML_TYPES and (mime not in _SNIFF_TYPES or not sniffed):
        label = fetched.content_type or "no Content-Type"
        raise EntryLoadError(fetched.url, f"not HTML ({label})")
    charset = fetched.charset or _bom_charset(body) or _meta_charset(body) or "utf-8"
    return decode_text(fetched, charset)


def decode_text(fetched: Fetched, charset: str | None = None) -> str:
    """An asset's text in ``charset`` (or the response's, or UTF-8); a BOM wins, as in browsers."""
    body = fetched.body
    label = _bom_charset(body) or charset or fetched.charset or "utf-8"
    codec = _codec(fetched.url, label)
    if codec == "utf-8" and body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        raise EntryLoadError(fetched.url, f"undecodable as {label} at byte {exc.start}") from None
    return text.lstrip("\ufeff")


def _codec(url: str, label: str) -> str:
    """The Python codec of a WHATWG encoding label; anything else is refused by name."""
    found = lookup_encoding(label)
    if found is None:
        raise EntryLoadError(url, f"unknown charset {label!r} (not an Encoding Standard label)")
    name, codec = found
    if codec is None:
        raise EntryLoadError(url, f"charset {label!r} ({name}) cannot be decoded")
    return codec


def check_integrity(url: str, body: bytes, integrity: str | None) -> None:
    """Subresource Integrity: with known algorithms listed, the strongest must match one digest."""
    if not integrity:
        return
    wanted: dict[str, list[str]] = {}
    for token in integrity.split():
        algorithm, _, digest = token.partition("-")
        if algorithm.lower() in _SRI and digest:
            wanted.setdefault(algorithm.lower(), []).append(digest.split("?", 1)[0])
    if not wanted:
        return
    strongest = max(wanted, key=lambda name: int(name[3:]))
    actual = base64.b64encode(_SRI[strongest](body).digest()).decode("ascii")
    if not any(hmac.compare_digest(actual, digest) for digest in wanted[strongest]):
        raise IntegrityError(url, f"integrity mismatch: {strongest} of the body is {actual}")


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024]
    return b"\x00" not in head and b"<" in head


def _bom_charset(body: bytes) -> str | None:
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if body.startswith(codecs.BOM_UTF16_LE):
        return "utf-16le"
    if body.startswith(codecs.BOM_UTF16_BE):
        return "utf-16be"
    return None


def _meta_charset(body: bytes) -> str | None:
    found = _META_CHARSET.search(body[:4096])
    return found.group(1).decode("ascii") if found else None
