"""Publishing a remote: ``mfe federation build`` and its Python face.

``build_remote_dir(DIR, name=..., exposes=[...], shared=[...])`` writes ``mf-manifest.json``
(MF 2.0's shape), the modules zip and the ``.pyi`` stubs zip, each with its SRI integrity;
``main(argv)`` is the ``mfe federation`` command. A module of its own (as ``semver`` is), so
hosts that only load remotes never import the build tooling.
"""

from orchestrator.federation._build_dir import (
    BuiltRemote,
    build_remote_dir,
    check_range,
    parse_expose,
    parse_shared,
)
from orchestrator.federation._cli import main
from orchestrator.federation._errors import FederationBuildError

__all__ = [
    "BuiltRemote",
    "FederationBuildError",
    "build_remote_dir",
    "check_range",
    "main",
    "parse_expose",
    "parse_shared",
]
