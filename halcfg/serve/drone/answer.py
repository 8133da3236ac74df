"""The Drone registry extension's answer to one request, whatever HTTP server carries it.

POST (any path) with a signed `{"repo": {...}, "build": {...}}`: 200 with
`[{"address", "username", "password"}]` for the accounts whose `drone` block allows the repo slug
(globs) and build event (all when the block is absent), 204 when none do. `GET /healthz`: 200.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from halcfg.config.model import Account, Config
from halcfg.registry.hosts import account_key
from halcfg.serve.drone.accounts import LiveAccounts
from halcfg.serve.drone.aesgcm import seal
from halcfg.serve.drone.credentials import CredentialCache
from halcfg.serve.drone.replay import SeenSignatures
from halcfg.serve.drone.signature import Header, Rejection, verify

MAX_BODY = 1 << 20  # bytes; Drone's requests are a few kilobytes
HEALTH_PATH = "/healthz"
JSON = "application/json"


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    log: dict[str, Any] = field(default_factory=dict)  # access-log fields: never a secret, signature or body
    offered: tuple[str, ...] = ()  # names of the accounts whose credentials the answer holds
    reason: str | None = None  # why it was refused, from a fixed set (a metric label); log["reason"] if unset

    def __post_init__(self) -> None:
        if self.reason is None:
            self.reason = self.log.get("reason")


class DroneExtension:
    def __init__(self, secret: bytes, accounts: LiveAccounts, credentials: CredentialCache,
                 clock: Callable[[], float] = time.time, seen: SeenSignatures | None = None) -> None:
        self.secret = secret
        self.accounts = accounts
        self.credentials = credentials
        self.clock = clock
        self.seen = seen or SeenSignatures()
        self._served: tuple[Config | None, list[tuple[Account, str]]] = (None, [])

    def _offerable(self, config: Config) -> list[tuple[Account, str]]:
        """The file's accounts that Drone's runner could match, each with the address Drone spells
        (registry.hosts), worked out once per loaded file rather than once per request."""
        loaded, offerable = self._served
        if loaded is not config:
            keyed = ((account, account_key(account, "drone")) for account in config.accounts if config.enabled)
            offerable = [(account, key) for account, key in keyed if key is not None]
            self._served = (config, offerable)
        return offerable

    def answer(self, method: str, path: str, target: str, header: Header, body: bytes) -> Answer:
        """`path` without the query, `target` with it (what a `(request-target)` signs)."""
        if path == HEALTH_PATH:
            if method not in ("GET", "HEAD"):
                return _text(405, "use GET", [("Allow", "GET, HEAD")])
            config = self.accounts.config
            return Answer(200, json.dumps({"status": "ok", "accounts": len(config.accounts)}).encode(),
                          [("Content-Type", JSON)])
        if method != "POST":
            return _text(405, "use POST", [("Allow", "POST")])
        if len(body) > MAX_BODY:
            return too_large()
        now = self.clock()
        try:
            signed = verify(self.secret, method, target, header, body, now)
        except Rejection as rejection:
            answer = _text(rejection.status, rejection.reason, log={"reason": rejection.reason})
            answer.reason = rejection.label or rejection.reason
            return answer
        first = self.seen.admit(signed.signature, signed.sent, now)
        if not first:
            reason = "request replayed" if first is False else "too many requests within the Date window"
            return _text(401 if first is False else 503, reason, log={"reason": reason})
        try:
            request = json.loads(body)
            repo, build = request.get("repo") or {}, request.get("build") or {}
            slug, event = repo.get("slug"), build.get("event")
        except (ValueError, AttributeError):
            return _text(400, "body is not a Drone registry request", log={"reason": "invalid input"})
        return self._credentials(slug if isinstance(slug, str) else None, event if isinstance(event, str) else None,
                                 header("accept-encoding") == "aesgcm")

    def _credentials(self, slug: str | None, event: str | None, encrypt: bool) -> Answer:
        config = self.accounts.config
        entries, offered, left_out = [], [], []
        base_dir = config.base_dir
        for account, address in self._offerable(config):
            if not allowed(account, slug, event):
                continue
            credential = self.credentials.get(account, base_dir)
            if credential is None:
                left_out.append(account.name)
                continue
            if credential.password is None:  # anonymous: nothing to hand Drone
                continue
            entries.append({"address": address, "username": credential.username or "",
                            "password": credential.password})
            offered.append(account.name)
        log = {"repo": slug, "build_event": event, "credentials": len(entries), "left_out": left_out or None}
        if not entries:
            return Answer(204, log=log)
        body = json.dumps(entries).encode()
        if not encrypt:
            return Answer(200, body, [("Content-Type", JSON)], log, tuple(offered))
        return Answer(200, seal(body, self.secret),
                      [("Content-Type", "application/octet-stream"), ("Content-Encoding", "aesgcm")], log,
                      tuple(offered))


def allowed(account: Account, slug: str | None, event: str | None) -> bool:
    """The account's `drone` block lets `slug` (globs: `*`, `?`) and `event` use it; an empty
    list allows everything, and a request without a slug or event passes only an empty list."""
    if account.drone_repos and (slug is None or not any(fnmatchcase(slug, glob) for glob in account.drone_repos)):
        return False
    return not account.drone_events or event in account.drone_events


def too_large() -> Answer:
    return _text(400, f"body is over {MAX_BODY} bytes", log={"reason": "body too large"})


def _text(status: int, message: str, headers: list[tuple[str, str]] | None = None,
          log: dict[str, Any] | None = None) -> Answer:
    return Answer(status, (message + "\n").encode(), [("Content-Type", "text/plain; charset=utf-8"),
                                                      *(headers or [])], log or {})
