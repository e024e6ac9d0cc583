"""Serving: each local app folder on its own loopback port, the composed shell under uvicorn.

Everything here runs in one asyncio loop; servers are plain objects so a test or a benchmark can
start as many as it needs and stop them again, and ``run_demo`` owns Ctrl-C for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO
from urllib.parse import urljoin

import uvicorn
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import ComposeConfig, ConfigError, RemoteConfig, load_config

__all__ = [
    "DEFAULT_DEMO_PORT",
    "DEFAULT_SERVE_PORT",
    "LoopbackASGIServer",
    "ServeOptions",
    "bind_loopback",
    "build_local_remote",
    "check_serve",
    "compose",
    "compose_once",
    "find_demo_config",
    "published_app",
    "run_demo",
    "run_serve",
    "serve_app_dirs",
    "static_app",
    "worker_app",
]

DEFAULT_DEMO_PORT = 8000
DEFAULT_SERVE_PORT = 8000
_HOST = "127.0.0.1"
_ENV_CONFIG = "MFE_SERVE_CONFIG"
_ENV_REDIS = "MFE_SERVE_REDIS"


def bind_loopback(port: int = 0, host: str = _HOST) -> socket.socket:
    """A listening TCP socket on ``host`` (127.0.0.1 unless told; ``port=0``: any free port);
    ``OSError`` if taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only when the listening
    # socket says it is TCP; without it each keep-alive response waits ~40 ms for a delayed ACK
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class _CorsAssets:
    """Lets a composed page on another origin fetch the app's assets (fonts, modules, fetch())."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"access-control-allow-origin", b"*"))
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, send_with_cors)


def static_app(directory: str | Path) -> ASGIApp:
    """An ASGI app serving one micro-app folder (``/`` is its ``index.html``)."""
    return _CorsAssets(StaticFiles(directory=Path(directory), html=True))


class _SignalFreeServer(uvicorn.Server):
    """uvicorn's server without its own signal handlers: the caller decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class LoopbackASGIServer:
    """One ASGI app under uvicorn on a loopback socket, started and stopped from a running loop."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        port: int = 0,
        log_level: str = "warning",
        lifespan: Literal["auto", "on", "off"] = "auto",
        host: str = _HOST,
        proxy_headers: bool = False,
    ) -> None:
        self._socket = bind_loopback(port, host)
        self.port: int = self._socket.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/"
        config = uvicorn.Config(
            app,
            log_level=log_level,
            access_log=False,
            lifespan=lifespan,
            timeout_keep_alive=30,
            proxy_headers=proxy_headers,
        )
        self._server = _SignalFreeServer(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Serve in the background; returns once the server accepts connections."""
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        while not self._server.started:
            if self._task.done():
                self._socket.close()
                self._task.result()
                raise OSError(f"the server for {self.url} stopped while starting")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        """Stop accepting, let open requests finish, run the lifespan shutdown."""
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._socket.close()

    @property
    def stopped(self) -> asyncio.Task[None] | None:
        """The serving task (done when the server has stopped, for whatever reason)."""
        return self._task

    async def __aenter__(self) -> LoopbackASGIServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def published_app(directory: str | Path, *, name: str, watch: bool = False) -> ASGIApp:
    """One app folder as a live deployment (``AppServer``: its manifest, ``x-mfe-version``,
    ETags; ``watch``: a saved file is a new build), its assets open to a composed page."""
    from .publish import AppServer

    return _CorsAssets(AppServer(directory, name=name, watch=watch))


@contextlib.asynccontextmanager
async def serve_app_dirs(
    config: ComposeConfig, *, watch: bool = False
) -> AsyncIterator[ComposeConfig]:
    """Serve every ``dir`` app on its own port; yields the config with their entry URLs set.

    Each folder is served as ``AppServer`` serves a deployment (revalidated by ETag on every
    use); ``watch=True`` (``mfe demo``) makes a saved file a new build, picked up by the
    composer on the next navigation without a restart."""
    servers = {
        app.name: LoopbackASGIServer(published_app(app.dir, name=app.name, watch=watch))
        for app in config.unserved()
        if app.dir
    }
    with tempfile.TemporaryDirectory(prefix="mfe-remotes-") as built:
        remotes = {
            remote.name: LoopbackASGIServer(static_app(_build_remote(remote, Path(built))))
            for remote in config.remotes
            if remote.entry is None and remote.dir is not None
        }
        everything = [*servers.values(), *remotes.values()]
        try:
            await asyncio.gather(*(server.start() for server in everything))
            served = config.with_entries({name: server.url for name, server in servers.items()})
            yield served.with_remote_entries(
                {name: f"{server.url}mf-manifest.json" for name, server in remotes.items()}
            )
        finally:
            await asyncio.gather(*(server.stop() for server in everything))


