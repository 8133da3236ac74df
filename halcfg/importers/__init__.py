"""Foreign files → changes that `edit/` applies: halconfig, drone, docker config, Kubernetes Secrets.

One module per source, each a `Source` (see `source.py`) listed in `sources.SOURCES`; a source
reads one file, bounded and safely parsed (`reading.py`), and returns the accounts it found
with their secrets kept apart, never inline. `run.py` names them, finds conflicts with the
accounts file and hands the result to `edit/`, the only writer of the accounts file and of the
secret files. May import `config` (the loader, the address parser through the model), `edit`,
`registry.hosts`, `findings` and `errors`; nothing here prints.
"""
