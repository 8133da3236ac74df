"""A credential's lifetime as a finding: INFO with its expiry, a WARNING within EXPIRES_SOON.

An hour, because what a probe approves is used right away (a render, a deploy): a credential
that dies within the hour fails the pulls that follow, and a credential that renews itself
(ECR's 12-hour tokens, fetched at pull time by a helper) never gets this close.
"""

from __future__ import annotations

import time

from halcfg.credentials.lifetime import ECR_TOKEN, JWT_PASSWORD, lifetime, remaining, utc
from halcfg.credentials.resolve import Credential
from halcfg.findings import Severity

EXPIRES_SOON = 3600.0  # seconds

_RENEW = {
    ECR_TOKEN: "Consumers that store it (docker-config --inline-ecr, kubernetes Secrets) need a new "
               "render by then; docker-credential-halcfg and the kubelet plugin fetch fresh ones.",
    JWT_PASSWORD: "Renew the token before then, or let passwordCommand mint a fresh one at each use.",
}


def lifetime_finding(credential: Credential, now: float | None = None) -> tuple[Severity, str, str, str] | None:
    """(severity, code, message, remediation) for `credential`'s expiry, or None when unknown."""
    known = lifetime(credential)
    if known is None:
        return None
    now = time.time() if now is None else now
    left = known.expires_at.timestamp() - now
    message = f"{known.what} expires at {utc(known.expires_at)} ({remaining(known.expires_at, now)})"
    renew = _RENEW[known.what]
    if left <= 0:
        return Severity.WARNING, "credential-expired", message, renew
    if left < EXPIRES_SOON:
        return Severity.WARNING, "credential-expires-soon", message, renew
    return Severity.INFO, "credential-expires", message, ""
