"""What ``/_mfe/inspector`` shows: each app of the composition and the last composed requests.

The composer is observed from outside, so ``mfe serve`` carries none of this: a request's trace
rides a context variable set around the call into ``ComposeApp``; a :class:`TracingLoader`
(the composer's shared loader) times each app's entry and assets within it, and a log handler
on ``orchestrator.asgi`` sees the apps that failed or ran out of time (and so fell back).
"""

from __future__ import annotations

import contextvars
import enum
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..config import AppConfig
from ..html_entry import EntryLoader, ImportedEntry
from ..html_entry.live import VERSION_HEADER
from ..status import AppStatus

__all__ = [
    "AppRecord",
    "AppSpan",
    "EntryLive",
    "FailureLogHandler",
    "Inspector",
    "InspectorStatus",
    "RequestTrace",
    "TracingLoader",
    "current_trace",
]

Clock = Callable[[], float]


class InspectorStatus(enum.StrEnum):
    """An app as the inspector last saw it."""

    IDLE = "not shown yet"
    READY = "ready"
    FAILED = "failed"
    TIMED_OUT = "timed out"
    CHANGED = "changed"


@dataclass(slots=True)
class AppSpan:
    """One app in one composed request: when its loading started and ended (ms from the
    request's start), and how its slot ended."""

    name: str
    start_ms: float | None = None
    end_ms: float | None = None
    status: InspectorStatus = InspectorStatus.READY
    fell_back: bool = False
    error: str = ""
    mount_start_ms: float | None = None
    mount_end_ms: float | None = None

    @property
    def load_ms(self) -> float | None:
        if self.start_ms is None or self.end_ms is None:
            return None
        return self.end_ms - self.start_ms

    @property
    def mount_ms(self) -> float | None:
        """``MOUNTING`` to ``MOUNTED`` (the app's own mount, its hooks and the DOM work)."""
        if self.mount_start_ms is None or self.mount_end_ms is None:
            return None
        return self.mount_end_ms - self.mount_start_ms

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "start_ms": _round(self.start_ms),
            "load_ms": _round(self.load_ms),
            "mount_start_ms": _round(self.mount_start_ms),
            "mount_ms": _round(self.mount_ms),
            "status": self.status.value,
            "fell_back": self.fell_back,
            "error": self.error,
        }


@dataclass(slots=True)
class RequestTrace:
    """One composed request: its path, timings, and a span per active app."""

    number: int
    path: str
    started_at: float
    t0: float
    apps: dict[str, AppSpan]
    request_id: str = ""
    status: int = 0
    ttfb_ms: float | None = None
    total_ms: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "request_id": self.request_id,
            "path": self.path,
            "started_at": self.started_at,
            "status": self.status,
            "ttfb_ms": _round(self.ttfb_ms),
            "total_ms": _round(self.total_ms),
            "apps": [span.as_json() for span in self.apps.values()],
        }


@dataclass(slots=True)
class AppRecord:
    """One registered app across requests (the inspector's table row)."""

    name: str
    entry: str
    dir: str
    status: InspectorStatus = InspectorStatus.IDLE
    last_load_ms: float | None = None
    last_loaded_at: float | None = None
    last_mount_ms: float | None = None
    last_mounted_at: float | None = None
    last_shown_at: float | None = None
    changes: int = 0
    last_changed_at: float | None = None

    def as_json(self, live: EntryLive | None = None) -> dict[str, Any]:
        version, source, health = (None, "", "") if live is None else live.describe(self.entry)
        return {
            "name": self.name,
            "entry": self.entry,
            "dir": self.dir,
            "status": self.status.value,
            "version": version,
            "version_source": source,
            "health": health,
            "last_load_ms": _round(self.last_load_ms),
            "last_loaded_at": self.last_loaded_at,
            "last_mount_ms": _round(self.last_mount_ms),
            "last_mounted_at": self.last_mounted_at,
            "last_shown_at": self.last_shown_at,
            "changes": self.changes,
            "last_changed_at": self.last_changed_at,
        }


