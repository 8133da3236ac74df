"""Target `spinnaker`: clouddriver-local.yml with the `dockerRegistry` block exactly as clouddriver
binds it (FORMATS.md §1.1-1.3), and igor-local.yml turning igor's docker trigger on (§1.5).

Also the account shape `halconfig` and `spinnaker_operator` reuse: unset keys are omitted (newer
clouddriver rejects `password: ""` beside `passwordFile`), the address carries its scheme, and
passwordFile / passwordCommand stay references because clouddriver runs them itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from halcfg.config.model import Account
from halcfg.config.references import is_secret_reference
from halcfg.config.rules import NO_CATALOG
from halcfg.findings import Severity
from halcfg.registry.hosts import account_key, ecr_parts
from halcfg.render.target import Job

# ManagedAccount keys copied as written, in clouddriver's field order; the password keys come from
# a `PasswordFields` strategy instead.
_PLAIN_KEYS = ("environment", "email", "repositories", "repositoriesRegex", "cacheIntervalSeconds",
               "clientTimeoutMillis", "cacheThreads", "paginateSize", "sortTagsByDate", "trackDigests",
               "insecureRegistry", "permissions")

PasswordFields = Callable[[Job, Account], dict[str, Any]]


def context(job: Job) -> dict[str, Any]:
    strategy = inline_password if job.options.inline_secrets else referenced_password
    return {"dockerRegistry": {"enabled": job.config.enabled, "accounts": clouddriver_accounts(job, strategy)}}


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
        accounts.append(entry)
    return accounts


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
        return {"passwordFile": account.password_file}
    if account.password_command:
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