def _build_remote(remote: RemoteConfig, into: Path) -> Path:
    """A local remote built to serve (no stubs: mypy is not needed to serve)."""
    out = into / remote.name
    build_local_remote(remote, out, types=False)
    return out


def build_local_remote(remote: RemoteConfig, out: Path, *, types: bool) -> None:
    """``mfe federation build`` of a config's local remote (its ``dir``) into ``out``; with
    ``types`` its ``.pyi`` stubs too (what ``mfe dev`` hands to subscribers)."""
    from .federation.build import build_remote_dir

    if remote.dir is None:
        raise ConfigError("config", "remotes.dir", "has no folder to build", app=remote.name)
    build_remote_dir(
        remote.dir,
        out,
        name=remote.name,
        exposes=remote.expose,
        shared=remote.shared,
        singletons=remote.singletons,
        version=remote.version,
        types=types,
    )


async def compose(config: ComposeConfig, path: str, *, asset_path: str | None = "/_mfe/") -> str:
    """The composed HTML of ``path``: apps served for the occasion, one orchestrator.

    Apps' files are named by ``asset_path`` (the composer's proxy paths, so the page works when
    ``mfe serve`` serves it after this returns); ``None`` keeps the app servers' own URLs."""
    from .asgi import start_orchestrator
    from .federation import Federation
    from .html_entry import EntryLoader

    async with serve_app_dirs(config) as served, EntryLoader() as loader:
        if asset_path is not None and "asset_path" not in served.options:
            served = dataclasses.replace(
                served, options={**served.options, "asset_path": asset_path}
            )
        remotes = [{"name": r.name, "entry": r.entry} for r in served.remotes if r.entry]
        async with Federation("shell", remotes=remotes, loader=loader) as federation:
            orchestrator = await start_orchestrator(
                served,
                loader,
                urljoin(served.url, path),
                federation=federation if remotes else None,
            )
            try:
                return str(orchestrator.document.html)
            finally:
                await orchestrator.aclose()


def compose_once(config_path: str | Path, path: str, *, absolute_urls: bool = False) -> str:
    """``mfe compose CONFIG PATH``: print-ready composed HTML for one path."""
    if not path.startswith("/"):
        raise ValueError(f"the path to compose must start with '/', got {path!r}")
    asset_path = None if absolute_urls else "/_mfe/"
    return asyncio.run(compose(load_config(config_path), path, asset_path=asset_path))


def find_demo_config(cwd: Path | None = None) -> Path:
    """``demo/demo.toml`` of the source tree this package runs from, else of the working folder."""
    candidates = [
        Path(__file__).resolve().parents[1] / "demo" / "demo.toml",
        (cwd or Path.cwd()) / "demo" / "demo.toml",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise ConfigError("demo", "demo.toml", f"not found (looked at {tried})")


def run_demo(
    port: int | None = None, *, config_path: str | Path | None = None, out: TextIO | None = None
) -> int:
    """``mfe demo``: serve each sample app and the shell until Ctrl-C; returns the exit status."""
    stream = out or sys.stdout
    config = load_config(config_path or find_demo_config())
    try:
        shell_socket_port = _pick_port(port, stream)
    except OSError as exc:
        print(f"mfe demo: cannot listen on {_HOST}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return asyncio.run(_serve_demo(config, shell_socket_port, stream))


def _pick_port(port: int | None, out: TextIO) -> int:
    if port is not None:
        bind_loopback(port).close()
        return port
    try:
        bind_loopback(DEFAULT_DEMO_PORT).close()
        return DEFAULT_DEMO_PORT
    except OSError:
        with contextlib.closing(bind_loopback(0)) as sock:
            free: int = sock.getsockname()[1]
        print(f"Port {DEFAULT_DEMO_PORT} is busy; using {free} instead.", file=out, flush=True)
        return free


async def _serve_demo(config: ComposeConfig, port: int, out: TextIO) -> int:
    from .asgi import ComposeApp

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with _stop_on_signals(loop, stop.set):
        async with serve_app_dirs(config, watch=True) as served:
            for app in served.apps:
                print(f"  app {app.name:<8} {app.entry}", file=out)
            compose_app = ComposeApp(served)
            async with LoopbackASGIServer(compose_app, port=port, lifespan="on") as shell:
                print(f"Shell: {shell.url}", file=out)
                print("Press Ctrl-C to stop.", file=out, flush=True)
                task = shell.stopped
                waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait())]
                if task is not None:
                    waiters.append(task)
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                waiters[0].cancel()
    print("Stopped.", file=out, flush=True)
    return 0


