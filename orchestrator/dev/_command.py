"""``mfe dev [CONFIG]``: the composition with live reload and the inspector.

One process runs the app folders (each on its own port), the composer under uvicorn (wrapped in
:class:`DevApp`), a publisher per local app and one subscriber for the composer, all on the
machine's broker. A saved file takes this path, every step a broker message:

    watchfiles → Publisher UPDATE_PUBLISHER → broker UPDATE_SUBSCRIBER → the composer's loader
    forgets its caches → NOTIFY_WEB_CLIENT → broker RELOAD_WEB_CLIENT → each open page reloads.

A local Module Federation remote (``[[remotes]]`` with a ``dir``) is built here with its
``.pyi`` stubs and served from a folder this server owns; a change rebuilds it, its publisher
announces the new manifest (``UPDATE_TYPE``) and the composer's subscriber pulls the stubs into
``.mfe-types/<remote>/`` beside the config (:class:`TypesPuller`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from starlette.types import ASGIApp, Receive, Scope, Send

from ..config import ComposeConfig, RemoteConfig, load_config
from ..errors import OrchestratorError
from ..serve import (
    LoopbackASGIServer,
    build_local_remote,
    find_demo_config,
    serve_app_dirs,
    static_app,
)
from ._assets import INSPECTOR_CHANNEL, PAGES_CHANNEL
from ._clients import Publisher, Subscriber, Update
from ._composer import TracedComposeApp, loader_options, router_of
from ._dev_app import INSPECTOR_PATH, DevApp
from ._errors import DevBrokerError, ShellPortInUseError
from ._inspector import FailureLogHandler, Inspector, TracingLoader
from ._protocol import DEFAULT_HOST, DEFAULT_PORT, UpdateKind
from ._spawn import BrokerHandle, ensure_running
from ._types import TypesError, TypesPuller
from ._watch import AppWatcher

__all__ = ["DevOptions", "DevServer", "run_dev"]

logger = logging.getLogger("orchestrator.dev")

DEFAULT_DEV_PORT = 8000
BROKER_IDLE_TIMEOUT = 1.5
"""Seconds a broker this process started stays up after its last dev server left (open pages
do not count): long enough for a restart to find it, short enough that Ctrl-C leaves none."""


@dataclass(frozen=True, slots=True)
class DevOptions:
    """``mfe dev``'s options (``config_path=None``: the demo)."""

    config_path: Path | None = None
    port: int = DEFAULT_DEV_PORT
    broker_port: int = DEFAULT_PORT
    host: str = DEFAULT_HOST
    broker_idle_timeout: float = BROKER_IDLE_TIMEOUT
    types_root: Path | None = None
    """Where ``.mfe-types/`` goes (default: the config's folder)."""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass(slots=True)
