"""A running `halcfg serve drone` per test, on its own accounts file; logs checked for canaries."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.drone_server import DroneServer, start_drone_server
from tests.support.moto_ecr import MotoECR

SHARED_SECRET = "canary-shared-secret-9b1f0c2d7e4a6b8c"  # >= 32 bytes: aesgcm works
HUB_PASSWORD = "canary-hub-password-51d0"
TEAM_PASSWORD = "canary-team-password-a7c3"
CANARIES = (SHARED_SECRET, HUB_PASSWORD, TEAM_PASSWORD)

ACCOUNTS = """\
version: 1
providers:
  dockerRegistry:
    enabled: true
    accounts:
      - name: hub
        address: index.docker.io
        username: hub-bot
        passwordFile: hub.password
      - name: team
        address: https://registry.example.com:5000
        username: team-bot
        passwordEnv: TEAM_PASSWORD
        drone: {repos: ["octocat/*", "acme/api-?"], events: [push, tag]}
      - name: broken
        address: quay.io
        username: quay-bot
        passwordCommand: echo no token today >&2; exit 3
"""


def secret_forms(value: str, users: tuple[str, ...] = ("hub-bot", "team-bot")) -> list[str]:
    """A secret as it could leak: plain, and base64 (standard and URL-safe, padded or not) of it
    and of user:secret."""
    forms = [value]
    for raw in (value, *(f"{user}:{value}" for user in users)):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(raw.encode()).decode()
            forms += [text, text.rstrip("=")]
    return forms


def assert_log_clean(server: DroneServer) -> None:
    text = server.log_path.read_text()
    for canary in CANARIES:
        for form in secret_forms(canary):
            assert form not in text, f"a secret reached the log: {form[:6]}…"
    assert 'signature="' not in text and "keyId" not in text and "SHA-256=" not in text  # no signature, digest
    assert '"repo":{' not in text and '"build":{' not in text  # no body
    for line in server.log_lines():  # every line is structured
        assert isinstance(line.get("event"), str) and isinstance(line.get("ts"), float)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "halcfg.yaml").write_text(ACCOUNTS)
    (tmp_path / "hub.password").write_text(HUB_PASSWORD)
    (tmp_path / "secret").write_text(SHARED_SECRET + "\n")  # as `openssl rand -hex 16 > secret` leaves it
    (tmp_path / "secret").chmod(0o600)
    return tmp_path


StartServer = Callable[..., DroneServer]


def add_ecr_account(workdir: Path, moto_ecr: MotoECR) -> str:
    """Append an ECR account on moto (static keys, the secret in TEAM_PASSWORD); its host."""
    host = f"{moto_ecr.registry_id}.dkr.ecr.{moto_ecr.region}.amazonaws.com"
    config = workdir / "halcfg.yaml"
    config.write_text(config.read_text() + (
        f"      - name: ecr\n        address: {host}\n"
        f"        ecr: {{region: {moto_ecr.region}, endpointUrl: '{moto_ecr.endpoint_url}',"
        " accessKeyId: testing, secretAccessKeyEnv: TEAM_PASSWORD}\n"))
    return host


@pytest.fixture
def start_server(workdir: Path) -> Iterator[StartServer]:
    """Start servers on `workdir`'s files (extra CLI args allowed); each is stopped and its log
    checked for canaries afterwards."""
    started: list[DroneServer] = []

    def start(*extra: str) -> DroneServer:
        server = start_drone_server(workdir / "halcfg.yaml", workdir / "secret", workdir / f"log{len(started)}",
                                    *extra, env={"TEAM_PASSWORD": TEAM_PASSWORD})
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        assert_log_clean(server)


@pytest.fixture
def server(start_server: StartServer) -> DroneServer:
    return start_server()
