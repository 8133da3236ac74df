"""`halcfg account add|edit|get|list|delete`: Halyard's docker-registry account commands.

Flags keep the names and meanings of `hal config provider docker-registry account ...`; this
module turns them into an AccountPatch, hands it to the editing stage and prints the outcome.
An empty value (`--email ''`) removes a setting.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from halcfg.cli.options import ConfigOption
from halcfg.config import load as loader
from halcfg.config.path import config_path
from halcfg.edit import document, secretfiles
from halcfg.edit import transaction as editing
from halcfg.edit.document import AccountPatch, Document
from halcfg.errors import UsageError

app = typer.Typer(help="Add, change, show and remove docker-registry accounts.", no_args_is_help=True)

PROMPT = "\0prompt"  # `--password` given no value; argv cannot hold NUL, so no typed value equals it
PROBE_TIMEOUT = 60.0  # seconds; an edit holds the file's lock while it probes
LIST_FLAGS = ("--repositories", "--read-permissions", "--write-permissions")
BOOL_FLAGS = ("--insecure-registry", "--sort-tags-by-date", "--track-digests", "--plain-http")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def halyard_argv(args: list[str]) -> list[str]:
    """Rewrite Halyard's spellings into ones click parses.

    `--repositories a b c` (every value up to the next flag, as JCommander's variable arity),
    `--track-digests true` or a bare `--track-digests`, and a bare `--password` (prompt).
    """
    out: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            out += [arg, *rest]
            break
        if arg in LIST_FLAGS and rest and not rest[0].startswith("-"):
            while rest and not rest[0].startswith("-"):
                out.append(f"{arg}={rest.pop(0)}")
        elif arg in BOOL_FLAGS:
            value = rest.pop(0) if rest and rest[0].lower() in (*_TRUE, *_FALSE) else "true"
            out.append(f"{arg}={value}")
        elif arg == "--password" and (not rest or rest[0].startswith("-")):
            out.append(f"--password={PROMPT}")
        else:
            out.append(arg)
    return out


class HalyardCommand(TyperCommand):
    """A command that also accepts Halyard's multi-value and true/false flag spellings."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, halyard_argv(args))


# ---- flags ------------------------------------------------------------------------------------

Name = Annotated[str, typer.Argument(help="account name: lower-case letters, digits and dashes")]
Text = str | None
Number = int | None
Items = list[str] | None
_LISTS = "values: --{0} a b, --{0} a,b, or the flag repeated; '' clears"
_BOOL = "true or false (a bare flag means true)"

Address = Annotated[Text, typer.Option(
    "--address", help="registry host[:port], e.g. index.docker.io, quay.io, localhost:5000")]
Repositories = Annotated[Items, typer.Option(
    "--repositories", metavar="REPOSITORY...", help="repositories to index; " + _LISTS.format("repositories"))]
RepositoriesRegex = Annotated[Text, typer.Option(
    "--repositories-regex", help="regex picking repositories from the catalog")]
Username = Annotated[Text, typer.Option("--username", help="user name to log in with")]
Password = Annotated[Text, typer.Option(
    "--password", metavar="[PASSWORD]",
    help="the password; bare: a hidden prompt, or standard input when it is not a terminal. "
    "Stored in secrets/NAME.password (0600), not in the accounts file")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="read the password from standard input")]
InlinePassword = Annotated[bool, typer.Option(
    "--inline-password", help="store the password in the accounts file itself, as Halyard does (plaintext)")]
PasswordFile = Annotated[Text, typer.Option(
    "--password-file", help="file holding the password, relative to the accounts file")]
