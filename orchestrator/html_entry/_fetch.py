"""Fetching entries and assets with limits, checking their integrity, and decoding them."""

from __future__ import annotations

import asyncio
import base64
import codecs
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from ..errors import EntryLoadError, IntegrityError

__all__ = ["FetchHook", "Fetched", "check_integrity", "decode_html", "decode_text", "fetch_bytes"]

FetchHook = Callable[[str], Awaitable["httpx.Response | str | bytes"]]
"""A custom fetch: returns an ``httpx.Response`` (status checked), or the body as text or bytes."""

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SNIFF_TYPES = ("", "text/plain", "application/octet-stream")
_SRI = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


@dataclass(frozen=True)
class Fetched:
    """A successful response body, with the ``Content-Type`` it came with."""

    url: str
    body: bytes
    content_type: str

    @property
    def mime(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for param in self.content_type.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None


async def fetch_bytes(
    url: str,
    *,
    client: Callable[[], httpx.AsyncClient],
    hook: FetchHook | None,
    time_limit: float,
    max_bytes: int,
) -> Fetched:
    """GET ``url`` within ``time_limit`` seconds overall; raise ``EntryLoadError`` naming the cause.

    Bodies larger than ``max_bytes`` are refused as soon as that is known (``Content-Length`` or
    the running total), so they are never buffered whole.
    """
    try:
        async with asyncio.timeout(time_limit):
            if hook is not None:
                return await _from_hook(url, await hook(url), max_bytes)
            return await _stream(url, client(), max_bytes)
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


async def _stream(url: str, client: httpx.AsyncClient, max_bytes: int) -> Fetched:
    async with client.stream("GET", url) as response:
        _check_status(url, response)
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise EntryLoadError(url, f"body too large: {declared} bytes > max_bytes {max_bytes}")
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > max_bytes:
                raise EntryLoadError(url, f"body too large: over max_bytes {max_bytes}")
            chunks.append(chunk)
        return Fetched(url, b"".join(chunks), response.headers.get("content-type", ""))


async def _from_hook(url: str, result: httpx.Response | str | bytes, max_bytes: int) -> Fetched:
    if isinstance(result, httpx.Response):
        _check_status(url, result)
        body = await result.aread()
        content_type = result.headers.get("content-type", "")
    elif isinstance(result, str):
        try:
            body = result.encode("utf-8")
        except UnicodeEncodeError as exc:
            reason = f"the fetch hook returned text that is not valid Unicode: {exc}"
            raise EntryLoadError(url, reason) from exc
        content_type = "text/html; charset=utf-8"
    elif isinstance(result, bytes | bytearray):
        body, content_type = bytes(result), ""
    else:
        raise EntryLoadError(url, f"fetch hook returned {type(result).__name__}, not a response")
    if len(body) > max_bytes:
        raise EntryLoadError(url, f"body too large: {len(body)} bytes > max_bytes {max_bytes}")
    return Fetched(url, body, content_type)


def _describe(exc: BaseException) -> str:
    """The exception's message, else its cause's, else its type name: never an empty reason."""
    for candidate in (exc, exc.__cause__, exc.__context__):
        if candidate is not None and str(candidate).strip():
            return f"{type(candidate).__name__}: {candidate}"
    return type(exc).__name__


def _check_status(url: str, response: httpx.Response) -> None:
    if not 200 <= response.status_code < 300:
        phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
        raise EntryLoadError(url, f"HTTP status {response.status_code}{phrase}")


def decode_html(fetched: Fetched) -> str:
    """The entry's text; charset from ``Content-Type``, a BOM, ``<meta charset>``, or UTF-8.

    Refuses bodies that are not HTML: a non-HTML ``Content-Type``, or binary data.
    """
    mime = fetched.mime
    body = fetched.body
    if mime not in _HTML_TYPES and (mime not in _SNIFF_TYPES or not _looks_like_html(body)):
        label = fetched.content_type or "no Content-Type"
        raise EntryLoadError(fetched.url, f"not HTML ({label})")
    charset = fetched.charset or _bom_charset(body) or _meta_charset(body) or "utf-8"
    return decode_text(fetched, charset)


def decode_text(fetched: Fetched, charset: str | None = None) -> str:
    """An asset's text in ``charset`` (or the response's, or UTF-8); a BOM wins, as in browsers."""
    body = fetched.body
    name = _bom_charset(body) or charset or fetched.charset or "utf-8"
    try:
        codec = codecs.lookup(name)
    except LookupError:
        raise EntryLoadError(fetched.url, f"unknown charset {name!r}") from None
    if codec.name.startswith("utf-8") and body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    try:
        text = body.decode(codec.name)
    except UnicodeDecodeError as exc:
        raise EntryLoadError(
            fetched.url, f"undecodable as {codec.name} at byte {exc.start}"
        ) from None
    return text.lstrip("\ufeff")


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
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _meta_charset(body: bytes) -> str | None:
    found = _META_CHARSET.search(body[:4096])
    return found.group(1).decode("ascii") if found else None
