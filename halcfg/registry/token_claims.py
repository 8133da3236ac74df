"""What a JWT says about itself, read without verifying it: when it expires, what it grants.

Only the registry or token server can verify a token; halcfg reads the claims to explain an
answer (a refused scope, a credential about to die), never to trust them. Registry tokens from
distribution's token servers, Docker Hub, Harbor and Quay are JWTs whose `access` claim lists
the granted `{type, name, actions}` (distribution's auth/token spec, "Token Response" and
registry/auth/token/token.go ClaimSet); GHCR's and others are opaque, and then nothing is known.
The decode is bounded: a token longer than MAX_TOKEN is not read.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

MAX_TOKEN = 64 * 1024  # characters; registry JWTs are a few kB, ACR's refresh tokens under 4 kB


def claims(token: str | None) -> dict[str, Any] | None:
    """The payload of a compact JWS (`header.payload.signature`), or None when `token` is not one."""
    if not token or len(token) > MAX_TOKEN or token.count(".") != 2:
        return None
    header, payload, _ = token.split(".")
    try:
        if not isinstance(json.loads(_b64url(header)), dict):
            return None
        document = json.loads(_b64url(payload))
    except (ValueError, binascii.Error):
        return None
    return document if isinstance(document, dict) else None


def expiry(token_claims: dict[str, Any] | None) -> datetime | None:
    """The `exp` claim (RFC 7519 §4.1.4: seconds since the epoch) as an aware datetime."""
    value = (token_claims or {}).get("exp")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def granted_actions(token_claims: dict[str, Any] | None, scope: str) -> list[str] | None:
    """The actions the token's `access` claim grants on `scope`'s resource (e.g. [] or ["pull"]);
    None when the token carries no `access` claim to read."""
    access = (token_claims or {}).get("access")
    if not isinstance(access, list):
        return None
    kind, _, rest = scope.partition(":")
    name = rest.rpartition(":")[0]
    granted: list[str] = []
    for entry in access[:256]:
        if isinstance(entry, dict) and entry.get("type") == kind and entry.get("name") == name:
            actions = entry.get("actions")
            if isinstance(actions, list):
                granted += [action for action in actions if isinstance(action, str) and action not in granted]
    return granted


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
