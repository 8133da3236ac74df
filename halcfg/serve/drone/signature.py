"""Verify a Drone extension request: its HTTP signature (draft-cavage, as drone-go's
httpsignatures signs it), its Date's freshness and its Digest against the body.

Drone's own verifier checks only the HMAC; this one also refuses a stale request and a body that
is not the one the Digest names, and requires both to be signed (replay.py refuses a request
seen before).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import NamedTuple

MAX_SKEW = 300.0  # seconds a Date may be off from this server's clock
ALGORITHM = "hmac-sha256"  # the only one Drone's clients use
REQUIRED = ("date", "digest")  # must be among the signed headers
REQUEST_TARGET = "(request-target)"
_PARAM = re.compile(r'(\w+)="([^"]*)"')
_KNOWN = {"keyId", "algorithm", "headers", "signature"}


@dataclass(frozen=True)
class Rejection(Exception):
    """Why a request is refused: its HTTP status (400 malformed, 401 not authentic), a reason
    that holds no header value, and `label`, the reason without anything the client chose (a
    header's name), for a metric's label; empty when the reason is that already."""

    status: int
    reason: str
    label: str = ""


Header = Callable[[str], "str | None"]  # a header's value by lower-case name, None when absent


class Signed(NamedTuple):  # made once per request: a tuple is cheaper than a frozen dataclass
    """A verified request's signature and the time its Date names."""

    signature: str
    sent: float


def mac(secret: bytes, lines: Iterable[str]) -> str:
    """base64(HMAC-SHA256(secret, the signing lines joined by newlines)): what a signer sends and
    a verifier recomputes."""
    return base64.b64encode(hmac.new(secret, "\n".join(lines).encode(), hashlib.sha256).digest()).decode()


def body_digest(body: bytes) -> str:
    """The value after `SHA-256=` in a Digest header: base64 of the body's SHA-256."""
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def verify(secret: bytes, method: str, target: str, header: Header, body: bytes, now: float) -> Signed:
    """Raise Rejection unless the request is signed with `secret`, its Date is within MAX_SKEW
    of `now` and its Digest is the body's. `target` is the request URI (path and query)."""
    signed = verify_signature(secret, method, target, header)
    sent = check_date(header("date") or "", now)
    check_digest(header("digest") or "", body)
    return Signed(signed, sent)


def verify_signature(secret: bytes, method: str, target: str, header: Header) -> str:
    """The signature, unless (Rejection) the Signature (or `Authorization: Signature`) header is
    not an hmac-sha256 over headers that include date and digest, made with `secret`."""
    params = _parse(header("signature") or _authorization(header("authorization")))
    if params.get("algorithm") != ALGORITHM:
        raise Rejection(400, "unknown signature algorithm")
    listed = params.get("headers", "").lower().split(" ")
    missing = [name for name in REQUIRED if name not in listed]
    if missing:
        raise Rejection(400, f"signature does not cover {' and '.join(missing)}")
    lines = []
    for name in listed:
        if name == REQUEST_TARGET:
            lines.append(f"{name}: {method.lower()} {target}")
            continue
        value = header(name)
        if not value:
            raise Rejection(400, f"signed header {name} is missing", "signed header missing")
        lines.append(f"{name}: {value}")
    if not hmac.compare_digest(mac(secret, lines).encode(), params["signature"].encode()):
        raise Rejection(401, "signature does not verify")
    return params["signature"]


def _authorization(value: str | None) -> str:
    if value is None:
        raise Rejection(400, "missing Signature")
    return value.removeprefix("Signature ")


def _parse(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in _PARAM.findall(text):
        if key not in _KNOWN:
            raise Rejection(400, "unexpected parameter in Signature")
        params[key] = value
    for key in ("signature", "keyId", "algorithm"):
        if not params.get(key):
            raise Rejection(400, f"Signature has no {key}")
    return params


def check_date(value: str, now: float) -> float:
    """The Date's time, unless (Rejection) it is not an HTTP date or more than MAX_SKEW off `now`."""
    try:
        sent = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        raise Rejection(400, "Date is not an HTTP date") from None
    if abs(now - sent) > MAX_SKEW:
        raise Rejection(401, f"Date is more than {MAX_SKEW:g} s off")
    return sent


def check_digest(value: str, body: bytes) -> None:
    """`Digest: SHA-256=<base64>`; other algorithms in the list are ignored, SHA-256 must be there."""
    sent = next((v for a, _, v in (p.strip().partition("=") for p in value.split(",")) if a.lower() == "sha-256"),
                None)
    if sent is None:
        raise Rejection(400, "Digest has no SHA-256 value")
    if not hmac.compare_digest(body_digest(body).encode(), sent.encode()):
        raise Rejection(401, "Digest does not match the body")
