"""One request's orchestrator, watched app by app: when each app is ready, failed or out of time.

Orchestrators are built per request from the shared ``EntryLoader`` (its caches are the warm
part), started in the background, and read slot by slot as their apps reach a settled status, so a
hanging app costs its slot's ``timeout`` and never the whole page, another request or shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import enum
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import DEFAULT_APP_TIMEOUT, AppConfig, ComposeConfig
from ..dom import inner_html, set_inner_html
from ..events import STATUS_CHANGE
from ..status import BROKEN_STATUSES, AppStatus
from ._pages import error_url

if TYPE_CHECKING:
    from ..html_entry import EntryLoader
    from ..micro_apps import Orchestrator

__all__ = ["AppPolicy", "Outcome", "PageRun", "policies_of"]

_log = logging.getLogger("orchestrator.asgi")

CLOSE_TIMEOUT = 2.0
"""Seconds one request's orchestrator may take to close before it is abandoned (logged)."""


class Outcome(enum.Enum):
    """How an app's slot ended: mounted in time, failed, or out of time."""

    READY = "ready"
    FAILED = "failed"
    TIMED_OUT = "timed out"


@dataclass(frozen=True)
class AppPolicy:
    """What serving needs to know of one app beyond its registration (Tailor's attributes)."""

    name: str
    container: str
    timeout: float = DEFAULT_APP_TIMEOUT
    fallback: str | None = None
    primary: bool = False
    layout: bool = False

    @property
    def fallback_url(self) -> str | None:
        if self.fallback is not None and self.fallback.startswith(("http://", "https://")):
            return self.fallback
        return None


def policies_of(config: ComposeConfig) -> dict[str, AppPolicy]:
    def policy(app: AppConfig) -> AppPolicy:
        return AppPolicy(
            name=app.name,
            container=app.container,
            timeout=app.timeout,
            fallback=app.fallback,
            primary=app.primary,
            layout=app.layout,
        )

    return {app.name: policy(app) for app in config.apps}


