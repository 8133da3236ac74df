"""`halcfg account add|edit|get|list|delete`: Halyard's docker-registry account commands.

Flags keep the names and meanings of `hal config provider docker-registry account ...`; this
module turns them into an AccountPatch, hands it to the editing stage and prints the outcome.
An empty value (`--email ''`) removes a setting.
"""

from __future__ import annotations

import inspect
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from halcfg import report
from halcfg.cli import account_flags as flags
from halcfg.cli.options import CONFIG_OPTION, ConfigOption, Group, account_names
from halcfg.config.fields import SOURCE_BLOCKS
from halcfg.config.path import config_path
from halcfg.edit.patch import AccountPatch
from halcfg.errors import UsageError
from halcfg.findings import StageResult

if TYPE_CHECKING:
    from halcfg.edit.transaction import Edited

app = typer.Typer(help="Add, change, show and remove docker-registry accounts.", no_args_is_help=True,
                  rich_markup_mode=None, cls=Group)

PROBE_TIMEOUT = 60.0  # seconds; an edit holds the file's lock while it probes

Name = Annotated[str, typer.Argument(help="account name: lower-case letters, digits and dashes")]
Existing = Annotated[str, typer.Argument(help="the account's name", autocompletion=account_names)]

# What `add` and `edit` take besides the field flags: the password, probing, the file.
_PASSWORD_OPTIONS = {
    "password": (str | None, typer.Option(
        "--password", metavar="[PASSWORD]",
        help="the password; bare: a hidden prompt, or standard input when it is not a terminal; "
        "@FILE: --password-file FILE. Stored in secrets/NAME.password (0600), not in the accounts file"), None),
    "password_stdin": (bool, typer.Option("--password-stdin", help="read the password from standard input"), False),
    "inline_password": (bool, typer.Option(
        "--inline-password", help="store the password in the accounts file itself, as Halyard does (plaintext)"),
        False),
    "no_validate": (bool, typer.Option(
        "--no-validate", help="save without probing the registry; the file is still checked"), False),
    "timeout": (float, typer.Option(
        "--timeout", min=0.1, help=f"seconds the probe of the account may take (default {PROBE_TIMEOUT:g})"),
        PROBE_TIMEOUT),
    "config": (str | None, CONFIG_OPTION, None),
}
# flag -> the password source it sets, for "set one password source" (file-key order); the
# fields of a source block (--ecr-region, --ecr-profile, ...) together name one source
_SOURCE_FLAGS = {"--password": "password", "--password-stdin": "password", **{
    f.flag: f.path[0] for f in flags.PLAIN if f.flag and (f.source or f.path[0] in SOURCE_BLOCKS)}}


def _parameters(*, editing: bool) -> list[inspect.Parameter]:
    name = inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Existing if editing else Name)
    extra = [inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=default,
                               annotation=Annotated[kind, option])
             for key, (kind, option, default) in _PASSWORD_OPTIONS.items()]
    required = () if editing else ("address",)
    return [name, *flags.field_parameters(editing=editing, required=required), *extra]


