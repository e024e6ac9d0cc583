"""The HTML-entry importer: an app's entry page turned into template, scripts, styles and
public path, as qiankun's import-html-entry does, with the fetching limits and shared caches."""

from __future__ import annotations

from .._urls import default_public_path
from ..errors import EntryLoadError, EntrySyntaxError, IntegrityError, UntrustedOriginError
from ._extract import Script, Style
from ._http_cache import Freshness, freshness
from ._imported import ImportedEntry
from ._live import MANIFEST_HEADER, VERSION_HEADER, Health, Manifest, ManifestError
from ._loader import (
    ENTRY_UPDATED,
    HEALTH_CHANGE,
    OFF_LOOP_BYTES,
    AssetKind,
    Entry,
    EntryLoader,
    GetPublicPath,
    GetTemplate,
    import_entry,
)
from ._options import LiveOptions
from ._trust import OriginRules

__all__ = [
    "ENTRY_UPDATED",
    "HEALTH_CHANGE",
    "MANIFEST_HEADER",
    "OFF_LOOP_BYTES",
    "VERSION_HEADER",
    "AssetKind",
    "Entry",
    "EntryLoadError",
    "EntryLoader",
    "EntrySyntaxError",
    "Freshness",
    "GetPublicPath",
    "GetTemplate",
    "Health",
    "ImportedEntry",
    "IntegrityError",
    "LiveOptions",
    "Manifest",
    "ManifestError",
    "OriginRules",
    "Script",
    "Style",
    "UntrustedOriginError",
    "default_public_path",
    "freshness",
    "import_entry",
]
