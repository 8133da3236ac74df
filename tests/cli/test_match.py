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


# -- edge references and Hub aliases, as each consumer parses them (issues 15.11, 15.12) -------

EDGES = """\
version: 1
providers:
  dockerRegistry:
    enabled: true
    accounts:
      - name: hub
        address: https://index.docker.io/v1/
      - name: local
        address: localhost
      - name: six
        address: "[::1]:5000"
"""
SHA = "sha256:" + "ab" * 32
EDGE_IMAGES = ("golang", "[::1]:5000/x", SHA, "Localhost/x", "registry-1.docker.io/library/golang",
               "registry.hub.docker.com/library/golang")


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        # drone-runner-docker MatchHostname over docker/distribution v2.7.1: no IPv6 host, a digest
        # has no name, an uppercase first component is an (invalid) Hub path; Hub only as docker.io
        ("drone", ["hub", None, None, None, None, None]),
        # the kubelet (distribution/reference v0.6 + keyring): IPv6 is a domain, sha256:<hex> is
        # docker.io/library/sha256, Localhost is not localhost, aliases are not docker.io
        ("kubelet", ["hub", "six", "hub", None, None, None]),
        # docker's getAuthConfigKey: the v1 key for docker.io only, every other domain as written
        ("docker", ["hub", "six", "hub", None, None, None]),
    ],
)
def test_edge_references_get_the_consumers_answer(tmp_path: Path, policy: str, expected: list[str | None]) -> None:
    accounts = tmp_path / "halcfg.yaml"
    accounts.write_text(EDGES)
    result = run_cli("match", "-c", accounts, "--policy", policy, "--format", "json", *EDGE_IMAGES)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = json.loads(result.stdout)
    assert [r["account"] for r in rows] == expected
    for row in rows:  # every account that is the image's registry but does not apply says why
        if row["account"] is None:  # each image here is some account's registry
            assert " is that registry, but " in row["reason"] or " would be that registry, but " in row["reason"], row


def test_drone_says_it_cannot_use_an_ipv6_account(tmp_path: Path) -> None:
    accounts = tmp_path / "halcfg.yaml"
    accounts.write_text(EDGES)
    text = run_cli("match", "-c", accounts, "[::1]:5000/x", SHA).stdout
    assert "warning [consumer-cannot-use] Drone's runner never matches an IPv6 registry ([::1]:5000)" in text
    assert "six is that registry, but Drone's runner never matches an IPv6 registry" in text
    assert f"warning [consumer-cannot-parse] '{SHA}': '{SHA}' is a digest, not a repository name" in text
    assert "hub would be that registry, but drone reads no registry from this reference" in text


def test_hub_alias_images_say_why_hub_does_not_apply(tmp_path: Path) -> None:
    accounts = tmp_path / "halcfg.yaml"
    accounts.write_text(EDGES)
    image = "registry-1.docker.io/library/golang"
    reasons = {policy: json.loads(run_cli("match", "-c", accounts, "--policy", policy, "--format", "json",
                                          image).stdout)[0]["reason"] for policy in ("drone", "kubelet", "docker")}
    assert reasons["drone"].endswith("hub is that registry, but the runner compares registry-1.docker.io with its "
                                     "address docker.io exactly")
    assert reasons["kubelet"].endswith("hub is that registry, but the kubelet matches "
                                       "registry-1.docker.io/library/golang against docker.io label by label, "
                                       "case and port as written")
    assert reasons["docker"] == ("docker looks up the key registry-1.docker.io in auths and credHelpers, and no "
                                 "account has it; hub is that registry, but its config.json key is "
                                 "https://index.docker.io/v1/, which docker looks up only for docker.io and "
                                 "index.docker.io images")