PasswordCommand = Annotated[Text, typer.Option("--password-command", help="shell command printing the password")]
PasswordEnv = Annotated[Text, typer.Option("--password-env", help="environment variable holding the password")]
EcrRegion = Annotated[Text, typer.Option("--ecr-region", help="get the password from AWS ECR in this region")]
Email = Annotated[Text, typer.Option("--email", help="email to log in with (most registries ignore it)")]
CacheInterval = Annotated[Number, typer.Option("--cache-interval-seconds", help="seconds between re-indexing (30)")]
ClientTimeout = Annotated[Number, typer.Option("--client-timeout-millis", help="timeout of each request, ms (60000)")]
CacheThreads = Annotated[Number, typer.Option("--cache-threads", help="threads indexing this registry (1)")]
PaginateSize = Annotated[Number, typer.Option("--paginate-size", help="page size for catalog and tags (100)")]
InsecureRegistry = Annotated[Text, typer.Option(
    "--insecure-registry", metavar="[BOOL]", help="skip TLS checks; " + _BOOL)]
SortTagsByDate = Annotated[Text, typer.Option(
    "--sort-tags-by-date", metavar="[BOOL]", help="sort tags by date; " + _BOOL)]
TrackDigests = Annotated[Text, typer.Option("--track-digests", metavar="[BOOL]", help="track tag digests; " + _BOOL)]
PlainHttp = Annotated[Text, typer.Option("--plain-http", metavar="[BOOL]", help="talk HTTP, not HTTPS; " + _BOOL)]
ReadPermissions = Annotated[Items, typer.Option(
    "--read-permissions", metavar="ROLE...", help="roles that may read; " + _LISTS.format("read-permissions"))]
WritePermissions = Annotated[Items, typer.Option(
    "--write-permissions", metavar="ROLE...", help="roles that may write; " + _LISTS.format("write-permissions"))]
Environment = Annotated[Text, typer.Option("--environment", help="Spinnaker environment of the account")]
RegistryType = Annotated[Text, typer.Option(
    "--registry-type",
    help="dockerhub, ecr, gcr, artifact-registry, acr, quay, ghcr, harbor, artifactory or other "
    "(default: from the address)",
)]
CaCertFile = Annotated[Text, typer.Option("--ca-cert-file", help="PEM bundle to verify the registry's certificate")]
NoValidate = Annotated[bool, typer.Option(
    "--no-validate", help="save without probing the registry; the file is still checked")]
AddItem = Annotated[Items, typer.Option("--add-repository", metavar="REPOSITORY", help="add a repository")]
RemoveItem = Annotated[Items, typer.Option("--remove-repository", metavar="REPOSITORY", help="remove a repository")]
AddRead = Annotated[Items, typer.Option("--add-read-permission", metavar="ROLE", help="add a read role")]
RemoveRead = Annotated[Items, typer.Option("--remove-read-permission", metavar="ROLE", help="remove a read role")]
AddWrite = Annotated[Items, typer.Option("--add-write-permission", metavar="ROLE", help="add a write role")]
RemoveWrite = Annotated[Items, typer.Option("--remove-write-permission", metavar="ROLE", help="remove a write role")]
Format = Annotated[str, typer.Option("--format", help="text, json or yaml")]

_SCALARS = {  # flag field -> file key
    "address": "address", "repositories_regex": "repositoriesRegex", "username": "username",
    "password_file": "passwordFile", "password_command": "passwordCommand", "password_env": "passwordEnv",
    "email": "email", "cache_interval_seconds": "cacheIntervalSeconds", "client_timeout_millis": "clientTimeoutMillis",
    "cache_threads": "cacheThreads", "paginate_size": "paginateSize", "environment": "environment",
    "registry_type": "registryType", "ca_cert_file": "caCertFile",
}
_BOOLS = {"insecure_registry": "insecureRegistry", "sort_tags_by_date": "sortTagsByDate",
          "track_digests": "trackDigests", "plain_http": "plainHttp"}
_SOURCES = ("password", "password_stdin", "password_file", "password_command", "password_env", "ecr_region")


