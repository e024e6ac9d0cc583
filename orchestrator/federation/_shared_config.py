"""A build's ``shared`` options (webpack's, in snake_case) and their defaults."""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from orchestrator.federation._errors import FederationError
from orchestrator.federation._share_scope import Factory

__all__ = ["Shared", "as_shared", "import_factory", "installed_version"]


@dataclass(frozen=True)
class Shared:
    """How this build shares ``key`` (webpack's ``shared`` options, snake_case).

    ``import_`` is the provided copy and the consumer's fallback: a factory, ``None`` to
    import ``key`` from this interpreter, or ``False`` for neither. ``version`` defaults to
    the installed distribution's, else MF's ``"0"`` (which loses to any other).
    ``required_version`` defaults to ``^version`` (MF's default; ``False`` for no check) and
    ``strict_version`` to webpack's (true for a non-singleton with a fallback).
    """

    version: str | None = None
    import_: Factory | Literal[False] | None = None
    share_scope: str = "default"
    singleton: bool = False
    required_version: str | Literal[False] | None = None
    strict_version: bool | None = None
    eager: bool = False


def as_shared(key: str, value: Shared | Mapping[str, Any] | str) -> Shared:
    if isinstance(value, Shared):
        return value
    if isinstance(value, str):  # webpack's shorthand {"react": "^17"}
        return Shared(required_version=value, strict_version=True)
    if isinstance(value, Mapping):
        known = {f.name for f in fields(Shared)}
        options = {("import_" if k == "import" else k): v for k, v in value.items()}
        unknown = set(options) - known
        if unknown:
            raise FederationError(f"shared {key!r}: unknown options {sorted(unknown)}", key=key)
        return Shared(**options)
    raise FederationError(f"shared {key!r}: expected Shared, a mapping or a range", key=key)


def import_factory(key: str) -> Factory:
    def factory() -> Any:
        return importlib.import_module(key)

    factory.__qualname__ = f"import {key}"
    return factory


def installed_version(key: str) -> str | None:
    try:
        return importlib.metadata.version(key)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None
