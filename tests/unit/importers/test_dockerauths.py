"""docker's `auth` field: base64 of user:password, read as docker's loader reads it."""

from __future__ import annotations

import base64

import pytest

from halcfg.errors import UsageError
from halcfg.importers.dockerauths import decode_auth


def fail(parts: object, message: str) -> UsageError:
    return UsageError(message)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_decodes_user_and_password_split_at_the_first_colon() -> None:
    assert decode_auth(b64("u:p:with:colons"), ["auth"], fail) == ("u", "p:with:colons")
    assert decode_auth(b64("u:p\x00\x00"), ["auth"], fail) == ("u", "p")  # docker trims NULs


@pytest.mark.parametrize("auth", ["%%%", b64("no-colon"), b64(":no-user"), b64("u:p")[:-2], "d2hhdA=\n="])
def test_rejects_what_docker_rejects(auth: str) -> None:
    with pytest.raises(UsageError, match="auth does not decode"):
        decode_auth(auth, ["auth"], fail)
