"""Garfish's model on the engine: apps that export a ``provider`` (``render``/``destroy``), a
plugin kernel of hooks called in Garfish's code order, an event ``channel``, and routed apps
cached by default (``hide``/``show`` instead of ``unmount``/``mount``)."""

from __future__ import annotations

from ._app import GarfishApp
from ._channel import Channel
from ._errors import DomGetterError, GarfishError, ProviderError
from ._garfish import Garfish
from ._hooks import APP_HOOKS, GLOBAL_HOOKS, HOOK_NAMES, HookKind, Plugin
from ._options import AppInfo
from ._provider import GarfishExports
from ._router import app_root_path, get_path, has_active
from ._sandbox import ALWAYS_INSULATED, GarfishSandbox

__all__ = [
    "ALWAYS_INSULATED",
    "APP_HOOKS",
    "GLOBAL_HOOKS",
    "HOOK_NAMES",
    "AppInfo",
    "Channel",
    "DomGetterError",
    "Garfish",
    "GarfishApp",
    "GarfishError",
    "GarfishExports",
    "GarfishSandbox",
    "HookKind",
    "Plugin",
    "ProviderError",
    "app_root_path",
    "get_path",
    "has_active",
]
