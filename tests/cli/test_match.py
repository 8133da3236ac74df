"""`halcfg match` through the real CLI: per image, the account that applies and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_cli

ACCOUNTS = """\
version: 1
providers:
  dockerRegistry:
    enabled: true
    accounts:
      - name: hub
        address: index.docker.io
      - name: hub-backup
        address: https://docker.io
      - name: local
        address: localhost:5000
"""


@pytest.fixture
def accounts(tmp_path: Path) -> Path:
    path = tmp_path / "halcfg.yaml"
    path.write_text(ACCOUNTS)
    return path


def test_json_lists_image_host_name_account_reason(accounts: Path) -> None:
    result = run_cli("match", "-c", accounts, "--format", "json", "golang:1.0", "localhost:5000/foo", "foo.bar/baz")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["image"], r["host"], r["name"], r["account"]) for r in rows] == [
        ("golang:1.0", "docker.io", "docker.io/library/golang", "hub"),
        ("localhost:5000/foo", "localhost:5000", "localhost:5000/foo", "local"),
        ("foo.bar/baz", "foo.bar", "foo.bar/baz", None),
    ]
    assert all(set(r) == {"image", "host", "name", "account", "reason"} for r in rows)


def test_contested_host_says_who_wins_under_each_policy(accounts: Path) -> None:
    drone = run_cli("match", "-c", accounts, "golang").stdout
    assert "golang: docker.io/library/golang -> hub:" in drone
    assert "under drone hub wins" in drone and "under kubelet hub, hub-backup are tried in that order" in drone
    kubelet = json.loads(run_cli("match", "-c", accounts, "--policy", "kubelet", "--format", "json", "golang").stdout)
    assert [r["account"] for r in kubelet] == ["hub", "hub-backup"]


def test_invalid_reference_is_a_finding_with_exit_1(accounts: Path) -> None:
    result = run_cli("match", "-c", accounts, "library/Golang", "golang")
    assert result.returncode == 1
    assert "error [invalid-reference]" in result.stdout and "must be lowercase" in result.stdout
    assert "Traceback" not in result.stderr
    rows = json.loads(run_cli("match", "-c", accounts, "--format", "json", "library/Golang").stdout)
    assert rows[0]["account"] is None and rows[0]["host"] is None


def test_usage_errors_exit_2(accounts: Path, tmp_path: Path) -> None:
    assert run_cli("match", "-c", accounts, "--policy", "podman", "golang").returncode == 2
    assert run_cli("match", "-c", accounts).returncode == 2
    missing = run_cli("match", "-c", tmp_path / "nope.yaml", "golang")
    assert missing.returncode == 2 and missing.stderr.startswith("halcfg: error:")
