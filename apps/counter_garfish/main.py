"""Counter micro-app, Garfish style: it exports a ``provider`` instead of lifecycle functions.

``provider(info, props)`` returns ``render`` and ``destroy``. The count lives on the app's
sandboxed ``window``, so it survives a hide/show (Garfish keeps the app's context) and starts
again at ``props["start"]`` (default 0) after an unmount. ``counter:increment`` on the Garfish
channel (``window.Garfish.channel``) adds one; each render reports ``counter:rendered``.
"""

from collections.abc import Callable
from typing import Any

_EVENT = "counter:increment"
window: Any = globals()["window"]  # every script of an app is given its sandboxed global


def _show(dom: Any, value: int) -> None:
    for element in dom.cssselect("#counter-value"):
        element.text = str(value)


def provider(info: dict[str, Any], props: dict[str, Any]) -> dict[str, Callable[..., Any]]:
    """Garfish calls this once per mount with ``{"basename", "dom", **props}`` and ``props``."""
    garfish = window.get("Garfish")
    channel = garfish.channel if garfish is not None else None
    if "counter_value" not in window:
        window.counter_value = int(props.get("start", 0))
    listening: list[Callable[..., None]] = []

    def render(render_info: dict[str, Any]) -> None:
        dom = render_info["dom"]
        _show(dom, window.counter_value)
        dom.set("data-basename", render_info.get("basename") or "/")

        def increment(*args: Any) -> None:
            window.counter_value += 1
            _show(dom, window.counter_value)

        if channel is not None:
            channel.on(_EVENT, increment)
            listening.append(increment)
            channel.emit("counter:rendered", window.counter_value)

    def destroy(destroy_info: dict[str, Any]) -> None:
        while listening and channel is not None:
            channel.off(_EVENT, listening.pop())

    return {"render": render, "destroy": destroy}
