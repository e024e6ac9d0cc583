"""mfe-orchestrator: compose micro-frontends by route, headless, in Python.

The public API is re-exported here; every other module is an implementation detail.
"""

from __future__ import annotations

from .errors import EntryLoadError, LifecycleError, OrchestratorError

__all__ = ["EntryLoadError", "LifecycleError", "OrchestratorError"]
