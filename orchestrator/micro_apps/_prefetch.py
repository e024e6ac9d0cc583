"""qiankun's prefetching: warm the loader's caches with an app's entry, styles and scripts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..html_entry import import_entry

if TYPE_CHECKING:
    from ..html_entry import Entry, EntryLoader

__all__ = ["prefetch_entry", "split_strategy"]

logger = logging.getLogger("orchestrator.micro_apps")


async def prefetch_entry(
    entry: Entry, loader: EntryLoader, configuration: Mapping[str, Any]
) -> None:
    """Fetch and parse ``entry`` and its assets; nothing runs, and a failure is only logged."""
    try:
        imported = await import_entry(
            entry,
            loader=loader,
            get_public_path=configuration.get("get_public_path"),
            get_template=configuration.get("get_template"),
        )
        await imported.get_external_style_sheets()
        await imported.get_external_scripts()
    except Exception as error:
        logger.warning("prefetch of %s failed: %s", entry, error)


def split_strategy(
    strategy: Any, names: list[str], apps: Callable[[], list[dict[str, Any]]]
) -> tuple[list[str], list[str]]:
    """qiankun's ``prefetch`` option as (prefetch now, prefetch after the first mount)."""
    if not strategy:
        return [], []
    if strategy == "all":
        return names, []
    if strategy is True:
        return [], names
    if isinstance(strategy, list | tuple):
        return [], [name for name in strategy if name in names]
    if callable(strategy):
        picked = strategy(apps())
        return (
            _pick(picked, "critical_app_names", "criticalAppNames"),
            _pick(picked, "minor_apps_name", "minorAppsName"),
        )
    raise ValueError(
        f"prefetch must be True, False, 'all', a list of app names or a function, got {strategy!r}"
    )


def _pick(value: Any, *keys: str) -> list[str]:
    for key in keys:
        if isinstance(value, Mapping) and key in value:
            return list(value[key])
    return []
