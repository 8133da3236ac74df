"""Target `spinnaker`: clouddriver-local.yml with the `dockerRegistry` block exactly as clouddriver
binds it (FORMATS.md §1.1-1.3), and igor-local.yml turning igor's docker trigger on (§1.5).

Also the account shape `halconfig` and `spinnaker_operator` reuse: unset keys are omitted (newer
clouddriver rejects `password: ""` beside `passwordFile`), the address carries its scheme, and
passwordFile / passwordCommand stay references because clouddriver runs them itself.

Current kork-docker reads a passwordFile's first line only, trimmed
(kork/kork-docker/.../DockerBearerTokenService.java, resolvePasswordFromFile: `reader.readLine().trim()`),
while older clouddriver read it whole: a password file that works on both is one line, so a
multi-line one (a GCR `_json_key` as Google hands it out) is an error with its compact copy as the fix.
`requiredGroupMembership` is no longer read by clouddriver (only `permissions`), so it is rendered
as `permissions` READ and WRITE unless permissions are set.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from halcfg.config.model import Account, resolve_path
from halcfg.config.references import is_secret_reference
from halcfg.config.rules import NO_CATALOG
from halcfg.files import SECRET_FILE_MAX, regular
from halcfg.findings import Severity
from halcfg.registry.hosts import account_key, ecr_parts
from halcfg.render.target import Job

# ManagedAccount keys copied as written, in clouddriver's field order; the password keys come from
# a `PasswordFields` strategy instead.
_PLAIN_KEYS = ("environment", "email", "repositories", "repositoriesRegex", "cacheIntervalSeconds",
               "clientTimeoutMillis", "cacheThreads", "paginateSize", "sortTagsByDate", "trackDigests",
               "insecureRegistry")

PasswordFields = Callable[[Job, Account], dict[str, Any]]


def context(job: Job) -> dict[str, Any]:
    if job.options.k8s_secrets:
        return k8s_secrets_context(job)
    strategy = inline_password if job.options.inline_secrets else referenced_password
    return {"dockerRegistry": {"enabled": job.config.enabled, "accounts": clouddriver_accounts(job, strategy)},
            "secrets": []}


def k8s_secrets_context(job: Job) -> dict[str, Any]:
    """--k8s-secrets: passwords in a Secret beside clouddriver, read by OSS Spinnaker's own `k8s`
    engine (spinnaker/spinnaker kork/kork-secrets-k8s KubernetesSecretEngine: params `n`, `k` and
    `ns`, which it uses only outside a pod; enabled by `spinnaker.secrets.kubernetes.enabled`)."""
    from halcfg.render.spinnaker_operator import namespace_option, secret_manifest, secret_reference

    data: dict[str, str] = {}
    namespace = namespace_option(job, None)
    tail = f"!ns:{namespace}" if namespace else ""
    accounts = clouddriver_accounts(job, lambda job, account: secret_reference(job, account, data, tail))
    job.finding(
        Severity.INFO, "kork-secrets-k8s", None,
        "passwords are encrypted:k8s references to the Secret in secret.yml, which clouddriver reads through "
        "kork-secrets-k8s only when spinnaker.secrets.kubernetes.enabled is true",
        "Add `spinnaker: {secrets: {kubernetes: {enabled: true}}}` to clouddriver-local.yml, apply secret.yml in "
        "clouddriver's namespace and let its service account get that Secret.",
    )
    return {"dockerRegistry": {"enabled": job.config.enabled, "accounts": accounts},
            "secrets": [secret_manifest(namespace, data)]}


def clouddriver_accounts(job: Job, password_fields: PasswordFields) -> list[dict[str, Any]]:
    """The accounts as clouddriver's ManagedAccount list; no-catalog registries are errors here."""
    accounts = []
    for account in job.accounts:
        address = account_key(account, "clouddriver")
        if address is None:
            continue  # validate reports the address; the check before rendering stopped on it
        kind = NO_CATALOG.get(account.registry_type)
        if kind and not account.repositories:
            job.finding(
                Severity.ERROR, "no-catalog", account,
                f"{kind} has no catalog, so clouddriver cannot index this account without `repositories`",
                "List the repositories Spinnaker should see (e.g. library/nginx).",
            )
        entry: dict[str, Any] = {"name": account.name, "address": address}
        if account.username is not None:
            entry["username"] = account.username
        entry.update(password_fields(job, account))
        entry.update((key, account.raw[key]) for key in _PLAIN_KEYS if key in account.raw)
        permissions = account_permissions(account)
        if permissions is not None:
            entry["permissions"] = permissions
        accounts.append(entry)
    return accounts


def account_permissions(account: Account) -> dict[str, Any] | None:
    """`permissions` as written, else requiredGroupMembership's roles for READ and WRITE: what
    Halyard's old field meant, in the only field clouddriver still reads (validate warns)."""
    if "permissions" in account.raw:
        permissions: dict[str, Any] = account.raw["permissions"]
        return permissions
    roles = list(account.required_group_membership)
    return {"READ": roles, "WRITE": roles} if roles else None


