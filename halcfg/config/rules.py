"""Semantic rules the schema cannot say: uniqueness, exclusive fields, files that must exist.

Each rule takes the typed Config and the opener's policy (strict or not, secrets required or
not) and yields findings located by JSON path; the check turns paths into `file:line:col`.
A rule sees an account only when the schema accepted every key the rule reads (RULES says
which), so rules can trust types, and the other rules still run on that account.
"""

from __future__ import annotations

import re
import shlex
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from halcfg.config.fields import PASSWORD_SOURCES
from halcfg.config.model import EMPTY_FILE_FIX, MISSING_FILE_FIX, PROVIDER, Account, Config, resolve_path
from halcfg.config.references import is_secret_reference
from halcfg.files import SECRET_FILE_MAX
from halcfg.findings import Finding, Location, Severity
from halcfg.registry.hosts import AddressError, CredentialsInAddress, ecr_parts, registry_key

if TYPE_CHECKING:
    from halcfg.config.opener import Policy

Rule = Callable[[Config, "Policy"], Iterator[Finding]]

NO_CATALOG = {"dockerhub": "Docker Hub", "ghcr": "GHCR"}
ECR_MAX_PAGE = 1000


def _at(account: Account, key: str | None = None) -> Location:
    path = account.key_path if key is None else (*account.key_path, *key.split("."))
    return Location(account=account.name, path=path)


def _finding(severity: Severity, code: str, account: Account, key: str | None, message: str, fix: str) -> Finding:
    return Finding(severity, code, f"account {account.name!r}: {message}", fix, _at(account, key))


def unique_names(config: Config, policy: Policy) -> Iterator[Finding]:
    first: dict[str, Account] = {}
    for account in config.accounts:
        if account.name in first:
            yield _finding(
                Severity.ERROR, "duplicate-name", account, "name",
                f"name is already used by accounts[{first[account.name].index}]",
                "give every account its own name; Spinnaker looks accounts up by name",
            )
        else:
            first[account.name] = account


def primary_account(config: Config, policy: Policy) -> Iterator[Finding]:
    if config.primary_account and config.primary_account not in config.names:
        names = ", ".join(config.names) or "none yet"
        yield Finding(
            Severity.ERROR, "primary-account",
            f"primaryAccount {config.primary_account!r} names no account",
            f"set it to one of the account names ({names}), or remove it to use the first account",
            Location(path=(*PROVIDER, "primaryAccount")),
        )


def provider_enabled(config: Config, policy: Policy) -> Iterator[Finding]:
    if config.enabled is False and config.names:
        yield Finding(
            Severity.INFO, "provider-disabled",
            "provider docker-registry is disabled (enabled: false): Spinnaker ignores its accounts "
            "and `halcfg probe` skips them unless they are named",
            "halcfg provider docker-registry enable",
            Location(path=(*PROVIDER, "enabled")),
        )


def password_sources(config: Config, policy: Policy) -> Iterator[Finding]:
    for account in config.accounts:
        sources = account.password_sources
        if len(sources) > 1:
            yield _finding(
                Severity.ERROR, "password-sources", account, sources[1],
                f"sets {' and '.join(sources)}; an account takes at most one password source",
                f"keep one of {', '.join(sources)} and delete the others",
            )
        if account.ecr is not None:
            if account.username:
                yield _finding(
                    Severity.WARNING, "ecr-username", account, "username",
                    "username is ignored with ecr: ECR tokens always authenticate as AWS",
                    "delete username",
                )
        elif account.username and not sources:
            yield _finding(
                Severity.WARNING, "username-without-password", account, "username",
                "has a username but no password source, so it will authenticate anonymously",
                "add passwordFile, passwordCommand or passwordEnv (or password), or delete username",
            )
        elif sources and not account.username:
            yield _finding(
                Severity.WARNING, "password-without-username", account, sources[0],
                f"has {sources[0]} but no username, so the password is never sent",
                "add username (for a token, the user or robot it belongs to)",
            )


