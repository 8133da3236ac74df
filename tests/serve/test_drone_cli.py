"""`halcfg serve drone`'s start-up errors: one line (or the findings), the right exit code, no traceback."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.serve.conftest import SHARED_SECRET, assert_log_clean
from tests.serve.test_drone import HUB, ask
from tests.support.cli import run_cli
from tests.support.drone_server import start_drone_server
from tests.support.drone_signer import registry_body, signed_request
from tests.support.ports import LOOPBACK


def test_no_secret_is_a_usage_error(workdir: Path) -> None:
    result = run_cli("serve", "drone", "-c", workdir / "halcfg.yaml", "--listen", "127.0.0.1:1", timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip() == "halcfg: error: no shared secret: give --secret-file or set DRONE_SECRET"


def test_empty_or_missing_secret_file(workdir: Path) -> None:
    (workdir / "empty").write_text("\n")
    for name, says in (("empty", "is empty"), ("absent", "No such file")):
        result = run_cli("serve", "drone", "-c", workdir / "halcfg.yaml", "--secret-file", workdir / name, timeout=30)
        assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr


def test_invalid_accounts_file_at_start_shows_findings(workdir: Path) -> None:
    config = workdir / "halcfg.yaml"
    config.write_text(config.read_text().replace("name: team", "name: Team_1"))
    result = run_cli("serve", "drone", "-c", config, "--secret-file", workdir / "secret", timeout=30)
    assert result.returncode == 1
    assert f"{config}:" in result.stderr and "error [" in result.stderr and "Traceback" not in result.stderr


def test_bad_listen_and_busy_port(workdir: Path) -> None:
    args = ("serve", "drone", "-c", workdir / "halcfg.yaml", "--secret-file", workdir / "secret")
    bad = run_cli(*args, "--listen", "localhost", timeout=30)
    assert bad.returncode == 2 and "HOST:PORT" in bad.stderr
    with socket.socket() as busy:
        busy.bind((LOOPBACK, 0))
        busy.listen()
        taken = run_cli(*args, "--listen", f"{LOOPBACK}:{busy.getsockname()[1]}", timeout=30)
    assert taken.returncode == 2 and taken.stderr.startswith("halcfg: error:") and "Traceback" not in taken.stderr


def test_secret_from_the_environment(workdir: Path) -> None:
    (workdir / "secret").unlink()
    server = start_drone_server(workdir / "halcfg.yaml", None, workdir / "env-log",
                                env={"DRONE_SECRET": SHARED_SECRET, "TEAM_PASSWORD": "x" * 8})
    try:
        assert ask(server, "other/repo").json() == [HUB]
    finally:
        server.stop()
    assert_log_clean(server)


def test_loose_secret_file_is_warned_about(workdir: Path) -> None:
    (workdir / "secret").chmod(0o644)
    server = start_drone_server(workdir / "halcfg.yaml", workdir / "secret", workdir / "loose-log",
                                env={"TEAM_PASSWORD": "x" * 8})
    try:
        assert "chmod 600" in str(server.wait_for_log("warning")["reason"])
    finally:
        server.stop()
    assert_log_clean(server)


def test_short_secret_answers_identity_but_not_aesgcm(workdir: Path) -> None:
    short = "only-20-bytes-secret"
    server = start_drone_server(workdir / "halcfg.yaml", None, workdir / "short-log",
                                env={"DRONE_SECRET": short, "TEAM_PASSWORD": "x" * 8})
    try:
        body = registry_body("other/repo")
        assert server.post(signed_request(short, body), body).json() == [HUB]
        refused = server.post(signed_request(short, body, encoding="aesgcm"), body)
        assert refused.status == 406 and b"32 bytes" in refused.body and HUB["password"].encode() not in refused.body
    finally:
        server.stop()