def _password_flags(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The flag values with Drone's `--password @FILE` read as `--password-file FILE`, and notes."""
    password = values.get("password")
    if password is None or password == flags.PROMPT or not password.startswith("@"):
        return values, []
    note = f"--password {password} is taken as --password-file {password[1:]}"
    return {**values, "password": None, "password_file": password[1:]}, [note]


def _read_password(values: dict[str, Any]) -> str | None:
    """The password from the flag's value, standard input or a hidden prompt; None: not asked."""
    given = values.get("password")
    if given is None and not values.get("password_stdin"):
        if values.get("inline_password"):
            raise UsageError("--inline-password goes with --password or --password-stdin")
        return None
    if given not in (None, flags.PROMPT):
        typer.echo("halcfg: warning: a password on the command line shows in shell history and `ps`; "
                   "prefer the prompt or --password-stdin", err=True)
        password = given
    elif values.get("password_stdin") or not sys.stdin.isatty():
        password = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    else:
        password = typer.prompt("Password", hide_input=True, err=True)
    if not password:
        raise UsageError("the password is empty")
    return password


# ---- commands ---------------------------------------------------------------------------------


def _save(name: str, values: dict[str, Any], *, adding: bool) -> int:
    values, notes = _password_flags(values)
    for note in notes:
        typer.echo(f"halcfg: note: {note}", err=True)
    given: dict[str, str] = {}  # source -> the first flag that sets it ('' unsets: no source)
    for flag, source in _SOURCE_FLAGS.items():
        if values.get(flags.param(flag)) not in (None, False, ""):
            given.setdefault(source, flag)
    if len(given) > 1:
        raise UsageError(f"set one password source, not {' and '.join(given.values())}")
    patch = flags.to_patch(values)
    password = _read_password(values)
    if not adding and patch == AccountPatch() and password is None:
        raise UsageError("No changes supplied.")

    def probing(account: str, address: str) -> None:
        typer.echo(f"halcfg: probing account {account} at {address} (up to {values['timeout']:g} s; "
                   "--no-validate skips this)", err=True)

    from halcfg.edit import accounts, secretfiles  # ruamel: only for the commands that edit

    def attempt(probe: bool) -> StageResult[Edited[list[str]]]:
        return accounts.save_account(
            config_path(values["config"]), name, patch, adding=adding, password=password,
            inline=values["inline_password"], probe=probe, timeout=values["timeout"], on_probe=probing)

    result = attempt(not values["no_validate"])
    color = report.color_wanted(sys.stdout)
    if result.payload.refused_by_probe and sys.stdin.isatty() and sys.stderr.isatty():
        # one question instead of "run it again with --no-validate", and each finding shown once
        shown = list(result.findings)
        typer.echo(report.render_text(shown, color=color))
        if not typer.confirm("The registry refused it (above). Save it anyway?", default=False, err=True):
            typer.echo("Not saved; the file is unchanged.")
            return result.exit_code  # refused: 1
        result = attempt(False)
        said = {(f.code, f.message) for f in shown}  # shown at the user's file's places, found again at the new ones
        result.findings = [f for f in result.findings if (f.code, f.message) not in said]
    if not result.payload.written and not result.failed:
        typer.echo(f"Account {name} unchanged.")
        return result.exit_code  # 0: an edit that is not refused has no errors
    stored = f" Its password is in {secretfiles.reference(name)} (mode 0600)." if (
        password is not None and not values["inline_password"]) else ""
    done = (f"+ Added account {name}.{stored}" if adding
            else f"+ Edited account {name}: {', '.join(result.payload.detail)}.{stored}")
    typer.echo(report.render_edit(result, done, color=color))
    return result.exit_code


def _add(name: str, **values: Any) -> None:
    """Add an account (creating the accounts file if there is none), then probe it."""
    raise typer.Exit(_save(name, values, adding=True))


def _edit(name: str, **values: Any) -> None:
    """Change an account: flags not given stay as they are (repositoriesRegex too), one password
    source replaces the others, then the account is probed."""
    raise typer.Exit(_save(name, values, adding=False))


app.command("add", cls=flags.HalyardCommand)(flags.command(_add, _parameters(editing=False)))
app.command("edit", cls=flags.HalyardCommand)(flags.command(_edit, _parameters(editing=True)))


@app.command("delete")
def delete(name: Existing, config: ConfigOption = None) -> None:
    """Remove an account, with the comment lines right above it."""
    from halcfg.edit import accounts

    result = accounts.delete_account(config_path(config), name)
    done = "\n".join([f"- Deleted account {name}.", *result.payload.detail])
    typer.echo(report.render_edit(result, done, color=report.color_wanted(sys.stdout)))
    raise typer.Exit(result.exit_code)
