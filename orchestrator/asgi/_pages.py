"""The pages ``ComposeApp`` answers with when there is no composed page to send.

They name apps and statuses only: internal entry URLs (with their query tokens) and exception
text go to the log under the request id the page shows, never to the visitor (DESIGN §5).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, Protocol

from ..config import NOT_FOUND_MARK, NOT_FOUND_PATH

__all__ = ["bad_gateway", "not_found", "page", "server_error", "shell_not_found"]


def page(title: str, message: str, details: str = "", *, request_id: str = "") -> str:
    reference = (
        f'<p class="mfe-request-id">Request id: <code>{html.escape(request_id)}</code></p>\n'
        if request_id
        else ""
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
        f"<p>{html.escape(message)}</p>\n{details}{reference}"
        '<p><a href="/">Back to the start page</a></p>\n</body></html>\n'
    )


def _status_title(status: HTTPStatus) -> str:
    return f"{status.value} {status.phrase}"


def not_found(path: str, *, request_id: str = "") -> str:
    return page(
        _status_title(HTTPStatus.NOT_FOUND),
        f"No micro-app and no shell route answers {path}.",
        request_id=request_id,
    )


class _Page(Protocol):
    """What of a ``PageRun`` a composed error page needs (``_run`` imports this module)."""

    async def wait_all(self) -> Any: ...

    def container_html(self, selector: str) -> str | None: ...

    def fill(self, selector: str, html: str) -> None: ...

    @property
    def html(self) -> str: ...


async def shell_not_found(run: _Page, message_html: str, path: str) -> str | None:
    """A config's ``not_found`` page: the shell as its layout apps left it (each mounted, failed
    or out of time), the message in the element marked ``data-mfe-not-found``; ``None`` when the
    shell has no such element (a ``ComposeConfig`` made by hand: ``load_config`` checks it)."""
    await run.wait_all()
    mark = f"[{NOT_FOUND_MARK}]"
    if run.container_html(mark) is None:
        return None
    run.fill(mark, message_html.replace(NOT_FOUND_PATH, html.escape(path)))
    return run.html


def bad_gateway(broken: Iterable[str], *, request_id: str) -> str:
    """Which apps failed, by name; why and where is in the log under ``request_id``."""
    items = "".join(f"<li><strong>{html.escape(name)}</strong></li>\n" for name in broken)
    return page(
        _status_title(HTTPStatus.BAD_GATEWAY),
        "A micro-app this page needs could not be loaded, and no other app can stand in.",
        f"<ul>\n{items}</ul>\n",
        request_id=request_id,
    )


def server_error(*, request_id: str, app: str | None = None) -> str:
    message = (
        f"The micro-app {app} failed, so this page could not be composed."
        if app
        else "The page could not be composed."
    )
    return page(_status_title(HTTPStatus.INTERNAL_SERVER_ERROR), message, request_id=request_id)


def error_url(error: BaseException | None) -> str | None:
    """The URL an error (or one of its causes) names, for the log line."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        url = getattr(error, "url", None)
        if isinstance(url, str):
            return url
        error = error.__cause__ or error.__context__
    return None
