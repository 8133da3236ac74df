"""When a resolved credential dies, where its source says: ECR's `expiresAt`, or the `exp` of a
password that is itself a JWT (an ACR token from `az acr login --expose-token`, a CI job's or a
service account's identity token). Other passwords carry no date, and nothing is guessed.

One wording for every stage that reports it (probe, render).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import NamedTuple

from halcfg.credentials.resolve import Credential
from halcfg.registry.token_claims import claims, expiry

ECR_TOKEN = "its ECR token"
JWT_PASSWORD = "its password (a JWT)"


class Lifetime(NamedTuple):
    what: str  # ECR_TOKEN or JWT_PASSWORD
    expires_at: datetime


def lifetime(credential: Credential) -> Lifetime | None:
    """When `credential` expires, or None when its source does not say."""
    if credential.expires_at is not None:
        return Lifetime(ECR_TOKEN, credential.expires_at)
    moment = expiry(claims((credential.password or "").strip()))
    return Lifetime(JWT_PASSWORD, moment) if moment is not None else None


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def remaining(moment: datetime, now: float | None = None) -> str:
    """`in 11 h 59 min`, `in 40 s`, or `already expired`."""
    seconds = int(moment.timestamp() - (time.time() if now is None else now))
    if seconds <= 0:
        return "already expired"
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    if hours:
        return f"in {hours} h {minutes} min"
    return f"in {minutes} min" if minutes else f"in {seconds} s"
