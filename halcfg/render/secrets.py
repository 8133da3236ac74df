"""Plaintext credentials for the targets that need them, resolved once per account per run.
A username resolved from a kork reference is one of the secrets handed out: files that hold it are
masked when shown, like its password.

Failures and short-lived tokens become findings here, once per account however many targets ask;
every value handed out is remembered so the stage can redact it from whatever it prints.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from halcfg.config.model import Account
from halcfg.credentials.ecr import secret_access_key
from halcfg.credentials.lifetime import remaining, utc
from halcfg.credentials.resolve import Credential, CredentialError, kork_reference, resolve, username_reference
from halcfg.findings import Finding, Location, Severity
from halcfg.redact import credential_secrets
from halcfg.render.encode import docker_auth, go_json

_PREFETCH_THREADS = 8  # passwordCommand and ECR wait on other processes, not on this one


class SecretResolver:
    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.findings: list[Finding] = []
        # by (account name, whether a username reference is resolved too: a Spinnaker target keeps it)
        self._done: dict[tuple[str, bool], Credential | None] = {}
        self._extra: list[str] = []  # secrets handed out besides passwords (static AWS keys)
        self.handed_out = 0  # secrets given to targets so far: a target that got one holds credentials

    def prefetch(self, accounts: list[Account]) -> None:
        """Resolve many accounts at once: commands, ECR and kork calls overlap instead of queueing
        (files and variables are read when asked for: a thread would cost more than the read)."""
        slow = [a for a in accounts if a.password_command or a.ecr is not None or kork_reference(a) is not None
                or username_reference(a) is not None]
        todo = [a for a in slow if (a.name, True) not in self._done]
        if len(todo) > 1:
            with ThreadPoolExecutor(_PREFETCH_THREADS) as pool:
                for account, outcome in zip(todo, pool.map(self._attempt, todo), strict=True):
                    self._record(account, outcome, True)

    def get(self, account: Account, *, username: bool = True) -> Credential | None:
        """The account's credential with a password, or None (and a finding) when there is none.
        `username` False: a username reference stays as written (neither fetched nor able to fail)."""
        key = (account.name, username or username_reference(account) is None)
        if key not in self._done:
            self._record(account, self._attempt(account, key[1]), key[1])
        credential = self._done[key]
        self.handed_out += credential is not None
        return credential

    def ecr_secret_access_key(self, account: Account) -> str | None:
        """The account's static AWS secret key (None without ecr.accessKeyId); CredentialError if unreadable."""
        if account.ecr is None:
            return None
        secret = secret_access_key(account.ecr, self.base_dir)
        if secret:
            self._extra.append(secret)
            self.handed_out += 1
        return secret

    def secrets(self) -> list[str]:
        """Every form in which a resolved secret may appear in rendered bytes."""
        forms: list[str] = [*self._extra]
        for credential in self._done.values():
            if credential is not None and credential.password:
                password = credential.password
                forms += [*credential_secrets(credential.username, password),
                          docker_auth(credential.username, password), go_json(password)[1:-1]]
                if credential.secret_username and credential.username:  # read from a secret store: masked too
                    forms += [credential.username, go_json(credential.username)[1:-1]]
        return forms

    def _attempt(self, account: Account, username: bool = True) -> Credential | CredentialError:
        try:
            return resolve(account, self.base_dir, username=username)
        except CredentialError as error:
            return error

    def _record(self, account: Account, outcome: Credential | CredentialError, username: bool) -> None:
        key = (account.name, username)
        where = Location(account=account.name, path=account.key_path)
        if isinstance(outcome, CredentialError):
            self._done[key] = None
            self.findings.append(Finding(
                Severity.ERROR, outcome.code, f"account {account.name!r}: {outcome.message}; not rendered",
                outcome.remediation, where,
            ))
            return
        if outcome.password is None:
            self._done[key] = None
            self.findings.append(Finding(
                Severity.WARNING, "render-no-credentials",
                f"account {account.name!r} has no password source; left out of files that hold credentials",
                "Add passwordFile, passwordCommand or passwordEnv if the registry needs a login.", where,
            ))
            return
        self._done[key] = outcome
        if outcome.expires_at is not None:
            self.findings.append(Finding(
                Severity.WARNING, "render-short-lived-token",
                f"account {account.name!r}: its ECR token, rendered into a static file, expires at "
                f"{utc(outcome.expires_at)} ({remaining(outcome.expires_at)})",
                "Let the consumer fetch tokens at pull time instead: docker-credential-halcfg "
                "(docker-config --helper halcfg, or ECR's ecr-login helper) or the kubelet plugin "
                "`halcfg kubelet-credential-provider` (target kubelet); else re-render before it expires.",
                where,
            ))

