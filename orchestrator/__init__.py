"""mfe-orchestrator: compose micro-frontends by route, headless, in Python.

The public API is re-exported here; every other module is an implementation detail.
``Orchestrator`` is one headless browser tab (single-spa's and qiankun's API as methods);
``EntryLoader`` fetches, parses and caches entries and may be shared by many tabs. Every name
here reports ``orchestrator`` as its module, so reprs, docs and pickles use the public path.
"""

from __future__ import annotations

from sandbox import Event, LifecyclesNotFoundError, SandboxError, ScriptError, Window

from ._version import __version__
from .activity import path_to_active_when
from .core import Layer, Tab
from .dom import Document
from .errors import (
    AppNotFoundError,
    ConfigError,
    ContainerNotFoundError,
    EntryLoadError,
    EntrySyntaxError,
    IntegrityError,
    InvalidExportsError,
    LifecycleError,
    LifecycleTimeoutError,
    OrchestratorError,
    ParcelLifecycleError,
    ParcelStateError,
    UntrustedOriginError,
)
from .events import RoutingEventDetail
from .global_state import GlobalState, GlobalStateActions
from .html_entry import EntryLoader, ImportedEntry, Script, Style, import_entry
from .micro_apps import MicroApp, Orchestrator
from .navigation import History, Location, NavigationResult
from .parcels import Parcel
from .status import AppStatus

__all__ = [
    "AppNotFoundError",
    "AppStatus",
    "ConfigError",
    "ContainerNotFoundError",
    "Document",
    "EntryLoadError",
    "EntryLoader",
    "EntrySyntaxError",
    "Event",
    "GlobalState",
    "GlobalStateActions",
    "History",
    "ImportedEntry",
    "IntegrityError",
    "InvalidExportsError",
    "Layer",
    "LifecycleError",
    "LifecycleTimeoutError",
    "LifecyclesNotFoundError",
    "Location",
    "MicroApp",
    "NavigationResult",
    "Orchestrator",
    "OrchestratorError",
    "Parcel",
    "ParcelLifecycleError",
    "ParcelStateError",
    "RoutingEventDetail",
    "SandboxError",
    "Script",
    "ScriptError",
    "Style",
    "Tab",
    "UntrustedOriginError",
    "Window",
    "__version__",
    "import_entry",
    "path_to_active_when",
]

for _name in __all__:
    _value = globals()[_name]
    if getattr(_value, "__module__", "").startswith("orchestrator."):
        _value.__module__ = "orchestrator"
del _name, _value
