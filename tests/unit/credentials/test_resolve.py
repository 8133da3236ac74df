"""Every password source, resolved for real: files, shell commands, the environment (ECR: test_ecr.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from halcfg.config.model import Account
from halcfg.credentials.resolve import Credential, CredentialError, read_env, resolve
from halcfg.redact import MASK


def account(**fields: object) -> Account:
    return Account(index=0, name="acct", address="registry.example", username="robot", **fields)  # type: ignore[arg-type]


def test_inline_password(tmp_path: Path) -> None:
    assert resolve(account(password="pw"), tmp_path) == Credential("robot", "pw", "password")


def test_no_source_is_anonymous(tmp_path: Path) -> None:
    assert resolve(account(), tmp_path) == Credential("robot", None, "none")


def test_password_file_relative_to_the_accounts_folder_kept_verbatim(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "pw").write_text("from-file\n")
    credential = resolve(account(password_file="secrets/pw"), tmp_path)
    assert (credential.password, credential.source) == ("from-file\n", "passwordFile")  # as clouddriver reads it


def test_password_file_expands_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "pw").write_text("home-pw")
    assert resolve(account(password_file="~/pw"), tmp_path / "elsewhere").password == "home-pw"


def test_password_file_missing_or_empty(tmp_path: Path) -> None:
    with pytest.raises(CredentialError) as caught:
        resolve(account(password_file="nope.txt"), tmp_path)
    assert caught.value.code == "file-missing"
    assert str(tmp_path / "nope.txt") in caught.value.message
    (tmp_path / "empty").write_text("")
    with pytest.raises(CredentialError, match="is empty"):
        resolve(account(password_file="empty"), tmp_path)


def test_password_command_runs_in_the_accounts_folder_and_is_trimmed(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("  from-command  \n")
    credential = resolve(account(password_command="cat token"), tmp_path)
    assert (credential.password, credential.source) == ("from-command", "passwordCommand")


def test_password_command_failure_shows_redacted_stderr(tmp_path: Path) -> None:
    command = "echo hunter2-secret; echo 'login failed for hunter2-secret' >&2; exit 3"
    with pytest.raises(CredentialError) as caught:
        resolve(account(password_command=command), tmp_path)
    error = caught.value
    assert error.code == "password-command-failed"
    assert "status 3" in error.message
    assert f"login failed for {MASK}" in error.message
    assert "hunter2" not in error.message + error.remediation


def test_password_command_with_empty_output(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="printed nothing") as caught:
        resolve(account(password_command="echo 'vault: not logged in' >&2"), tmp_path)
    assert "vault: not logged in" in caught.value.message


def test_password_command_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(CredentialError, match=r"did not finish within 0\.5 s"):
        resolve(account(password_command="sleep 30 & sleep 30; echo late"), tmp_path, timeout=0.5)
    assert time.monotonic() - started < 3


def test_password_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALCFG_TEST_PW", "from-env")
    assert resolve(account(password_env="HALCFG_TEST_PW"), tmp_path) == Credential("robot", "from-env", "passwordEnv")
    monkeypatch.delenv("HALCFG_TEST_PW")
    with pytest.raises(CredentialError) as caught:
        resolve(account(password_env="HALCFG_TEST_PW"), tmp_path)
    assert caught.value.code == "password-env-unset"


def test_an_unset_variable_is_named_with_the_field_that_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HALCFG_TEST_UNSET", raising=False)
    with pytest.raises(CredentialError) as caught:
        read_env("HALCFG_TEST_UNSET", "ecr.secretAccessKeyEnv")
    assert "HALCFG_TEST_UNSET (ecr.secretAccessKeyEnv)" in str(caught.value)
