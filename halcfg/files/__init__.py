"""File primitives every stage shares: bounded reads of regular files (`regular`), atomic
replacement and the edit lock (`atomic`), and the size cap of a secret file.

Imports only `errors`. The one place that knows how halcfg touches the disk safely: nothing
is read unbounded or from a FIFO, nothing is half-written, no lock file is left behind.
"""

SECRET_FILE_MAX = 64 * 1024  # passwordFile, secretAccessKeyFile: a GCP JSON key is ~2.3 KB
