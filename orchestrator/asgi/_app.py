"""``ComposeApp``: an ASGI app answering each request with the page composed for its path.

Each request gets an orchestrator of its own, built from the shared ``EntryLoader`` (whose caches
hold what was fetched and parsed) and the session's state; the session itself is only that state,
in a ``SessionStore``. Pages stream in Tailor's order: the shell up to the first slot at once, then
each slot as its app is ready, its fallback when it is not ready in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import html
import inspect
import logging
import secrets
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from blinker import Signal
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from .._tasks import TaskSet
from ..config import ComposeConfig, shell_fragments
from ..status import BROKEN_STATUSES
from ._assets import ASSET_PATH, AssetProxy
from ._factory import OrchestratorFactory, SessionOrchestrator, register_apps
from ._keys import Signer, secret_keys
from ._pages import bad_gateway, error_url, not_found, page, server_error, shell_not_found
from ._replay import PageReplay
from ._response import Response
from ._run import CLOSE_TIMEOUT, AppPolicy, Outcome, PageRun, fallback_html, policies_of
from ._session_flow import SessionFlow, SessionPolicy
from ._sessions import MemorySessionStore, SessionStore
from ._shell import ShellCut, Slot, cut_shell

if TYPE_CHECKING:
    from ..federation import Federation
    from ..html_entry import EntryLoader
    from ..micro_apps import MicroAppRegistration, Orchestrator

__all__ = ["ComposeApp"]

_log = logging.getLogger("orchestrator.asgi")

_MAX_STATE_BYTES = 64_000
REPLAY_WAIT = 0.05
"""Seconds a kept page waits for its no-store entries' refetches before the page is composed
instead (streamed, each app within its own timeout): a slow app never holds the shell back."""


class ComposeApp:
    """Pure ASGI: mount it in Starlette, FastAPI or any ASGI server.

    ``config_or_factory`` is a ``ComposeConfig`` whose apps all have entry URLs, or an async
    ``factory(loader, url)`` returning a started orchestrator (it may also take ``on_error`` and
    ``state``, the session's global state, ``None`` for a fresh one; give the fresh one as
    ``global_state`` so a factory's sessions start when a request changes it). ``layout_apps``
    are apps active everywhere that do not make a path exist; ``shell_routes`` are paths the
    shell answers alone. A factory's pages are sent whole (it hides the slots); a config's
    stream unless ``stream=False``. The loader this app makes (when none is given) long-polls
    the manifest of every app that announces one, so a redeploy shows within seconds
    (``watch=False``: only when a page's freshness runs out).
    """

    def __init__(
        self,
        config_or_factory: ComposeConfig | OrchestratorFactory,
        *,
        loader: EntryLoader | None = None,
        secret_key: bytes | str | Sequence[bytes | str] | None = None,
        session_store: SessionStore | None = None,
        stream: bool | None = None,
        deadline: float | None = None,
        identity_key: str | None = None,
        session_ttl: float = 1800.0,
        max_state_bytes: int = _MAX_STATE_BYTES,
        cookie_name: str = "mfe_session",
        secure_cookie: bool = False,
        layout_apps: Iterable[str] | None = None,
        shell_routes: Iterable[str] | None = None,
        base_url: str | None = None,
        close_timeout: float = CLOSE_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        max_sessions: int | None = None,
        global_state: Mapping[str, Any] | None = None,
        replay_bytes: int = 32_000_000,
        asset_proxy: bool = True,
        watch: bool = True,
    ) -> None:
        if max_sessions is not None:
            warnings.warn(
                "ComposeApp(max_sessions=...) is ignored: sessions are state in a SessionStore, "
                "bounded in bytes (MemorySessionStore(max_bytes=...))",
                DeprecationWarning,
                stacklevel=2,
            )
        self._config: ComposeConfig | None = None
        self._federation: Federation | None = None
        self._factory: OrchestratorFactory | None = None
        self._fresh_state: dict[str, Any] | None = None
        if isinstance(config_or_factory, ComposeConfig):
            config = _with_fragments(config_or_factory)
            missing = [app.name for app in config.unserved()]
            if missing:
                raise ValueError(f"apps {missing} of {config.source} have no entry URL; serve them")
            self._config = config
            self._entries: dict[str, str] = {app.name: app.entry or "" for app in config.apps}
            self._policies: dict[str, AppPolicy] = policies_of(config)
            self._cut: ShellCut | None = cut_shell(
                config.shell_html, ((app.name, app.container) for app in config.apps)
            )
            layout = config.layout_apps if layout_apps is None else frozenset(layout_apps)
            routes = config.shell_routes if shell_routes is None else tuple(shell_routes)
            base = base_url or config.url
            self.stream = config.stream if stream is None else stream
            self.deadline = config.deadline if deadline is None else deadline
            self.identity_key = identity_key or config.identity_key
        elif callable(config_or_factory):
            self._factory = config_or_factory
            self._entries = {}
            self._policies = {}
            self._cut = None
            layout = frozenset(layout_apps or ())
            routes = tuple(shell_routes or ("/",))
            base = base_url or "http://localhost/"
            self.stream = False
            self.deadline = deadline
            self.identity_key = identity_key or "user"
            self._fresh_state = None if global_state is None else dict(global_state)
        else:
            raise TypeError(
                "ComposeApp needs a ComposeConfig or an async factory(loader, url), "
                f"got {type(config_or_factory).__name__}"
            )
        if self.deadline is not None and not self.deadline > 0:
            raise ValueError(f"deadline must be a positive number of seconds, got {deadline}")
        self._signer = Signer(secret_keys(secret_key))
        shared = session_store is not None and not isinstance(session_store, MemorySessionStore)
        if shared and self._signer.ephemeral:
            raise ValueError(
                "a shared session store needs secret_key (or MFE_SECRET_KEY): every worker "
                "must sign and verify cookies with the same key"
            )
        self.sessions: SessionStore = (
            MemorySessionStore(ttl=session_ttl, max_record_bytes=max_state_bytes, clock=clock)
            if session_store is None  # not ``or``: an empty store has a length of 0
            else session_store
        )
        self._sessions = SessionPolicy(
            self.sessions,
            self._signer,
            identity_key=self.identity_key,
            max_state_bytes=max_state_bytes,
            cookie_name=cookie_name,
        )
        self._layout_apps = layout
        self._shell_routes = frozenset(routes)
        self._base_url = base
        self._secure_cookie = secure_cookie
        self._close_timeout = close_timeout
        self._loader = loader
        self._owns_loader = loader is None
        self._watch = watch
        self._router: Orchestrator | None = None
        self._closing = TaskSet()
        self._sweeper: asyncio.Task[None] | None = None
        self._factory_takes = _keyword_names(self._factory)
        self.page_started = Signal()
        """Sent (sender: this app; ``orchestrator``, ``url``, ``request_id``) with each page's
        orchestrator as it is made, before its apps are registered: tracing and devtools hook
        in here. A replayed page makes none."""
        self.replay = PageReplay(replay_bytes)
        """Pages of apps that run no code, kept by entry versions (``replay_bytes=0``: off)."""
        self._replayable: set[tuple[str, tuple[str, ...]]] = set()
        # a kept 404 page holds this where the request's path goes (a crawler's ever new paths
        # share one page instead of composing one each)
        self._path_token = f"mfe-path-{secrets.token_hex(8)}"
        self.assets: AssetProxy | None = (
            AssetProxy(
                self._entries,
                timeout=10.0 if loader is None else loader.timeout,
                max_bytes=20_000_000 if loader is None else loader.max_bytes,
            )
            if asset_proxy and self._config is not None
            else None
        )
        """``/_mfe/<app>/<path>``: apps' files from this origin; pages name them so."""
        self._start_options: dict[str, dict[str, Any]] = {}
        if self._config is not None:
            self._route(self._config)  # a registration the app layer refuses fails here, once

    # -- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        else:
            raise RuntimeError(f"ComposeApp does not serve {scope['type']!r} connections")

    def sign(self, sid: str) -> str:
        """The cookie value for a session id: the id and its HMAC-SHA256 (first key)."""
        return self._signer.sign(sid)

    async def warm_up(self) -> None:
        """Make the shared loader and the router, and build one page's orchestrator, before the
        first request needs them (the first build pays for compiled tables and selectors, the
        loader's HTTP client for its TLS context)."""
        loader = self._shared_loader()
        if self._owns_loader:
            _ = loader.client
        if self._config is not None:
            self._route(self._config)
            run = self._new_run(self._config, self._base_url, [], "warm-up")
            register_apps(run.orchestrator, self._config)
            await run.aclose(self._close_timeout)

    async def refresh_remotes(self, name: str | None = None) -> list[str]:
        """Read the remotes' manifests again (of ``name``, or every one): pages composed from
        now on load a changed build, while pages holding the old one finish on it. Returns the
        names of the remotes swapped."""
        if self._federation is None:
            return []
        return await self._federation.refresh(name)

    def expire_idle(self) -> int:
        """Forget sessions idle past the TTL (the in-memory store); returns how many."""
        expire = getattr(self.sessions, "expire", None)
        return int(expire()) if callable(expire) else 0

    async def aclose(self) -> None:
        """Close what requests left behind (bounded), the session store and, if this app made
        it, the shared loader."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        pending = list(self._closing)
        if pending:  # each close is bounded; let them finish rather than cut them short
            await asyncio.wait(pending, timeout=2 * self._close_timeout + 1.0)
        await self._closing.aclose()
        if self._router is not None:
            await self._router.aclose()
            self._router = None
        await self.sessions.aclose()
        if self.assets is not None:
            await self.assets.aclose()
        if self._federation is not None:
            await self._federation.aclose()
            self._federation = None
        if self._owns_loader and self._loader is not None:
            await self._loader.aclose()
            self._loader = None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.warm_up()
                self._sweeper = asyncio.create_task(self._sweep())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.aclose()
                except Exception as exc:
                    await send({"type": "lifespan.shutdown.failed", "message": str(exc)})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                return

    async def _sweep(self) -> None:
        """Without traffic, idle in-memory sessions would wait for the next request to expire."""
        period = min(60.0, getattr(self.sessions, "ttl", 120.0) / 2)
        while True:
            await asyncio.sleep(period)
            self.expire_idle()

    # -- one request ----------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = secrets.token_hex(8)
        out = Response(scope, send, request_id)
        request = Request(scope, receive)
        if request.method not in ("GET", "HEAD"):
            body = page("Method not allowed", f"{request.method} is not served here.")
            await out.whole(405, body, extra=[(b"allow", b"GET, HEAD")])
            return
        path = _route_path(scope)
        if self.assets is not None and self.assets.handles(path):
            await self.assets(scope, receive, send, path, request_id)
            return
        target = quote(path, safe="/:@!$&'()*+,;=-._~")
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            target = f"{target}?{query}"
        url = urljoin(self._base_url, target)
        try:
            cookie = request.cookies.get(self._sessions.cookie_name)
        except Exception:  # a cookie header no parser accepts is no cookie
            cookie = None
        out.secure = self._secure_cookie or scope.get("scheme") == "https"
        try:
            if self._config is not None:
                await self._serve_config(self._config, out, url, path, cookie)
            else:
                await self._serve_factory(out, url, path, cookie)
        except Exception:
            _log.exception("composing %s failed (request %s)", url, request_id)
            if not out.started:
                await out.whole(500, server_error(request_id=request_id))
            else:
                await out.finish()

    async def _serve_config(
        self, config: ComposeConfig, out: Response, url: str, path: str, cookie: str | None
    ) -> None:
        active = self._route(config).check_activity_functions(url)
        if not self._exists(active, path):
            await self._not_found(config, out, url, path, active, cookie)
            return
        if self.stream and self._cut is not None and self.replay.max_bytes:
            body = await self._replayed_page(active, out.root_path)
            if body is not None:
                await self._send_replayed(config, body, out, cookie)
                return
        async with self._started_run(config, out, url, active, cookie) as (flow, run):
            if self.stream and self._cut is not None:
                await self._stream(run, self._cut, out, flow)
            else:
                await self._whole(run, out, path, flow)

    @contextlib.asynccontextmanager
    async def _started_run(
        self, config: ComposeConfig, out: Response, url: str, active: list[str], cookie: str | None
    ) -> AsyncIterator[tuple[SessionFlow, PageRun]]:
        """A page's run with the session's state, its apps registered and started; closed (in
        the background, bounded) when the page is done with it."""
        flow = await self._sessions.open(
            cookie, config.global_state, out.request_id, secure=out.secure
        )
        run = self._new_run(config, url, active, out.request_id)
        run.root_path = out.root_path
        try:
            if flow.initial is not None:
                run.init_global_state(flow.initial)
            options = self._options(config, out.root_path)
            register_apps(run.orchestrator, config, asset_path=options.get("asset_path"))
            run.start(options)
            yield flow, run
        finally:
            self._closing.spawn(run.aclose(self._close_timeout))

    async def _replayed_page(
        self, active: Sequence[str], root_path: str, kind: str = "page"
    ) -> bytes | None:
        """The page kept for these apps at the versions they serve now, if any: versions known
        without I/O, or (for a set of apps that made a kept page before) after the one
        revalidation an import would do."""
        loader = self._shared_loader()
        entries = [self._entries.get(name) or "" for name in active]
        if not all(entries):
            return None
        versions = [loader.warm_version(entry) for entry in entries]
        if None in versions:
            if (kind, tuple(active)) not in self._replayable:
                return None
            checks = [asyncio.ensure_future(loader.settled_version(entry)) for entry in entries]
            _, pending = await asyncio.wait(checks, timeout=REPLAY_WAIT)
            if pending:
                # an app is slow to answer: compose, so the shell streams and each app has its
                # own timeout (the composed imports join these same fetches)
                for check in pending:
                    check.add_done_callback(_retrieved)
                return None
            if any(check.exception() is not None for check in checks):
                return None  # the composed path says what failed, app by app
            versions = [check.result() for check in checks]
        found = [version for version in versions if version is not None]
        if len(found) != len(versions):
            return None
        return self.replay.get(PageReplay.key(active, found, root_path, kind))

    async def _send_replayed(
        self, config: ComposeConfig, body: bytes, out: Response, cookie: str | None
    ) -> None:
        """A kept page: its apps ran no code, so the session's state is as it came."""
        flow = await self._sessions.open(
            cookie, config.global_state, out.request_id, secure=out.secure
        )
        header = self._sessions.decide(flow, flow.initial, out.request_id)
        await self._sessions.finish(flow, flow.initial, out.request_id)
        await out.whole_bytes(200, body, cookie=header)

    def _keep_for_replay(self, run: PageRun, body: list[str], kind: str = "page") -> None:
        versions = run.orchestrator.micro_apps.code_free_versions(run.active)
        if versions is None:
            return
        found = [versions[name][1] for name in run.active]
        self.replay.put(
            PageReplay.key(run.active, found, run.root_path, kind), "".join(body).encode()
        )
        self._replayable.add((kind, tuple(run.active)))

    async def _not_found(
        self,
        config: ComposeConfig,
        out: Response,
        url: str,
        path: str,
        active: list[str],
        cookie: str | None,
    ) -> None:
        """A 404: bare, or the config's ``not_found`` page in the shell with the layout apps (the
        only ones active), the session read for them but never started or kept. When those apps
        run no code the page is kept as pages are, the path left out, and replayed."""
        if config.not_found_html is None:
            await out.whole(404, not_found(path, request_id=out.request_id))
            return
        kept = None
        if self.replay.max_bytes:
            kept = await self._replayed_page(active, out.root_path, "not-found")
        if kept is None:
            kept = await self._compose_not_found(config, out, url, active, cookie)
        if kept is None:
            await out.whole(404, not_found(path, request_id=out.request_id))
            return
        await out.whole_bytes(404, kept.replace(self._path_token.encode(), _escaped(path)))

    async def _compose_not_found(
        self, config: ComposeConfig, out: Response, url: str, active: list[str], cookie: str | None
    ) -> bytes | None:
        assert config.not_found_html is not None
        async with self._started_run(config, out, url, active, cookie) as (_, run):
            body = await shell_not_found(run, config.not_found_html, self._path_token)
            if body is not None and self.replay.max_bytes:
                self._keep_for_replay(run, [body], "not-found")
        return None if body is None else body.encode()

    def _route(self, config: ComposeConfig) -> Orchestrator:
        """One never-started orchestrator answering which apps a URL activates (no state)."""
        if self._router is None:
            from ..micro_apps import Orchestrator

            self._router = Orchestrator(config.shell_html, loader=self._shared_loader())
            self._router.start_warning_delay = None  # only matches routes: never started
            self._router.register_micro_apps(self._registrations(config))
        return self._router

    def _registrations(self, config: ComposeConfig) -> list[MicroAppRegistration]:
        return [app.registration() for app in config.apps]

    def _new_run(self, config: ComposeConfig, url: str, active: list[str], rid: str) -> PageRun:
        from ..micro_apps import Orchestrator

        orchestrator = Orchestrator(
            config.shell_html,
            url=url,
            loader=self._shared_loader(),
            federation=self._shared_federation(),
        )
        run = PageRun(
            orchestrator,
            url=url,
            active=active,
            policies=self._policies,
            request_id=rid,
            deadline=self.deadline,
            entries=self._entries,
        )
        if self.page_started.receivers:
            self.page_started.send(self, orchestrator=orchestrator, url=url, request_id=rid)
        return run

    def _primary(self, active: Sequence[str]) -> str | None:
        """The first active app marked ``primary``, in document order (Tailor: only the first)."""
        ordered = [slot.app for slot in self._cut.slots] if self._cut is not None else []
        ordered += [name for name in self._policies if name not in ordered]
        for name in ordered:
            policy = self._policies.get(name)
            if name in active and policy is not None and policy.primary:
                return name
        return None

    async def _primary_verdict(self, run: PageRun) -> tuple[int, str | None, str | None]:
        """Status, ``Location`` and failed primary (if any), once the primary has settled."""
        primary = self._primary(run.active)
        if primary is None:
            return 200, None, None
        outcome = await run.wait(primary)
        if outcome is not Outcome.READY:
            return 500, None, primary
        moved = _moved_to(run.url, run.location, run.root_path)
        return (302, moved, None) if moved is not None else (200, None, None)

    async def _stream(self, run: PageRun, cut: ShellCut, out: Response, flow: SessionFlow) -> None:
        status, location, failed_primary = await self._primary_verdict(run)
        cookie = self._sessions.decide(flow, run.global_state(), out.request_id)
        if location is not None:
            await self._sessions.finish(flow, run.global_state(), out.request_id)
            await out.whole(302, "", location=location, cookie=cookie)
            return
        await out.start(status, cookie=cookie)
        await out.chunk(cut.segments[0])
        sent = [cut.segments[0]]
        complete = status == 200
        for slot, segment in zip(cut.slots, cut.segments[1:], strict=True):
            content, ready = await self._slot_content(run, slot, failed_primary)
            complete = complete and ready
            await out.chunk(content + segment)
            sent.append(content + segment)
        # kept before the last byte: the visitor's next request may reach another worker
        await self._sessions.finish(flow, run.global_state(), out.request_id)
        await out.finish()
        if complete and self.replay.max_bytes:
            self._keep_for_replay(run, sent)

    async def _slot_content(
        self, run: PageRun, slot: Slot, failed_primary: str | None
    ) -> tuple[str, bool]:
        """What the slot holds, and whether that is its app's own markup (not a fallback)."""
        if slot.app not in run.active:
            return slot.shell_content, True
        policy = self._policies.get(slot.app)
        if slot.app == failed_primary:
            fallback = await self._fallback(run, policy)
            return fallback or _failed_notice(slot.app, run.request_id), False
        outcome = await run.wait(slot.app)
        if outcome is Outcome.READY:
            return run.container_html(slot.container) or "", True
        return await self._fallback(run, policy), False

    async def _fallback(self, run: PageRun, policy: AppPolicy | None) -> str:
        return await fallback_html(
            policy, self._shared_loader(), request_id=run.request_id, time_left=1.0
        )

    async def _whole(self, run: PageRun, out: Response, path: str, flow: SessionFlow) -> None:
        outcomes = await run.wait_all()
        status, location, failed_primary = await self._primary_verdict(run)
        broken: list[str] = []
        for name, outcome in outcomes.items():
            if outcome is Outcome.READY:
                continue
            policy = self._policies.get(name)
            fallback = await self._fallback(run, policy)
            if policy is not None:
                run.fill(policy.container, fallback)
            if not fallback:
                broken.append(name)
        if failed_primary is not None and failed_primary in broken:
            broken.remove(failed_primary)
            run.fill(
                self._policies[failed_primary].container,
                _failed_notice(failed_primary, run.request_id),
            )
        state = run.global_state()
        cookie = self._sessions.decide(flow, state, out.request_id)
        await self._sessions.finish(flow, state, out.request_id)
        if location is not None:
            await out.whole(302, "", location=location, cookie=cookie)
        elif status == 500:
            await out.whole(500, run.html, cookie=cookie)
        else:
            mounted = [n for n, o in outcomes.items() if o is Outcome.READY]
            if broken and not self._exists(mounted, path):
                await out.whole(502, bad_gateway(broken, request_id=out.request_id), cookie=cookie)
            else:
                await out.whole(200, run.html, cookie=cookie)

    async def _serve_factory(self, out: Response, url: str, path: str, cookie: str | None) -> None:
        assert self._factory is not None
        flow = await self._sessions.open(
            cookie, self._fresh_state, out.request_id, secure=out.secure
        )
        errors: dict[str, BaseException] = {}

        def on_error(error: BaseException) -> None:
            name = getattr(error, "app_name", None)
            errors[name if isinstance(name, str) else ""] = error

        kwargs: dict[str, Any] = {}
        if "on_error" in self._factory_takes:
            kwargs["on_error"] = on_error
        if "state" in self._factory_takes:
            kwargs["state"] = copy.deepcopy(flow.loaded)
        made = self._factory(self._shared_loader(), url, **kwargs)
        orchestrator: SessionOrchestrator = await asyncio.wait_for(made, self.deadline)
        try:
            if "on_error" not in self._factory_takes:
                orchestrator.add_error_handler(on_error)
            state = _state_of(orchestrator)
            if flow.loaded is None and self._fresh_state is None:
                flow.initial = state  # no baseline known: only the session's own changes count
            active = orchestrator.check_activity_functions(url)
            if not self._exists(active, path):
                await out.whole(404, not_found(path, request_id=out.request_id))
                return
            mounted = orchestrator.get_mounted_apps()
            broken = [n for n in active if orchestrator.get_app_status(n) in BROKEN_STATUSES]
            cookie_header = self._sessions.decide(flow, state, out.request_id)
            await self._sessions.finish(flow, _state_of(orchestrator), out.request_id)
            if broken and not self._exists(mounted, path):
                for name in broken:
                    error = errors.get(name)
                    _log.error(
                        "app %s at %s failed (request %s): %s",
                        name,
                        error_url(error) or "-",
                        out.request_id,
                        error if error is not None else "it failed to load or mount",
                    )
                body = bad_gateway(broken, request_id=out.request_id)
                await out.whole(502, body, cookie=cookie_header)
            else:
                await out.whole(200, str(orchestrator.document.html), cookie=cookie_header)
        finally:
            self._closing.spawn(_bounded_close(orchestrator, self._close_timeout))

    # -- helpers ----------------------------------------------------------------------------------

    def _options(self, config: ComposeConfig, root_path: str) -> dict[str, Any]:
        """The config's start options, with apps' files named on this origin (the proxy)."""
        options = self._start_options.get(root_path)
        if options is None:
            options = dict(config.options)
            if self.assets is not None and "asset_path" not in options:
                options["asset_path"] = root_path.rstrip("/") + ASSET_PATH
            self._start_options[root_path] = options
        return options

    def _exists(self, active: Iterable[str], path: str) -> bool:
        return path in self._shell_routes or any(n not in self._layout_apps for n in active)

    def _shared_federation(self) -> Federation | None:
        """One ``Federation`` for every request, over the shared loader: a remote's manifest and
        modules are fetched and imported once, and a shared singleton is one for all pages."""
        config = self._config
        if config is None or not config.remotes:
            return None
        if self._federation is None:
            from ..federation import Federation

            remotes = [{"name": r.name, "entry": r.entry} for r in config.remotes if r.entry]
            self._federation = Federation("shell", remotes=remotes, loader=self._shared_loader())
        return self._federation

    def _shared_loader(self) -> EntryLoader:
        if self._loader is None:
            from ..html_entry import EntryLoader

            options: dict[str, Any] = {}
            config = self._config
            if config is not None and config.trusted_origins is not None:
                options["trusted_origins"] = config.trusted_origins
            if config is not None and config.asset_origins is not None:
                options["asset_origins"] = config.asset_origins
            self._loader = EntryLoader(**options)
            if self._watch:
                # an app that publishes a manifest (x-mfe-manifest: 1) is long-polled, so a
                # redeploy is seen within seconds, not only when its page's max-age runs out
                self._loader.watch()
        return self._loader


def _escaped(path: str) -> bytes:
    return html.escape(path).encode()


def _retrieved(task: asyncio.Future[Any]) -> None:
    """A check nobody waits for any more: its outcome is read so asyncio does not report it."""
    if not task.cancelled():
        task.exception()


def _failed_notice(app: str, request_id: str) -> str:
    return (
        f'<div class="mfe-error" role="alert" data-app="{html.escape(app)}">'
        f"{HTTPStatus.INTERNAL_SERVER_ERROR.value} {HTTPStatus.INTERNAL_SERVER_ERROR.phrase}: "
        f"the micro-app {html.escape(app)} could not be shown "
        f"(request id <code>{html.escape(request_id)}</code>).</div>"
    )


def _with_fragments(config: ComposeConfig) -> ComposeConfig:
    """A config whose shell still holds Tailor ``<fragment>`` tags, with each one an app."""
    shell, fragments = shell_fragments(config.shell_html, source=config.source)
    if not fragments:
        return config
    return dataclasses.replace(config, shell_html=shell, apps=config.apps + fragments)


def _moved_to(asked: str, now: str, root: str = "") -> str | None:
    """Where the primary app navigated to, as a path of this origin (below ``root``), when it
    left the asked URL. Never another origin: ``//host`` paths collapse to one slash."""
    before, after = urlsplit(asked), urlsplit(now)
    if (before.path, before.query) == (after.path, after.query):
        return None
    path = "/" + after.path.lstrip("/")
    target = quote(root.rstrip("/") + path, safe="/%:@!$&'()*+,;=-._~")
    if after.query:
        target += "?" + quote(after.query, safe="/%:@!$&'()*+,;=-._~?")
    return target


def _state_of(orchestrator: Any) -> dict[str, Any] | None:
    store = getattr(orchestrator, "global_state", None)
    state = getattr(store, "state", None)
    return state if isinstance(state, dict) else None


def _keyword_names(fn: Any) -> frozenset[str]:
    if fn is None:
        return frozenset()
    try:
        return frozenset(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return frozenset()


async def _bounded_close(orchestrator: SessionOrchestrator, limit: float) -> None:
    try:
        await asyncio.wait_for(orchestrator.aclose(), limit)
    except TimeoutError:
        _log.warning("an orchestrator took over %.3g s to close; abandoned", limit)
    except Exception:
        _log.exception("closing an orchestrator failed")


def _route_path(scope: Scope) -> str:
    """The request path as the app sees it: below ``root_path`` when mounted under a prefix."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and (path == root or path.startswith(root.rstrip("/") + "/")):
        path = path[len(root.rstrip("/")) :]
    return path if path.startswith("/") else f"/{path}"
