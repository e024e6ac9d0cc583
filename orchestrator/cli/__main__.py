"""``python -m orchestrator.cli``: the ``mfe`` command."""

from ._main import main

raise SystemExit(main())