def referenced_password(job: Job, account: Account) -> dict[str, Any]:
    """Password keys that leave the secret where it is: clouddriver reads the file or runs the command."""
    if account.ecr is not None:
        return ecr_command(job, account)
    if account.password is not None:
        return {"password": account.password}
    if account.password_file:
        if not account.password_file.startswith(("/", "~")) and not is_secret_reference(account.password_file):
            job.finding(
                Severity.INFO, "relative-password-file", account,
                f"passwordFile {account.password_file} is relative; clouddriver resolves it against its own "
                "working directory",
                "Mount the file into clouddriver and give its absolute path, or render with --inline-secrets.",
            )
        if not is_secret_reference(account.password_file):
            multi_line_password_file(job, account)
        return {"passwordFile": account.password_file}
    if account.password_command:
        relative_command_paths(job, account)
        return {"passwordCommand": account.password_command}
    if account.password_env:
        job.finding(
            Severity.INFO, "password-env-placeholder", account,
            f"password is the placeholder ${{{account.password_env}}}, which Spring resolves from "
            "clouddriver's environment",
            f"Give clouddriver's container the variable {account.password_env}, or render with --inline-secrets.",
        )
        return {"password": f"${{{account.password_env}}}"}
    return {}


def multi_line_password_file(job: Job, account: Account) -> None:
    """ERROR when the passwordFile (if readable here) holds more than one line: kork-docker's
    resolvePasswordFromFile would send only its first line (`{` of a JSON key)."""
    assert account.password_file is not None
    path = resolve_path(account.password_file, job.config.base_dir)
    try:
        text = regular.read(path, SECRET_FILE_MAX).decode("utf-8", "replace")
    except OSError:
        return  # not on this host (Halyard's paths often are not); validate says so when it matters
    if "\n" not in text.rstrip("\r\n") and "\r" not in text.rstrip("\r\n"):
        return
    job.finding(
        Severity.ERROR, "password-file-lines", account,
        f"passwordFile {account.password_file} has {len(text.splitlines())} lines; current clouddriver "
        "(kork-docker) reads only the first, trimmed, and logs in with that",
        "Point passwordFile at a one-line copy (the same JSON, compact, no trailing newline): "
        + compact_json_command(path) + ", or render with --inline-secrets.",
    )


def compact_json_command(path: Path) -> str:
    """The one command that writes a compact, one-line copy of a JSON key beside it."""
    target = path.with_name(path.stem + "-oneline" + (path.suffix or ".json"))
    script = ("import json, sys; key = json.load(open(sys.argv[1])); "
              "open(sys.argv[2], 'w').write(json.dumps(key, separators=(',', ':')))")
    return f"python3 -c {shlex.quote(script)} {shlex.quote(str(path))} {shlex.quote(str(target))}"


def relative_command_paths(job: Job, account: Account) -> None:
    """WARNING for each relative path in a passwordCommand: halcfg runs it in the accounts file's
    folder, clouddriver (`bash -c` in DockerBearerTokenService.resolvePasswordFromCommand) and the
    operator's validator in their own working directories, where the path names nothing."""
    assert account.password_command is not None
    try:
        words = shlex.split(account.password_command)
    except ValueError:
        words = account.password_command.split()
    for word in words:
        value = word.partition("=")[2] if word.startswith("-") else word
        if "/" in value and "://" not in value and not value.startswith(("/", "~", "$")):
            job.finding(
                Severity.WARNING, "relative-password-command", account,
                f"passwordCommand names the relative path {value}; halcfg runs it in the accounts file's folder, "
                "clouddriver in its own working directory",
                f"Give {value} as an absolute path that exists in clouddriver's container.",
            )


def inline_password(job: Job, account: Account) -> dict[str, Any]:
    """--inline-secrets: the resolved username and password, written into the file."""
    if not account.password_sources:
        return {}
    credential = job.credential(account)
    if credential is None:
        return {}
    return {"username": credential.username, "password": credential.password}


def ecr_command(job: Job, account: Account) -> dict[str, Any]:
    """clouddriver has no ECR client: a passwordCommand with the aws CLI is Spinnaker's documented way."""
    ecr = account.ecr
    assert ecr is not None
    parts = ecr_parts(account.host) if account.host else None
    region = ecr.region or (parts[1] if parts else None)
    command = ["aws", "ecr", "get-login-password"]
    if region:
        command += ["--region", region]
    if ecr.profile:
        command += ["--profile", ecr.profile]
    if ecr.endpoint_url:
        command += ["--endpoint-url", ecr.endpoint_url]
    job.finding(
        Severity.INFO, "ecr-password-command", account,
        "ECR as a passwordCommand running the aws CLI in clouddriver's container"
        + (" (ecr.accessKeyId is not passed: give clouddriver an AWS identity)" if ecr.access_key_id else ""),
        "Make sure clouddriver's image has the aws CLI and an AWS identity with ecr:GetAuthorizationToken.",
    )
    return {"username": "AWS", "passwordCommand": " ".join(command)}
