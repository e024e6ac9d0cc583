"""Module Federation in Python: remotes publish modules, hosts load them, share scopes negotiate.

Semantics follow webpack 5's sharing runtime; the MF 2.0 runtime's where ``share_strategy``
asks for it (DESIGN.md §7). A remote publishes an ``mf-manifest.json`` in MF 2.0's shape whose
``metaData.remoteEntry`` is a zip of Python modules with an SRI ``integrity``; ``mfe federation
build`` (``orchestrator.federation.build``) writes one from a folder of modules.
"""

from orchestrator.federation import semver
from orchestrator.federation._archive import ZipLimits
from orchestrator.federation._errors import FederationError, RuntimeCode
from orchestrator.federation._federation import Federation, RemoteContext
from orchestrator.federation._fetch import Fetch, TrustedOrigins
from orchestrator.federation._hooks import FederationHooks
from orchestrator.federation._manifest import RemoteManifest
from orchestrator.federation._remote import Remote, RemoteVersion
from orchestrator.federation._share_scope import (
    LoaderKind,
    SharedEntry,
    ShareScope,
    ShareStrategy,
    choose_loader,
)
from orchestrator.federation._shared_config import Shared

__all__ = [
    "Federation",
    "FederationError",
    "FederationHooks",
    "Fetch",
    "LoaderKind",
    "Remote",
    "RemoteContext",
    "RemoteManifest",
    "RemoteVersion",
    "RuntimeCode",
    "ShareScope",
    "ShareStrategy",
    "Shared",
    "SharedEntry",
    "TrustedOrigins",
    "ZipLimits",
    "choose_loader",
    "semver",
]
