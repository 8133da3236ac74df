"""`docker pull` through a real docker daemon with `docker-credential-halcfg` as the credential
helper (issue 15): the accounts file is halcfg's user file (`halcfg init --user`, `account add`),
docker's config.json is what `halcfg render --target docker-config --helper halcfg` writes, and
the registry, not the test, says whether the credential was halcfg's.

The docker CLI, not the daemon, asks the helper: docker/cli v20.10.24 cli/config/configfile/file.go
getConfiguredCredentialStore picks credHelpers[host], and cli/command/image/trust.go
imagePullPrivileged sends the credential to the daemon as RegistryAuth (X-Registry-Auth). The
registries are plain HTTP on 127.0.0.1, which dockerd treats as insecure without being told
(moby v20.10.24 registry/config.go LoadInsecureRegistries appends 127.0.0.0/8).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.credential_helper import HELPER, helper_env, install_shim
from tests.support.docker_daemon import (
    DOCKER_CLI,
    DockerDaemon,
    docker_daemon_fixture,  # noqa: F401 - the session fixture
)
from tests.support.moto_ecr import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from tests.support.registry import Registry, start_registry
from tests.support.seed import image_documents, manifest_digest, push_image

USER = "puller"
PASSWORD = "CANARY-dockerd-5e7f-s3cr3t"
WRONG = "CANARY-dockerd-wrong-0a1b"
REPO, TAG = "team/app", "v1"
NEWER_CLI = "/usr/local/bin/docker"
# Both clients ask the helper themselves; the newer one is what most users run, where installed.
CLIENTS = [DOCKER_CLI, pytest.param(NEWER_CLI, marks=pytest.mark.skipif(
    not os.access(NEWER_CLI, os.X_OK), reason=f"{NEWER_CLI} is not installed"))]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """htpasswd registry (USER/PASSWORD only) holding REPO:TAG, logging every request."""
    workdir = tmp_path_factory.mktemp("dockerd-registry")
    with start_registry(workdir, htpasswd={USER: PASSWORD}, log_level="info") as started:
        push_image(started.url, REPO, TAG, auth=(USER, PASSWORD))
        yield started


@dataclass
class Client:
    """A user of docker and halcfg: home, user accounts file, docker config folder and a PATH with
    `docker-credential-halcfg`, wrapped to record what docker asks it and what it says on stderr
    (docker discards that: docker-credential-helpers client.Get reads only stdout)."""

    root: Path
    accounts: Path
    env: dict[str, str]

    def halcfg(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        result = run_cli(*args, input=stdin, env=self.env)
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def add_account(self, *args: str) -> None:
        added = self.halcfg("account", "add", *args, "-c", str(self.accounts))
        assert added.returncode == 0, added.stdout + added.stderr

    def render_docker_config(self) -> dict[str, object]:
        rendered = self.halcfg("render", "-c", str(self.accounts), "--target", "docker-config",
                               "--helper", "halcfg", "--out", "-")  # fmt: skip
        assert rendered.returncode == 0, rendered.stderr
        docker_dir = Path(self.env["DOCKER_CONFIG"])
        docker_dir.mkdir(exist_ok=True)
        (docker_dir / "config.json").write_text(rendered.stdout)
        return json.loads(rendered.stdout)

    def helper_calls(self) -> list[str]:
        calls = self.root / "helper-calls.log"
        return calls.read_text().splitlines() if calls.exists() else []

    def helper_stderr(self) -> str:
        path = self.root / "helper-stderr.log"
        return path.read_text() if path.exists() else ""


@pytest.fixture
def client(tmp_path: Path) -> Client:
    real = install_shim(tmp_path / "helper-bin")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / HELPER
    wrapper.write_text(
        "#!/bin/sh\n"
        'input=$(cat)\n'
        f'printf "%s %s\\n" "$1" "$input" >> {shlex.quote(str(tmp_path / "helper-calls.log"))}\n'
        f'printf "%s" "$input" | {shlex.quote(str(real))} "$@" 2>> {shlex.quote(str(tmp_path / "helper-stderr.log"))}\n'
    )
    wrapper.chmod(0o755)
    # The helper finds the user file by itself: no HALCFG_CONFIG, XDG_CONFIG_HOME of the test's own.
    env = helper_env(tmp_path, tmp_path / "unused.yaml", bin_dir)
    del env["HALCFG_CONFIG"]
    env.update({"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "DOCKER_CONFIG": str(tmp_path / "docker")})
    accounts = tmp_path / "xdg" / "halcfg" / "halcfg.yaml"
    made = Client(tmp_path, accounts, env)
    init = made.halcfg("init", "--user")
    assert init.returncode == 0 and accounts.exists(), init.stdout + init.stderr
    return made


def password_file(client: Client, name: str, password: str) -> str:
    """A 0600 file beside the accounts file holding `password`; the path relative to it."""
    path = client.accounts.parent / name
    path.write_text(password)
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    return name


def docker_requests(registry: Registry, offset: int) -> list[tuple[str, str]]:
    """(message, URI) of the docker daemon's requests the registry logged after `offset`: distribution
    v2.8.2 registry/handlers/app.go logs "authorized request" once the htpasswd check passed, and
    "error authorizing context" when it did not."""
    found = []
    for line in registry.log_file.read_text(errors="replace")[offset:].splitlines():
        if 'http.request.useragent="docker/' not in line:
            continue
        message = re.search(r'msg="(authorized request|error authorizing context)', line)
        uri = re.search(r'http\.request\.uri="?([^" ]+)', line)
        if message and uri:
            found.append((message.group(1), uri.group(1)))
    return found


def log_size(registry: Registry) -> int:
    return len(registry.log_file.read_text(errors="replace"))


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in secrets:
        for form in (secret, base64.b64encode(f"{USER}:{secret}".encode()).decode(),
                     base64.b64encode(secret.encode()).decode().rstrip("=")):
            assert form not in text, form


@pytest.mark.parametrize("docker", CLIENTS)
def test_docker_pull_sends_the_halcfg_credential(
    docker_daemon: DockerDaemon, registry: Registry, client: Client, docker: str
) -> None:
    image = f"{registry.address}/{REPO}:{TAG}"
    anonymous = docker_daemon.cli("pull", image, env=client.env, docker=docker)  # no config.json yet
    assert anonymous.returncode != 0 and "no basic auth credentials" in anonymous.stderr, anonymous.stderr
    assert client.helper_calls() == []

    # `account add` probes the registry with the password file's content: a wrong one is not saved.
    client.add_account("local", "--address", registry.address, "--plain-http", "--username", USER,
                       "--password-file", password_file(client, "local.password", PASSWORD))  # fmt: skip
    assert client.render_docker_config()["credHelpers"] == {registry.address: "halcfg"}
    offset = log_size(registry)

    pulled = docker_daemon.cli("pull", image, env=client.env, docker=docker)
    try:
        assert pulled.returncode == 0, pulled.stdout + pulled.stderr + docker_daemon.log_tail()
        assert f"Digest: {manifest_digest(REPO, TAG)}" in pulled.stdout
        assert client.helper_calls() == [f"get {registry.address}"]
        assert client.helper_stderr() == ""
        assert_no_secret(pulled.stdout + pulled.stderr, PASSWORD)

        # The registry authorized docker's manifest and blob requests, with the one user it knows:
        # only the first ping of /v2/, sent without credentials, was challenged.
        config, manifest = image_documents(REPO, TAG)
        blobs = [json.loads(manifest)["config"], *json.loads(manifest)["layers"]]
        requests = docker_requests(registry, offset)
        authorized = {uri for message, uri in requests if message == "authorized request"}
        wanted = {f"/v2/{REPO}/manifests/{TAG}", *(f"/v2/{REPO}/blobs/{blob['digest']}" for blob in blobs)}
        assert wanted <= authorized, requests
        assert {uri for message, uri in requests if message != "authorized request"} <= {"/v2/"}, requests

        labels = docker_daemon.cli("image", "inspect", "--format", "{{json .Config.Labels}}", image, env=client.env)
        assert json.loads(labels.stdout) == json.loads(config)["config"]["Labels"], labels.stderr
    finally:
        docker_daemon.cli("rmi", "--force", image, env=client.env)


def test_a_wrong_password_is_docker_unauthorized_without_the_secret(
    docker_daemon: DockerDaemon, registry: Registry, client: Client
) -> None:
    client.add_account("local", "--address", registry.address, "--plain-http", "--username", USER,
                       "--password-file", password_file(client, "local.password", WRONG),
                       "--no-validate")  # fmt: skip
    client.render_docker_config()
    offset = log_size(registry)

    image = f"{registry.address}/{REPO}:{TAG}"
    pulled = docker_daemon.cli("pull", image, env=client.env)
    assert pulled.returncode != 0
    assert "Error response from daemon: unauthorized: authentication required" in pulled.stderr, pulled.stderr
    assert client.helper_calls() == [f"get {registry.address}"]  # halcfg answered; the registry refused
    assert_no_secret(pulled.stdout + pulled.stderr + client.helper_stderr(), WRONG, PASSWORD)
    requests = docker_requests(registry, offset)
    assert requests and all(message == "error authorizing context" for message, _ in requests), requests
    assert docker_daemon.cli("image", "inspect", image, env=client.env).returncode != 0  # nothing pulled


def test_docker_pull_with_an_ecr_token_fetched_at_pull_time(
    docker_daemon: DockerDaemon, client: Client, moto_ecr, ecr_registry: Registry, fault_proxy
) -> None:
    # ecr_registry accepts exactly moto's GetAuthorizationToken credential (AWS:<token>), so only
    # a token the helper fetched from "AWS" at pull time pulls; the proxy counts the AWS calls.
    aws = fault_proxy(moto_ecr.endpoint_url)
    client.env["ECR_SECRET"] = SECRET_ACCESS_KEY
    # --no-validate: add's probe would fetch a token too, and the count below is the pull's.
    client.add_account("ecr", "--address", ecr_registry.address, "--plain-http",
                       "--ecr-region", moto_ecr.region, "--ecr-registry-id", moto_ecr.registry_id,
                       "--ecr-endpoint-url", aws.url, "--ecr-access-key-id", ACCESS_KEY_ID,
                       "--ecr-secret-access-key-env", "ECR_SECRET", "--no-validate")  # fmt: skip
    client.render_docker_config()
    image = f"{ecr_registry.address}/team/api:v2"

    pulled = docker_daemon.cli("pull", image, env=client.env)
    try:
        assert pulled.returncode == 0, pulled.stdout + pulled.stderr
        assert f"Digest: {manifest_digest('team/api', 'v2')}" in pulled.stdout
        assert len(aws.hits) == 1  # one GetAuthorizationToken, by the helper docker started
        assert client.helper_calls() == [f"get {ecr_registry.address}"]
        assert_no_secret(pulled.stdout + pulled.stderr + client.helper_stderr(), moto_ecr.password)
    finally:
        docker_daemon.cli("rmi", "--force", image, env=client.env)
