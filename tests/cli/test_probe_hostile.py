"""`halcfg probe` against a hostile registry (tests/support/hostile_registry.py), one attack per
test, through the real CLI: credentials go only where they belong, nothing echoed back is
printed in any form, every read is bounded, and a rate limit is not mistaken for a pass."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_probe import account_of, codes, finding, write_config
from tests.support.cli import run_cli
from tests.support.hostile_registry import TOKEN, HostileRegistry

USER = "hostile-user"
CANARY = "CANARY-hostile-4d2b-s3cr3t"


def forms(*secrets: str) -> list[str]:
    """Each secret as is and in every base64 spelling a registry might echo."""
    out = []
    for secret in secrets:
        raw = secret.encode()
        out += [secret, base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("=")]
    return out


def probe_all_formats(path: Path, *args: str, timeout: float = 60) -> tuple[int, dict[str, Any], str]:
    """Run the probe as JSON and as text; (exit code, JSON report, everything printed)."""
    result = run_cli("probe", "-c", path, "--format", "json", *args, env={"PW": CANARY}, timeout=timeout)
    text = run_cli("probe", "-c", path, *args, env={"PW": CANARY}, timeout=timeout)
    for run in (result, text):
        assert "Traceback" not in run.stderr, run.stderr
    return result.returncode, json.loads(result.stdout), result.stdout + result.stderr + text.stdout + text.stderr


def assert_never_shown(printed: str, *secrets: str) -> None:
    for form in forms(*secrets):
        assert form not in printed, form


def account(registry: HostileRegistry, **fields: Any) -> dict[str, Any]:
    return {"name": "hostile", "address": registry.address, "plainHttp": True, "username": USER,
            "passwordEnv": "PW", **fields}


# -- credentials go only where they belong -----------------------------------------------------


def test_realm_on_another_host_over_http_gets_no_credentials(tmp_path: Path) -> None:
    with HostileRegistry("record") as bystander, \
            HostileRegistry("realm", realm=f"{bystander.url}/token") as registry:
        code, report, printed = probe_all_formats(write_config(tmp_path, account(registry)))
    assert code == 1
    assert codes(report) == ["realm-insecure"]
    message = finding(report, "realm-insecure")["message"]
    assert f"{bystander.url}/token" in message and "another host" in message
    assert bystander.requests == []  # not contacted at all
    assert_never_shown(printed, CANARY, f"{USER}:{CANARY}")


def test_https_registry_with_a_cleartext_realm_gets_no_credentials(tmp_path: Path) -> None:
    with HostileRegistry("record") as bystander, \
            HostileRegistry("realm", realm=f"{bystander.url}/token", tls_dir=tmp_path / "tls") as registry:
        path = write_config(tmp_path, account(registry, plainHttp=False, caCertFile=str(registry.tls.ca_file)))
        code, report, printed = probe_all_formats(path)
    assert code == 1
    assert codes(report) == ["realm-insecure"]
    assert "plain http while the registry is https" in finding(report, "realm-insecure")["message"]
    assert bystander.requests == []
    assert_never_shown(printed, CANARY)


def test_plain_http_realm_on_the_registrys_own_host_and_port_is_used(tmp_path: Path) -> None:
    with HostileRegistry("realm", username=USER, password=CANARY) as registry:
        code, report, printed = probe_all_formats(write_config(tmp_path, account(registry, repositories=["a/b"])))
    assert code == 0, report
    assert account_of(report, "hostile")["authScheme"] == "bearer"
    token_requests = [headers for path, headers in registry.requests if path.startswith("/token")]
    assert token_requests and all(h.get("Authorization", "").startswith("Basic ") for h in token_requests)
    assert_never_shown(printed, CANARY, TOKEN)


def test_redirect_to_another_host_drops_authorization(tmp_path: Path) -> None:
    with HostileRegistry("record") as elsewhere, \
            HostileRegistry("redirect", username=USER, password=CANARY,
                            redirect_to=elsewhere.url.replace("127.0.0.1", "localhost")) as registry:
        _, _, printed = probe_all_formats(write_config(tmp_path, account(registry)))
    assert elsewhere.requests, "the redirect was followed"
    assert all("Authorization" not in headers for _, headers in elsewhere.requests)
    assert_never_shown(printed, CANARY)


def test_credentials_echoed_in_error_bodies_and_headers_are_redacted(tmp_path: Path) -> None:
    with HostileRegistry("echo", username=USER, password=CANARY) as registry:
        code, report, printed = probe_all_formats(write_config(tmp_path, account(registry)))
    assert code == 1
    assert codes(report) == ["catalog-unavailable"]
    assert "you sent" in finding(report, "catalog-unavailable")["message"]  # the body is shown, redacted
    assert_never_shown(printed, CANARY, f"{USER}:{CANARY}", json.dumps({"auth": f"{USER}:{CANARY}"}))


def test_bearer_token_echoed_back_is_redacted(tmp_path: Path) -> None:
    with HostileRegistry("echo-token", username=USER, password=CANARY) as registry:
        code, report, printed = probe_all_formats(write_config(tmp_path, account(registry, repositories=["a/b"])))
    assert code == 1
    assert "is no good" in finding(report, "repository-denied")["message"]
    assert_never_shown(printed, CANARY, TOKEN)


def test_password_command_stderr_echoing_the_login_in_base64_is_redacted(tmp_path: Path) -> None:
    pair = base64.b64encode(f"{USER}:{CANARY}".encode()).decode()
    command = f"echo {CANARY}; echo 'auth {pair} rejected' >&2; exit 3"
    with HostileRegistry("record") as registry:
        fields = {k: v for k, v in account(registry).items() if k != "passwordEnv"}
        path = write_config(tmp_path, {**fields, "passwordCommand": command})
        code, report, printed = probe_all_formats(path)
    assert code == 1
    assert "auth **** rejected" in finding(report, "password-command-failed")["message"]
    assert_never_shown(printed, CANARY, f"{USER}:{CANARY}")


@pytest.mark.parametrize("where", ["address", "endpointUrl"])
def test_userinfo_in_a_url_is_never_printed(tmp_path: Path, where: str) -> None:
    fields: dict[str, Any]
    if where == "address":
        fields = {"address": f"https://{USER}:{CANARY}@registry.example"}
    else:
        fields = {"address": "012345678910.dkr.ecr.us-east-1.amazonaws.com",
                  "ecr": {"region": "us-east-1", "endpointUrl": f"http://{USER}:{CANARY}@127.0.0.1:9"}}
    path = write_config(tmp_path, {"name": "userinfo", **fields})
    printed = ""
    for command in (["validate"], ["probe", "--timeout", "20"], ["account", "list"], ["account", "get", "userinfo"]):
        for fmt in ("text", "json"):
            result = run_cli(*command, "-c", path, "--format", fmt, env={"AWS_ACCESS_KEY_ID": "x",
                                                                         "AWS_SECRET_ACCESS_KEY": "y"})
            assert "Traceback" not in result.stderr, result.stderr
            printed += result.stdout + result.stderr
    assert_never_shown(printed, CANARY)
    if where == "address":
        validate = run_cli("validate", "-c", path)
        assert validate.returncode == 1
        assert "username" in validate.stdout and "password" in validate.stdout


# -- every read is bounded -----------------------------------------------------------------------


def test_gzip_bomb_is_cut_at_the_page_cap(tmp_path: Path) -> None:
    with HostileRegistry("gzip-bomb") as registry:
        started = time.monotonic()
        code, report, _ = probe_all_formats(write_config(tmp_path, account(registry)))
    assert time.monotonic() - started < 20
    assert code == 1
    assert codes(report) == ["response-too-large"]
    assert "after decompression" in finding(report, "response-too-large")["message"]


def test_endless_body_is_cut_at_the_page_cap(tmp_path: Path) -> None:
    with HostileRegistry("flood") as registry:
        code, report, _ = probe_all_formats(write_config(tmp_path, account(registry)))
    assert code == 1
    assert codes(report) == ["response-too-large"]


def test_trickling_body_is_bounded_by_client_timeout(tmp_path: Path) -> None:
    with HostileRegistry("trickle") as registry:
        started = time.monotonic()
        result = run_cli("probe", "-c", write_config(tmp_path, account(registry, clientTimeoutMillis=1500)),
                         "--format", "json", env={"PW": CANARY})
        elapsed = time.monotonic() - started
    report = json.loads(result.stdout)
    assert codes(report) == ["timeout"], report
    assert elapsed < 15  # the 220-byte body alone would take 55 s; 3 tries of 1.5 s at most


@pytest.mark.parametrize("mode", ["huge-link", "huge-challenge"])
def test_huge_adversarial_headers_parse_promptly(tmp_path: Path, mode: str) -> None:
    with HostileRegistry(mode) as registry:
        started = time.monotonic()
        result = run_cli("probe", "-c", write_config(tmp_path, account(registry)), "--format", "json",
                         "--timeout", "30", env={"PW": CANARY})
        elapsed = time.monotonic() - started
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert "timeout" not in codes(report), report
    assert elapsed < 15


# -- a rate limit is not a pass -------------------------------------------------------------------


def test_429_on_v2_says_nothing_was_verified(tmp_path: Path) -> None:
    with HostileRegistry("rate-limit") as registry:
        path = write_config(tmp_path, account(registry))
        code, report, _ = probe_all_formats(path)
        strict = run_cli("probe", "-c", path, "--strict", env={"PW": CANARY})
    assert codes(report) == ["rate-limited"]
    assert "nothing about this account was verified" in finding(report, "rate-limited")["message"]
    assert code == 0  # a warning: the account may well be fine
    assert strict.returncode == 1
