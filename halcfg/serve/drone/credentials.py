"""Credentials for the Drone extension, resolved per request through `credentials.resolve`,
kept in the process's one credential cache (credentials.memo) with a lifetime per source:

- ECR: until shortly before the token expires (ecr.keep_for, as the token cache under it), so a
  request never gets a token about to lapse (one without an expiry is fetched every time).
- passwordCommand: its output is kept for `command_ttl` seconds, then the command runs again.
- passwordFile, passwordEnv, password: kept `fast_ttl` seconds (1), so a rotated file takes
  effect within a second while a busy server reads it once a second, not once a request.
- A failure is remembered for `failure_ttl` seconds (one log line, no AWS or command storm) and
  leaves only that account out of the answer.
Entries are by account name, for the account's definition: a reload that changes it is a miss.
One thread resolves a given account at a time; the others wait for its result. `observe`, if
given, hears `("failure", account name)` and `("ecr-refresh", account name)` (for /metrics).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from halcfg.config.model import Account
from halcfg.credentials.ecr import keep_for
from halcfg.credentials.memo import FAILURE_TTL, Memo
from halcfg.credentials.resolve import Credential, CredentialError, resolve

DEFAULT_COMMAND_TTL = 300.0
DEFAULT_FAST_TTL = 1.0


class CredentialCache:
    def __init__(
        self, log: Callable[..., None], *, command_ttl: float = DEFAULT_COMMAND_TTL,
        failure_ttl: float = FAILURE_TTL, fast_ttl: float = DEFAULT_FAST_TTL, timeout: float = 30.0,
        observe: Callable[[str, str], None] | None = None,
    ) -> None:
        self._log = log
        self._observe = observe or (lambda event, account: None)
        self.command_ttl = command_ttl
        self.fast_ttl = fast_ttl
        self.timeout = timeout
        self._memo: Memo[Credential] = Memo(self._ttl, failure_ttl)

    def get(self, account: Account, base_dir: Path) -> Credential | None:
        """The account's credential, or None when it cannot be resolved now (logged once)."""
        try:
            return self._memo.get(account.name, lambda: self._resolve(account, base_dir), version=account)
        except CredentialError:
            return None

    def _resolve(self, account: Account, base_dir: Path) -> Credential:
        try:
            credential = resolve(account, base_dir, timeout=self.timeout)
        except CredentialError as error:
            self._log("credential-error", account=account.name, code=error.code, reason=error.message,
                      retry_in=self._memo.failure_ttl)
            self._observe("failure", account.name)
            raise
        if credential.source == "ecr":
            self._observe("ecr-refresh", account.name)
        return credential

    def _ttl(self, credential: Credential) -> float:
        if credential.source == "passwordCommand":
            return self.command_ttl
        if credential.source == "ecr":
            return max(0.0, keep_for(credential.expires_at))
        return self.fast_ttl

    def known_secrets(self) -> list[str]:
        """Passwords currently held, for log redaction."""
        return [credential.password for credential in self._memo.values() if credential.password]
