"""The typer application: a table of commands, each imported only when it runs.

Each command module under `halcfg.cli` owns its flags and calls one stage; this module lists
them, with the one-line description `halcfg --help` shows, so `--help`, `--version` and
`account list` import nothing they do not use (not the probe, requests or boto3). It also
makes sure no exception reaches the user as a traceback.

A module offers either `app` (a typer group, e.g. `account`) or `register(app)` (adds its one
command). To add a command, add its row to COMMANDS.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import typer

from halcfg import __version__
from halcfg.cli.options import Group
from halcfg.errors import UsageError

# name -> (module under halcfg.cli, the description `halcfg --help` lists)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init", "Write a starter accounts file; an existing file is never replaced."),
    "validate": ("validate", "Check accounts files offline: JSON Schema plus halcfg's rules."),
    "probe": ("probe", "Check each account against its registry's v2 API."),
    "match": ("match", "Say which account's credentials each image reference gets, and why."),
    "import": ("imports", "Import registry accounts from Halyard, Drone, docker or Kubernetes files."),
    "render": ("render", "Compile the accounts into Spinnaker, Operator, Drone, Kubernetes, docker and kubelet files."),
    "serve": ("serve", "Serve credentials at pull time."),
    "account": ("account", "Add, change, show and remove docker-registry accounts."),
    "provider": ("provider", "Turn providers on and off, and set their options."),
    "schema": ("schema", "Print the accounts file's JSON Schema (draft 2020-12)."),
    "completion": ("completion", "Print the shell completion script for bash, zsh or fish."),
    "kubelet-credential-provider": ("kubelet_provider", "The kubelet's image credential provider plugin."),
}
COMPLETE_VAR = "_HALCFG_COMPLETE"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class LazyGroup(Group):
    """A group that imports a command's module only when that command is asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, name: str) -> Any:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"halcfg.cli.{COMMANDS[name][0]}")
        if hasattr(module, "app"):
            command = typer.main.get_group(module.app)
        else:
            holder = typer.Typer(rich_markup_mode=None, add_completion=False)
            module.register(holder)
            command = typer.main.get_command(holder)
        command.name = name
        _plain_help(command)
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list from the table: no module is imported to describe its command."""
        with formatter.section("Commands"):
            formatter.write_dl(list((name, help_text) for name, (_, help_text) in COMMANDS.items()))


def _plain_help(command: Any) -> None:
    """One help style: plain text (no rich panels) for the command and everything under it."""
    command.rich_markup_mode = None
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)


app = typer.Typer(
    name="halcfg",
    cls=LazyGroup,
    help="Declare, check and compile container-registry credentials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
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


def fail(message: str) -> int:
    """One line on stderr, exit 2: the shape of every usage or I/O error (control characters escaped)."""
    from halcfg.report import error

    return error(message)


def run(args: list[str]) -> int:
    """Run the app; typer reports its own usage errors (exit 2), halcfg's errors get one line."""
    if os.environ.get(COMPLETE_VAR):  # the shell asks for completions (see cli/completion.py)
        from typer._completion_classes import completion_init

        completion_init()
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
