"""The one redaction function: every form a secret is echoed in, and URL userinfo."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from halcfg.redact import MASK, credential_secrets, hide_userinfo, redact

USER = "robot"
PASSWORD = "CANARY/s3cr3t+pw=="
PAIR = f"{USER}:{PASSWORD}".encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def urlsafe(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


@pytest.mark.parametrize("echo", [
    PASSWORD, f"{USER}:{PASSWORD}", quote(PASSWORD, safe=""),
    b64(PAIR), b64(PAIR).rstrip("="), urlsafe(PAIR), urlsafe(PAIR).rstrip("="),
    b64(PASSWORD.encode()), urlsafe(PASSWORD.encode()).rstrip("="),
    f"Authorization: Basic {b64(PAIR)}",
])
def test_every_form_is_masked(echo: str) -> None:
    out = redact(f"the registry said: {echo} (sic)", credential_secrets(USER, PASSWORD))
    assert MASK in out
    assert PASSWORD not in out and b64(PAIR).rstrip("=") not in out


@pytest.mark.parametrize("prefix", ["", "a", "ab"])
def test_inside_longer_base64_at_every_alignment(prefix: str) -> None:
    """A base64'd docker config holding the password: the bytes may start anywhere."""
    blob = b64(json.dumps({"auths": {"r": {"auth": prefix + PASSWORD}}}).encode())
    out = redact(blob, [PASSWORD])
    assert MASK in out
    shown = out.replace(MASK, "")
    for shift in range(3):  # no 8-character run of the password's encoding survives
        core = b64(b"\0" * shift + PASSWORD.encode())[4:-4]
        assert core[:8] not in shown


def test_bearer_tokens_and_short_secrets() -> None:
    assert redact("token abcdef.123.xyz failed", ["abcdef.123.xyz"]) == f"token {MASK} failed"
    assert redact("a b c", ["a"]) == "a b c"  # too short to mask in free text
    assert redact("nothing", [None, ""]) == "nothing"


def test_url_userinfo_is_hidden_whoever_it_belongs_to() -> None:
    assert redact("GET https://u:p@h.example/v2/ failed", []) == f"GET https://{MASK}@h.example/v2/ failed"
    assert hide_userinfo("https://u:p@h.example:5000/x") == f"https://{MASK}@h.example:5000/x"
    assert hide_userinfo("u:p@h.example") == f"{MASK}@h.example"
    assert hide_userinfo("https://h.example/a@b") == "https://h.example/a@b"
    assert hide_userinfo("svc@example.com") == f"{MASK}@example.com"
