"""The only writer of the accounts file: patch, splice, atomic write, lock, secret files.

Imports `config` (to re-check what it writes) and, lazily, `probe` (to probe what an edit
touches); nothing else writes `halcfg.yaml` or the files under `secrets/`.
"""
