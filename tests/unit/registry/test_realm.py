"""Where Basic credentials may go: the token realm rules, pure."""

from __future__ import annotations

import pytest

from halcfg.registry.auth import _realm_url, _unsafe_realm


@pytest.mark.parametrize(("realm", "registry"), [
    ("https://auth.docker.io/token", "https://registry-1.docker.io"),
    ("https://auth.example/token", "http://127.0.0.1:5000"),  # https anywhere is fine
    ("http://127.0.0.1:5000/token", "http://127.0.0.1:5000"),  # plainHttp, same host and port
    ("http://reg.example/token", "http://reg.example:80"),  # default port made explicit
])
def test_credentials_may_go(realm: str, registry: str) -> None:
    assert _unsafe_realm(realm, registry) is None


@pytest.mark.parametrize(("realm", "registry", "why"), [
    ("http://auth.example/token", "https://reg.example", "plain http while the registry is https"),
    ("http://127.0.0.1:5001/token", "http://127.0.0.1:5000", "another host"),
    ("http://other.example/token", "http://reg.example", "another host"),
    ("ftp://reg.example/token", "http://reg.example", "not an http(s) URL"),
])
def test_credentials_withheld(realm: str, registry: str, why: str) -> None:
    assert why in (_unsafe_realm(realm, registry) or "")


def test_realm_url_drops_userinfo_and_resolves_relative_realms() -> None:
    assert _realm_url("https://reg.example", "https://u:p@auth.example/token?x=1") == "https://auth.example/token?x=1"
    assert _realm_url("http://127.0.0.1:5000", "/token") == "http://127.0.0.1:5000/token"
