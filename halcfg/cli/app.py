"""The typer application: wires the command modules together and turns errors into exit codes.

Each command module under `halcfg.cli` owns its flags and calls one stage; this module
only registers them and makes sure no exception reaches the user as a traceback.
"""

from __future__ import annotations

import sys

import typer

from halcfg import __version__
from halcfg.cli import (
    account,
    imports,
    init,
    kubelet_provider,
    match,
    probe,
    provider,
    render,
    schema,
    serve,
    validate,
)
from halcfg.errors import UsageError
from halcfg.findings import EXIT_USAGE

app = typer.Typer(
    name="halcfg",
    help="Declare, check and compile container-registry credentials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"halcfg {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """halcfg keeps registry accounts declared (halcfg.yaml), checked (validate, probe) and compiled."""


init.register(app)
schema.register(app)
validate.register(app)
probe.register(app)
match.register(app)
kubelet_provider.register(app)
render.register(app)
imports.register(app)
app.add_typer(provider.app, name="provider")
app.add_typer(account.app, name="account")
app.add_typer(serve.app, name="serve")


def fail(message: str) -> int:
    """One line on stderr, exit 2: the shape of every usage or I/O error (control characters escaped)."""
    from halcfg.report import printable

    print(f"halcfg: error: {printable(message)}", file=sys.stderr)
    return EXIT_USAGE


def run(args: list[str]) -> int:
    """Run the app; typer reports its own usage errors (exit 2), halcfg's errors get one line."""
    try:
        app(args=args, prog_name="halcfg", standalone_mode=True)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    except UsageError as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return fail("interrupted")
    except OSError as error:
        return fail(f"{error.filename or ''}: {error.strerror or error}".lstrip(": "))
    return 0
