"""`halcfg kubelet-credential-provider` as the kubelet runs it: a request on stdin, a response it
decodes strictly, credentials a real registry accepts, tokens from moto's ECR."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from ruamel.yaml import YAML

from halcfg.match.kubelet import key_matches
from tests.support import BASIC_PASSWORD, BASIC_USER, SEEDED
from tests.support.cli import REPO, run_cli
from tests.support.credential_helper import helper_env, write_accounts
from tests.support.moto_ecr import ACCESS_KEY_ID, SECRET_ACCESS_KEY, with_real_token_lifetime

CANARY = "CANARY-kubelet-02ce-s3cr3t"
GROUP = "credentialprovider.kubelet.k8s.io"

# The published types (kubernetes staging/src/k8s.io/kubelet/pkg/apis/credentialprovider/v1/types.go,
# identical in v1beta1 and v1alpha1): TypeMeta inline, cacheKeyType, cacheDuration *metav1.Duration
# (omitempty), auth map[string]AuthConfig (omitempty); AuthConfig has username and password.
RESPONSE_FIELDS = {"kind", "apiVersion", "cacheKeyType", "cacheDuration", "auth"}
REQUIRED_FIELDS = {"kind", "apiVersion", "cacheKeyType"}
AUTH_CONFIG_FIELDS = {"username", "password"}
CACHE_KEY_TYPES = {"Image", "Registry", "Global"}
_GO_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def go_seconds(text: str) -> int:
    """Seconds of a Go duration string in the shapes time.Duration.String() prints for whole seconds."""
    match = _GO_DURATION.fullmatch(text)
    assert match and text and text != "", text
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def decode_strictly(stdout: str, api_version: str) -> dict[str, Any]:
    """What the kubelet's strict codec accepts: one JSON object, no duplicate or unknown fields,
    the configured apiVersion, the right kind and a valid cache key type."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate field in {keys}"
        return dict(pairs)

    response = json.loads(stdout, object_pairs_hook=no_duplicates)
    assert REQUIRED_FIELDS <= set(response) <= RESPONSE_FIELDS, set(response)
    assert response["apiVersion"] == api_version
    assert response["kind"] == "CredentialProviderResponse"
    assert response["cacheKeyType"] in CACHE_KEY_TYPES
    if "cacheDuration" in response:
        go_seconds(response["cacheDuration"])
    for key, auth in response.get("auth", {}).items():
        assert isinstance(key, str) and set(auth) == AUTH_CONFIG_FIELDS, auth
        assert all(isinstance(value, str) for value in auth.values())
    return response


def request(image: str, api_version: str = f"{GROUP}/v1", **extra: Any) -> str:
    """As the kubelet encodes it: JSON and a newline."""
    return json.dumps({"kind": "CredentialProviderRequest", "apiVersion": api_version, "image": image, **extra}) + "\n"


