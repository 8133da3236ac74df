"""`halcfg serve drone`'s start-up errors: one line (or the findings), the right exit code, no traceback."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.serve.conftest import SHARED_SECRET, assert_log_clean
from tests.serve.test_drone import HUB, ask
from tests.support.cli import run_cli
from tests.support.drone_server import start_drone_server
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


def test_short_secret_is_refused_with_its_length_and_a_0600_recipe(workdir: Path) -> None:
    """Issue 16.5 / 17.4: a 20-byte secret used to be served (identity answers only); now the
    server refuses to start, says the length, and names a recipe that leaves the file 0600."""
    short = "only-20-bytes-secret"
    (workdir / "short").write_text(short + "\n")
    for args, env, where in ((("--secret-file", workdir / "short"), {}, f"{workdir / 'short'}:"),
                             ((), {"DRONE_SECRET": short}, "$DRONE_SECRET:")):
        result = run_cli("serve", "drone", "-c", workdir / "halcfg.yaml", "--listen", "127.0.0.1:1", *args,
                         env=env, timeout=30)
        assert result.returncode == 2, result.stderr
        line = result.stderr.strip()
        assert line.startswith(f"halcfg: error: {where}") and "\n" not in line and short not in line
        assert "is 20 bytes" in line and "at least 32" in line
        assert "(umask 077; openssl rand -hex 32 > drone.secret)" in line
    made = subprocess.run(["sh", "-c", "(umask 077; openssl rand -hex 32 > drone.secret)"], cwd=workdir, check=True)
    assert made.returncode == 0 and (workdir / "drone.secret").stat().st_mode & 0o777 == 0o600
    assert len((workdir / "drone.secret").read_text().strip()) == 64
