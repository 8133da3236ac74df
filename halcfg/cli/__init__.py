"""Thin shells, one module per command group: parse flags, call one stage, report, exit code.

No stage logic lives here; `app` registers the command groups, `validate` is the fast path that
`main` reaches without typer.
"""
