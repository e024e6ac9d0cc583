"""`python -m css_scoper --prefix P FILE` (or `--app NAME`): the same command as `mfe scope-css`."""

import sys

from css_scoper._cli import main

sys.exit(main(prog="python -m css_scoper"))