class PageRun:
    """A started orchestrator for one URL and what became of each active app.

    Every wait is bounded by the app's ``timeout`` counted from the start of the request (apps
    load in parallel, as Tailor's fragments do) and by the request's ``deadline``.
    """

    def __init__(
        self,
        orchestrator: Orchestrator,
        *,
        url: str,
        active: Sequence[str],
        policies: Mapping[str, AppPolicy],
        request_id: str,
        deadline: float | None,
        entries: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.orchestrator = orchestrator
        self.url = url
        self.active = list(active)
        self.request_id = request_id
        self._policies = policies
        self._entries = entries or {}
        self._clock = clock
        self._started_at = clock()
        self._deadline_at = None if deadline is None else self._started_at + deadline
        self._settled: dict[str, asyncio.Event] = {name: asyncio.Event() for name in active}
        self._errors: dict[str, BaseException] = {}
        self._logged: set[str] = set()
        self._start: asyncio.Task[Any] | None = None
        self.initial_state: dict[str, Any] | None = None
        self.root_path = ""
        """Where the app is mounted in an outer ASGI app (``Location`` headers go below it)."""
        orchestrator.add_error_handler(self._record_error)
        orchestrator.events.signal(STATUS_CHANGE).connect(self._status_changed, sender=orchestrator)

    # -- starting and watching --------------------------------------------------------------

    def start(self, options: Mapping[str, Any]) -> None:
        """Start the orchestrator's first reroute in the background."""
        self._start = asyncio.ensure_future(self.orchestrator.start(**dict(options)))
        self._start.add_done_callback(self._start_finished)

    def _start_finished(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            _log.error(
                "starting the page for %s failed (request %s): %r", self.url, self.request_id, error
            )
        for event in self._settled.values():  # an app not mounted by now will not be
            event.set()

    def _status_changed(self, _sender: Any, *, app: str, old: AppStatus, new: AppStatus) -> None:
        if app in self._settled and (new is AppStatus.MOUNTED or new in BROKEN_STATUSES):
            self._settled[app].set()

    def _record_error(self, error: BaseException) -> None:
        name = getattr(error, "app_name", None)
        self._errors[name if isinstance(name, str) else ""] = error

    def status(self, name: str) -> AppStatus | None:
        return self.orchestrator.get_app_status(name)

    def _time_left(self, name: str) -> float:
        policy = self._policies.get(name)
        timeout = policy.timeout if policy is not None else DEFAULT_APP_TIMEOUT
        ends = self._started_at + timeout
        if self._deadline_at is not None:
            ends = min(ends, self._deadline_at)
        return max(0.0, ends - self._clock())

    async def wait(self, name: str) -> Outcome:
        """Wait for ``name`` to mount or fail, up to its timeout (or the request's deadline)."""
        event = self._settled.get(name)
        if event is None:
            return Outcome.READY
        if not event.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), self._time_left(name))
        status = self.status(name)
        if status is AppStatus.MOUNTED:
            return Outcome.READY
        outcome = Outcome.FAILED if event.is_set() else Outcome.TIMED_OUT
        self.log_failure(name, outcome)
        return outcome

    async def wait_all(self) -> dict[str, Outcome]:
        names = list(self._settled)
        outcomes = await asyncio.gather(*(self.wait(name) for name in names))
        return dict(zip(names, outcomes, strict=True))

    def log_failure(self, name: str, outcome: Outcome) -> None:
        """Once per app and request: the app, its URL and the request id (never the page)."""
        if name in self._logged:
            return
        self._logged.add(name)
        error = self._errors.get(name)
        url = error_url(error) or self.entry_of(name) or "-"
        if outcome is Outcome.TIMED_OUT:
            policy = self._policies.get(name)
            timeout = policy.timeout if policy is not None else DEFAULT_APP_TIMEOUT
            _log.warning(
                "app %s at %s timed out after %.3g s (status %s, request %s)",
                name,
                url,
                min(timeout, self._clock() - self._started_at),
                self.status(name),
                self.request_id,
            )
        else:
            _log.error(
                "app %s at %s failed (status %s, request %s): %s",
                name,
                url,
                self.status(name),
                self.request_id,
                error if error is not None else "it did not mount",
            )

    def entry_of(self, name: str) -> str | None:
        return self._entries.get(name)

    # -- reading the page -------------------------------------------------------------------

    @property
    def location(self) -> str:
        return str(self.orchestrator.location.href)

    def container_html(self, selector: str) -> str | None:
        element = self.orchestrator.document.query_selector(selector)
        return None if element is None else inner_html(element)

    def fill(self, selector: str, html: str) -> None:
        element = self.orchestrator.document.query_selector(selector)
        if element is not None:
            set_inner_html(element, html)

    @property
    def html(self) -> str:
        return str(self.orchestrator.document.html)

    def global_state(self) -> dict[str, Any] | None:
        store = self.orchestrator.global_state
        return None if store is None else store.state

    def init_global_state(self, state: Mapping[str, Any]) -> None:
        self.initial_state = copy.deepcopy(dict(state))
        self.orchestrator.init_global_state(state)

    # -- closing ----------------------------------------------------------------------------

    async def aclose(self, limit: float = CLOSE_TIMEOUT) -> None:
        """Stop the start task and close the orchestrator, in bounded time."""
        if self._start is not None and not self._start.done():
            self._start.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(self._start), limit)
        try:
            await asyncio.wait_for(self.orchestrator.aclose(), limit)
        except TimeoutError:
            _log.warning(
                "the page for %s took over %.3g s to close; abandoned (request %s)",
                self.url,
                limit,
                self.request_id,
            )
        except Exception:
            _log.exception("closing the page for %s failed (request %s)", self.url, self.request_id)


async def fallback_html(
    policy: AppPolicy | None, loader: EntryLoader, *, request_id: str, time_left: float
) -> str:
    """The app's fallback: its HTML, or the page at its URL (fetched once, then cached by the
    loader); a fallback that cannot be fetched is an empty slot, logged."""
    if policy is None or policy.fallback is None:
        return ""
    url = policy.fallback_url
    if url is None:
        return policy.fallback
    cached = loader.cached_text(url)
    if cached is not None:
        return cached
    try:
        return await asyncio.wait_for(loader.fetch_text(url), max(0.05, time_left))
    except Exception as exc:
        _log.error(
            "fallback of app %s at %s could not be fetched (request %s): %s",
            policy.name,
            url,
            request_id,
            exc or type(exc).__name__,
        )
        return ""
