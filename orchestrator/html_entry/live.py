"""Live deployments (DESIGN.md §6): the public names for entries that change while the loader
runs: revalidation, manifests, long-poll options, Podium's health states, the loader's signals.

Kept in a module of their own so that ``orchestrator.html_entry``'s pinned surface stays as it is
until the lead folds these in.
"""

from __future__ import annotations

from ._http_cache import Freshness, freshness
from ._live import MANIFEST_HEADER, VERSION_HEADER, Health, Manifest, ManifestError
from ._loader import ENTRY_UPDATED, HEALTH_CHANGE, MANIFEST
from ._options import LiveOptions

__all__ = [
    "ENTRY_UPDATED",
    "HEALTH_CHANGE",
    "MANIFEST",
    "MANIFEST_HEADER",
    "VERSION_HEADER",
    "Freshness",
    "Health",
    "LiveOptions",
    "Manifest",
    "ManifestError",
    "freshness",
]
