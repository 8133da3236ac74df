"""Reading a JWT's claims without verifying it: bounded, and None for anything that is not one."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from halcfg.registry.token_claims import MAX_TOKEN, claims, expiry, granted_actions
from tests.support.token_server import TokenServer


def _part(document: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


def test_a_token_servers_jwt_is_read(tmp_path: Path) -> None:
    server = TokenServer(tmp_path, {"u": "p"}, grants={"u": ["*", "!repository:org/*:pull"]}, expires_in=600)
    token = server.make_token("u", ["repository:team/api:pull,push", "repository:org/app:pull"])
    read = claims(token)
    assert read is not None and read["sub"] == "u"
    assert expiry(read) == datetime.fromtimestamp(read["exp"], UTC)
    assert granted_actions(read, "repository:team/api:pull") == ["pull", "push"]
    assert granted_actions(read, "repository:org/app:pull") == []  # the denial: no access entry
    assert granted_actions(read, "registry:catalog:*") == []


@pytest.mark.parametrize("token", [
    None, "", "opaque-ghcr-token", "a.b", "a.b.c.d", "!!!.###.$$$",
    f"{_part([1])}.{_part({'exp': 1})}.sig",  # a header that is not an object
    f"{_part({'alg': 'none'})}.{_part([1, 2])}.sig",  # a payload that is not an object
    f"{_part({'alg': 'none'})}.{'x' * MAX_TOKEN}.sig",  # longer than anyone's token: not read
])
def test_what_is_not_a_jwt_says_nothing(token: str | None) -> None:
    assert claims(token) is None
    assert expiry(claims(token)) is None
    assert granted_actions(claims(token), "repository:a:pull") is None


@pytest.mark.parametrize("exp", ["soon", True, None, 10**20, float("nan")])
def test_unusable_exp_is_no_expiry(exp: object) -> None:
    assert expiry({"exp": exp}) is None


def test_a_token_without_access_claim_grants_unknown() -> None:
    token = f"{_part({'alg': 'RS256'})}.{_part({'exp': 2_000_000_000})}.sig"
    assert granted_actions(claims(token), "repository:a:pull") is None
    assert expiry(claims(token)) == datetime(2033, 5, 18, 3, 33, 20, tzinfo=UTC)
