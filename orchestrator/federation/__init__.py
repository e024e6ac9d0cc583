"""Module Federation in Python: remotes publish modules, hosts load them, share scopes negotiate.

Semantics follow webpack 5's sharing runtime; the MF 2.0 runtime's where ``share_strategy``
asks for it (DESIGN.md §7).
"""

from orchestrator.federation import semver
from orchestrator.federation._errors import FederationError, RuntimeCode

__all__ = ["FederationError", "RuntimeCode", "semver"]
