"""Errors raised when an app's scripts cannot run or export nothing usable."""

from __future__ import annotations


class SandboxError(Exception):
    """Base of the errors the sandbox package raises on purpose."""


class ScriptError(SandboxError):
    """A script of an app failed to compile or raised; the original is ``__cause__``."""

    def __init__(self, app_name: str, script: str, reason: str) -> None:
        self.app_name = app_name
        self.script = script
        self.reason = reason
        super().__init__(f"application '{app_name}': error in script {script}: {reason}")


class LifecyclesNotFoundError(SandboxError):
    """An app's scripts exported no ``bootstrap``/``mount``/``unmount`` (qiankun's message)."""

    def __init__(self, app_name: str) -> None:
        self.app_name = app_name
        super().__init__(f"[qiankun] You need to export lifecycle functions in {app_name} entry")