def inline_password(config: Config, policy: Policy) -> Iterator[Finding]:
    for account in config.accounts:
        if account.password is not None and not is_secret_reference(account.password):
            yield _finding(
                Severity.ERROR if policy.strict else Severity.WARNING, "plaintext-secret", account, "password",
                "password is a plaintext secret in this file",
                f"move it to a file with `halcfg account edit {account.name} --password` "
                "(stored 0600 under secrets/), or use passwordCommand or passwordEnv",
            )


def secret_references(config: Config, policy: Policy) -> Iterator[Finding]:
    """kork references checked as kork parses them (config/references.py), and those halcfg
    cannot resolve named with what to do; s3 and secrets-manager ones are resolved where used."""
    from halcfg.config import references as kork

    for account in config.accounts:
        if account.ecr is not None:
            keys: tuple[str, ...] = ("password", "passwordFile")  # username is ignored with ecr (ecr-username)
        else:
            keys = tuple(kork.REFERENCE_KEYS)
        for key in keys:
            value = account.raw.get(key)
            if not kork.is_secret_reference(value):
                continue
            try:
                reference = kork.parse(value)
            except kork.MalformedReference as error:
                yield _finding(Severity.ERROR, "secret-reference-invalid", account, key, f"{key}: {error}",
                               kork.INVALID_FIX)
                continue
            if key != "passwordFile" and reference.is_file:
                code, message, fix = kork.file_as_value(key)
                yield _finding(Severity.ERROR, code, account, key, message, fix)
            elif reference.engine not in kork.RESOLVED_HERE:
                known = kork.known_engine(reference.engine)
                yield _finding(
                    Severity.INFO if known else Severity.WARNING,
                    "secret-reference-unresolved" if known else "secret-reference-unknown-engine", account, key,
                    f"{key}: halcfg does not resolve kork's {reference.engine!r} engine, so probe and the targets "
                    f"that need the {kork.REFERENCE_KEYS[key]} itself skip this account" if known else
                    f"{key}: {reference.engine!r} is not an engine of OSS kork (s3, gcs, secrets-manager, "
                    "google-secrets-manager, k8s, noop)",
                    kork.unresolvable_fix(reference, key),
                )


def repositories(config: Config, policy: Policy) -> Iterator[Finding]:
    for account in config.accounts:
        if account.repositories and account.repositories_regex is not None:
            yield _finding(
                Severity.ERROR, "repositories-exclusive", account, "repositoriesRegex",
                "sets both repositories and repositoriesRegex; Spinnaker uses only one",
                "keep repositories (an explicit list) or repositoriesRegex (a catalog filter), not both",
            )
        if account.repositories_regex is not None:
            try:
                re.compile(account.repositories_regex)
            except re.error as error:
                yield _finding(
                    Severity.ERROR, "repositories-regex", account, "repositoriesRegex",
                    f"repositoriesRegex does not compile: {error}",
                    "fix the regular expression (it is matched against catalog names such as team/app)",
                )
        kind = NO_CATALOG.get(account.registry_type)
        if kind and not account.repositories:
            yield _finding(
                Severity.WARNING, "no-catalog", account, "repositoriesRegex" if account.repositories_regex else None,
                f"{kind} has no catalog, so Spinnaker cannot find this account's repositories"
                + (" (repositoriesRegex filters the catalog)" if account.repositories_regex else ""),
                "list them with `repositories` (e.g. library/nginx); credential-only targets "
                "such as Kubernetes pull secrets do not need it",
            )


def addresses(config: Config, policy: Policy) -> Iterator[Finding]:
    hosts: dict[str, Account] = {}
    for account in config.accounts:
        try:
            address = account.parsed_address
        except CredentialsInAddress as error:
            yield _finding(
                Severity.ERROR, "address-credentials", account, "address", f"address: {error}",
                "remove user:password@ from address; put the user in `username` and the password in "
                f"`passwordFile` (or passwordCommand / passwordEnv), or run `halcfg account edit {account.name} "
                "--password-stdin`",
            )
            continue
        except AddressError as error:
            yield _finding(
                Severity.ERROR, "address", account, "address", f"address: {error}",
                "write [http(s)://]host[:port], e.g. index.docker.io, quay.io or registry.local:5000",
            )
            continue
        registry = registry_key(address, account.plain_http)
        if registry in hosts:
            yield _finding(
                Severity.WARNING, "same-registry", account, "address",
                f"uses the same registry ({registry}) as account {hosts[registry].name!r}",
                "fine for different repositories or permissions; otherwise merge the two accounts",
            )
        else:
            hosts[registry] = account
        yield from _ecr(account, address.host)


