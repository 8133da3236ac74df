"""Registry failures as findings: one code, severity and fix per kind of failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from halcfg.config.model import Account
from halcfg.findings import Severity
from halcfg.probe.classify import classify, whitespace_hint
from halcfg.registry.errors import (
    AuthRefused,
    CredentialsWithheld,
    NotV2,
    RateLimited,
    RegistryError,
    TimedOut,
    TlsFailed,
    TooLarge,
    Unreachable,
)


@pytest.mark.parametrize(
    ("error", "kind", "severity", "code"),
    [
        (Unreachable("cannot connect to h: [Errno 111] Connection refused"), "account", Severity.ERROR,
         "registry-unreachable"),
        (TlsFailed("TLS handshake with h failed"), "account", Severity.ERROR, "tls-failed"),
        (TimedOut("h did not answer within 1 s"), "account", Severity.ERROR, "timeout"),
        (NotV2("http://h/v2/ is not a Docker Registry v2 API", status=404), "account", Severity.ERROR, "not-v2"),
        (CredentialsWithheld("token realm http://o/t is plain http"), "account", Severity.ERROR, "realm-insecure"),
        (RateLimited("/v2/ answered 429"), "account", Severity.WARNING, "rate-limited"),
        (TooLarge("/v2/_catalog: over the limit"), "catalog", Severity.ERROR, "response-too-large"),
        (AuthRefused("refused", status=401), "account", Severity.ERROR, "auth-refused"),
        (RegistryError("x", status=429), "repository", Severity.WARNING, "rate-limited"),
        (RegistryError("x", code="LINK_LOOP"), "catalog", Severity.ERROR, "pagination-broken"),
        (RegistryError("x", code="MALFORMED"), "catalog", Severity.ERROR, "registry-error"),
        (RegistryError("x", status=403, code="DENIED"), "catalog", Severity.ERROR, "catalog-unavailable"),
        (RegistryError("x", status=404, code="NAME_UNKNOWN"), "repository", Severity.WARNING, "repository-unknown"),
        (RegistryError("x", status=403, code="DENIED"), "repository", Severity.ERROR, "repository-denied"),
        (RegistryError("x", status=500), "repository", Severity.ERROR, "registry-error"),
        (ValueError("bug"), "account", Severity.ERROR, "probe-failed"),
    ],
)
def test_each_failure_has_its_code(error: Exception, kind: str, severity: Severity, code: str) -> None:
    got_severity, got_code, message, remediation = classify(error, kind, "team/api" if kind == "repository" else None,
                                                            listed=True)
    assert (got_severity, got_code) == (severity, code)
    assert message and remediation


def test_repository_is_named_once() -> None:
    _, _, message, _ = classify(RegistryError("/v2/team/api/tags/list: HTTP 500", status=500), "repository",
                                "team/api", listed=True)
    assert message == "/v2/team/api/tags/list: HTTP 500"
    _, _, message, _ = classify(Unreachable("cannot connect"), "repository", "team/api", listed=True)
    assert message == "team/api: cannot connect"


def test_whitespace_hints(tmp_path: Path) -> None:
    account = Account(index=0, name="a", address="r.example", password_file="pw")
    assert "trailing newline" in (whitespace_hint("secret\n", account, tmp_path) or "")
    env = Account(index=0, name="a", address="r.example", password_env="PW")
    assert "leading whitespace" in (whitespace_hint(" secret", env, tmp_path) or "")
    assert whitespace_hint("secret", env, tmp_path) is None
    assert whitespace_hint(None, env, tmp_path) is None
