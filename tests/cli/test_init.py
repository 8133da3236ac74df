"""`halcfg init` through the real CLI: a commented starter that validates, never over a file."""

from __future__ import annotations

import json
from pathlib import Path

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
