"""kork references: the parser against kork's own rules, and resolution on moto (lookups as
kork's engines do them, one AWS call per object, caps, the cross-process entry, redaction)."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from halcfg.config.model import Account
from halcfg.config.references import MalformedReference, parse
from halcfg.credentials import ecr as ecr_tokens
from halcfg.credentials import kork
from halcfg.credentials.cache import TokenCache, resolve_cached
from halcfg.credentials.resolve import CredentialError, resolve
from halcfg.redact import redact
from tests.support.fault_proxy import FaultProxy
from tests.support.moto_aws import ACCESS_KEY_ID, SECRET_ACCESS_KEY, put_s3_object, put_secret

# -- the syntax, as kork-secrets' EncryptedSecret and the engines' validate() read it ------------------


@pytest.mark.parametrize(("value", "engine", "params", "is_file"), [
    ("encrypted:s3!r:us-west-2!b:bucket!f:spinnaker/secrets.yml!k:dockerhub.password", "s3",
     {"r": "us-west-2", "b": "bucket", "f": "spinnaker/secrets.yml", "k": "dockerhub.password"}, False),
    ("encrypted:secrets-manager!r:us-east-1!s:spinnaker/registries!k:quay", "secrets-manager",
     {"r": "us-east-1", "s": "spinnaker/registries", "k": "quay"}, False),
    ("encryptedFile:secrets-manager!r:us-east-1!s:robot", "secrets-manager", {"r": "us-east-1", "s": "robot"}, True),
    ("encrypted:s3!r:a:b!b:c!f:d:e", "s3", {"r": "a:b", "b": "c", "f": "d:e"}, False),  # split on the first ':'
    ("encrypted:s3!r:x!b:y!f:z!", "s3", {"r": "x", "b": "y", "f": "z"}, False),  # Java's split drops a trailing ''
    ("encrypted:s3!r:x!b:old!f:z!b:new", "s3", {"r": "x", "b": "new", "f": "z"}, False),  # HashMap: the last wins
    ("encrypted:k8s!n:regs!k:quay", "k8s", {"n": "regs", "k": "quay"}, False),
    ("encrypted:vault!p:x", "vault", {"p": "x"}, False),  # not kork's: resolution says so
])
def test_parses_as_kork(value: str, engine: str, params: dict[str, str], is_file: bool) -> None:
    reference = parse(value)
    assert (reference.engine, dict(reference.params), reference.is_file) == (engine, params, is_file)


@pytest.mark.parametrize(("value", "message"), [
    ("encrypted:s3!r:x!b:y", "Storage file parameter is missing (f=...)"),
    ("encrypted:s3!f:x!r:y", "Storage bucket parameter is missing (b=...)"),
    ("encrypted:gcs!b:x!k:y", "Storage file parameter is missing (f=...)"),
    ("encrypted:secrets-manager!r:x", "Secret name parameter is missing (s=...)"),
    ("encrypted:secrets-manager!s:x", "Secret region parameter is missing (r=...)"),
    ("encryptedFile:secrets-manager!r:x!s:y!k:z", "Encrypted file should not specify key"),
    ("encrypted:google-secrets-manager!s:x", "Project number parameter is missing (p=...)"),
    ("encrypted:s3!r:x!bucket", "keys and values must be delimited by ':'"),
    ("encrypted:s3!r:x!!b:y!f:z", "keys and values must be delimited by ':'"),
    ("encrypted:s3", "not a kork secret reference"),  # Spinnaker would use it literally
    ("encrypted:s3!r:", "not a kork secret reference"),
    ("encrypted:s3!r-1:x", "not a kork secret reference"),  # names are letters and digits
    ("encrypted:s3!r:us\n-west-2!b:x!f:y", "not a kork secret reference"),  # Java's '.' stops at a newline
    ("Encrypted:s3!r:x!b:y!f:z", "case-sensitive"),
    ("encryptedfile:s3!r:x!b:y!f:z", "case-sensitive"),
])
def test_refuses_what_kork_refuses(value: str, message: str) -> None:
    with pytest.raises(MalformedReference, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        parse(value)


def test_a_long_near_miss_is_refused_in_linear_time() -> None:
    """kork's regex has a nested quantifier; ours has not, so a hostile value cannot stall validate."""
    with pytest.raises(MalformedReference):
        parse("encrypted:s3" + "!a:b" * 20000 + "\n")


# -- resolution on moto ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SECRETS_MANAGER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    kork._memo.clear()
    ecr_tokens._clients.clear()
    ecr_tokens._sessions.clear()


@pytest.fixture
def aws(moto_aws: str, fault_proxy, monkeypatch: pytest.MonkeyPatch) -> FaultProxy:
    proxy = fault_proxy(moto_aws)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    return proxy


def account(**fields: str) -> Account:
    return Account(index=0, name="a", address="127.0.0.1:5000", **{"username": "u", **fields})  # type: ignore[arg-type]


