"""What ``mfe inspect`` prints about an entry: public path, scripts with their kinds, styles."""

from __future__ import annotations

import json
from typing import Any

from ..html_entry import EntryLoader, ImportedEntry, Script

__all__ = ["format_inspection", "inspect_entry"]


def format_inspection(imported: ImportedEntry, *, as_json: bool = False) -> str:
    """What ``mfe inspect`` prints: public path, scripts with their kinds, styles, entry script."""
    if as_json:
        return json.dumps(_inspection_data(imported), indent=2, ensure_ascii=False)
    entry = imported.entry_script
    lines = [
        f"entry:        {imported.url or 'config entry'}",
        f"public path:  {imported.asset_public_path}",
        f"entry script: {entry.label if entry else '(none)'}",
        "",
        f"scripts ({len(imported.scripts)}):",
    ]
    rows: list[tuple[str, ...]] = [("#", "kind", "flags", "source")]
    for index, script in enumerate(imported.scripts, 1):
        rows.append((str(index), script.kind, _flags(script) or "-", script.label))
    lines.extend(_table(rows))
    lines += ["", f"styles ({len(imported.styles)}):"]
    style_rows: list[tuple[str, ...]] = [("#", "source")]
    for index, style in enumerate(imported.styles, 1):
        style_rows.append((str(index), style.href or "inline"))
    lines.extend(_table(style_rows))
    return "\n".join(lines)


async def inspect_entry(url: str, *, as_json: bool = False) -> str:
    """Import ``url`` with a private loader and format it (the whole of ``mfe inspect``)."""
    async with EntryLoader() as loader:
        return format_inspection(await loader.import_entry(url), as_json=as_json)


def _inspection_data(imported: ImportedEntry) -> dict[str, Any]:
    def script(s: Script) -> dict[str, Any]:
        return {
            "src": s.src,
            "inline": s.src is None,
            "kind": s.kind,
            "type": s.type,
            "is_python": s.is_python,
            "is_async": s.is_async,
            "is_module": s.is_module,
            "is_entry": s.is_entry,
            "crossorigin": s.crossorigin,
            "integrity": s.integrity,
            "length": None if s.content is None else len(s.content),
        }

    entry = imported.entry_script
    return {
        "url": imported.url,
        "asset_public_path": imported.asset_public_path,
        "base_url": imported.base_url,
        "scripts": [script(s) for s in imported.scripts],
        "styles": [
            {"href": s.href, "inline": s.href is None, "integrity": s.integrity}
            for s in imported.styles
        ],
        "entry_script": None if entry is None else (entry.src or entry.label),
    }


def _flags(script: Script) -> str:
    flags = []
    if script.is_entry:
        flags.append("entry")
    if script.src is None:
        flags.append("inline")
    if script.is_async and script.kind != "async":
        flags.append("async")
    if script.crossorigin:
        flags.append(f"crossorigin={script.crossorigin}")
    if script.integrity:
        flags.append("integrity")
    return " ".join(flags)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
