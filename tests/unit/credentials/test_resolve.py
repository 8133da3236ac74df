"""Every password source, resolved for real: files, shell commands, the environment, ECR via moto."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from halcfg.config.model import Account, Ecr
from halcfg.credentials import resolve as credentials
from halcfg.credentials.redact import MASK
from halcfg.credentials.resolve import Credential, CredentialError, resolve


def account(**fields: object) -> Account:
    return Account(index=0, name="acct", address="registry.example", username="robot", **fields)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def isolated_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ~/.aws, no ambient keys or endpoints: each test says what AWS it talks to."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    credentials._ecr_cache.clear()


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
    assert caught.value.code == "password-file-missing"
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


# -- ECR through moto ------------------------------------------------------------------------


def ecr_account(**ecr: object) -> Account:
    return Account(index=0, name="ecr", address="127.0.0.1:5000", ecr=Ecr(**ecr))  # type: ignore[arg-type]


def test_ecr_with_static_keys_from_a_file(moto_ecr, tmp_path: Path) -> None:
    (tmp_path / "aws-secret").write_text("testing\n")
    credential = resolve(ecr_account(
        region=moto_ecr.region, registry_id=moto_ecr.registry_id, endpoint_url=moto_ecr.endpoint_url,
        access_key_id="testing", secret_access_key_file="aws-secret",
    ), tmp_path)
    assert (credential.username, credential.password, credential.source) == ("AWS", moto_ecr.password, "ecr")


def test_ecr_default_chain_and_aws_endpoint_url(moto_ecr, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_ecr.endpoint_url)
    account = Account(index=0, name="ecr", address=f"{moto_ecr.registry_id}.dkr.ecr.{moto_ecr.region}.amazonaws.com",
                      ecr=Ecr())
    credential = resolve(account, tmp_path)  # region and registry id from the address
    assert (credential.username, credential.password) == ("AWS", moto_ecr.password)


def test_ecr_without_region(moto_ecr, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(CredentialError, match="needs a region") as caught:
        resolve(ecr_account(endpoint_url=moto_ecr.endpoint_url), tmp_path)
    assert caught.value.code == "ecr-token-failed"


def test_ecr_without_aws_credentials(moto_ecr, tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="no AWS credentials"):
        resolve(ecr_account(region=moto_ecr.region, endpoint_url=moto_ecr.endpoint_url), tmp_path)


def test_ecr_key_id_without_secret(moto_ecr, tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="without a secret access key"):
        resolve(ecr_account(region=moto_ecr.region, access_key_id="testing"), tmp_path)


def test_ecr_token_cached_until_shortly_before_expiry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's tokens are born expired (2015), so the cache is driven here with a real expiry."""
    calls: list[str | None] = []
    expires = datetime.now(UTC) + timedelta(hours=12)

    def fetch(ecr: Ecr, region: str | None, registry_id: str | None, *args: object) -> Credential:
        calls.append(region)
        return Credential("AWS", f"token-{len(calls)}", "ecr", expires)

    monkeypatch.setattr(credentials, "_fetch_ecr_token", fetch)
    ecr = Account(index=0, name="e", address="012345678910.dkr.ecr.eu-west-1.amazonaws.com", ecr=Ecr())
    assert resolve(ecr, tmp_path).password == "token-1"
    assert resolve(ecr, tmp_path).password == "token-1"
    assert calls == ["eu-west-1"]
    almost = expires.timestamp() - credentials.ECR_REFRESH_MARGIN + 1
    monkeypatch.setattr(credentials.time, "time", lambda: almost)
    assert resolve(ecr, tmp_path).password == "token-2"


def test_expired_ecr_tokens_are_not_cached(moto_ecr, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    account = ecr_account(region=moto_ecr.region, endpoint_url=moto_ecr.endpoint_url)
    assert resolve(account, tmp_path).expires_at is not None
    assert credentials._ecr_cache == {}
