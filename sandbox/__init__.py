"""The headless global object and qiankun's sandboxes.

This is isolation, not security: a sandbox keeps well-behaved micro-apps from seeing each other's
globals and frees what they leave behind, but Python scripts run with full interpreter rights and
can reach anything (``__import__``, ``gc``, the real window through object attributes). Only run
scripts from origins you trust; nothing here executes a script the caller did not pass in.
"""

from ._events import Event
from ._window import Window

__all__ = ["Event", "Window"]
