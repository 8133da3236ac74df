"""kork secret references resolved through the CLI, on moto's S3 and Secrets Manager: probe against
a real htpasswd registry, render, the docker helper, a halconfig import; and each failure one
finding, no traceback, no secret printed."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.serve.conftest import SHARED_SECRET
from tests.support import BASIC_PASSWORD, BASIC_USER, SEEDED
from tests.support.cli import REPO, run_cli
from tests.support.credential_helper import HELPER, helper_env, install_shim, write_accounts
from tests.support.fault_proxy import FaultProxy
from tests.support.moto_aws import aws_env, put_s3_object, put_secret, start_enforcing_server
from tests.support.registry import start_registry
from tests.support.seed import seed

S3_REGION = "us-west-2"  # the reference's r: the client asks that region, moto keeps buckets per region
SM_REGION = "us-east-1"
yaml = YAML(typ="safe")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"  # one moto server for the session: no test sees another's


def local(name: str, registry: Any, **fields: Any) -> dict[str, Any]:
    return {"name": name, "address": registry.address, "plainHttp": True, "username": BASIC_USER, **fields}


def config(tmp_path: Path, *accounts: dict[str, Any]) -> Path:
    return write_accounts(tmp_path / "halcfg.yaml", *accounts)


def no_leak(result: subprocess.CompletedProcess[str], *secrets: str) -> None:
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text
    for secret in secrets:
        for form in (secret, base64.b64encode(secret.encode()).decode(), base64.b64encode(
                f"{BASIC_USER}:{secret}".encode()).decode()):
            assert form not in text, text


@pytest.fixture
def aws(moto_aws: str, fault_proxy) -> FaultProxy:
    """A counting proxy in front of moto: `hits` is every AWS call halcfg made."""
    return fault_proxy(moto_aws)


@pytest.fixture
def references(moto_aws: str) -> dict[str, str]:
    """The registry's password in an S3 YAML document (twice), a Secrets Manager JSON and a plain secret."""
    bucket, secret_json, secret_plain = unique("spinnaker-secrets"), unique("spinnaker/registries"), unique("basic")
    document = f"registries:\n  basic:\n    password: {BASIC_PASSWORD}\n  other:\n    password: {BASIC_PASSWORD}\n"
    put_s3_object(moto_aws, bucket, "spinnaker/secrets.yml", document.encode(), S3_REGION)
    put_secret(moto_aws, secret_json, json.dumps({"basic": BASIC_PASSWORD, "port": 5000}), SM_REGION)
    put_secret(moto_aws, secret_plain, BASIC_PASSWORD, SM_REGION)
    s3 = f"encrypted:s3!r:{S3_REGION}!b:{bucket}!f:spinnaker/secrets.yml!k:registries."
    return {
        "s3": s3 + "basic.password", "s3-other": s3 + "other.password",
        "sm-key": f"encrypted:secrets-manager!r:{SM_REGION}!s:{secret_json}!k:basic",
        "sm-file": f"encryptedFile:secrets-manager!r:{SM_REGION}!s:{secret_plain}",
        "bucket": bucket, "secret": secret_json,
    }


def test_probe_resolves_s3_yaml_and_secrets_manager_once_per_object(
    tmp_path: Path, basic_registry, references: dict[str, str], aws: FaultProxy
) -> None:
    path = config(
        tmp_path,
        local("s3", basic_registry, password=references["s3"]),
        local("s3-other", basic_registry, password=references["s3-other"]),  # the same object: not fetched again
        local("sm-key", basic_registry, password=references["sm-key"]),
        local("sm-file", basic_registry, passwordFile=references["sm-file"]),
    )
    result = run_cli("probe", "-c", path, "--format", "json", env=aws_env(aws.url))
    no_leak(result, BASIC_PASSWORD)
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    sources = {a["name"]: (a["authScheme"], a["credentialSource"], a["catalogSize"]) for a in report["accounts"]}
    assert sources == {"s3": ("basic", "password", 5), "s3-other": ("basic", "password", 5),
                       "sm-key": ("basic", "password", 5), "sm-file": ("basic", "passwordFile", 5)}
    # one GetObject for the S3 document, one GetSecretValue per secret
    assert sorted(method for method, _ in aws.hits) == ["GET", "POST", "POST"], aws.hits
    assert validated(path).returncode == 0


