"""The accounts file, read and checked: load → schema → model → rules → check.

Owns parsing (libyaml events with positions), the compiled schema checker, the typed model and
the semantic rules. Imports `findings`, `errors`, `resources`, `registry.hosts` and
`credentials.redact` only: nothing here touches the network or writes a file.
"""
