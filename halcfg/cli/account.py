"""`halcfg account add|edit|get|list|delete`: Halyard's docker-registry account commands.

Flags keep the names and meanings of `hal config provider docker-registry account ...`; this
module turns them into an AccountPatch, hands it to the editing stage and prints the outcome.
An empty value (`--email ''`) removes a setting.
"""

from __future__ import annotations

import inspect
import sys
from typing import Annotated, Any

import typer

from halcfg.cli import account_flags as flags
from halcfg.cli.options import ConfigOption
from halcfg.config import load as loader
from halcfg.config.fields import SOURCE_BLOCKS
from halcfg.config.path import config_path
from halcfg.edit import document, secretfiles
from halcfg.edit import transaction as editing
from halcfg.edit.document import AccountPatch, Document
from halcfg.errors import UsageError

app = typer.Typer(help="Add, change, show and remove docker-registry accounts.", no_args_is_help=True)

PROBE_TIMEOUT = 60.0  # seconds; an edit holds the file's lock while it probes

Name = Annotated[str, typer.Argument(help="account name: lower-case letters, digits and dashes")]
Format = Annotated[str, typer.Option("--format", help="text, json or yaml")]

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
    "config": (str | None, ConfigOption.__metadata__[0], None),
}
# The password sources a flag can name, for "set one password source" (file-key order).
_SOURCE_FLAGS = ("--password", "--password-stdin", *(
    f.flag for f in flags.PLAIN if f.source or f.path[0] in SOURCE_BLOCKS))


def _parameters(*, editing: bool) -> list[inspect.Parameter]:
    name = inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Name)
    extra = [inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=default,
                               annotation=Annotated[kind, option])
             for key, (kind, option, default) in _PASSWORD_OPTIONS.items()]
    required = () if editing else ("address",)
    return [name, *flags.field_parameters(editing=editing, required=required), *extra]


def to_patch(name: str, values: dict[str, Any]) -> tuple[AccountPatch, editing.Secret | None, list[str]]:
    """The patch the flags ask for, the password to keep in a secret file (if any), and notes."""
    notes: list[str] = []
    password = values.get("password")
    if password is not None and password.startswith("@") and password != flags.PROMPT:
        values = {**values, "password": None, "password_file": password[1:]}  # Drone's spelling
        notes.append(f"note: --password {password} is taken as --password-file {password[1:]}")
    given = [flag for flag in _SOURCE_FLAGS if values.get(flags.param(flag)) not in (None, False)]
    if len(given) > 1:
        raise UsageError(f"set one password source, not {' and '.join(given)}")
    patch = flags.to_patch(values)
    secret = None
    if values.get("password") is not None or values.get("password_stdin"):
        typed = _read_password(values)
        if values.get("inline_password"):
            patch.values[("password",)] = typed
        else:
            patch.values[("passwordFile",)] = secretfiles.reference(name)
            secret = editing.Secret(name, typed)
    elif values.get("inline_password"):
        raise UsageError("--inline-password goes with --password or --password-stdin")
    return patch, secret, notes


def _read_password(values: dict[str, Any]) -> str:
    """The password from the flag's value, standard input or a hidden prompt."""
    given = values.get("password")
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
    patch, secret, notes = to_patch(name, values)
    for note in notes:
        typer.echo(f"halcfg: {note}", err=True)
    if not adding and patch == AccountPatch() and secret is None:
        raise UsageError("No changes supplied.")

    def change(doc: Document) -> tuple[Document, list[str]]:
        apply = document.add_account if adding else document.edit_account
        return doc, apply(doc, name, patch)

    def probe(name: str, host: str) -> None:
        typer.echo(f"halcfg: probing account {name} at {host} (up to {values['timeout']:g} s; "
                   "--no-validate skips this)", err=True)

    def attempt(probing: bool) -> editing.Result[list[str]]:
        return editing.edit(
            config_path(values["config"]), change, touched=[name], create=adding, secret=secret,
            probe=probing, probe_timeout=values["timeout"], on_probe=probe,
        )

    result = attempt(not values["no_validate"])
    if result.refused_by_probe and sys.stdin.isatty() and sys.stderr.isatty():
        typer.echo(editing.outcome(result, "")[0])
        if typer.confirm("Save it anyway?", default=False, err=True):
            result = attempt(False)
    if not result.written and not result.refused:
        typer.echo(f"Account {name} unchanged.")
        return 0
    stored = f" Its password is in {secretfiles.reference(name)} (mode 0600)." if secret else ""
    if adding:
        done = f"+ Added account {name}.{stored}"
    else:
        keys = [k for k in result.detail if not (secret and k == "passwordFile")] + (["password"] if secret else [])
        done = f"+ Edited account {name}: {', '.join(keys)}.{stored}"
    text, code = editing.outcome(result, done)
    typer.echo(text)
    return code


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
def delete(name: Name, config: ConfigOption = None) -> None:
    """Remove an account, with the comment lines right above it."""

    def change(doc: Document) -> tuple[Document, list[str]]:
        return document.delete_account(doc, name)  # the account's own secret file goes with it

    result = editing.edit(config_path(config), change)
    text, code = editing.outcome(result, "\n".join([f"- Deleted account {name}.", *result.detail]))
    typer.echo(text)
    raise typer.Exit(code)


@app.command("get")
def get(name: Name, fmt: Format = "text", config: ConfigOption = None) -> None:
    """Show one account as written; passwords are masked."""
    from halcfg.config.view import render_account

    path, accounts, primary = _read(config, fmt)
    raw = next((a for a in accounts if a.get("name") == name), None)
    if raw is None:
        raise document.unknown_account(path, name, [str(a.get("name")) for a in accounts])
    typer.echo(render_account(raw, fmt, primary=name == primary))


@app.command("list")
def list_(fmt: Format = "text", config: ConfigOption = None) -> None:
    """List the accounts (* marks the primary one); passwords are masked."""
    from halcfg.config.view import render_list

    path, accounts, primary = _read(config, fmt)
    if not accounts and fmt == "text":
        typer.echo(f"No accounts in {path}; add one with `halcfg account add`.")
        return
    typer.echo(render_list(accounts, fmt, primary=primary))


def _read(config: str | None, fmt: str) -> tuple[Any, list[dict[str, Any]], str | None]:
    """(path, raw account dicts, primary name) straight from the file, valid or not."""
    from halcfg.config.view import FORMATS

    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    path = config_path(config)
    data: Any = loader.load(path).data
    for key in ("providers", "dockerRegistry"):
        data = data.get(key) if isinstance(data, dict) else None
    data = data if isinstance(data, dict) else {}
    accounts = data.get("accounts") or []
    if not isinstance(accounts, list):
        raise UsageError(f"{path}: providers.dockerRegistry.accounts is not a list (see `halcfg validate`)")
    accounts = [a for a in accounts if isinstance(a, dict)]
    primary = data.get("primaryAccount")
    if primary is None and accounts:
        primary = accounts[0].get("name")
    return path, accounts, primary if isinstance(primary, str) else None

