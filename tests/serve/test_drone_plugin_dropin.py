"""`halcfg serve drone` in place of drone-registry-plugin (issue 19.4): started with nothing but
the plugin's environment (drone-registry-plugin main.go: DRONE_ADDRESS, DRONE_SECRET,
DRONE_CONFIG_FILE, DRONE_DEBUG) and the plugin's registry file, it answers a signed request with
the file's credentials."""

from __future__ import annotations

import json
from pathlib import Path

from tests.serve.conftest import SHARED_SECRET, secret_forms
from tests.support.cli import run_cli
from tests.support.drone_server import launch_drone_server
from tests.support.drone_signer import registry_body, signed_request
from tests.support.ports import LOOPBACK, free_port

PLUGIN_PASSWORD = "canary-plugin-password-3e9a"
GCR_KEY = {"type": "service_account", "private_key_id": "canary-gcr-key-77f1", "client_email": "ci@p.iam"}
# the plugin's README example, plus a GCR _json_key as its README writes one (a block scalar)
REGISTRY_FILE = f"""\
- address: docker.io
  username: octocat
  password: {PLUGIN_PASSWORD}
- address: gcr.io
  username: _json_key
  password: |
    {json.dumps(GCR_KEY, indent=2).replace(chr(10), chr(10) + "    ")}
"""


def test_only_the_plugins_environment_and_file(tmp_path: Path) -> None:
    (tmp_path / "config.yml").write_text(REGISTRY_FILE)
    port = free_port()
    env = {"DRONE_SECRET": SHARED_SECRET, "DRONE_CONFIG_FILE": str(tmp_path / "config.yml"),
           "DRONE_ADDRESS": f"{LOOPBACK}:{port}", "DRONE_DEBUG": "true"}
    server = launch_drone_server([], port, tmp_path / "log", env)  # no flag at all
    try:
        for event in ("push", "pull_request", "cron"):  # every entry for every repo and event, as the plugin
            body = registry_body("any/repo", event)
            response = server.post(signed_request(SHARED_SECRET, body), body)
            assert response.status == 200
            assert response.json() == [
                {"address": "docker.io", "username": "octocat", "password": PLUGIN_PASSWORD},
                {"address": "gcr.io", "username": "_json_key", "password": json.dumps(GCR_KEY, separators=(",", ":"))},
            ]
        start = server.wait_for_log("start")
        assert start["format"] == "drone-registry-plugin" and start["accounts"] == 2 and start["debug"] is True
        assert start["listen"] == f"{LOOPBACK}:{port}"
        assert server.wait_for_log("access", path="/")["offered"] == ["dockerhub", "gcr"]  # DRONE_DEBUG
    finally:
        server.stop()
    text = (tmp_path / "log").read_text()
    for secret in (PLUGIN_PASSWORD, SHARED_SECRET, "canary-gcr-key-77f1"):
        assert not [form for form in secret_forms(secret, ("octocat", "_json_key")) if form in text]


def test_the_plugin_file_is_reloaded_when_it_changes(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(REGISTRY_FILE)
    port = free_port()
    env = {"DRONE_SECRET": SHARED_SECRET, "DRONE_CONFIG_FILE": str(config), "DRONE_ADDRESS": f"{LOOPBACK}:{port}"}
    server = launch_drone_server(["--reload-interval", "0.2", "--reload-settle", "0.2"], port, tmp_path / "log", env)
    try:
        config.write_text("- address: quay.io\n  username: robot\n  password: " + PLUGIN_PASSWORD + "\n")
        server.wait_for_log("reloaded", accounts=1)
        body = registry_body()
        assert server.post(signed_request(SHARED_SECRET, body), body).json() == [
            {"address": "quay.io", "username": "robot", "password": PLUGIN_PASSWORD}]
    finally:
        server.stop()


def test_plugin_settings_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "config.yml").write_text("address: docker.io\n")  # a mapping, not the plugin's list
    base = {"DRONE_SECRET": SHARED_SECRET, "DRONE_CONFIG_FILE": str(tmp_path / "config.yml"),
            "DRONE_ADDRESS": "127.0.0.1:1"}
    for env, says in (({**base, "DRONE_DEBUG": "yes"}, "DRONE_DEBUG='yes' is not a boolean"),
                      (base, f"{tmp_path / 'config.yml'}:1:1"),
                      ({**base, "DRONE_ADDRESS": "nowhere"}, "expected HOST:PORT")):
        result = run_cli("serve", "drone", env={**env, "HALCFG_CONFIG": ""}, timeout=30)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("halcfg: error:") and says in result.stderr and "Traceback" not in result.stderr
