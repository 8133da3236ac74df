"""`halcfg init` through the real CLI: a commented starter that validates, never over a file."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from halcfg.edit.document import starter_text
from tests.support.cli import REPO, run_cli


def test_init_writes_a_starter_that_validates(tmp_path: Path) -> None:
    result = run_cli("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Wrote halcfg.yaml.")
    text = (tmp_path / "halcfg.yaml").read_text()
    schema_id = json.loads((REPO / "schemas" / "halcfg.schema.json").read_text())["$id"]
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={schema_id}"
    assert text.endswith("version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n    accounts: []\n")
    assert "halcfg account add NAME" in text  # the comments say what to do next
    assert run_cli("validate", cwd=tmp_path).returncode == 0


def test_init_never_replaces_a_file(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text("# mine\nversion: 1\n")
    result = run_cli("init", "-c", path)
    assert result.returncode == 2
    assert result.stderr == f"halcfg: error: {path} already exists; change it with `halcfg account add|edit|delete`\n"
    assert path.read_text() == "# mine\nversion: 1\n"


def test_init_follows_config_flag_and_env(tmp_path: Path) -> None:
    assert run_cli("init", "--config", tmp_path / "deploy" / "registries.yaml").returncode == 0
    assert (tmp_path / "deploy" / "registries.yaml").is_file()
    assert run_cli("init", env={"HALCFG_CONFIG": str(tmp_path / "env.yaml")}).returncode == 0
    assert (tmp_path / "env.yaml").is_file()


def _user_env(tmp_path: Path, xdg: bool) -> dict[str, str]:
    """A home of the test's own, no HALCFG_CONFIG (run_cli drops it), XDG_CONFIG_HOME or not."""
    env = {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg") if xdg else ""}
    (tmp_path / "home").mkdir(exist_ok=True)
    return env


def _helper(env: dict[str, str], host: str) -> subprocess.CompletedProcess[str]:
    """docker-credential-halcfg get, as docker starts it: from another folder, the URL on stdin."""
    full = {k: v for k, v in os.environ.items() if k != "HALCFG_CONFIG"} | env | {"PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "halcfg.serve.docker_helper", "get"], input=host, text=True,
                          capture_output=True, env=full, cwd=env["HOME"], timeout=60)


@pytest.mark.parametrize("xdg", [True, False])
def test_init_user_writes_the_file_the_helpers_read_and_their_hint_names_it(tmp_path: Path, xdg: bool) -> None:
    env = _user_env(tmp_path, xdg)
    where = (tmp_path / "xdg" if xdg else tmp_path / "home" / ".config") / "halcfg" / "halcfg.yaml"
    missing = _helper(env, "quay.io")
    assert missing.returncode == 1
    assert missing.stdout.strip() == (f"halcfg: accounts file: {where}: no such file "
                                      "(create one with `halcfg init --user`)")
    hint = missing.stdout.split("`")[1]
    assert hint == "halcfg init --user"
    made = run_cli(*shlex.split(hint)[1:], env=env, cwd=tmp_path)  # the hint, run as written
    assert made.returncode == 0, made.stderr
    assert made.stdout == (f"Wrote {where}. Next: halcfg account add NAME --address HOST --username USER "
                           f"--password -c {where}\n")
    assert stat.S_IMODE(where.parent.stat().st_mode) == 0o700  # the XDG spec's mode for a new folder
    # the helper now reads that file: a host it does not manage gets docker's "not found"
    found = _helper(env, "quay.io")
    assert (found.returncode, found.stdout.strip()) == (1, "credentials not found in native keychain")
    # and the command `init` suggested works on it
    added = run_cli("account", "add", "quay", "--address", "quay.io", "--username", "bot", "--password-env", "Q",
                    "--no-validate", "-c", where, env=env, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "name: quay" in where.read_text()


def test_init_user_and_config_are_one_or_the_other(tmp_path: Path) -> None:
    result = run_cli("init", "--user", "-c", tmp_path / "x.yaml", env=_user_env(tmp_path, True))
    assert (result.returncode, result.stderr) == (2, "halcfg: error: give --user or --config, not both\n")
    assert not (tmp_path / "x.yaml").exists() and not (tmp_path / "xdg").exists()


@pytest.mark.parametrize("text", ["", "\n  \n", "# registries for the payments team\n# TODO\n"])
def test_an_empty_accounts_file_gets_a_hint_that_works(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deploy" / "registries.yaml"
    path.parent.mkdir()
    path.write_text(text)
    empty = run_cli("validate", path)
    assert empty.returncode == 2
    hint = f"halcfg init -c {path}"
    assert empty.stderr == f"halcfg: error: {path}: file is empty; start one with `{hint}`\n"
    made = run_cli(*shlex.split(hint)[1:])
    assert made.returncode == 0, made.stderr
    written = path.read_text()
    assert written == (text if text.strip() else "") + starter_text()  # the user's comments stay, on top
    assert run_cli("validate", path).returncode == 0
