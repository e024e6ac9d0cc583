"""Header micro-app: shows who is signed in, kept in step with the shell's global state."""

from typing import Any


def _render_user(container: Any, state: dict[str, Any]) -> None:
    user = state.get("user")
    text = f"Signed in as {user}" if user else "Not signed in"
    for element in container.cssselect("#header-user"):
        element.text = text


def bootstrap(props: dict[str, Any]) -> None:
    """Nothing to prepare: the template already holds the navigation."""


def mount(props: dict[str, Any]) -> None:
    container = props["container"]
    subscribe = props.get("on_global_state_change")
    if subscribe is None:
        return

    def on_change(state: dict[str, Any], prev: dict[str, Any]) -> None:
        _render_user(container, state)

    subscribe(on_change, fire_immediately=True)


def unmount(props: dict[str, Any]) -> None:
    """The orchestrator drops our state listener and empties the container."""