@dataclass
class Flags:
    """Every flag of `add` and `edit` (None: not given), as typer hands them over."""

    name: str
    config: str | None
    no_validate: bool
    address: str | None = None
    repositories: list[str] | None = None
    repositories_regex: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    password_stdin: bool = False
    inline_password: bool = False
    password_file: str | None = None
    password_command: str | None = None
    password_env: str | None = None
    ecr_region: str | None = None
    email: str | None = None
    cache_interval_seconds: int | None = None
    client_timeout_millis: int | None = None
    cache_threads: int | None = None
    paginate_size: int | None = None
    insecure_registry: str | None = None
    sort_tags_by_date: str | None = None
    track_digests: str | None = None
    plain_http: str | None = None
    read_permissions: list[str] | None = None
    write_permissions: list[str] | None = None
    environment: str | None = None
    registry_type: str | None = None
    ca_cert_file: str | None = None
    add_repository: list[str] | None = None
    remove_repository: list[str] | None = None
    add_read_permission: list[str] | None = None
    remove_read_permission: list[str] | None = None
    add_write_permission: list[str] | None = None
    remove_write_permission: list[str] | None = None

    def given(self, flag: str) -> bool:
        value = getattr(self, flag)
        return value is not None and value is not False


def to_patch(flags: Flags) -> tuple[AccountPatch, editing.Secret | None]:
    """The patch the flags ask for, and the password to keep in a secret file (if any)."""
    sources = [f"--{f.replace('_', '-')}" for f in _SOURCES if flags.given(f)]
    if len(sources) > 1:
        raise UsageError(f"set one password source, not {' and '.join(sources)}")
    patch = AccountPatch()
    for flag, key in _SCALARS.items():
        value = getattr(flags, flag)
        if value is not None:
            patch.values[(key,)] = None if value == "" else value
    for flag, key in _BOOLS.items():
        value = getattr(flags, flag)
        if value is not None:
            patch.values[(key,)] = _bool(value, flag)
    if flags.ecr_region is not None:
        patch.values[("ecr", "region")] = flags.ecr_region or None
    for path, whole, add, remove, noun in (
        (("repositories",), "repositories", "add_repository", "remove_repository", "repository"),
        (("permissions", "READ"), "read_permissions", "add_read_permission", "remove_read_permission",
         "read-permission"),
        (("permissions", "WRITE"), "write_permissions", "add_write_permission", "remove_write_permission",
         "write-permission"),
    ):
        if flags.given(whole) and (flags.given(add) or flags.given(remove)):
            raise UsageError(f"set either --{whole.replace('_', '-')} or --[add/remove]-{noun}")
        if flags.given(whole):
            patch.values[path] = _items(getattr(flags, whole)) or None
        if flags.given(add):
            patch.add[path] = _items(getattr(flags, add))
        if flags.given(remove):
            patch.remove[path] = _items(getattr(flags, remove))
    secret = None
    if flags.given("password") or flags.password_stdin:
        password = _read_password(flags)
        if flags.inline_password:
            patch.values[("password",)] = password
        else:
            patch.values[("passwordFile",)] = secretfiles.reference(flags.name)
            secret = editing.Secret(flags.name, password)
    elif flags.inline_password:
        raise UsageError("--inline-password goes with --password or --password-stdin")
    return patch, secret


