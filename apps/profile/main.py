"""Profile micro-app: `/login?user=NAME` signs NAME in via global state, `/logout` signs them
out again; `/profile` shows who.

The store credit line is formatted by the ``widgets`` remote when the orchestrator gives a
``load_remote`` prop (the same formatter, and the same shared ``money``, as the catalog's).
"""

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

_LOGIN_PATH = "/login"
_LOGOUT_PATH = "/logout"
STORE_CREDIT_CENTS = 2500
PRICE_FORMATTER = "widgets/PriceFormatter"
_receivers: list[tuple[Any, Callable[..., None]]] = []


def _sign_in_from(
    orchestrator: Any, set_global_state: Callable[[dict[str, Any]], bool], seen: dict[str, Any]
) -> None:
    location = orchestrator.location
    path = location.pathname.rstrip("/")
    if path == _LOGOUT_PATH:
        if seen.get("user"):
            set_global_state({"user": ""})
        return
    if path != _LOGIN_PATH:
        return
    query = parse_qs(location.search.lstrip("?"), keep_blank_values=True)
    if "user" in query and seen.get("user") != query["user"][0].strip():
        set_global_state({"user": query["user"][0].strip()})


def _render(container: Any, state: dict[str, Any]) -> None:
    user = state.get("user")
    text = f"Signed in as {user}. Welcome back!" if user else "Nobody is signed in."
    for element in container.cssselect("#profile-status"):
        element.text = text
    hint, href = (
        ("Sign out with ", _LOGOUT_PATH) if user else ("Sign in with ", "/login?user=alice")
    )
    for element in container.cssselect("#profile-hint"):
        for link in element.cssselect("a"):
            link.set("href", href)
            link.text = href
        element.text = hint


def _render_credit(container: Any, credit: str, signature: str | None) -> None:
    text = f"Store credit: {credit}" + (f" · {signature}" if signature else "")
    for element in container.cssselect("#profile-credit"):
        element.text = text


async def _credit_with_widgets(
    container: Any, load_remote: Callable[[str], Awaitable[Any]]
) -> None:
    formatter = await load_remote(PRICE_FORMATTER)
    credit = await formatter.format_price(STORE_CREDIT_CENTS)
    _render_credit(container, credit, await formatter.signature())


def bootstrap(props: dict[str, Any]) -> None:
    """Nothing to prepare: the status line is rendered on mount."""


def mount(props: dict[str, Any]) -> Awaitable[None] | None:
    _mount_status(props)
    load_remote = props.get("load_remote")
    if load_remote is not None:
        return _credit_with_widgets(props["container"], load_remote)
    _render_credit(props["container"], f"€{STORE_CREDIT_CENTS / 100:.2f}", None)
    return None


def _mount_status(props: dict[str, Any]) -> None:
    container = props["container"]
    orchestrator = props["orchestrator"]
    set_global_state = props.get("set_global_state")
    subscribe = props.get("on_global_state_change")
    seen: dict[str, Any] = {}
    if subscribe is not None:

        def on_change(state: dict[str, Any], prev: dict[str, Any]) -> None:
            seen.update(state)
            _render(container, state)

        subscribe(on_change, fire_immediately=True)
    if set_global_state is None:
        return
    _sign_in_from(orchestrator, set_global_state, seen)

    def on_route(sender: Any, **detail: Any) -> None:
        _sign_in_from(sender, set_global_state, seen)

    signal = orchestrator.events.signal("routing-event")
    signal.connect(on_route, sender=orchestrator, weak=False)
    _receivers.append((signal, on_route))


def unmount(props: dict[str, Any]) -> None:
    while _receivers:
        signal, receiver = _receivers.pop()
        signal.disconnect(receiver)
