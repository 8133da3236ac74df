"""`serve drone` spells each account as Drone's runner matches it (registry/hosts), agreeing with
`render -t drone` and `match --policy drone`: Docker Hub as `docker.io` whatever the file says,
default ports dropped, and an IPv6 registry, which the runner never matches, left out."""

from __future__ import annotations

import json
from pathlib import Path

from ruamel.yaml import YAML

from tests.serve.conftest import HUB_PASSWORD, SHARED_SECRET, StartServer
from tests.support.cli import run_cli
from tests.support.drone_signer import registry_body, signed_request

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
      - name: six
        address: https://[::1]:5000
        username: six-bot
        passwordFile: hub.password
      - name: team
        address: https://Registry.Example.com.:443/v2/
        username: team-bot
        passwordFile: hub.password
"""
EXPECTED = [{"address": "docker.io", "username": "hub-bot", "password": HUB_PASSWORD},
            {"address": "registry.example.com", "username": "team-bot", "password": HUB_PASSWORD}]


def test_answer_render_and_match_spell_accounts_alike(workdir: Path, start_server: StartServer) -> None:
    accounts = workdir / "halcfg.yaml"
    accounts.write_text(ACCOUNTS)
    server = start_server()
    body = registry_body()
    response = server.post(signed_request(SHARED_SECRET, body), body)
    assert response.status == 200 and response.json() == EXPECTED

    rendered = run_cli("render", "--target", "drone", "--out", workdir / "out", "-c", accounts)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert YAML(typ="safe").load(workdir / "out/drone/registries.yml") == EXPECTED
    assert "consumer-cannot-use" in rendered.stdout + rendered.stderr  # six is left out, and said so

    matched = run_cli("match", "-c", accounts, "--format", "json", "golang", "registry.example.com/app",
                      "[::1]:5000/x")
    rows = json.loads(matched.stdout)
    assert [r["account"] for r in rows] == ["hub", "team", None]
    assert "IPv6" in rows[2]["reason"] and "six is that registry" in rows[2]["reason"]
