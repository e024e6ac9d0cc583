"""qiankun's layer on the engine: HTML-entry micro-apps registered by route or loaded by hand."""

from __future__ import annotations

from ._config import (
    DEFAULT_CONFIGURATION,
    Configuration,
    LifecycleHooks,
    MicroAppConfig,
    MicroAppRegistration,
    SandboxOptions,
)
from ._hooks import HOOK_NAMES
from ._layer import MicroApps
from ._micro_app import MicroApp
from ._orchestrator import Orchestrator
from ._wrapper import snake_case, wrapper_id

__all__ = [
    "DEFAULT_CONFIGURATION",
    "HOOK_NAMES",
    "Configuration",
    "LifecycleHooks",
    "MicroApp",
    "MicroAppConfig",
    "MicroAppRegistration",
    "MicroApps",
    "Orchestrator",
    "SandboxOptions",
    "snake_case",
    "wrapper_id",
]
