"""The headless global object and qiankun's sandboxes.

This is isolation, not security: a sandbox keeps well-behaved micro-apps from seeing each other's
globals and frees the listeners and timers they leave behind, but Python scripts run with the
full rights of the interpreter and can reach anything (``__import__``, the real window through
object attributes, the file system). Only run scripts from origins you trust; nothing here
executes a script the caller did not pass in.

What an app starts through its proxy belongs to its sandbox: window listeners, timers and the
tasks its async callbacks start end on ``inactive()`` (unmount) and ``close()``; ``pause()`` and
``resume()`` hide and show a kept-alive app (its timers keep their remaining delays). A
``ProxySandbox`` may sit over another sandbox's proxy (an app nested in an app). ``WindowLike``
is the interface the window and every proxy share.
"""

from ._base import Sandbox, SandboxType, SandboxWarning
from ._errors import LifecyclesNotFoundError, SandboxError, ScriptError
from ._events import Event
from ._legacy import LegacySandbox
from ._proxy import DEFAULT_GLOBAL_WHITELIST, ProxySandbox
from ._proxy_base import SandboxProxy
from ._scripts import (
    CodeCache,
    ScriptLike,
    find_lifecycles,
    is_valid_lifecycles,
    run_scripts,
    sandbox_of,
)
from ._snapshot import SnapshotSandbox
from ._window import Window
from ._window_like import WindowLike

__all__ = [
    "DEFAULT_GLOBAL_WHITELIST",
    "CodeCache",
    "Event",
    "LegacySandbox",
    "LifecyclesNotFoundError",
    "ProxySandbox",
    "Sandbox",
    "SandboxError",
    "SandboxProxy",
    "SandboxType",
    "SandboxWarning",
    "ScriptError",
    "ScriptLike",
    "SnapshotSandbox",
    "Window",
    "WindowLike",
    "find_lifecycles",
    "is_valid_lifecycles",
    "run_scripts",
    "sandbox_of",
]
