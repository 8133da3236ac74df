"""config.opener: each stage's policy, held to the exact findings and behaviour it gives on real
files (no stubs: the files are written to tmp_path, secrets and all)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from halcfg.config.opener import (
    DRONE,
    EDITED,
    HELPERS,
    MATCH,
    PROBE,
    RAW,
    RENDER,
    VALIDATE,
    Checks,
    InvalidAccounts,
    Policy,
    open_accounts,
    with_flags,
)
from halcfg.errors import LoadError
from halcfg.findings import Severity

# hub: its password file is not on this machine; quay: an inline password (a warning, an error
# under strict); team: a username and no password (a warning). No schema error.
RULES_ONLY = """\
    version: 1
    providers:
      dockerRegistry:
        accounts:
          - name: hub
            address: index.docker.io
            repositories: [library/nginx]
            username: bot
            passwordFile: secrets/hub.password
          - name: quay
            address: quay.io
            username: robot
            password: hunter2
          - name: team
            address: registry.team:5000
            username: someone
"""

# Everything above, plus broken: a schema error (cacheThreads) and a rule error (two password
# sources) in the same account.
WITH_SCHEMA_ERROR = RULES_ONLY + """\
          - name: broken
            address: registry.broken:5000
            cacheThreads: two
            username: u
            passwordEnv: BROKEN_TOKEN
            passwordCommand: cat token
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "halcfg.yaml"
    path.write_text(textwrap.dedent(body))
    return path


def found(result: object) -> list[tuple[str, str, str | None]]:
    return [(f.code, f.severity.name, f.location.account) for f in result.findings]  # type: ignore[attr-defined]


def test_validate_reports_a_secret_file_elsewhere_as_info_and_passes(tmp_path: Path) -> None:
    result = open_accounts(write(tmp_path, RULES_ONLY), VALIDATE)
    assert found(result) == [
        ("file-absent", "INFO", "hub"),
        ("plaintext-secret", "WARNING", "quay"),
        ("username-without-password", "WARNING", "team"),
    ]
    assert result.exit_code == 0
    absent = result.findings[0]
    assert absent.location.line == 9 and absent.location.col == 9
    assert "is not on this machine" in absent.message and "--require-secrets" in absent.remediation
    assert result.payload.config is not None and [a.name for a in result.payload.config.accounts] == [
        "hub", "quay", "team"]


def test_require_secrets_and_strict_tighten_validate(tmp_path: Path) -> None:
    path = write(tmp_path, RULES_ONLY)
    required = open_accounts(path, with_flags(VALIDATE, secrets=True))
    assert found(required)[0] == ("file-missing", "ERROR", "hub") and required.exit_code == 1
    strict = open_accounts(path, with_flags(VALIDATE, strict=True))
    assert found(strict) == [
        ("file-absent", "INFO", "hub"),
        ("plaintext-secret", "ERROR", "quay"),
        ("username-without-password", "WARNING", "team"),
    ]
    assert strict.exit_code == 1
    (tmp_path / "secrets").mkdir(mode=0o700)
    (tmp_path / "secrets" / "hub.password").write_text("token")
    (tmp_path / "secrets" / "hub.password").chmod(0o600)
    assert [code for code, _, _ in found(open_accounts(path, with_flags(VALIDATE, secrets=True)))] == [
        "plaintext-secret", "username-without-password"]


def test_probe_needs_the_secrets_and_keeps_every_finding(tmp_path: Path) -> None:
    result = open_accounts(write(tmp_path, RULES_ONLY), PROBE)
    assert found(result) == [
        ("file-missing", "ERROR", "hub"),
        ("plaintext-secret", "WARNING", "quay"),
        ("username-without-password", "WARNING", "team"),
    ]
    assert result.exit_code == 1


def test_render_keeps_errors_only(tmp_path: Path) -> None:
    result = open_accounts(write(tmp_path, RULES_ONLY), RENDER)
    assert found(result) == [("file-missing", "ERROR", "hub")]