def _bool(value: str, flag: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise UsageError(f"--{flag.replace('_', '-')} takes true or false, not {value!r}")


def _items(values: list[str]) -> list[str]:
    """`a,b` and repeated flags alike; empty pieces dropped (so '' means none)."""
    return list(dict.fromkeys(item.strip() for value in values for item in value.split(",") if item.strip()))


def _read_password(flags: Flags) -> str:
    """The password from the flag's value, standard input or a hidden prompt."""
    if flags.password not in (None, PROMPT):
        typer.echo("halcfg: warning: a password on the command line shows in shell history and `ps`; "
                   "prefer the prompt or --password-stdin", err=True)
        password = flags.password
    elif flags.password_stdin or not sys.stdin.isatty():
        password = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    else:
        password = typer.prompt("Password", hide_input=True, err=True)
    if not password:
        raise UsageError("the password is empty")
    return password


# ---- commands ---------------------------------------------------------------------------------


def _save(flags: Flags, *, adding: bool) -> int:
    patch, secret = to_patch(flags)
    name = flags.name
    if not adding and patch == AccountPatch() and secret is None:
        raise UsageError("No changes supplied.")

    def change(doc: Document) -> tuple[Document, list[str]]:
        apply = document.add_account if adding else document.edit_account
        return doc, apply(doc, name, patch)

    result = editing.edit(
        config_path(flags.config), change, touched=[name], create=adding, secret=secret,
        probe=not flags.no_validate, probe_timeout=PROBE_TIMEOUT,
    )
    if not adding and not result.written and not result.refused:
        raise UsageError("No changes supplied.")
    stored = f" Its password is in {secretfiles.reference(name)} (mode 0600)." if secret else ""
    if adding:
        done = f"+ Added account {name}.{stored}"
    else:
        keys = [k for k in result.detail if not (secret and k == "passwordFile")] + (["password"] if secret else [])
        done = f"+ Edited account {name}: {', '.join(keys)}.{stored}"
    text, code = editing.outcome(result, done)
    typer.echo(text)
    return code


@app.command("add", cls=HalyardCommand)
def add(
    name: Name,
    address: Annotated[str, typer.Option("--address", help="registry host[:port], e.g. index.docker.io, quay.io")],
    repositories: Repositories = None, repositories_regex: RepositoriesRegex = None, username: Username = None,
    password: Password = None, password_stdin: PasswordStdin = False, inline_password: InlinePassword = False,
    password_file: PasswordFile = None, password_command: PasswordCommand = None, password_env: PasswordEnv = None,
    ecr_region: EcrRegion = None, email: Email = None, cache_interval_seconds: CacheInterval = None,
    client_timeout_millis: ClientTimeout = None, cache_threads: CacheThreads = None,
    paginate_size: PaginateSize = None, insecure_registry: InsecureRegistry = None,
    sort_tags_by_date: SortTagsByDate = None, track_digests: TrackDigests = None, plain_http: PlainHttp = None,
    read_permissions: ReadPermissions = None, write_permissions: WritePermissions = None,
    environment: Environment = None, registry_type: RegistryType = None, ca_cert_file: CaCertFile = None,
    no_validate: NoValidate = False, config: ConfigOption = None,
) -> None:
    """Add an account (creating the accounts file if there is none), then probe it."""
    raise typer.Exit(_save(Flags(**locals()), adding=True))


@app.command("edit", cls=HalyardCommand)
def edit(
    name: Name, address: Address = None,
    repositories: Repositories = None, repositories_regex: RepositoriesRegex = None, username: Username = None,
    password: Password = None, password_stdin: PasswordStdin = False, inline_password: InlinePassword = False,
    password_file: PasswordFile = None, password_command: PasswordCommand = None, password_env: PasswordEnv = None,
    ecr_region: EcrRegion = None, email: Email = None, cache_interval_seconds: CacheInterval = None,
    client_timeout_millis: ClientTimeout = None, cache_threads: CacheThreads = None,
    paginate_size: PaginateSize = None, insecure_registry: InsecureRegistry = None,
    sort_tags_by_date: SortTagsByDate = None, track_digests: TrackDigests = None, plain_http: PlainHttp = None,
    read_permissions: ReadPermissions = None, write_permissions: WritePermissions = None,
    environment: Environment = None, registry_type: RegistryType = None, ca_cert_file: CaCertFile = None,
    add_repository: AddItem = None, remove_repository: RemoveItem = None,
    add_read_permission: AddRead = None, remove_read_permission: RemoveRead = None,
    add_write_permission: AddWrite = None, remove_write_permission: RemoveWrite = None,
    no_validate: NoValidate = False, config: ConfigOption = None,
) -> None:
    """Change an account: flags not given stay as they are (repositoriesRegex too), one password
    source replaces the others, then the account is probed."""
    raise typer.Exit(_save(Flags(**locals()), adding=False))


@app.command("delete")
def delete(name: Name, config: ConfigOption = None) -> None:
    """Remove an account, with the comment lines right above it."""

    def change(doc: Document) -> tuple[Document, list[str]]:
        password_file = document.find_account(doc, name)[1].get("passwordFile")
        result, notes = document.delete_account(doc, name)
        if password_file == secretfiles.reference(name):
            notes.append(f"{password_file} is left in place; delete it when no longer needed")
        return result, notes

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

