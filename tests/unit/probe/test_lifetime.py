"""A credential's lifetime as a finding: INFO, WARNING within the hour, WARNING once past."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from halcfg.credentials.lifetime import remaining
from halcfg.credentials.resolve import Credential
from halcfg.findings import Severity
from halcfg.probe.lifetime import lifetime_finding

NOW = 1_800_000_000.0


def jwt(exp: float) -> str:
    part = lambda document: base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")  # noqa: E731
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part({'exp': exp})}.c2ln"


@pytest.mark.parametrize(("left", "severity", "code", "when"), [
    (12 * 3600, Severity.INFO, "credential-expires", "in 12 h 0 min"),
    (3599, Severity.WARNING, "credential-expires-soon", "in 59 min"),
    (40, Severity.WARNING, "credential-expires-soon", "in 40 s"),
    (-1, Severity.WARNING, "credential-expired", "already expired"),
])
def test_ecr_token(left: float, severity: Severity, code: str, when: str) -> None:
    credential = Credential("AWS", "token", "ecr", datetime.fromtimestamp(NOW + left, UTC))
    found = lifetime_finding(credential, NOW)
    assert found is not None and found[:2] == (severity, code)
    assert found[2].startswith("its ECR token expires at ") and found[2].endswith(f"({when})")


def test_jwt_password() -> None:
    found = lifetime_finding(Credential("00000000-0000-0000-0000-000000000000", jwt(NOW + 1800), "passwordEnv"), NOW)
    assert found is not None and found[1] == "credential-expires-soon"
    assert found[2] == "its password (a JWT) expires at 2027-01-15 08:30 UTC (in 30 min)"
    assert "passwordCommand" in found[3]


@pytest.mark.parametrize("password", [None, "s3cret", "not.a.jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln"])
def test_no_date_no_finding(password: str | None) -> None:
    assert lifetime_finding(Credential("u", password, "password"), NOW) is None  # the last: a JWT without exp


def test_remaining() -> None:
    moment = datetime.fromtimestamp(NOW, UTC)
    assert remaining(moment, NOW - 7260) == "in 2 h 1 min"
    assert remaining(moment, NOW) == "already expired"
