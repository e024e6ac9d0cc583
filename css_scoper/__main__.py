"""`python -m css_scoper --prefix P FILE`."""

import sys

from css_scoper._cli import main

sys.exit(main())
