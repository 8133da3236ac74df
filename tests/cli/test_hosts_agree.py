"""One registry, one spelling per consumer, whichever command asks (issue 14: `docker.io:443`).

An account written `address: docker.io:443` is Docker Hub on its default port. render for Drone
and for the kubelet, match under each policy, the kubelet plugin and validate must all spell it
as that consumer looks it up (`serve drone`'s answer is in tests/serve/test_drone_hosts.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.support.cli import run_cli

HUB_PASSWORD = "hub-password-for-hosts-test"
ACCOUNTS = """\
version: 1
providers:
  dockerRegistry:
    enabled: true
    accounts:
      - name: hub
        address: docker.io:443
        username: hub-bot
        passwordFile: hub.password
      - name: not-hub
        address: registry-1.docker.io:5000
        username: other
        passwordFile: hub.password
      - name: local
        address: http://127.0.0.1:5000/v2/
        username: local-bot
        passwordFile: hub.password
"""


@pytest.fixture
def accounts(tmp_path: Path) -> Path:
    (tmp_path / "hub.password").write_text(HUB_PASSWORD)
    path = tmp_path / "halcfg.yaml"
    path.write_text(ACCOUNTS)
    return path


def test_render_drone_spells_hub_as_the_runner_matches(accounts: Path, tmp_path: Path) -> None:
    result = run_cli("render", "--target", "drone", "--out", tmp_path / "out", "-c", accounts)
    assert result.returncode == 0, result.stdout + result.stderr
    registries = YAML(typ="safe").load(tmp_path / "out/drone/registries.yml")
    assert [r["address"] for r in registries] == ["docker.io", "registry-1.docker.io:5000", "127.0.0.1:5000"]


def test_render_kubelet_match_images_hold_no_default_port(accounts: Path, tmp_path: Path) -> None:
    result = run_cli("render", "--target", "kubelet", "--out", tmp_path / "out", "-c", accounts)
    assert result.returncode == 0, result.stdout + result.stderr
    config = YAML(typ="safe").load(tmp_path / "out/kubelet/credential-provider-config.yaml")
    assert config["providers"][0]["matchImages"] == ["127.0.0.1:5000", "docker.io", "registry-1.docker.io:5000"]


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        ("drone", "docker.io equals the Drone address of hub (docker.io:443 in the file, looked up as docker.io)"),
        ("kubelet", "key docker.io matches docker.io/library/golang"),
        ("docker", "docker looks up the key https://index.docker.io/v1/, which is account hub's "
                   "(docker.io:443 in the file, looked up as https://index.docker.io/v1/)"),
    ],
)
def test_match_gives_hub_under_every_policy(accounts: Path, policy: str, reason: str) -> None:
    result = run_cli("match", "-c", accounts, "--policy", policy, "--format", "json", "golang", "127.0.0.1:5000/x")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = json.loads(result.stdout)
    assert [(r["image"], r["account"]) for r in rows] == [("golang", "hub"), ("127.0.0.1:5000/x", "local")]
    assert rows[0]["reason"] == reason


def test_match_never_gives_hub_to_another_port(accounts: Path) -> None:
    for policy in ("drone", "kubelet", "docker"):
        rows = json.loads(run_cli("match", "-c", accounts, "--policy", policy, "--format", "json",
                                  "registry-1.docker.io:5000/x", "registry-1.docker.io/library/golang").stdout)
        assert [r["account"] for r in rows] == ["not-hub", None], policy


def test_validate_accepts_hub_keys_and_keeps_ports_apart(accounts: Path) -> None:
    text = accounts.read_text() + (
        "      - name: hub-v1\n        address: https://index.docker.io/v1/\n"
        "        username: hub-bot\n        passwordFile: hub.password\n")
    accounts.write_text(text)
    result = run_cli("validate", "--format", "json", accounts)
    assert result.returncode == 0, result.stdout + result.stderr
    same = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "same-registry"]
    # hub-v1 is Docker Hub like hub; registry-1.docker.io:5000 is not (issue 14)
    assert [f["message"] for f in same] == ["account 'hub-v1': uses the same registry (docker.io) as account 'hub'"]


def test_kubelet_plugin_answers_with_the_match_images_key(accounts: Path) -> None:
    request = json.dumps({"kind": "CredentialProviderRequest", "apiVersion": "credentialprovider.kubelet.k8s.io/v1",
                          "image": "docker.io/library/golang"})
    result = run_cli("kubelet-credential-provider", "-c", accounts, input=request)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["auth"] == {"docker.io": {"username": "hub-bot", "password": HUB_PASSWORD}}
