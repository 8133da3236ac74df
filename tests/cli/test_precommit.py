"""The team path (issue 17.1): the README's pre-commit hook on a fresh clone whose secrets/ is
git-ignored, with real git and real pre-commit.

The hook is this checkout's `.pre-commit-hooks.yaml` entry, declared as a `repo: local` hook
(`language: system`, the installed `halcfg`): the same id, entry, files and types, without the
network a `python` hook's install would need.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.support.cli import EXAMPLE, REPO

GIT_ENV = {
    "GIT_AUTHOR_NAME": "halcfg tests", "GIT_AUTHOR_EMAIL": "tests@halcfg.invalid",
    "GIT_COMMITTER_NAME": "halcfg tests", "GIT_COMMITTER_EMAIL": "tests@halcfg.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def run(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def hook_config(args: list[str]) -> str:
    """.pre-commit-config.yaml with halcfg's own hook definition as a local hook."""
    yaml = YAML(typ="safe")
    (hook,) = [h for h in yaml.load((REPO / ".pre-commit-hooks.yaml").read_text()) if h["id"] == "halcfg-validate"]
    local = {**hook, "language": "system", **({"args": args} if args else {})}
    text = io.StringIO()
    YAML().dump({"repos": [{"repo": "local", "hooks": [local]}]}, text)
    return text.getvalue()


@pytest.fixture
def clone(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository holding the example with its secrets/ git-ignored, cloned as a teammate would."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, **GIT_ENV, "HOME": str(home), "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
           "PYTHONPATH": str(REPO),  # the installed `halcfg` script, running this checkout
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("HALCFG_CONFIG", None)
    origin = tmp_path / "origin"
    origin.mkdir()
    shutil.copy(EXAMPLE, origin / "halcfg.yaml")
    shutil.copytree(EXAMPLE.parent / "secrets", origin / "secrets")
    (origin / ".gitignore").write_text("secrets/\n")
    (origin / ".pre-commit-config.yaml").write_text(hook_config([]))
    for step in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                 ["git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "accounts"]):
        assert run(*step, cwd=origin, env=env).returncode == 0, step
    listed = run("git", "ls-files", cwd=origin, env=env).stdout.split()
    assert listed == [".gitignore", ".pre-commit-config.yaml", "halcfg.yaml"]  # no secret was committed
    assert run("git", "clone", "-q", origin, tmp_path / "clone", cwd=tmp_path, env=env).returncode == 0
    assert not (tmp_path / "clone" / "secrets").exists()
    return tmp_path / "clone", env


def test_the_hook_passes_on_a_fresh_clone_without_the_secrets(clone: tuple[Path, dict[str, str]]) -> None:
    folder, env = clone
    result = run(sys.executable, "-m", "pre_commit", "run", "--all-files", "--verbose", cwd=folder, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "halcfg validate" in result.stdout and "Passed" in result.stdout
    # it says which files are elsewhere, and does not fail over them
    assert "info [file-absent] account 'dockerhub': passwordFile 'secrets/dockerhub.password'" in result.stdout
    assert "info [file-absent] account 'harbor': caCertFile 'secrets/company-ca.pem'" in result.stdout
    assert "halcfg.yaml: 3 infos" in result.stdout
    assert "error [" not in result.stdout and "warning [" not in result.stdout


def test_the_hook_with_require_secrets_fails_naming_the_file(clone: tuple[Path, dict[str, str]]) -> None:
    folder, env = clone
    (folder / ".pre-commit-config.yaml").write_text(hook_config(["--require-secrets"]))
    result = run(sys.executable, "-m", "pre_commit", "run", "--all-files", cwd=folder, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    assert (
        "halcfg.yaml:18:9: error [file-missing] account 'dockerhub': passwordFile 'secrets/dockerhub.password' "
        "does not exist"
    ) in result.stdout
    assert "error [file-missing] account 'gcr': passwordFile 'secrets/gcr-key.json'" in result.stdout
    assert "halcfg.yaml: 3 errors" in result.stdout
    # once the secrets are here (as on the deploy host), the same hook passes
    shutil.copytree(EXAMPLE.parent / "secrets", folder / "secrets")
    (folder / "secrets").chmod(0o700)
    for secret in (folder / "secrets").iterdir():
        secret.chmod(0o600)
    passed = run(sys.executable, "-m", "pre_commit", "run", "--all-files", cwd=folder, env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
