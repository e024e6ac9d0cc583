"""Errors raised when an app's scripts cannot run or export nothing usable."""

from __future__ import annotations


class SandboxError(Exception):
    """Base of the errors the sandbox package raises on purpose."""


class ScriptError(SandboxError):
    """A script of an app failed to compile or raised; the original is ``__cause__``.

    ``script`` names the script as the page does: its ``src`` URL, or ``inline script #n``
    (counted from one, in document order).
    """

    def __init__(self, app_name: str, script: str, reason: str) -> None:
        self.app_name = app_name
        self.script = script
        self.reason = reason
        super().__init__(f"application '{app_name}': error in script {script}: {reason}")

    def __reduce__(self) -> tuple[type[ScriptError], tuple[str, str, str]]:
        """Rebuilt from its fields (it may cross a process pool): ``args`` is only the message."""
        return type(self), (self.app_name, self.script, self.reason)


class LifecyclesNotFoundError(SandboxError):
    """An app's scripts exported no ``bootstrap``/``mount``/``unmount`` (qiankun's message)."""

    def __init__(self, app_name: str) -> None:
        self.app_name = app_name
        super().__init__(f"[qiankun] You need to export lifecycle functions in {app_name} entry")

    def __reduce__(self) -> tuple[type[LifecyclesNotFoundError], tuple[str]]:
        return type(self), (self.app_name,)