def validated(path: Path) -> subprocess.CompletedProcess[str]:
    result = run_cli("validate", path)
    assert "Traceback" not in result.stderr
    return result


def test_render_drone_and_kubernetes_get_the_secret_spinnaker_keeps_the_reference(
    tmp_path: Path, basic_registry, references: dict[str, str], moto_aws: str
) -> None:
    path = config(tmp_path, local("s3", basic_registry, password=references["s3"]),
                  local("sm", basic_registry, passwordFile=references["sm-file"]))
    out = tmp_path / "out"
    result = run_cli("render", "-c", path, "--target", "drone,kubernetes,spinnaker,spinnaker-operator", "--out", out,
                     env=aws_env(moto_aws))
    no_leak(result, BASIC_PASSWORD)
    assert result.returncode == 0, result.stdout + result.stderr
    drone = yaml.load(out / "drone" / "registries.yml")
    assert [(r["username"], r["password"]) for r in drone] == [(BASIC_USER, BASIC_PASSWORD)] * 2
    secrets = sorted((out / "kubernetes").glob("*.yaml"))  # beside them: render's record and .gitignore
    assert secrets
    for file in [out / "drone" / "registries.yml", *secrets]:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    for file in secrets:
        secret = yaml.load(file)
        config_json = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))
        (auth,) = config_json["auths"].values()
        assert (auth["username"], auth["password"]) == (BASIC_USER, BASIC_PASSWORD)
    clouddriver = yaml.load(out / "spinnaker" / "clouddriver-local.yml")["dockerRegistry"]["accounts"]
    assert [(a.get("password"), a.get("passwordFile")) for a in clouddriver] == [
        (references["s3"], None), (None, references["sm-file"])]
    assert BASIC_PASSWORD not in (out / "spinnaker" / "clouddriver-local.yml").read_text()
    operator = "".join(file.read_text() for file in sorted((out / "spinnaker-operator").iterdir()))
    assert references["s3"] in operator and references["sm-file"] in operator  # the operator's kork resolves them
    assert BASIC_PASSWORD not in operator and base64.b64encode(BASIC_PASSWORD.encode()).decode() not in operator

    inlined = run_cli("render", "-c", path, "--target", "spinnaker", "--inline-secrets", "--out", "-",
                      env=aws_env(moto_aws))
    assert inlined.returncode == 0, inlined.stderr
    clouddriver_local = next(yaml.load_all(inlined.stdout))  # the first file: clouddriver-local.yml
    bound = clouddriver_local["dockerRegistry"]["accounts"]
    assert [a["password"] for a in bound] == [BASIC_PASSWORD] * 2

    preview = run_cli("render", "-c", path, "--target", "drone,kubernetes", env=aws_env(moto_aws))
    no_leak(preview, BASIC_PASSWORD)
    assert preview.returncode == 0 and "****" in preview.stdout, preview.stdout


def test_docker_helper_answers_from_s3_then_from_its_cache(
    tmp_path: Path, basic_registry, references: dict[str, str], aws: FaultProxy
) -> None:
    bin_dir = tmp_path / "bin"
    install_shim(bin_dir)
    path = config(tmp_path, local("s3", basic_registry, password=references["s3"]))
    env = {**helper_env(tmp_path, path, bin_dir), **aws_env(aws.url)}

    def get() -> subprocess.CompletedProcess[str]:
        result = subprocess.run([HELPER, "get"], input=basic_registry.address, capture_output=True, text=True,
                                env=env, timeout=60)
        assert "Traceback" not in result.stderr and BASIC_PASSWORD not in result.stderr, result.stderr
        return result

    first = get()
    assert first.returncode == 0, first.stdout + first.stderr
    assert json.loads(first.stdout) == {"ServerURL": basic_registry.address, "Username": BASIC_USER,
                                        "Secret": BASIC_PASSWORD}
    assert len(aws.hits) == 1
    cache = tmp_path / "cache" / "halcfg" / "tokens.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    aws.add_rule(r".", status=500, body=b"<Error><Code>InternalError</Code></Error>")  # S3 is down from now on
    second = get()
    assert json.loads(second.stdout)["Secret"] == BASIC_PASSWORD
    assert len(aws.hits) == 1  # another process, served from the cache


