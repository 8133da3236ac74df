"""`python -m halcfg`."""

from halcfg.main import exit_fast

exit_fast()