class EntryLive:
    """What the loader knows of an entry now: its version (the ``x-mfe-version`` it came with,
    else its manifest's ``t``, else the loader's own number and body hash) and its health."""

    def __init__(self, loader: EntryLoader) -> None:
        self.loader = loader

    def describe(self, entry: str) -> tuple[str | None, str, str]:
        """``(version, where it came from, Podium health)``; no version before a first fetch."""
        if not entry:
            return None, "", ""
        health = self.loader.health(entry).value
        record = self.loader.pages.peek(entry)
        if record is None:
            return None, "", health
        if record.version_header:
            return record.version_header, VERSION_HEADER, health
        if record.manifest is not None:
            return f"t={record.manifest.t}", "manifest", health
        return self.loader.entry_version(entry) or record.version, "loader", health


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


_TRACE: contextvars.ContextVar[RequestTrace | None] = contextvars.ContextVar(
    "mfe_dev_trace", default=None
)


def current_trace() -> RequestTrace | None:
    """The composed request this code runs for (tasks started inside it inherit it)."""
    return _TRACE.get()


class Inspector:
    """The records behind ``/_mfe/inspector``; ``on_change`` runs after every change (``mfe dev``
    tells open inspector pages through the broker)."""

    def __init__(
        self,
        apps: Iterable[AppConfig],
        *,
        keep: int = 30,
        clock: Clock = time.perf_counter,
        wall: Clock = time.time,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.apps: dict[str, AppRecord] = {
            app.name: AppRecord(app.name, app.entry or "", str(app.dir or "")) for app in apps
        }
        self._by_entry = {record.entry: record.name for record in self.apps.values()}
        self.requests: deque[RequestTrace] = deque(maxlen=keep)
        self._clock = clock
        self._wall = wall
        self._count = 0
        self.on_change = on_change
        self.live: EntryLive | None = None
        """Set by :class:`TracingLoader`: each entry's version and health, read per snapshot."""

    def now(self) -> float:
        return self._clock()

    def app_of_entry(self, url: str | None) -> str | None:
        return None if url is None else self._by_entry.get(url)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # -- one request --------------------------------------------------------------------------

    def begin(self, path: str, active: Iterable[str]) -> contextvars.Token[RequestTrace | None]:
        """Start tracing a request (until :meth:`finish`); the token resets the context."""
        self._count += 1
        trace = RequestTrace(
            self._count,
            path,
            self._wall(),
            self._clock(),
            {name: AppSpan(name) for name in active},
        )
        return _TRACE.set(trace)

    def elapsed_ms(self, trace: RequestTrace) -> float:
        return (self._clock() - trace.t0) * 1000.0

    def first_byte(self, trace: RequestTrace, status: int, request_id: str) -> None:
        trace.status = status
        trace.request_id = request_id
        trace.ttfb_ms = self.elapsed_ms(trace)

    def loading(self, trace: RequestTrace, name: str, start: float, error: str = "") -> None:
        """App ``name`` loaded something (its entry, a script, a stylesheet) from ``start``
        (this inspector's clock) until now: its span grows to cover it."""
        span = trace.apps.get(name)
        if span is None:
            return
        begun = (start - trace.t0) * 1000.0
        span.start_ms = begun if span.start_ms is None else min(span.start_ms, begun)
        ended = self.elapsed_ms(trace)
        span.end_ms = ended if span.end_ms is None else max(span.end_ms, ended)
        if error and not span.error:
            span.error = error

    def status_changed(self, trace: RequestTrace, name: str, new: AppStatus) -> None:
        """The page's orchestrator moved app ``name``: ``MOUNTING`` and ``MOUNTED`` bound its
        mount span."""
        span = trace.apps.get(name)
        if span is None:
            return
        if new is AppStatus.MOUNTING:
            span.mount_start_ms = self.elapsed_ms(trace)
        elif new is AppStatus.MOUNTED and span.mount_start_ms is not None:
            span.mount_end_ms = self.elapsed_ms(trace)

    def slot_failed(
        self, trace: RequestTrace, name: str, status: InspectorStatus, error: str
    ) -> None:
        span = trace.apps.get(name)
        if span is None:
            return
        span.status = status
        span.fell_back = True
        span.error = span.error or error

    def finish(
        self, trace: RequestTrace, token: contextvars.Token[RequestTrace | None], status: int
    ) -> None:
        _TRACE.reset(token)
        trace.status = trace.status or status
        trace.total_ms = self.elapsed_ms(trace)
        now = self._wall()
        for span in trace.apps.values():
            record = self.apps.get(span.name)
            if record is None:
                continue
            record.status = span.status
            if span.load_ms is not None:
                record.last_load_ms = span.load_ms
                record.last_loaded_at = now
            if span.mount_ms is not None:
                record.last_mount_ms = span.mount_ms
                record.last_mounted_at = now
            if span.status is InspectorStatus.READY and trace.status < 400:
                record.last_shown_at = now
        self.requests.append(trace)
        self._changed()

    # -- the dev loop -----------------------------------------------------------------------

    def touch(self) -> None:
        """Something the snapshot reads changed outside a request (an entry's health)."""
        self._changed()

    def app_changed(self, name: str) -> None:
        record = self.apps.get(name)
        if record is None:
            return
        record.status = InspectorStatus.CHANGED
        record.changes += 1
        record.last_changed_at = self._wall()
        self._changed()

    def snapshot(self) -> dict[str, Any]:
        """Everything the inspector page draws, newest request first."""
        return {
            "apps": [record.as_json(self.live) for record in self.apps.values()],
            "requests": [trace.as_json() for trace in reversed(self.requests)],
        }


class TracingLoader(EntryLoader):
    """The composer's shared loader, timing each app's entry and assets for the current trace."""

    def __init__(self, inspector: Inspector, **options: Any) -> None:
        super().__init__(**options)
        self.inspector = inspector
        inspector.live = EntryLive(self)
        # a health state moves on by its own timers: open inspectors hear of it
        self.health_changed.connect(self._health_moved, sender=self, weak=False)

    def _health_moved(self, _sender: Any, **_info: Any) -> None:
        self.inspector.touch()

    async def import_entry(self, entry: Any, **options: Any) -> ImportedEntry:
        trace = _TRACE.get()
        name = self.inspector.app_of_entry(entry) if isinstance(entry, str) else None
        if trace is None or name is None:
            return await super().import_entry(entry, **options)
        start = self.inspector.now()
        try:
            imported = await super().import_entry(entry, **options)
        except Exception as exc:
            self.inspector.loading(trace, name, start, f"{type(exc).__name__}: {exc}")
            raise
        self.inspector.loading(trace, name, start)
        return imported

    async def fetch_text(self, url: str, **options: Any) -> str:
        trace = _TRACE.get()
        entry_url = options.get("entry_url")
        name = self.inspector.app_of_entry(entry_url if isinstance(entry_url, str) else None)
        if trace is None or name is None:
            return await super().fetch_text(url, **options)
        start = self.inspector.now()
        try:
            return await super().fetch_text(url, **options)
        finally:
            self.inspector.loading(trace, name, start)


class FailureLogHandler(logging.Handler):
    """Sees ``PageRun``'s one record per failed slot (``app NAME at URL failed|timed out``) in
    the request's own context, and marks that app's span as fallen back."""

    def __init__(self, inspector: Inspector) -> None:
        super().__init__(logging.WARNING)
        self.inspector = inspector

    def emit(self, record: logging.LogRecord) -> None:
        trace = _TRACE.get()
        args = record.args
        if trace is None or not isinstance(args, tuple) or not args:
            return
        name = args[0]
        if not isinstance(name, str) or name not in trace.apps:
            return
        template = str(record.msg)
        if not template.startswith("app %s at %s"):
            return
        status = InspectorStatus.TIMED_OUT if "timed out" in template else InspectorStatus.FAILED
        try:
            detail = record.getMessage()
        except Exception:  # a record that cannot format still marks the slot
            detail = template
        self.inspector.slot_failed(trace, name, status, detail)
