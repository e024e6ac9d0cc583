"""Shared pieces of the reliability suite: app entries, a shell page, an error recorder.

Apps are real HTML entries served over loopback HTTP, written as a user would write them; their
lifecycles report into a ``sink`` list passed as a prop so tests can see what ran and when.
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from orchestrator import LifecycleError, Orchestrator
from orchestrator.testing import LoopbackServer, Reply

SHELL = (
    "<!DOCTYPE html><html><head><title>shell</title></head><body>"
    '<nav id="side"></nav><main id="main"></main></body></html>'
)

HEALTHY_SCRIPT = """
def bootstrap(props):
    pass

def mount(props):
    props["container"].cssselect("#root")[0].text = "{name} mounted"
    props["sink"].append(("mount", "{name}"))

def unmount(props):
    props["sink"].append(("unmount", "{name}"))
"""


def entry_page(name: str, *, script: str | None = None, head: str | None = None) -> str:
    """An app's ``index.html``: a stylesheet link, a root element, and a Python entry script."""
    code = textwrap.dedent(script if script is not None else HEALTHY_SCRIPT).replace("{name}", name)
    link = '<link rel="stylesheet" href="style.css">' if head is None else head
    return (
        f"<!DOCTYPE html><html><head>{link}</head><body>"
        f'<div id="root"></div><script type="text/python" entry>{code}</script></body></html>'
    )


def stylesheet(name: str) -> str:
    return f".{name}-title {{ color: teal }}"


def serve_app(server: LoopbackServer, name: str, *entry_replies: Reply) -> str:
    """Route ``/<name>/index.html`` (healthy unless ``entry_replies`` are given) and its
    stylesheet; returns the entry URL."""
    replies = entry_replies or (Reply(body=entry_page(name)),)
    server.route(f"/{name}/index.html", *replies)
    server.route(
        f"/{name}/style.css", Reply(body=stylesheet(name), content_type="text/css; charset=utf-8")
    )
    return server.url_for(f"/{name}/index.html")


def micro_app(
    server: LoopbackServer, name: str, sink: list[Any], *, container: str, rule: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "entry": server.url_for(f"/{name}/index.html"),
        "container": container,
        "active_rule": rule,
        "props": {"sink": sink},
    }


@dataclass
class ErrorRecorder:
    """An error handler keeping every ``LifecycleError`` it is given."""

    errors: list[LifecycleError] = field(default_factory=list)

    def __call__(self, error: LifecycleError) -> None:
        self.errors.append(error)

    def for_app(self, name: str) -> list[LifecycleError]:
        return [error for error in self.errors if error.app_name == name]


def root_text(orchestrator: Orchestrator, container: str) -> str | None:
    """The text the app mounted in ``container`` rendered into its ``#root``."""
    element = orchestrator.document.query_selector(f"{container} #root")
    return None if element is None else element.text


async def within(seconds: float, awaitable: Awaitable[Any]) -> Any:
    """Await with a deadline, so a wedged reroute fails the test instead of hanging it."""
    async with asyncio.timeout(seconds):
        return await awaitable