def test_kubelet_provider_answers_from_secrets_manager(
    tmp_path: Path, basic_registry, references: dict[str, str], moto_aws: str
) -> None:
    path = config(tmp_path, local("sm", basic_registry, password=references["sm-key"]))
    env = {**helper_env(tmp_path, path), **aws_env(moto_aws), "PYTHONPATH": str(REPO)}
    image = f"{basic_registry.address}/team/api:v1"
    request = json.dumps({"kind": "CredentialProviderRequest",
                          "apiVersion": "credentialprovider.kubelet.k8s.io/v1", "image": image})
    result = subprocess.run([sys.executable, "-m", "halcfg", "kubelet-credential-provider"], input=request + "\n",
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    answer = json.loads(result.stdout)
    assert answer["auth"] == {basic_registry.address: {"username": BASIC_USER, "password": BASIC_PASSWORD}}
    assert answer["cacheDuration"] == "5m0s"  # a password with no expiry: cached as long as halcfg caches the value


def test_serve_drone_answers_with_the_secret_and_logs_a_failing_reference(
    tmp_path: Path, basic_registry, references: dict[str, str], moto_aws: str
) -> None:
    path = config(tmp_path, local("s3", basic_registry, password=references["s3"]),
                  local("gone", basic_registry, password=references["sm-key"].replace("!k:basic", "!k:gone")))
    answer, error, log = drone_answer_and_failure(tmp_path, path, moto_aws)
    assert answer == [{"address": basic_registry.address, "username": BASIC_USER, "password": BASIC_PASSWORD}]
    assert (error["account"], error["code"]) == ("gone", "secret-reference-key-missing")
    assert BASIC_PASSWORD not in log


def drone_answer_and_failure(tmp_path: Path, path: Path, moto_aws: str) -> tuple[object, dict[str, object], str]:
    """serve drone on `path`: its answer to one request (200), the first credential-error it
    logged, and its whole log once stopped."""
    from tests.serve.test_drone import ask
    from tests.support.drone_server import start_drone_server

    (tmp_path / "secret").write_text(SHARED_SECRET)
    (tmp_path / "secret").chmod(0o600)
    server = start_drone_server(path, tmp_path / "secret", tmp_path / "log", env=aws_env(moto_aws))
    try:
        response = ask(server)
        assert response.status == 200
        answer, error = response.json(), server.wait_for_log("credential-error")
    finally:
        server.stop()
    return answer, error, server.log_path.read_text()


def test_import_halconfig_full_of_references_then_validate_probe(
    tmp_path: Path, basic_registry, references: dict[str, str], moto_aws: str
) -> None:
    halconfig = tmp_path / "hal" / "config"
    halconfig.parent.mkdir()
    accounts = [
        {"name": name, "address": f"http://{basic_registry.address}", "username": BASIC_USER, key: references[ref]}
        for name, key, ref in (("s3", "password", "s3"), ("sm", "password", "sm-key"),
                               ("file", "passwordFile", "sm-file"))
    ]
    halconfig.write_text(json.dumps({"currentDeployment": "default", "deploymentConfigurations": [
        {"name": "default", "providers": {"dockerRegistry": {"enabled": True, "accounts": accounts}}}]}))
    path = tmp_path / "halcfg.yaml"
    imported = run_cli("import", "--from", "halconfig", halconfig, "-c", path)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    text = path.read_text()
    assert all(references[ref] in text for ref in ("s3", "sm-key", "sm-file"))  # kept as they are
    assert imported.stdout.count("halcfg resolves it where it needs the password") == 3
    assert validated(path).returncode == 0
    probed = run_cli("probe", "-c", path, env=aws_env(moto_aws))
    no_leak(probed, BASIC_PASSWORD)
    assert probed.returncode == 0, probed.stdout
    for name in ("s3", "sm", "file"):
        assert f"{name}: reachable, auth basic" in probed.stdout


def test_a_trailing_newline_in_the_object_gets_the_whitespace_hint(
    tmp_path: Path, basic_registry, moto_aws: str
) -> None:
    bucket = unique("newline")
    put_s3_object(moto_aws, bucket, "robot.txt", f"{BASIC_PASSWORD}\n".encode(), S3_REGION)
    reference = f"encryptedFile:s3!r:{S3_REGION}!b:{bucket}!f:robot.txt"
    path = config(tmp_path, local("nl", basic_registry, passwordFile=reference))
    result = run_cli("probe", "-c", path, "--format", "json", env=aws_env(moto_aws))
    found = one_finding(result)
    assert found["code"] == "auth-refused", found  # the bytes as Spinnaker's temporary file holds them
    assert "trailing whitespace" in found["remediation"] and "python3 -c" not in found["remediation"], found


# -- failures: one finding each ------------------------------------------------------------------


def one_finding(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    no_leak(result, BASIC_PASSWORD)
    report = json.loads(result.stdout)
    (found,) = [f for f in report["findings"] if f["severity"] in ("ERROR", "FATAL")]
    return found


def test_wrong_bucket_missing_key_and_oversized_object(
    tmp_path: Path, basic_registry, references: dict[str, str], moto_aws: str
) -> None:
    big = unique("big")
    put_s3_object(moto_aws, big, "secrets.yml", b"x: " + b"y" * (1024 * 1024) + b"\n", S3_REGION)
    cases = {
        "bucket": (f"encrypted:s3!r:{S3_REGION}!b:{unique('nope')}!f:spinnaker/secrets.yml!k:a",
                   "secret-reference-not-found", "bucket does not exist"),
        "object": (f"encrypted:s3!r:{S3_REGION}!b:{references['bucket']}!f:missing.yml!k:a",
                   "secret-reference-not-found", "missing.yml"),
        "key": (references["s3"].replace("basic.password", "basic.pasword"),
                "secret-reference-key-missing", "there is no 'pasword'"),
        "sm-key": (references["sm-key"].replace("!k:basic", "!k:quay"),
                   "secret-reference-key-missing", "its JSON object has no such key"),
        "number": (references["sm-key"].replace("!k:basic", "!k:port"), None, None),  # "5000": a string to kork
        "secret": (f"encrypted:secrets-manager!r:{SM_REGION}!s:{unique('nope')}",
                   "secret-reference-not-found", "does not exist"),
        "big": (f"encrypted:s3!r:{S3_REGION}!b:{big}!f:secrets.yml!k:x", "secret-reference-too-large",
                "larger than 1024 KiB"),
    }
    for name, (reference, code, text) in cases.items():
        path = config(tmp_path, local(name, basic_registry, password=reference))
        result = run_cli("probe", "-c", path, "--format", "json", env=aws_env(moto_aws))
        if code is None:  # resolved, and refused by the registry: the wrong password, not a kork failure
            assert one_finding(result)["code"] == "auth-refused", result.stdout
            continue
        assert result.returncode == 1, (name, result.stdout)
        found = one_finding(result)
        assert (found["code"], found["account"]) == (code, name), found
        assert text in found["message"], found
        rendered = run_cli("render", "-c", path, "--target", "drone", "--out", "-", env=aws_env(moto_aws))
        assert rendered.returncode == 1 and f"[{code}]" in rendered.stderr + rendered.stdout, rendered
        no_leak(rendered, BASIC_PASSWORD)


def test_access_denied_by_an_iam_policy(tmp_path: Path, basic_registry) -> None:
    """moto enforcing IAM: the user may GetObject in one bucket only; the other is AccessDenied."""
    moto = start_enforcing_server("secrets.yml", f"basic: {BASIC_PASSWORD}\n".encode())
    try:
        path = config(
            tmp_path,
            local("open", basic_registry, password=f"encrypted:s3!r:us-east-1!b:{moto.OPEN}!f:secrets.yml!k:basic"),
            local("locked", basic_registry, password=f"encrypted:s3!r:us-east-1!b:{moto.LOCKED}!f:secrets.yml!k:basic"),
        )
        env = {**aws_env(moto.endpoint_url), "AWS_ACCESS_KEY_ID": moto.key_id, "AWS_SECRET_ACCESS_KEY": moto.secret}
        result = run_cli("probe", "-c", path, "--format", "json", env=env)
        no_leak(result, BASIC_PASSWORD, moto.secret)
        found = one_finding(result)
        assert (found["code"], found["account"]) == ("secret-reference-denied", "locked"), found
        assert "AWS refused s3:GetObject (AccessDenied)" in found["message"]
        assert "s3:GetObject" in found["remediation"]
        report = json.loads(result.stdout)
        assert next(a for a in report["accounts"] if a["name"] == "open")["authScheme"] == "basic"
    finally:
        moto.stop()


def test_validate_knows_references_offline(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(
        "version: 1\nproviders:\n  dockerRegistry:\n    accounts:\n"
        "      - name: s3\n        address: quay.io\n        username: u\n"
        "        password: encrypted:s3!r:us-west-2!b:bucket!k:docker.password\n"
        "      - name: sm\n        address: ghcr.io\n        repositories: [o/a]\n        username: u\n"
        "        passwordFile: encryptedFile:secrets-manager!r:us-east-1!s:regs!k:quay\n"
        "      - name: gcs\n        address: gcr.io\n        username: u\n"
        "        passwordFile: encryptedFile:gcs!b:bucket!f:robot.txt\n"
        "      - name: vault\n        address: harbor.example.com\n        username: u\n"
        "        password: encrypted:vault!p:secret/harbor\n"
        "      - name: path\n        address: registry.example.com\n        username: u\n"
        "        password: encryptedFile:s3!r:us-west-2!b:bucket!f:robot.txt\n"
        "      - name: literal\n        address: docker.example.com\n        username: u\n"
        "        password: encrypted:s3\n"
    )
    result = run_cli("validate", path, "--format", "json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    found = {f["account"]: f for f in json.loads(result.stdout)["findings"] if f["code"].startswith("secret-ref")}
    assert {name: (f["code"], f["severity"]) for name, f in found.items()} == {
        "s3": ("secret-reference-invalid", "ERROR"),
        "sm": ("secret-reference-invalid", "ERROR"),
        "gcs": ("secret-reference-unresolved", "INFO"),
        "vault": ("secret-reference-unknown-engine", "WARNING"),
        "path": ("secret-reference-file-as-password", "ERROR"),
        "literal": ("secret-reference-invalid", "ERROR"),
    }
    assert "Storage file parameter is missing (f=...)" in found["s3"]["message"]
    assert "Encrypted file should not specify key" in found["sm"]["message"]
    assert "gsutil cat gs://<b>/<f>" in found["gcs"]["remediation"]
    text = run_cli("validate", path).stdout
    assert f"{path}:8:9: error [secret-reference-invalid] account 's3': password: Storage file parameter" in text
    assert f"{path}:13:9: error [secret-reference-invalid] account 'sm'" in text


# -- username references: kork decrypts every property (SecretPropertyProcessor), a username too ----

ROBOT, ROBOT_PASSWORD = "robot-u7f3a9c", "robot-pw-2b8e41"  # only the secret store holds the name


@pytest.fixture(scope="module")
def robot_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """htpasswd registry accepting only ROBOT / ROBOT_PASSWORD, holding SEEDED."""
    with start_registry(tmp_path_factory.mktemp("robot-registry"), htpasswd={ROBOT: ROBOT_PASSWORD}) as registry:
        seed(registry, SEEDED, auth=(ROBOT, ROBOT_PASSWORD))
        yield registry


@pytest.fixture
def robot(moto_aws: str) -> dict[str, str]:
    """The robot's name and password as two keys of one Secrets Manager JSON secret."""
    name = unique("spinnaker/robot")
    put_secret(moto_aws, name, json.dumps({"user": ROBOT, "password": ROBOT_PASSWORD}), SM_REGION)
    base = f"encrypted:secrets-manager!r:{SM_REGION}!s:{name}"
    return {"username": f"{base}!k:user", "password": f"{base}!k:password", "secret": name}


def robot_account(name: str, registry: Any, robot: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {"name": name, "address": registry.address, "plainHttp": True, "username": robot["username"], **fields}


def robot_file(tmp_path: Path) -> str:
    (tmp_path / "robot.txt").write_text(ROBOT_PASSWORD)
    (tmp_path / "robot.txt").chmod(0o600)
    return "robot.txt"


def quiet(result: subprocess.CompletedProcess[str]) -> None:
    """No traceback, and neither the robot's password nor its name (read from a secret store, so
    masked like a secret) in any output, as is or in base64."""
    no_leak(result, ROBOT_PASSWORD)
    text = result.stdout + result.stderr
    for form in (ROBOT, base64.b64encode(ROBOT.encode()).decode(),
                 base64.b64encode(f"{ROBOT}:{ROBOT_PASSWORD}".encode()).decode()):
        assert form not in text, text


def test_validate_checks_a_username_reference_as_it_checks_a_password_one(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(
        "version: 1\nproviders:\n  dockerRegistry:\n    accounts:\n"
        "      - name: invalid\n        address: quay.io\n        passwordEnv: REGISTRY_PASSWORD\n"
        "        username: encrypted:s3!r:us-west-2!b:bucket!k:user\n"
        "      - name: gcs\n        address: gcr.io\n        passwordEnv: REGISTRY_PASSWORD\n"
        "        username: encrypted:gcs!b:bucket!f:robot-name.txt\n"
        "      - name: vault\n        address: harbor.example.com\n        passwordEnv: REGISTRY_PASSWORD\n"
        "        username: encrypted:vault!p:secret/harbor\n"
        "      - name: file\n        address: registry.example.com\n        passwordEnv: REGISTRY_PASSWORD\n"
        "        username: encryptedFile:secrets-manager!r:us-east-1!s:robot\n"
        "      - name: fine\n        address: docker.example.com\n        passwordEnv: REGISTRY_PASSWORD\n"
        "        username: encrypted:secrets-manager!r:us-east-1!s:robot!k:user\n"
    )
    result = run_cli("validate", path, "--format", "json")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    findings = [f for f in json.loads(result.stdout)["findings"] if f["code"].startswith("secret-ref")]
    assert sorted((f["account"], f["code"], f["severity"]) for f in findings) == [  # one each
        ("file", "secret-reference-file-as-username", "ERROR"),
        ("gcs", "secret-reference-unresolved", "INFO"),
        ("invalid", "secret-reference-invalid", "ERROR"),
        ("vault", "secret-reference-unknown-engine", "WARNING"),
    ]
    found = {f["account"]: f for f in findings}
    assert "username: Storage file parameter is missing (f=...)" in found["invalid"]["message"]
    assert "the path of a temporary file" in found["file"]["message"]
    assert "username: encrypted:" in found["file"]["remediation"]
    assert "need the username itself" in found["gcs"]["message"]
    assert "read it once with 'gsutil cat gs://<b>/<f>' and write it as username" in found["gcs"]["remediation"]
    assert "passwordCommand" not in found["gcs"]["remediation"]  # there is no usernameCommand
    text = run_cli("validate", path).stdout
    assert f"{path}:8:9: error [secret-reference-invalid] account 'invalid': username: Storage file" in text


def test_probe_logs_in_with_a_username_from_secrets_manager(
    tmp_path: Path, robot_registry: Any, robot: dict[str, str], aws: FaultProxy
) -> None:
    path = config(tmp_path, robot_account("both", robot_registry, robot, password=robot["password"]),
                  robot_account("file", robot_registry, robot, passwordFile=robot_file(tmp_path)))
    result = run_cli("probe", "-c", path, "--format", "json", env=aws_env(aws.url))
    quiet(result)
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    sources = {a["name"]: (a["authScheme"], a["credentialSource"], a["catalogSize"]) for a in report["accounts"]}
    assert sources == {"both": ("basic", "password", 5), "file": ("basic", "passwordFile", 5)}
    assert len(aws.hits) == 1, aws.hits  # name and password of both accounts: one GetSecretValue
    assert validated(path).returncode == 0


def test_a_failing_username_reference_is_one_finding(
    tmp_path: Path, robot_registry: Any, robot: dict[str, str], moto_aws: str
) -> None:
    cases = {
        "key": (robot["username"].replace("!k:user", "!k:usr"), "secret-reference-key-missing"),
        "secret": (f"encrypted:secrets-manager!r:{SM_REGION}!s:{unique('nope')}!k:user", "secret-reference-not-found"),
        "file": (robot["username"].replace("encrypted:", "encryptedFile:").replace("!k:user", ""),
                 "secret-reference-file-as-username"),
    }
    for name, (reference, code) in cases.items():
        path = config(tmp_path, {**robot_account(name, robot_registry, robot, password=robot["password"]),
                                 "username": reference})
        result = run_cli("probe", "-c", path, "--format", "json", env=aws_env(moto_aws))
        quiet(result)
        assert result.returncode == 1, (name, result.stdout)
        found = one_finding(result)
        assert (found["code"], found["account"]) == (code, name), found
        rendered = run_cli("render", "-c", path, "--target", "drone", "--out", "-", env=aws_env(moto_aws))
        quiet(rendered)
        assert rendered.returncode == 1 and rendered.stdout.count(f"[{code}]") + rendered.stderr.count(
            f"[{code}]") == 1, rendered


def test_render_gives_the_name_to_other_targets_and_the_reference_to_spinnaker(
    tmp_path: Path, robot_registry: Any, robot: dict[str, str], moto_aws: str
) -> None:
    path = config(tmp_path, robot_account("both", robot_registry, robot, password=robot["password"]),
                  robot_account("file", robot_registry, robot, passwordFile=robot_file(tmp_path)))
    out, env = tmp_path / "out", aws_env(moto_aws)
    result = run_cli("render", "-c", path, "--target",
                     "drone,kubernetes,docker-config,spinnaker,halconfig,spinnaker-operator", "--out", out, env=env)
    quiet(result)
    assert result.returncode == 0, result.stdout + result.stderr
    drone = yaml.load(out / "drone" / "registries.yml")
    assert [(r["username"], r["password"]) for r in drone] == [(ROBOT, ROBOT_PASSWORD)] * 2
    secrets = sorted((out / "kubernetes").glob("*.yaml"))
    for file in secrets:
        (auth,) = json.loads(base64.b64decode(yaml.load(file)["data"][".dockerconfigjson"]))["auths"].values()
        assert (auth["username"], auth["password"]) == (ROBOT, ROBOT_PASSWORD)
    docker = json.loads((out / "docker-config" / "config.json").read_text())
    pair = base64.b64encode(f"{ROBOT}:{ROBOT_PASSWORD}".encode()).decode()
    assert {a["auth"] for a in docker["auths"].values()} == {pair}
    for file in [out / "drone" / "registries.yml", out / "docker-config" / "config.json", *secrets]:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    for file in (out / "spinnaker" / "clouddriver-local.yml", out / "halconfig" / "halconfig.yml"):
        text = file.read_text()
        assert text.count(robot["username"]) == 2 and ROBOT not in text, text  # as written: clouddriver resolves it
    operator = {file.name: file.read_text() for file in (out / "spinnaker-operator").iterdir()}
    assert robot["username"] in operator["spinnakerservice-patch.yml"]
    assert not any(ROBOT in text or base64.b64encode(ROBOT.encode()).decode() in text for text in operator.values())

    inline = tmp_path / "inline"
    inlined = run_cli("render", "-c", path, "--target", "spinnaker,spinnaker-operator", "--inline-secrets",
                      "--out", inline, env=env)
    quiet(inlined)
    assert inlined.returncode == 0, inlined.stdout + inlined.stderr
    bound = yaml.load(inline / "spinnaker" / "clouddriver-local.yml")["dockerRegistry"]["accounts"]
    assert [(a["username"], a["password"]) for a in bound] == [(ROBOT, ROBOT_PASSWORD)] * 2
    patch = yaml.load(inline / "spinnaker-operator" / "spinnakerservice-patch.yml")
    accounts = patch["spec"]["spinnakerConfig"]["config"]["providers"]["dockerRegistry"]["accounts"]
    assert [a["username"] for a in accounts] == [f"encrypted:k8s!n:halcfg-docker-registry!k:{name}-username"
                                                 for name in ("both", "file")]  # the name goes to the Secret
    data = yaml.load(inline / "spinnaker-operator" / "secret.yml")["data"]
    assert base64.b64decode(data["both-username"]).decode() == ROBOT
    assert ROBOT not in (inline / "spinnaker-operator" / "spinnakerservice-patch.yml").read_text()

    preview = run_cli("render", "-c", path, "--target", "drone,kubernetes,docker-config", env=env)
    quiet(preview)  # the name is masked like the password it came with
    assert preview.returncode == 0 and "****" in preview.stdout, preview.stdout


def test_docker_helper_answers_the_username_from_secrets_manager_then_from_its_cache(
    tmp_path: Path, robot_registry: Any, robot: dict[str, str], aws: FaultProxy
) -> None:
    bin_dir = tmp_path / "bin"
    install_shim(bin_dir)
    path = config(tmp_path, robot_account("both", robot_registry, robot, password=robot["password"]))
    env = {**helper_env(tmp_path, path, bin_dir), **aws_env(aws.url)}

    def helper(action: str, text: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([HELPER, action], input=text, capture_output=True, text=True, env=env, timeout=60)
        assert "Traceback" not in result.stderr and ROBOT not in result.stderr, result.stderr
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    expected = {"ServerURL": robot_registry.address, "Username": ROBOT, "Secret": ROBOT_PASSWORD}
    assert json.loads(helper("get", robot_registry.address).stdout) == expected
    assert len(aws.hits) == 1  # the name and the password: one secret, asked once
    aws.add_rule(r".", status=500, body=b'{"__type": "InternalServiceError"}')  # AWS is down from now on
    assert json.loads(helper("get", robot_registry.address).stdout) == expected
    assert len(aws.hits) == 1  # another process: both values from the cache
    listed = helper("list", "unused")
    assert json.loads(listed.stdout) == {robot_registry.address: ""}  # list resolves no secret, echoes no reference


def test_serve_drone_answers_the_username_from_the_secret_store(
    tmp_path: Path, robot_registry: Any, robot: dict[str, str], moto_aws: str
) -> None:
    path = config(tmp_path, robot_account("both", robot_registry, robot, password=robot["password"]),
                  robot_account("gone", robot_registry, robot, password=robot["password"],
                                username=robot["username"].replace("!k:user", "!k:gone")))
    answer, error, log = drone_answer_and_failure(tmp_path, path, moto_aws)
    assert answer == [{"address": robot_registry.address, "username": ROBOT, "password": ROBOT_PASSWORD}]
    assert (error["account"], error["code"]) == ("gone", "secret-reference-key-missing")
    assert ROBOT_PASSWORD not in log and ROBOT not in log


def test_import_halconfig_with_a_username_reference_then_probe(
    tmp_path: Path, robot_registry: Any, robot: dict[str, str], moto_aws: str
) -> None:
    halconfig = tmp_path / "hal" / "config"
    halconfig.parent.mkdir()
    account = {"name": "robot", "address": f"http://{robot_registry.address}", "username": robot["username"],
               "password": robot["password"]}
    halconfig.write_text(json.dumps({"currentDeployment": "default", "deploymentConfigurations": [
        {"name": "default", "providers": {"dockerRegistry": {"enabled": True, "accounts": [account]}}}]}))
    path = tmp_path / "halcfg.yaml"
    imported = run_cli("import", "--from", "halconfig", halconfig, "-c", path)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert robot["username"] in path.read_text() and robot["password"] in path.read_text()  # kept as written
    assert "username is a Spinnaker secret reference" in imported.stdout
    assert "halcfg resolves it where it needs the username" in imported.stdout
    assert validated(path).returncode == 0
    probed = run_cli("probe", "-c", path, env=aws_env(moto_aws))
    quiet(probed)
    assert probed.returncode == 0 and "robot: reachable, auth basic" in probed.stdout, probed.stdout
