"""The ``provider`` export, found and checked as Garfish's ``checkAndGetProvider`` does.

Lookup order: the entry script's module-level ``provider`` (Garfish's CommonJS
``exports.provider``), then ``window.__GARFISH_EXPORTS__.provider`` (``customExports``, which
wins), then, when ``async_provider_timeout`` is not 0 and nothing was found, a provider handed to
``window.__GARFISH_EXPORTS__.register_provider(p)`` within that many seconds. A callable is called
as ``provider({"basename", "dom", **props}, props)`` (it may be async), an awaitable is awaited.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Mapping
from typing import Any

from .._tasks import maybe_await
from ._errors import WARN_PREFIX, ProviderError

__all__ = ["GARFISH_EXPORTS", "GarfishExports", "call_flexibly", "find_provider", "member"]

logger = logging.getLogger("orchestrator.garfish")
GARFISH_EXPORTS = "__GARFISH_EXPORTS__"


class GarfishExports:
    """``window.__GARFISH_EXPORTS__`` of one mount: ``provider`` and ``register_provider``."""

    def __init__(self) -> None:
        self.provider: Any = None
        self._registered: Any = None
        self._arrived = asyncio.Event()

    def register_provider(self, provider: Any) -> None:
        """Garfish's ``registerProvider``: hand the provider over later (an async setup)."""
        self._registered = provider
        self._arrived.set()

    def __getitem__(self, key: str) -> Any:
        if key == "provider":
            return self.provider
        if key == "register_provider":
            return self.register_provider
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        if key != "provider":
            raise KeyError(f"__GARFISH_EXPORTS__ holds only 'provider', not {key!r}")
        self.provider = value

    async def wait_registered(self, seconds: float) -> Any:
        """The provider given to ``register_provider`` within ``seconds``, or ``None``."""
        if not self._arrived.is_set():
            try:
                async with asyncio.timeout(seconds):
                    await self._arrived.wait()
            except TimeoutError:
                return None
        return self._registered


def member(provider: Any, name: str) -> Any:
    """``provider.render`` / ``provider["render"]``: a provider may be a dict or an object."""
    if isinstance(provider, Mapping):
        return provider.get(name)
    return getattr(provider, name, None)


def _has(provider: Any, name: str) -> bool:
    if isinstance(provider, Mapping):
        return name in provider
    return hasattr(provider, name)


def _js(value: Any) -> str:
    """How Garfish's template string would show a falsy provider."""
    if value is None:
        return "undefined"
    if value is False:
        return "false"
    return str(value)


def _js_falsy(value: Any) -> bool:
    """JavaScript's falsy values (an empty dict or list is truthy there)."""
    if value is None or value is False or value == "":
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


def _is_object(value: Any) -> bool:
    return value is not None and not isinstance(value, str | int | float | bool | bytes)


def call_flexibly(function: Callable[..., Any], *args: Any) -> Any:
    """Call with as many of ``args`` as the function takes (JavaScript ignores extra ones)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return function(*args)
    positional = 0
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            return function(*args)
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional += 1
    return function(*args[:positional])


async def find_provider(
    app_name: str,
    exports: Mapping[str, Any],
    custom: GarfishExports,
    *,
    basename: str,
    dom: Any,
    props: Mapping[str, Any],
    async_timeout: float,
    no_check: bool,
) -> Any:
    """The app's provider object (with ``render`` and ``destroy``), or ``ProviderError``."""
    provider: Any = exports.get("provider")
    if custom.provider is not None:
        provider = custom.provider
    if async_timeout and provider is None:
        provider = await custom.wait_registered(async_timeout)
    if callable(provider):
        provider = await maybe_await(
            call_flexibly(provider, {"basename": basename, "dom": dom, **props}, dict(props))
        )
    elif inspect.isawaitable(provider):
        provider = await provider
    if not _is_object(provider):
        logger.warning(
            "%s:  Invalid module content: %s, you should return both render and destroy "
            "functions in provider function.",
            WARN_PREFIX,
            app_name,
        )
    if not no_check:
        if _js_falsy(provider):
            raise ProviderError(f'"provider" is "{_js(provider)}".', app_name=app_name)
        if not _is_object(provider) or not _has(provider, "render"):
            raise ProviderError('"render" is required in provider.', app_name=app_name)
        if not _has(provider, "destroy"):
            raise ProviderError('"destroy" is required in provider.', app_name=app_name)
    return provider
