"""``python -m lomond URL``: see :mod:`lomond.cli`."""

import sys

from .cli import main

sys.exit(main())