@contextlib.contextmanager
def _stop_on_signals(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> Iterator[None]:
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop)
            handled.append(sig)
    try:
        yield
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


# -- mfe serve ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServeOptions:
    """``mfe serve``'s options, checked before anything listens."""

    config_path: Path
    host: str = _HOST
    port: int = DEFAULT_SERVE_PORT
    workers: int = 1
    redis: str | None = None
    inspect: bool = False
    """Also serve ``/_mfe/inspector`` (``mfe serve --inspect``; one worker only)."""


Composer = Callable[..., ASGIApp]
"""``composer(config, session_store=...)`` → the ASGI app to serve (``ComposeApp`` by default;
``orchestrator.dev.inspected_app`` for ``--inspect``)."""


def _compose_app(
    config: ComposeConfig, redis: str | None, composer: Composer | None = None
) -> ASGIApp:
    from .asgi import ComposeApp, RedisSessionStore

    store = RedisSessionStore(redis) if redis else None
    return (composer or ComposeApp)(config, session_store=store)


def worker_app() -> ASGIApp:
    """What each uvicorn worker of ``mfe serve --workers N`` runs (a uvicorn app factory)."""
    config = load_config(os.environ[_ENV_CONFIG])
    return _compose_app(config, os.environ.get(_ENV_REDIS) or None)


def check_serve(options: ServeOptions) -> ComposeConfig:
    """The config, or a ``ConfigError``/``ValueError`` naming what would not work."""
    from .asgi._keys import SECRET_KEY_ENV, secret_keys

    config = load_config(options.config_path)
    if options.workers > 1:
        if options.inspect:
            raise ValueError(
                f"--inspect shows the requests of one process; use it without --workers "
                f"{options.workers}"
            )
        if options.redis is None:
            raise ValueError(
                f"--workers {options.workers} needs --redis URL: "
                "every worker must see every session"
            )
        if not secret_keys(None):
            raise ValueError(
                f"--workers {options.workers} needs {SECRET_KEY_ENV}: every worker must verify "
                "the cookies the others sign"
            )
        local = [app.name for app in config.unserved()]
        if local:
            raise ConfigError(
                str(options.config_path),
                "dir",
                f"apps {local} are served from a folder; give them an entry URL with --workers > 1",
            )
    if options.redis is not None and not options.redis.startswith(
        ("redis://", "rediss://", "unix://")
    ):
        raise ValueError(f"--redis must be a redis:// URL, got {options.redis!r}")
    return config


def run_serve(
    options: ServeOptions, *, out: TextIO | None = None, composer: Composer | None = None
) -> int:
    """``mfe serve``: the composition under uvicorn until Ctrl-C; returns the exit status.
    ``composer`` makes the app to serve (the ``mfe`` command passes the inspector's)."""
    stream = out or sys.stdout
    config = check_serve(options)
    if options.inspect and composer is None:
        raise ValueError("ServeOptions(inspect=True) needs composer=orchestrator.dev.inspected_app")
    if options.workers > 1:
        os.environ[_ENV_CONFIG] = str(options.config_path.resolve())
        os.environ[_ENV_REDIS] = options.redis or ""
        print(
            f"Serving {options.config_path} on http://{options.host}:{options.port}/ "
            f"with {options.workers} workers",
            file=stream,
            flush=True,
        )
        uvicorn.run(
            "orchestrator.serve:worker_app",
            factory=True,
            host=options.host,
            port=options.port,
            workers=options.workers,
            lifespan="on",
            proxy_headers=True,
            log_level="warning",
        )
        return 0
    try:
        bind_loopback(options.port, options.host).close()
    except OSError as exc:
        print(
            f"mfe serve: cannot listen on {options.host}:{options.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    return asyncio.run(_serve_until_stopped(config, options, stream, composer))


async def _serve_until_stopped(
    config: ComposeConfig, options: ServeOptions, out: TextIO, composer: Composer | None = None
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with _stop_on_signals(loop, stop.set):
        async with serve_app_dirs(config, watch=True) as served:
            for app in served.apps:
                print(f"  app {app.name:<8} {app.entry}", file=out)
            composed = _compose_app(served, options.redis, composer)
            server = LoopbackASGIServer(
                composed, port=options.port, host=options.host, lifespan="on", proxy_headers=True
            )
            async with server:
                print(f"Serving {options.config_path} on {server.url}", file=out)
                if options.inspect:
                    print(f"Inspector: {server.url}_mfe/inspector", file=out)
                print("Press Ctrl-C to stop.", file=out, flush=True)
                waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait())]
                if server.stopped is not None:
                    waiters.append(server.stopped)
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                waiters[0].cancel()
    print("Stopped.", file=out, flush=True)
    return 0