class _Coalesced:
    """Runs ``action`` after each ``poke``; pokes during a run fold into one more run."""

    action: Callable[[], Any]
    _wanted: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        self._wanted.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            try:
                await self.action()
            except Exception as exc:  # the broker may be gone while we stop
                logger.debug("inspector notice not sent: %s", exc)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class DevServer:
    """Everything ``mfe dev`` starts, started by :meth:`start` and stopped by :meth:`aclose`
    (in reverse order; the broker last, and only if this server started it and it is idle)."""

    def __init__(
        self,
        config: ComposeConfig,
        *,
        port: int = 0,
        broker_port: int = DEFAULT_PORT,
        host: str = DEFAULT_HOST,
        broker_idle_timeout: float = BROKER_IDLE_TIMEOUT,
        out: TextIO | None = None,
        force_polling: bool | None = None,
        types_root: Path | None = None,
    ) -> None:
        self.config = config
        self.host = host
        self.broker_port = broker_port
        self.broker_idle_timeout = broker_idle_timeout
        self.out = out or sys.stdout
        self.force_polling = force_polling
        self._port = port
        self._shell: LoopbackASGIServer | None = None
        self.broker: BrokerHandle | None = None
        self.inspector: Inspector | None = None
        self.loader: TracingLoader | None = None
        self.dev_app: DevApp | None = None
        self.composer: TracedComposeApp | None = None
        self.watcher: AppWatcher | None = None
        self.publishers: dict[str, Publisher] = {}
        self.subscriber: Subscriber | None = None
        self.reloads: list[tuple[str, int]] = []
        """(app, pages reloaded) for every change handled, in order."""
        self.reloaded = asyncio.Event()
        self._stack = contextlib.AsyncExitStack()
        self._notifier: _Coalesced | None = None
        self._log_handler: FailureLogHandler | None = None
        self.remotes: dict[str, _LocalRemote] = {}
        self.types = TypesPuller(types_root or _config_folder(config))
        self.types_pulls: list[tuple[str, str]] = []
        """(remote, result) for every types pull, in order."""
        self.types_pulled = asyncio.Event()

    @property
    def url(self) -> str:
        assert self._shell is not None, "the dev server is not started"
        return self._shell.url

    @property
    def inspector_url(self) -> str:
        return self.url.rstrip("/") + INSPECTOR_PATH

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.aclose()
            raise

    async def _start(self) -> None:
        config = self.config
        # the composer's socket first: a taken port is told before a broker is started for it
        deferred = _Deferred()
        try:
            self._shell = LoopbackASGIServer(
                deferred, port=self._port, host=self.host, lifespan="on"
            )
        except OSError as exc:
            raise ShellPortInUseError(self.host, self._port, exc.strerror or str(exc)) from exc
        self._stack.push_async_callback(self._shell.stop)  # closes the socket if never started
        self.broker = await ensure_running(
            self.host,
            self.broker_port,
            idle_timeout=self.broker_idle_timeout,
            pages_keep_alive=False,
        )
        self._stack.push_async_callback(self._leave_broker)
        config = await self._serve_remotes(config)
        served = await self._stack.enter_async_context(serve_app_dirs(config))
        local = {app.name: app.dir for app in config.apps if app.dir is not None}
        self.inspector = Inspector(served.apps, on_change=self._poke_inspector)
        self.loader = TracingLoader(self.inspector, **loader_options(served))
        self._stack.push_async_callback(self.loader.aclose)
        self._log_handler = FailureLogHandler(self.inspector)
        asgi_logger = logging.getLogger("orchestrator.asgi")
        asgi_logger.addHandler(self._log_handler)
        self._stack.callback(asgi_logger.removeHandler, self._log_handler)

        composer = TracedComposeApp(served, loader=self.loader)
        self.composer = composer
        router = router_of(served, self.loader)
        self._stack.push_async_callback(router.aclose)
        self.dev_app = DevApp(
            composer,
            inspector=self.inspector,
            broker_url=self.broker.url,
            active_apps=router.check_activity_functions,
            base_url=served.url,
        )
        deferred.app = self.dev_app
        await self._shell.start()
        self._stack.push_async_callback(self._shell.stop)  # before the loader closes

        self._stack.push_async_callback(self.types.aclose)
        announced = {name: "" for name in local}
        announced.update({name: remote.manifest_url for name, remote in self.remotes.items()})
        for name, types_url in announced.items():
            publisher = Publisher(name, types_url=types_url, url=self.broker.url)
            await publisher.__aenter__()
            self._stack.push_async_callback(publisher.aclose)
            self.publishers[name] = publisher
        self.subscriber = Subscriber(
            f"mfe-dev-composer-{os.getpid()}",
            list(announced),
            on_update=self._on_update,
            url=self.broker.url,
        )
        await self.subscriber.__aenter__()
        self._stack.push_async_callback(self.subscriber.aclose)
        self._notifier = _Coalesced(self._tell_inspectors)
        self._notifier.start()
        self._stack.push_async_callback(self._notifier.aclose)

        watched = {name: Path(path) for name, path in local.items()}
        watched.update({name: remote.dir for name, remote in self.remotes.items()})
        self.watcher = AppWatcher(
            watched,
            self._on_files_changed,
            force_polling=self.force_polling,
        )
        self.watcher.start()
        self._stack.push_async_callback(self.watcher.aclose)

        state = "started" if self.broker.started else "shared with another mfe dev"
        self.say(f"Broker: {self.broker.url} ({state})")
        for app in served.apps:
            where = f"  watching {local[app.name]}" if app.name in local else ""
            self.say(f"  app {app.name:<8} {app.entry}{where}")
        for name, remote in self.remotes.items():
            self.say(f"  remote {name:<5} {remote.manifest_url}  watching {remote.dir}")
        self.say(f"Shell: {self.url}")
        self.say(f"Inspector: {self.inspector_url}")

    # -- the reload path ------------------------------------------------------------------------

    async def _serve_remotes(self, config: ComposeConfig) -> ComposeConfig:
        """Build each local remote (with its stubs) into a folder of ours and serve it; the
        config names their manifests, so ``serve_app_dirs`` leaves them to us."""
        local = [r for r in config.remotes if r.entry is None and r.dir is not None]
        if not local:
            return config
        built = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="mfe-dev-")))
        for remote in local:
            assert remote.dir is not None
            out = built / remote.name
            await asyncio.to_thread(_build_remote, remote, out)
            server = LoopbackASGIServer(static_app(out), host=self.host)
            await server.start()
            self._stack.push_async_callback(server.stop)
            self.remotes[remote.name] = _LocalRemote(
                remote, remote.dir, out, f"{server.url}mf-manifest.json"
            )
        return config.with_remote_entries(
            {name: remote.manifest_url for name, remote in self.remotes.items()}
        )

    async def _on_files_changed(self, name: str, paths: tuple[Path, ...]) -> None:
        """A watched folder changed: its publisher says so (the subscriber does the rest). When
        the broker cannot carry it, the composer still forgets, and says why pages stay."""
        publisher = self.publishers.get(name)
        if publisher is None:
            return
        if name in self.remotes:
            await self._remote_changed(name, publisher)
            return
        try:
            await publisher.update(kind=UpdateKind.RELOAD_PAGE)
        except DevBrokerError as exc:
            self._forget(name)
            self.reloads.append((name, 0))
            self.reloaded.set()
            self.say(f"{name} changed → not sent ({exc}); reload its pages by hand")

    def _forget(self, name: str) -> None:
        if self.loader is not None:
            # a changed script or stylesheet is cached under its own URL, not the entry's, and
            # the loader keeps no per-app index: in dev, everything is fetched again (loopback)
            self.loader.clear()
        if self.inspector is not None:
            self.inspector.app_changed(name)

    async def _remote_changed(self, name: str, publisher: Publisher) -> None:
        """Rebuild the remote (stubgen is CPU work: off the loop), then announce its types."""
        remote = self.remotes[name]
        try:
            await asyncio.to_thread(_build_remote, remote.config, remote.out)
        except (OrchestratorError, OSError) as exc:
            self.types_pulls.append((name, "build failed"))
            self.types_pulled.set()
            self.say(f"{name} changed → build failed: {exc}")
            return
        try:
            await publisher.update(kind=UpdateKind.UPDATE_TYPE, types_url=remote.manifest_url)
        except DevBrokerError as exc:
            self.say(f"{name} changed → not sent ({exc}); pulling its types here")
            await self._pull_types(name, remote.manifest_url)

    async def _pull_types(self, name: str, url: str, *, first: bool = False) -> None:
        try:
            pulled = await self.types.pull(name, url)
        except TypesError as exc:
            self.types_pulls.append((name, "failed"))
            self.say(f"{name} types not pulled: {exc}")
        else:
            self.types_pulls.append((name, pulled.result.value))
            self.say(pulled.line(Path.cwd(), first=first))
        finally:
            self.types_pulled.set()

    async def _on_update(self, update: Update) -> None:
        """The composer's side: a remote's new types are pulled (also on joining: the first
        pull); an app's change makes the composer forget it and reload its pages."""
        if self.subscriber is None:
            return
        if update.publisher in self.remotes:
            if update.kind is UpdateKind.UPDATE_TYPE:
                await self._pull_types(
                    update.publisher, update.types_url, first=update.is_first_pull
                )
                if not update.is_first_pull:
                    await self._swap_remote(update.publisher)
            return
        if update.is_first_pull:
            return
        name = update.publisher
        self._forget(name)
        ack = await self.subscriber.reload_pages(name)
        self.reloads.append((name, ack.notified))
        self.reloaded.set()
        self.say(f"{name} changed → {_plural(ack.notified, 'page')} reloaded")

    async def _swap_remote(self, name: str) -> None:
        """A remote's new build: the composer loads it from the next page on, and every open
        page reloads (any app may use a remote)."""
        if self.composer is None or self.subscriber is None:
            return
        if self.loader is not None:
            self.loader.clear()  # its manifest and modules come from loopback: asked again
        try:
            swapped = await self.composer.refresh_remotes(name)
        except OrchestratorError as exc:
            self.say(f"{name} changed → its new build did not load ({exc}); pages keep the old")
            return
        ack = await self.subscriber.reload_pages(PAGES_CHANNEL)
        self.reloads.append((name, ack.notified))
        self.reloaded.set()
        state = "new build" if swapped else "build"
        self.say(f"{name} changed → {state} in use, {_plural(ack.notified, 'page')} reloaded")

    def _poke_inspector(self) -> None:
        if self._notifier is not None:
            self._notifier.poke()

    async def _tell_inspectors(self) -> None:
        if self.subscriber is not None and not self.subscriber.disconnected.is_set():
            await self.subscriber.reload_pages(INSPECTOR_CHANNEL)

    # -- stopping -----------------------------------------------------------------------------

    async def _leave_broker(self) -> None:
        """Runs after every client of ours has closed: a broker we started exits by itself once
        idle (pages do not count); if it stays up, another dev server is using it."""
        handle = self.broker
        if handle is None or handle.process is None:
            return
        process = handle.process
        try:
            await asyncio.to_thread(process.wait, self.broker_idle_timeout + 3.0)
        except subprocess.TimeoutExpired:
            self.say("Broker: still serving another mfe dev; it leaves when they do.")
            return
        self.say("Broker: stopped.")

    async def aclose(self) -> None:
        await self._stack.aclose()

    async def __aenter__(self) -> DevServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _Deferred:
    """An ASGI app that is set after its server is made (the server binds its port at once)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise RuntimeError("the dev server is still starting")
        await self.app(scope, receive, send)


@dataclass(frozen=True, slots=True)
class _LocalRemote:
    """A ``[[remotes]]`` folder this dev server builds and serves."""

    config: RemoteConfig
    dir: Path
    out: Path
    manifest_url: str


def _build_remote(remote: RemoteConfig, out: Path) -> None:
    """With stubs, into the folder the remote's server serves."""
    build_local_remote(remote, out, types=True)