def test_match_stops_at_the_schema_and_reports_nothing(tmp_path: Path) -> None:
    result = open_accounts(write(tmp_path, WITH_SCHEMA_ERROR), MATCH)
    assert result.findings == [] and result.exit_code == 0
    config = result.payload.config
    assert config is not None and [a.name for a in config.accounts] == ["hub", "quay", "team"]  # not broken


def test_drone_refuses_errors_and_serves_a_clean_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidAccounts) as refused:
        open_accounts(write(tmp_path, RULES_ONLY), DRONE)
    assert [(f.code, f.location.account) for f in refused.value.findings] == [("file-missing", "hub")]
    assert str(refused.value) == f"{tmp_path / 'halcfg.yaml'}: 1 error(s); run halcfg validate"
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "hub.password").write_text("token")
    served = open_accounts(tmp_path / "halcfg.yaml", DRONE)
    assert served.payload.config is not None and len(served.payload.config.accounts) == 3


def test_helpers_refuse_schema_errors_only(tmp_path: Path) -> None:
    clean = open_accounts(write(tmp_path, RULES_ONLY), HELPERS)  # the missing file is the resolver's to say
    assert clean.findings == [] and clean.payload.config is not None
    with pytest.raises(InvalidAccounts) as refused:
        open_accounts(write(tmp_path, WITH_SCHEMA_ERROR), HELPERS)
    assert [(f.code, f.location.account, f.location.line) for f in refused.value.findings] == [
        ("schema-type", "broken", 19)]


def test_raw_reads_a_file_the_schema_rejects(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 7\nproviders: {dockerRegistry: {accounts: [{name: Not_Valid}]}}\n")
    result = open_accounts(path, RAW)
    assert result.findings == [] and result.payload.config is None
    assert result.payload.document.data["providers"]["dockerRegistry"]["accounts"] == [{"name": "Not_Valid"}]
    assert RAW.checks is Checks.RAW


def test_an_edit_checks_its_text_before_it_is_written(tmp_path: Path) -> None:
    path = write(tmp_path, RULES_ONLY)
    text = textwrap.dedent(RULES_ONLY).replace("password: hunter2", "passwordEnv: QUAY")
    edited = open_accounts(path, EDITED, text=text)
    assert found(edited) == [("file-absent", "INFO", "hub"), ("username-without-password", "WARNING", "team")]
    probing = open_accounts(path, with_flags(EDITED, secrets=True), text=text)
    assert found(probing)[0] == ("file-missing", "ERROR", "hub")
    assert "hunter2" in path.read_text()  # the file itself was not touched


def test_a_file_that_does_not_parse_is_a_load_error_under_every_policy(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nproviders: [\n")
    for policy in (VALIDATE, PROBE, RENDER, MATCH, DRONE, HELPERS, EDITED, RAW):
        with pytest.raises(LoadError, match=r"halcfg\.yaml:\d+:\d+: "):
            open_accounts(path, policy)


def test_a_broken_provider_block_leaves_no_config(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nproviders: {dockerRegistry: {accounts: nope}}\n")
    result = open_accounts(path, VALIDATE)
    assert found(result) == [("schema-type", "ERROR", None)] and result.payload.config is None
    with pytest.raises(InvalidAccounts):
        open_accounts(path, HELPERS)


def test_policies_are_named_values() -> None:
    assert Policy() == VALIDATE and not VALIDATE.secrets and not VALIDATE.refuse
    assert (PROBE.secrets, RENDER.secrets, DRONE.secrets, HELPERS.secrets) == (True, True, True, True)
    assert (DRONE.refuse, HELPERS.refuse, RENDER.refuse) == (True, True, False)
    assert (MATCH.checks, HELPERS.checks, RAW.checks) == (Checks.SCHEMA, Checks.SCHEMA, Checks.RAW)
    assert (RENDER.keep, MATCH.keep) == (Severity.ERROR, None)
    assert with_flags(RENDER, strict=True) == Policy(secrets=True, keep=Severity.ERROR, strict=True)
