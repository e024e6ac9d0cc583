"""The pages ``ComposeApp`` answers with when there is no composed page to send."""

from __future__ import annotations

import html
from http import HTTPStatus

__all__ = ["bad_gateway", "not_found", "page"]


def page(title: str, message: str, details: str = "") -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
        f'<p>{html.escape(message)}</p>\n{details}<p><a href="/">Back to the start page</a></p>\n'
        "</body></html>\n"
    )


def not_found(path: str) -> str:
    return page(
        f"{HTTPStatus.NOT_FOUND.value} {HTTPStatus.NOT_FOUND.phrase}",
        f"No micro-app and no shell route answers {path}.",
    )


def bad_gateway(
    broken: list[str], errors: dict[str, BaseException], entries: dict[str, str]
) -> str:
    items = []
    for name in broken:
        error = errors.get(name)
        url = _error_url(error) or entries.get(name)
        reason = str(error) if error is not None else "it failed to load or mount"
        where = f" from <code>{html.escape(url)}</code>" if url else ""
        items.append(f"<li><strong>{html.escape(name)}</strong>{where}: {html.escape(reason)}</li>")
    return page(
        f"{HTTPStatus.BAD_GATEWAY.value} {HTTPStatus.BAD_GATEWAY.phrase}",
        "A micro-app this page needs could not be loaded, and no other app can stand in.",
        "<ul>\n" + "\n".join(items) + "\n</ul>\n",
    )


def _error_url(error: BaseException | None) -> str | None:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        url = getattr(error, "url", None)
        if isinstance(url, str):
            return url
        error = error.__cause__ or error.__context__
    return None
