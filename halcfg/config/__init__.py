"""The accounts file, read and checked: load → schema → model → rules → check, and the opener.

Stages get the file from `opener.open_accounts(path, policy)` alone; the policy names what each
needs (raw, schema only or every rule; secrets here or not; errors refused or reported). Owns
parsing (libyaml events with positions), the compiled schema checker, the typed model and the
semantic rules. Imports `findings`, `errors`, `resources`, `registry.hosts` and
`redact` only: nothing here touches the network or writes a file.
"""