def _ecr(account: Account, host: str) -> Iterator[Finding]:
    parts = ecr_parts(host)
    if parts is None:
        return
    registry_id, region = parts
    if account.registry_type_declared not in (None, "ecr"):
        yield _finding(
            Severity.ERROR, "ecr-registry-type", account, "registryType",
            f"address is an ECR registry but registryType is {account.registry_type_declared!r}",
            "set registryType: ecr, or delete it (halcfg infers it from the address)",
        )
    ecr = account.ecr
    if ecr is not None and ecr.region and ecr.region != region:
        yield _finding(
            Severity.ERROR, "ecr-region", account, "ecr.region",
            f"ecr.region {ecr.region!r} disagrees with the address's region {region!r}",
            f"set ecr.region: {region} (or delete it: it defaults to the address's region)",
        )
    if ecr is not None and ecr.registry_id and ecr.registry_id != registry_id:
        yield _finding(
            Severity.ERROR, "ecr-registry-id", account, "ecr.registryId",
            f"ecr.registryId {ecr.registry_id!r} disagrees with the address's account {registry_id!r}",
            f"set ecr.registryId: '{registry_id}' (or delete it)",
        )
    if account.paginate_size > ECR_MAX_PAGE:
        yield _finding(
            Severity.WARNING, "ecr-page-size", account, "paginateSize",
            f"paginateSize {account.paginate_size} is over ECR's limit of {ECR_MAX_PAGE}; ECR rejects the request",
            f"set paginateSize to {ECR_MAX_PAGE} or less",
        )


def ecr_keys(config: Config, policy: Policy) -> Iterator[Finding]:
    for account in config.accounts:
        ecr = account.ecr
        if ecr is None:
            continue
        secret = ecr.secret_access_key_file or ecr.secret_access_key_env
        if ecr.secret_access_key_file and ecr.secret_access_key_env:
            yield _finding(
                Severity.ERROR, "ecr-keys", account, "ecr.secretAccessKeyEnv",
                "ecr sets both secretAccessKeyFile and secretAccessKeyEnv",
                "keep one of them",
            )
        if bool(ecr.access_key_id) != bool(secret):
            missing = "secretAccessKeyFile or secretAccessKeyEnv" if ecr.access_key_id else "accessKeyId"
            yield _finding(
                Severity.ERROR, "ecr-keys", account, "ecr",
                f"ecr static keys are incomplete: {missing} is missing",
                "give accessKeyId with one of secretAccessKeyFile/secretAccessKeyEnv, "
                "or none of them to use boto3's default credential chain",
            )


CA_FILE_MAX = 1024 * 1024  # Debian's whole CA bundle is ~220 KB
_Read = tuple[bytes, int] | OSError  # (content, st_mode) or why it could not be read


def files(config: Config, policy: Policy) -> Iterator[Finding]:
    reads: dict[Path, _Read] = {}  # accounts often share a file: read each once
    folders: set[Path] = set()  # secret folders already warned about
    for account in config.accounts:
        if account.password_file and not is_secret_reference(account.password_file):
            yield from _file(config, policy, account, "passwordFile", account.password_file, True, reads, folders)
        if account.ca_cert_file:
            yield from _file(config, policy, account, "caCertFile", account.ca_cert_file, False, reads, folders)
            if account.insecure_registry:
                yield _finding(
                    Severity.WARNING, "ca-cert-ignored", account, "caCertFile",
                    "caCertFile is ignored: insecureRegistry turns TLS verification off",
                    "delete insecureRegistry so the certificate is checked against caCertFile",
                )
        if account.ecr and account.ecr.secret_access_key_file:
            key_file = account.ecr.secret_access_key_file
            yield from _file(config, policy, account, "ecr.secretAccessKeyFile", key_file, True, reads, folders)