def provide(
    config: Path, stdin: str, *args: str, python_options: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Exec the plugin as the kubelet does: `halcfg kubelet-credential-provider`, with its env."""
    env = {**helper_env(config.parent, config), "PYTHONPATH": str(REPO)}
    command = [sys.executable, *python_options, "-m", "halcfg", "kubelet-credential-provider", *args]
    result = subprocess.run(command,
                            input=stdin, capture_output=True, text=True, env=env, timeout=60)
    assert "Traceback" not in result.stderr and CANARY not in result.stderr, result.stderr
    return result


@pytest.fixture
def config(tmp_path: Path, basic_registry) -> Path:
    (tmp_path / "pw").write_text(BASIC_PASSWORD)
    (tmp_path / "canary").write_text(CANARY)
    return write_accounts(
        tmp_path / "halcfg.yaml",
        {"name": "basic", "address": basic_registry.address, "plainHttp": True, "username": BASIC_USER,
         "passwordFile": "pw"},
        {"name": "hub", "address": "index.docker.io", "username": "hub-bot", "passwordFile": "canary"},
        {"name": "broken", "address": "broken.test", "username": "x", "passwordFile": "missing"},
    )  # fmt: skip


@pytest.mark.parametrize("version", ["v1", "v1beta1", "v1alpha1"])
def test_response_decodes_strictly_and_its_credentials_pull(config: Path, basic_registry, version: str) -> None:
    api_version = f"{GROUP}/{version}"
    result = provide(config, request(f"{basic_registry.address}/team/api:v2", api_version))
    assert (result.returncode, result.stderr) == (0, "")
    response = decode_strictly(result.stdout, api_version)
    assert response["cacheKeyType"] == "Registry"
    # a password file does not expire: cached, not asked again on every pull (0s would mean that)
    assert response["cacheDuration"] == "5m0s"
    (key,) = response["auth"]
    assert key == basic_registry.address  # host:port, which the kubelet's keyring matches for this image
    auth = response["auth"][key]
    tags = requests.get(f"{basic_registry.url}/v2/team/api/tags/list", timeout=10,
                        auth=(auth["username"], auth["password"]))  # fmt: skip
    assert tags.status_code == 200 and tags.json()["tags"] == SEEDED["team/api"]


def test_docker_hub_images_get_the_docker_io_key(config: Path) -> None:
    for image in ("nginx", "docker.io/library/nginx:1.27", "index.docker.io/payments/api"):
        response = decode_strictly(provide(config, request(image)).stdout, f"{GROUP}/v1")
        assert response["auth"] == {"docker.io": {"username": "hub-bot", "password": CANARY}}, image


def test_an_image_no_account_serves_gets_no_auth(config: Path, basic_registry) -> None:
    other_port = basic_registry.address.replace(":", ":1")  # same host, another port: not a match
    for image in ("quay.io/team/api", f"{other_port}/team/api"):
        result = provide(config, request(image, serviceAccountToken=CANARY))
        assert result.returncode == 0
        assert decode_strictly(result.stdout, f"{GROUP}/v1") == {
            "kind": "CredentialProviderResponse", "apiVersion": f"{GROUP}/v1",
            "cacheKeyType": "Registry", "cacheDuration": "0s",
        }  # fmt: skip
        assert CANARY not in result.stdout  # the service-account token is never echoed


def test_a_failing_account_fails_the_plugin_loudly(config: Path) -> None:
    result = provide(config, request("broken.test/app:1"))
    assert (result.returncode, result.stdout) == (1, "")
    assert "account 'broken': passwordFile 'missing' does not exist" in result.stderr


@pytest.mark.parametrize(("stdin", "message"), [
    ("not json", "request is not JSON"),
    (json.dumps({"kind": "Pod", "apiVersion": f"{GROUP}/v1", "image": "x"}), "expected a CredentialProviderRequest"),
    (request("x", "credentialprovider.kubelet.k8s.io/v2"), "apiVersion 'credentialprovider.kubelet.k8s.io/v2'"),
    (request(""), "request has no image"),
    (request("UPPER/Case"), "image 'UPPER/Case'"),
])  # fmt: skip
def test_bad_requests_are_one_line_errors(config: Path, stdin: str, message: str) -> None:
    result = provide(config, stdin)
    assert result.returncode == 1 and result.stdout == ""
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_config_flag_and_usage(config: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.yaml"
    config.rename(elsewhere)
    assert provide(config, request("nginx")).returncode == 1  # HALCFG_CONFIG names a missing file
    found = provide(config, request("nginx"), "--config", str(elsewhere))
    assert decode_strictly(found.stdout, f"{GROUP}/v1")["auth"]["docker.io"]["username"] == "hub-bot"
    assert provide(config, "", "--bogus").returncode == 2


def test_ecr_token_cache_duration_is_half_its_life(tmp_path: Path, moto_ecr, ecr_registry, fault_proxy) -> None:
    aws = fault_proxy(moto_ecr.endpoint_url)
    aws.add_rule(r"^/$", rewrite=with_real_token_lifetime)  # expires in 12 hours, as ECR's do
    (tmp_path / "aws-secret").write_text(SECRET_ACCESS_KEY)
    config = write_accounts(tmp_path / "halcfg.yaml", {
        "name": "ecr", "address": ecr_registry.address, "plainHttp": True,
        "ecr": {"region": moto_ecr.region, "registryId": moto_ecr.registry_id, "endpointUrl": aws.url,
                "accessKeyId": ACCESS_KEY_ID, "secretAccessKeyFile": "aws-secret"},
    })  # fmt: skip
    for _ in range(2):
        response = decode_strictly(provide(config, request(f"{ecr_registry.address}/team/api")).stdout, f"{GROUP}/v1")
        assert response["auth"] == {ecr_registry.address: {"username": moto_ecr.user, "password": moto_ecr.password}}
        assert 6 * 3600 - 120 < go_seconds(response["cacheDuration"]) <= 6 * 3600
    assert len(aws.hits) == 1  # the second plugin run took the token from the cross-process cache
    timed = provide(config, request(f"{ecr_registry.address}/team/api"), python_options=("-X", "importtime"))
    assert timed.returncode == 0 and len(aws.hits) == 1
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in timed.stderr.splitlines()}
    assert "halcfg" in imported and not imported & {"boto3", "botocore", "requests", "typer", "jsonschema"}


def test_an_expired_ecr_token_is_not_cached_by_the_kubelet(tmp_path: Path, moto_ecr, ecr_registry) -> None:
    config = write_accounts(tmp_path / "halcfg.yaml", {
        "name": "ecr", "address": ecr_registry.address,
        "ecr": {"region": moto_ecr.region, "registryId": moto_ecr.registry_id,
                "endpointUrl": moto_ecr.endpoint_url, "accessKeyId": ACCESS_KEY_ID, "secretAccessKeyEnv": "NOPE"},
    })  # fmt: skip
    failed = provide(config, request(f"{ecr_registry.address}/team/api"))
    assert failed.returncode == 1 and "NOPE" in failed.stderr
    (tmp_path / "aws-secret").write_text(SECRET_ACCESS_KEY)
    account = json.loads(config.read_text())["providers"]["dockerRegistry"]["accounts"][0]
    account["ecr"] = {**account["ecr"], "secretAccessKeyFile": "aws-secret"}
    del account["ecr"]["secretAccessKeyEnv"]
    write_accounts(config, account)
    response = decode_strictly(provide(config, request(f"{ecr_registry.address}/team/api")).stdout, f"{GROUP}/v1")
    assert response["cacheDuration"] == "0s"  # moto's token expired in 2015
    assert response["auth"][ecr_registry.address]["password"] == moto_ecr.password


def test_the_rendered_provider_config_execs_this_plugin(tmp_path: Path, basic_registry) -> None:
    """`halcfg render --target kubelet`, run the way the kubelet runs a provider: `<bin-dir>/<name>
    args...` with the provider's env appended, for an image its matchImages select."""
    (tmp_path / "pw").write_text(BASIC_PASSWORD)
    config = write_accounts(tmp_path / "halcfg.yaml", {
        "name": "basic", "address": basic_registry.address, "plainHttp": True, "username": BASIC_USER,
        "passwordFile": "pw"})  # fmt: skip
    rendered = run_cli("render", "-c", config, "--target", "kubelet", "--out", "-")
    assert rendered.returncode == 0, rendered.stderr
    (provider,) = YAML(typ="safe").load(rendered.stdout)["providers"]
    image = f"{basic_registry.address}/team/api:v1"
    assert any(key_matches(pattern, image) for pattern in provider["matchImages"])
    plugin = tmp_path / "bin-dir" / provider["name"]
    plugin.parent.mkdir()
    plugin.write_text(f"#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -m halcfg \"$@\"\n")
    plugin.chmod(0o755)
    env = {**helper_env(tmp_path, config), **{e["name"]: e["value"] for e in provider.get("env", [])}}
    env["HALCFG_CONFIG"] = str(config)  # the provider names the node's path; the test's file stands in
    result = subprocess.run([str(plugin), *provider.get("args", [])], input=request(image, provider["apiVersion"]),
                            capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    response = decode_strictly(result.stdout, provider["apiVersion"])
    assert response["auth"] == {basic_registry.address: {"username": BASIC_USER, "password": BASIC_PASSWORD}}
    assert all(key_matches(key, image) for key in response["auth"])


# -- edge references and hostile requests (issues 15.11, 16.6) ----------------------------------


def test_edge_references_get_the_kubelets_answer(tmp_path: Path) -> None:
    (tmp_path / "canary").write_text(CANARY)
    config = write_accounts(
        tmp_path / "halcfg.yaml",
        {"name": "hub", "address": "docker.io:443", "username": "hub-bot", "passwordFile": "canary"},
        {"name": "local", "address": "localhost", "username": "local-bot", "passwordFile": "canary"},
        {"name": "six", "address": "https://[::1]:5000", "username": "six-bot", "passwordFile": "canary"},
    )  # fmt: skip
    # distribution/reference v0.6 (the kubelet's parser): `Localhost` is a registry of its own, and
    # the keyring compares labels case-sensitively (filepath.Match), so `localhost`'s key misses it;
    # an IPv6 host is a domain; `sha256:<hex>` is docker.io/library/sha256; Hub's API host is not
    # `docker.io` to the keyring (label count), so the kubelet never gives it Hub's key.
    expected = {"Localhost/x": None, "localhost/x": "localhost", "[::1]:5000/x": "[::1]:5000",
                "sha256:" + "ab" * 32: "docker.io", "registry-1.docker.io/library/golang": None,
                "docker.io/library/golang": "docker.io"}
    for image, key in expected.items():
        response = decode_strictly(provide(config, request(image)).stdout, f"{GROUP}/v1")
        assert list(response.get("auth", {})) == ([key] if key else []), image
        matched = run_cli("match", "-c", config, "--policy", "kubelet", "--format", "json", image)
        assert [row["account"] is not None for row in json.loads(matched.stdout)] == [key is not None], image


@pytest.mark.parametrize(("stdin", "message"), [
    (b'{"kind": "CredentialProviderRequest", "image": "x\xff"}', "request is not UTF-8 (byte 49)"),
    (b'{"kind": "CredentialProviderRequest", "n": ' + b"9" * 5000 + b"}", "request is not readable JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "request is not readable JSON: nested too deep"),
    (b"\xfe\xff\x00{", "request is not UTF-8"),
])  # fmt: skip
def test_unreadable_requests_are_one_line_errors(config: Path, stdin: bytes, message: str) -> None:
    env = {**helper_env(config.parent, config), "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "halcfg", "kubelet-credential-provider"], input=stdin,
                            capture_output=True, env=env, timeout=60)
    stderr = result.stderr.decode()
    assert result.returncode == 1 and result.stdout == b"" and "Traceback" not in stderr
    assert message in stderr and stderr.count("\n") == 1, stderr