DOCUMENT = b"""
dockerhub: {password: hub-secret-1, port: 5000, enabled: yes}
nested: {deeper: {token: deep-secret-2}}
early: scalar-secret-3
listed: [{password: never}]
"""


def test_s3_document_walked_as_kork_walks_it(moto_aws: str, aws: FaultProxy, tmp_path: Path) -> None:
    put_s3_object(moto_aws, "walk", "secrets.yml", DOCUMENT, "us-west-2")
    ref = "encrypted:s3!r:us-west-2!b:walk!f:secrets.yml"

    def password(key: str) -> str | None:
        return resolve(account(password=f"{ref}!k:{key}"), tmp_path).password

    assert password("dockerhub.password") == "hub-secret-1"
    assert password("nested.deeper.token") == "deep-secret-2"
    assert password("early.ignored.rest") == "scalar-secret-3"  # getParsedValue returns the first non-map
    for key, why in (("dockerhub.port", r"'port' is not a string \(YAML reads it as int\)"),  # SnakeYAML: Integer
                     ("dockerhub.enabled", "as bool"),  # YAML 1.1: yes is a boolean
                     ("nested", "names a mapping"), ("listed.password", "is a list"), ("dockerhub.pw", "no 'pw'")):
        with pytest.raises(CredentialError, match=why) as failed:
            password(key)
        assert failed.value.code == "secret-reference-key-missing"
    whole = resolve(account(password_file=ref), tmp_path).password
    assert whole == DOCUMENT.decode()  # without k: the object's bytes, as the temporary file holds them
    assert len(aws.hits) == 1  # one GetObject for all of them (failures included)


def test_secrets_manager_string_json_key_and_binary(moto_aws: str, aws: FaultProxy, tmp_path: Path) -> None:
    put_secret(moto_aws, "sm/json", json.dumps({"quay": "quay-secret-4", "port": 5000, "on": True, "none": None}))
    put_secret(moto_aws, "sm/binary", b"binary-secret-5")
    ref = "secrets-manager!r:us-east-1!s:sm/json"

    def password(value: str, key: str = "password") -> str | None:
        return resolve(account(**{key: value}), tmp_path).password

    assert password(f"encrypted:{ref}!k:quay") == "quay-secret-4"
    assert password(f"encrypted:{ref}!k:port") == "5000"  # Jackson reads a number as its text
    assert password(f"encrypted:{ref}!k:on") == "true"
    with pytest.raises(CredentialError, match="no such key"):
        password(f"encrypted:{ref}!k:none")
    assert json.loads(password(f"encrypted:{ref}") or "")["quay"] == "quay-secret-4"
    assert password("encryptedFile:secrets-manager!r:us-east-1!s:sm/binary", "password_file") == "binary-secret-5"
    with pytest.raises(CredentialError, match="binary secret") as failed:
        password("encrypted:secrets-manager!r:us-east-1!s:sm/binary")
    assert failed.value.code == "secret-reference-failed"
    assert len(aws.hits) == 2  # one GetSecretValue per secret


def test_one_call_per_secret_across_threads(moto_aws: str, aws: FaultProxy, tmp_path: Path) -> None:
    put_secret(moto_aws, "sm/shared", "shared-secret-6")
    accounts = [account(password="encrypted:secrets-manager!r:us-east-1!s:sm/shared") for _ in range(32)]
    with ThreadPoolExecutor(16) as pool:
        passwords = set(pool.map(lambda a: resolve(a, tmp_path).password, accounts))
    assert passwords == {"shared-secret-6"} and len(aws.hits) == 1
    assert len(ecr_tokens._clients) == 1  # one secretsmanager client for the identity


def test_oversized_object_refused_while_reading(moto_aws: str, aws: FaultProxy, tmp_path: Path) -> None:
    put_s3_object(moto_aws, "big", "secrets.yml", b"a: " + b"b" * kork.OBJECT_MAX, "us-west-2")
    with pytest.raises(CredentialError, match="larger than 1024 KiB") as failed:
        resolve(account(password="encrypted:s3!r:us-west-2!b:big!f:secrets.yml!k:a"), tmp_path)
    assert failed.value.code == "secret-reference-too-large"


def test_unresolvable_engines_and_misuse(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match=r"only Spinnaker resolves it") as failed:
        resolve(account(password_file="encryptedFile:gcs!b:bucket!f:robot.txt"), tmp_path)
    assert failed.value.code == "secret-reference" and "bucket" not in str(failed.value)
    with pytest.raises(CredentialError) as failed:
        resolve(account(password="encryptedFile:s3!r:x!b:y!f:z"), tmp_path)
    assert failed.value.code == "secret-reference-file-as-password"
    assert resolve(account(password="encrypted:noop!v:noop-secret-7"), tmp_path).password == "noop-secret-7"