def required_group_membership(config: Config, policy: Policy) -> Iterator[Finding]:
    """Halyard's AccountValidator.validate warns on a non-empty requiredGroupMembership (halyard-config
    .../validate/v1/providers/AccountValidator.java), and current clouddriver no longer reads it:
    only `permissions` restrict an account (FORMATS.md §1.2), so it would be open to everyone."""
    for account in config.accounts:
        if account.required_group_membership:
            kept = "permissions apply instead" if account.raw.get("permissions") else (
                "render writes it as permissions READ and WRITE for Spinnaker")
            yield _finding(
                Severity.WARNING, "required-group-membership", account, "requiredGroupMembership",
                f"requiredGroupMembership has been deprecated, and clouddriver ignores it ({kept})",
                "move the roles to permissions: {READ: [...], WRITE: [...]} and delete requiredGroupMembership",
            )


def _read(path: Path, limit: int, reads: dict[Path, _Read]) -> tuple[bytes, int]:
    from halcfg.files import regular

    if path not in reads:
        try:
            content, info = regular.read_with_stat(path, limit)
            reads[path] = (content, info.st_mode)
        except OSError as error:
            reads[path] = error
    found = reads[path]
    if isinstance(found, OSError):
        raise found
    return found


def _file(
    config: Config, policy: Policy, account: Account, key: str, value: str, secret: bool,
    reads: dict[Path, _Read], folders: set[Path],
) -> Iterator[Finding]:
    from halcfg.files import regular

    path = resolve_path(value, config.base_dir)
    try:
        content, mode = _read(path, SECRET_FILE_MAX if secret else CA_FILE_MAX, reads)
    except FileNotFoundError:
        yield _missing(policy, account, key, value, path)
        return
    except (regular.NotRegularFile, regular.FileTooLarge) as error:
        what = "the password or key" if secret else "the PEM certificates"
        yield _finding(
            Severity.ERROR, "file-unreadable", account, key, f"{key} {value!r} {error.strerror}",
            f"point {key} at a regular file holding only {what}",
        )
        return
    except OSError as error:
        yield _finding(
            Severity.ERROR, "file-unreadable", account, key, f"{key} {value!r} cannot be read: {error.strerror}",
            f"make it readable by the user running halcfg: {chmod_fix(path, 0o600)}",
        )
        return
    if not secret:
        return
    # Modes are judged where the secrets are required (probe, render, edits, the helpers, validate
    # --require-secrets), as ssh judges a key's mode when it reads it: git checks every file out
    # 0644 whatever the deploy host's copy is, so a clone's validate has nothing to judge.
    if policy.secrets:
        yield from _open_to_others(account, key, f"{key} {value!r}", path, mode, 0o600)
    folder = config.base_dir / "secrets"
    if policy.secrets and path.parent == folder and folder not in folders:
        folders.add(folder)
        try:
            folder_mode = folder.stat().st_mode
        except OSError:
            folder_mode = 0
        yield from _open_to_others(account, key, "its folder secrets/", folder, folder_mode, 0o700)
    if not content.strip():
        yield _finding(
            Severity.WARNING, "file-empty", account, key, f"{key} {value!r} is empty", EMPTY_FILE_FIX,
        )
    elif content != content.rstrip():
        yield _finding(
            Severity.WARNING, "file-trailing-whitespace", account, key,
            f"{key} {value!r} ends in whitespace, which registries take as part of the password",
            f"strip it (the file keeps its mode): {strip_whitespace_fix(path)}",
        )


FILE_MISSING = "file-missing"  # the stage needs the file here (--require-secrets, probe, render, the servers)
FILE_ABSENT = "file-absent"  # validate on a clone without the git-ignored secrets, or away from the deploy host