def _config_folder(config: ComposeConfig) -> Path:
    source = Path(config.source)
    return source.parent if source.suffix == ".toml" and source.parent.is_dir() else Path.cwd()


# -- the command ----------------------------------------------------------------------------------


def run_dev(options: DevOptions, *, out: TextIO | None = None) -> int:
    """``mfe dev``: serve until Ctrl-C; the exit status (1 with one line on stderr when a port
    is taken or the config is wrong)."""
    stream = out or sys.stdout
    path = options.config_path or find_demo_config()
    config = load_config(path)
    return asyncio.run(_run(config, path, options, stream))


async def _run(config: ComposeConfig, path: Path, options: DevOptions, out: TextIO) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    server = DevServer(
        config,
        port=options.port,
        broker_port=options.broker_port,
        host=options.host,
        broker_idle_timeout=options.broker_idle_timeout,
        out=out,
        types_root=options.types_root,
    )
    try:
        try:
            await server.start()
        except OrchestratorError as exc:
            print(f"mfe dev: {exc}", file=sys.stderr)
            return 1
        print(f"Developing {path}: edit a file of an app and its pages reload.", file=out)
        print("Press Ctrl-C to stop.", file=out, flush=True)
        async with _stopping(server):
            await stop.wait()
        print("Stopped.", file=out, flush=True)
        return 0
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


@contextlib.asynccontextmanager
async def _stopping(server: DevServer) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await server.aclose()
