"""ECR tokens through moto: region and registry id, the default chain, errors, one client per identity."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from halcfg.config.model import Account, Ecr
from halcfg.credentials import ecr as ecr_tokens
from halcfg.credentials.ecr import EcrToken, cached_token, fetch_token
from halcfg.credentials.resolve import CredentialError, resolve


@pytest.fixture(autouse=True)
def isolated_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ~/.aws, no ambient keys or endpoints: each test says what AWS it talks to."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    ecr_tokens._tokens.clear()
    ecr_tokens._clients.clear()
    ecr_tokens._sessions.clear()


def ecr_account(name: str = "ecr", address: str = "127.0.0.1:5000", **ecr: object) -> Account:
    return Account(index=0, name=name, address=address, ecr=Ecr(**ecr))  # type: ignore[arg-type]


def test_static_keys_from_a_file(moto_ecr, tmp_path: Path) -> None:
    (tmp_path / "aws-secret").write_text("testing\n")
    credential = resolve(ecr_account(
        region=moto_ecr.region, registry_id=moto_ecr.registry_id, endpoint_url=moto_ecr.endpoint_url,
        access_key_id="testing", secret_access_key_file="aws-secret",
    ), tmp_path)
    assert (credential.username, credential.password, credential.source) == ("AWS", moto_ecr.password, "ecr")


def test_default_chain_and_aws_endpoint_url(moto_ecr, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_ecr.endpoint_url)
    account = ecr_account(address=f"{moto_ecr.registry_id}.dkr.ecr.{moto_ecr.region}.amazonaws.com")
    credential = resolve(account, tmp_path)  # region and registry id from the address
    assert (credential.username, credential.password) == ("AWS", moto_ecr.password)


def test_fetch_token_returns_user_password_and_expiry(moto_ecr, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    username, password, expires_at = fetch_token(
        ecr_account(region=moto_ecr.region, endpoint_url=moto_ecr.endpoint_url), tmp_path, timeout=5)
    assert (username, password) == ("AWS", moto_ecr.password)
    assert isinstance(expires_at, datetime)  # moto's is 2015: born expired


def test_without_region(moto_ecr, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(CredentialError, match="needs a region") as caught:
        resolve(ecr_account(endpoint_url=moto_ecr.endpoint_url), tmp_path)
    assert caught.value.code == "ecr-token-failed"


def test_without_aws_credentials(moto_ecr, tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="no AWS credentials"):
        resolve(ecr_account(region=moto_ecr.region, endpoint_url=moto_ecr.endpoint_url), tmp_path)


def test_key_id_without_secret(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="without a secret access key"):
        resolve(ecr_account(region="us-east-1", access_key_id="testing"), tmp_path)


def test_one_client_per_identity_shared_across_threads(moto_ecr, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """40 accounts on 20 registry ids asked from 8 threads at once: one session, one client;
    another region is another client of the same session."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    accounts = [ecr_account(f"e{i}", region=moto_ecr.region, endpoint_url=moto_ecr.endpoint_url,
                            registry_id=f"{100000000000 + i % 20}") for i in range(40)]
    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda a: fetch_token(a, tmp_path, 5), accounts))
    assert {t.password for t in tokens} == {f"{100000000000 + i}-auth-token" for i in range(20)}
    assert len(ecr_tokens._clients) == 1 and len(ecr_tokens._sessions) == 1
    fetch_token(ecr_account(region="eu-west-1", endpoint_url=moto_ecr.endpoint_url), tmp_path, 5)
    assert len(ecr_tokens._clients) == 2 and len(ecr_tokens._sessions) == 1


def test_token_cached_until_shortly_before_expiry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's tokens are born expired (2015), so the cache is driven here with a real expiry."""
    calls: list[str | None] = []
    expires = datetime.now(UTC) + timedelta(hours=12)

    def fetch(identity: ecr_tokens.Identity, registry_id: str | None, timeout: float) -> EcrToken:
        calls.append(identity.region)
        return EcrToken("AWS", f"token-{len(calls)}", expires)

    monkeypatch.setattr(ecr_tokens, "_get_authorization_token", fetch)
    ecr = ecr_account(address="012345678910.dkr.ecr.eu-west-1.amazonaws.com")
    assert resolve(ecr, tmp_path).password == "token-1"
    assert resolve(ecr, tmp_path).password == "token-1"
    assert calls == ["eu-west-1"]
    almost = expires.timestamp() - ecr_tokens.REFRESH_MARGIN + 1
    monkeypatch.setattr(ecr_tokens.time, "time", lambda: almost)
    assert resolve(ecr, tmp_path).password == "token-2"


def test_expired_tokens_are_not_cached(moto_ecr, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    account = ecr_account(region=moto_ecr.region, endpoint_url=moto_ecr.endpoint_url)
    assert cached_token(account, tmp_path).expires_at is not None
    assert ecr_tokens._tokens.values() == []