def _missing(policy: Policy, account: Account, key: str, value: str, path: Path) -> Finding:
    """A file the account names is not on this machine. Where credentials are used (or with
    --require-secrets) that is an error; validate alone says so and passes, since a fresh clone
    has no git-ignored secrets/ and a deploy host's paths exist on the deploy host only. The CA
    file counts too: it is read where the credentials are, and often sits beside them."""
    if policy.secrets:
        return _finding(Severity.ERROR, FILE_MISSING, account, key, f"{key} {value!r} does not exist ({path})",
                        MISSING_FILE_FIX)
    return _finding(
        Severity.INFO, FILE_ABSENT, account, key,
        f"{key} {value!r} is not on this machine ({path}); fine where it is git-ignored or lives on the deploy host",
        f"{MISSING_FILE_FIX}; `halcfg validate --require-secrets` makes this an error, as probe and render do",
    )


def _open_to_others(account: Account, key: str, what: str, path: Path, mode: int, wanted: int) -> Iterator[Finding]:
    """ssh's rule for keys: a secret that group or others can read (or replace) is a warning."""
    if mode & 0o077:
        who = " and ".join(name for name, bits in (("group", 0o070), ("others", 0o007)) if mode & bits)
        yield _finding(
            Severity.WARNING, "file-permissions", account, key,
            f"{what} is open to {who} (mode {stat.S_IMODE(mode):04o})",
            f"keep secrets to yourself: {chmod_fix(path, wanted)}",
        )


def chmod_fix(path: Path, mode: int) -> str:
    return f"chmod {mode:o} {shlex.quote(str(path))}"


def strip_whitespace_fix(path: Path) -> str:
    """The one command that strips trailing whitespace from a password file in place: same inode,
    so the file keeps its mode and owner (a printf-and-mv would leave a new 0644 file)."""
    script = "import sys; f = open(sys.argv[1], 'r+b'); d = f.read().rstrip(); f.seek(0); f.write(d); f.truncate()"
    return f"python3 -c {shlex.quote(script)} {shlex.quote(str(path))}"


# Each rule with the account keys it reads (`ecr`: the block is there; `ecr.region`: a key in it):
# an account whose value the schema rejected at one of them is left out of that rule, and the
# other rules still see the account (one pass). A rejected block rejects every key in it.
RULES: tuple[tuple[Rule, frozenset[str]], ...] = (
    (provider_enabled, frozenset()),
    (unique_names, frozenset({"name"})),
    (primary_account, frozenset()),
    (password_sources, frozenset({*PASSWORD_SOURCES, "username"})),
    (inline_password, frozenset({"password"})),
    (secret_references, frozenset({"password", "passwordFile", "username"})),
    (repositories, frozenset({"repositories", "repositoriesRegex", "registryType", "address"})),
    (addresses, frozenset({"address", "plainHttp", "registryType", "ecr", "ecr.region", "ecr.registryId",
                           "paginateSize"})),
    (ecr_keys, frozenset({"ecr", "ecr.accessKeyId", "ecr.secretAccessKeyFile", "ecr.secretAccessKeyEnv"})),
    (files, frozenset({"passwordFile", "caCertFile", "insecureRegistry", "ecr", "ecr.secretAccessKeyFile"})),
    (required_group_membership, frozenset({"requiredGroupMembership", "permissions"})),
)


def check(config: Config, policy: Policy, rejected: Mapping[int, set[str]] | None = None) -> list[Finding]:
    """Every rule's findings; `rejected` maps an account's index to the keys the schema rejected."""
    found: list[Finding] = []
    for rule, reads in RULES:
        scoped = config
        if rejected:
            accounts = tuple(a for a in config.accounts if not _reads_rejected(reads, rejected.get(a.index)))
            scoped = replace(config, accounts=accounts) if len(accounts) < len(config.accounts) else config
        found += rule(scoped, policy)
    return found


def _reads_rejected(reads: frozenset[str], rejected: set[str] | None) -> bool:
    """Whether a rule reading `reads` reads a key in `rejected` (a rejected `ecr` covers `ecr.region`)."""
    return any(key == "*" or key == read or read.startswith(key + ".") for key in rejected or () for read in reads)
