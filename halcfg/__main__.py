"""`python -m halcfg`."""

import sys

from halcfg.main import main

sys.exit(main())
