"""The one protocol every target follows, and what a target is handed: a Job.

A target is a module with `context(job) -> dict`: plain data (dicts, lists, strings) for its
templates. It reads accounts and options from the job, asks `job.credential()` only when it needs
plaintext, and reports through `job.finding()`. Templates get this context merged over the one
every target shares (`base_context`), so a custom template can use either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from halcfg.config.model import Account, Config
from halcfg.credentials.resolve import Credential
from halcfg.findings import Finding, Location, Severity
from halcfg.registry.hosts import account_key
from halcfg.render.encode import one_line
from halcfg.render.secrets import SecretResolver


@dataclass(frozen=True)
class RenderOptions:
    targets: tuple[str, ...]
    accounts: tuple[str, ...] = ()  # only these accounts (default: all)
    inline_secrets: bool = False  # spinnaker, halconfig: resolve passwords instead of referencing them
    inline_ecr: bool = False  # docker-config: ECR tokens in `auths` instead of the ecr-login helper
    combined: bool = False  # kubernetes: one Secret for every account
    deployment: str | None = None  # halconfig deployment / SpinnakerService name
    helper: str | None = None  # docker-config: credHelpers naming this helper for every account
    namespace: str | None = None  # kubernetes: namespace for accounts that name none
    labels: tuple[tuple[str, str], ...] = ()  # kubernetes: labels on every Secret
    secret_name: str | None = None  # kubernetes --combined: the Secret's name
    k8s_secrets: bool = False  # spinnaker: passwords in a Secret, as OSS kork-secrets-k8s references
    operator_validation: bool = True  # spinnaker-operator: False writes spec.validation.providers.docker off
    gitignore: bool = True  # --out DIR: a .gitignore naming the files that hold secrets in their folder
    time_limit: float = 30.0  # seconds the templates may take, all together


@dataclass
class Job:
    """One target's view of a render run."""

    target: str
    config: Config
    accounts: list[Account]
    options: RenderOptions
    resolver: SecretResolver
    findings: list[Finding] = field(default_factory=list)

    @property
    def primary(self) -> str | None:
        """primaryAccount (Halyard's default: the first), if it is among the accounts rendered."""
        primary = self.config.primary
        return primary.name if primary is not None and primary in self.accounts else None

    def credential(self, account: Account, *, username: bool = True) -> Credential | None:
        """The account's resolved credential; `username` False keeps a username reference as written."""
        return self.resolver.get(account, username=username)

    def finding(self, severity: Severity, code: str, account: Account | None, message: str, fix: str = "") -> None:
        where = Location(account=account.name, path=account.key_path) if account else Location()
        prefix = f"account {account.name!r}: " if account else ""
        self.findings.append(Finding(severity, code, prefix + message, fix, where))


class Target(Protocol):
    """What `targets.TARGETS` lists: a module (or object) turning a job into template data."""

    def context(self, job: Job) -> dict[str, Any]: ...


def base_context(job: Job, with_credentials: bool) -> dict[str, Any]:
    """What every template sees: the accounts as written, plus hosts as each consumer spells them;
    `credential` {username, password} only when the manifest asks for credentials."""
    accounts = []
    for account in job.accounts:
        view: dict[str, Any] = {
            **account.raw,
            "registryType": account.registry_type,
            "hosts": {consumer: account_key(account, consumer) for consumer in ("docker", "drone", "kubelet")},
        }
        if with_credentials:
            credential = job.credential(account)
            view["credential"] = (
                None if credential is None else {"username": credential.username, "password": credential.password}
            )
        accounts.append(view)
    return {
        "source": one_line(job.config.path.name),  # for header comments: a newline cannot end the comment
        "enabled": job.config.enabled,
        "primaryAccount": job.primary,
        "accounts": accounts,
    }
