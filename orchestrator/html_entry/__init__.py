"""The HTML-entry importer: an app's entry page turned into template, scripts, styles and
public path, as qiankun's import-html-entry does, with the fetching limits and shared caches."""

from __future__ import annotations

from .._urls import default_public_path
from ..errors import EntryLoadError, EntrySyntaxError, IntegrityError, UntrustedOriginError
from ._extract import Script, Style
from ._imported import ImportedEntry
from ._loader import (
    OFF_LOOP_BYTES,
    AssetKind,
    Entry,
    EntryLoader,
    GetPublicPath,
    GetTemplate,
    import_entry,
)
from ._trust import OriginRules

__all__ = [
    "OFF_LOOP_BYTES",
    "AssetKind",
    "Entry",
    "EntryLoadError",
    "EntryLoader",
    "EntrySyntaxError",
    "GetPublicPath",
    "GetTemplate",
    "ImportedEntry",
    "IntegrityError",
    "OriginRules",
    "Script",
    "Style",
    "UntrustedOriginError",
    "default_public_path",
    "import_entry",
]