def test_helpers_share_the_secret_through_the_token_cache(moto_aws: str, aws: FaultProxy, tmp_path: Path) -> None:
    put_secret(moto_aws, "sm/helper", "helper-secret-8")
    helper_account = account(password="encrypted:secrets-manager!r:us-east-1!s:sm/helper")
    cache = TokenCache(tmp_path / "cache")
    assert resolve_cached(helper_account, tmp_path, cache).password == "helper-secret-8"
    kork._memo.clear()  # as if another process: only the file remains
    assert resolve_cached(helper_account, tmp_path, TokenCache(tmp_path / "cache")).password == "helper-secret-8"
    assert len(aws.hits) == 1
    entry = next(iter(json.loads(cache.path.read_text())["tokens"].values()))
    assert entry["kind"] == "kork" and entry["username"] == ""
    assert entry["expiresAt"] - entry["requestedAt"] == 2 * kork.TTL


def test_resolved_values_join_every_redaction(moto_aws: str, aws: FaultProxy, tmp_path: Path) -> None:
    put_secret(moto_aws, "sm/redact", "redact-secret-9")
    resolve(account(password="encrypted:secrets-manager!r:us-east-1!s:sm/redact"), tmp_path)
    echoed = f"registry said: bad token redact-secret-9 ({base64.b64encode(b'u:redact-secret-9').decode()})"
    assert "redact-secret-9" not in redact(echoed, []) and "dTpyZWRhY3Qtc2VjcmV0LTk" not in redact(echoed, [])


# -- a username is a reference-aware field: kork's SecretPropertyProcessor decrypts every property ------


def test_a_username_reference_is_resolved_and_masked_like_a_secret(
    moto_aws: str, aws: FaultProxy, tmp_path: Path
) -> None:
    put_secret(moto_aws, "sm/robot", json.dumps({"user": "robot-name-10", "password": "robot-secret-10"}))
    ref = "encrypted:secrets-manager!r:us-east-1!s:sm/robot"
    (tmp_path / "pw").write_text("file-secret-10")
    both = resolve(account(username=f"{ref}!k:user", password=f"{ref}!k:password"), tmp_path)
    assert (both.username, both.password, both.source, both.secret_username) == (
        "robot-name-10", "robot-secret-10", "password", True)
    from_file = resolve(account(username=f"{ref}!k:user", password_file="pw"), tmp_path)
    assert (from_file.username, from_file.password, from_file.secret_username) == (
        "robot-name-10", "file-secret-10", True)
    assert len(aws.hits) == 1  # the name and the password: one GetSecretValue
    assert "robot-name-10" not in redact("401 for robot-name-10", [])  # a value from a secret store joins redaction
    kept = resolve(account(username=f"{ref}!k:user", password_file="pw"), tmp_path, username=False)
    assert (kept.username, kept.secret_username) == (f"{ref}!k:user", False)  # what a Spinnaker target keeps
    anonymous = resolve(account(username=f"{ref}!k:nobody"), tmp_path)  # never sent, so never fetched
    assert (anonymous.username, anonymous.password) == (None, None)
    plain = resolve(account(password_file="pw"), tmp_path)
    assert (plain.username, plain.secret_username) == ("u", False)


def test_username_reference_failures_name_the_username(tmp_path: Path) -> None:
    with pytest.raises(CredentialError) as failed:
        resolve(account(username="encryptedFile:noop!v:x", password="p"), tmp_path)
    assert failed.value.code == "secret-reference-file-as-username" and "temporary file" in failed.value.message
    with pytest.raises(CredentialError) as failed:
        resolve(account(username="encrypted:gcs!b:bucket!f:name.txt", password="p"), tmp_path)
    assert failed.value.code == "secret-reference" and "write the username itself" in failed.value.remediation
    with pytest.raises(CredentialError, match=r"username: .*Storage file parameter is missing") as failed:
        resolve(account(username="encrypted:s3!r:x!b:y", password="p"), tmp_path)
    assert failed.value.code == "secret-reference-invalid"


def test_a_username_reference_alone_goes_through_the_token_cache(
    moto_aws: str, aws: FaultProxy, tmp_path: Path
) -> None:
    put_secret(moto_aws, "sm/name", "cached-name-11")
    (tmp_path / "pw").write_text("file-secret-11")
    helper_account = account(username="encrypted:secrets-manager!r:us-east-1!s:sm/name", password_file="pw")
    cache = TokenCache(tmp_path / "cache")
    assert resolve_cached(helper_account, tmp_path, cache).username == "cached-name-11"
    kork._memo.clear()  # as if another process: only the file remains
    again = resolve_cached(helper_account, tmp_path, TokenCache(tmp_path / "cache"))
    assert (again.username, again.password, again.secret_username) == ("cached-name-11", "file-secret-11", True)
    assert len(aws.hits) == 1
    (entry,) = json.loads(cache.path.read_text())["tokens"].values()  # the file-backed password is never cached
    assert entry["kind"] == "kork" and entry["password"] == "cached-name-11"
