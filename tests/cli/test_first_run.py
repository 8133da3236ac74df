"""The README's first command on a fresh clone: no warning the user did not cause (git gives the
example's secret files 0644, which `validate` leaves to the stages that use them)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import REPO


def _first_command() -> str:
    readme = (REPO / "README.md").read_text()
    return re.search(r"```sh\n(.*)\n", readme).group(1)  # type: ignore[union-attr]


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    if subprocess.run(["git", "-C", str(REPO), "rev-parse"], capture_output=True).returncode:
        pytest.skip("not a git checkout")
    target = tmp_path / "halcfg"
    old = os.umask(0o022)  # a usual user's umask: files 0644, folders 0755
    try:
        subprocess.run(["git", "clone", "-q", str(REPO), str(target)], check=True, capture_output=True, timeout=120)
    finally:
        os.umask(old)
    return target


def test_the_readmes_first_command_on_a_fresh_clone_prints_no_warning(clone: Path) -> None:
    command = _first_command()
    assert command == "pip install . && halcfg validate examples/halcfg.yaml"
    assert oct((clone / "examples" / "secrets" / "dockerhub.password").stat().st_mode & 0o777) == "0o644"
    # `halcfg` as `pip install .` makes it: this clone's code, run from the clone's folder
    env = {**{k: v for k, v in os.environ.items() if k != "HALCFG_CONFIG"}, "PYTHONPATH": str(clone)}
    args = command.split("&& halcfg ")[1].split()
    done = subprocess.run([sys.executable, "-m", "halcfg", *args], cwd=clone, env=env, capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "examples/halcfg.yaml: no problems\n", "")


def test_the_pre_commit_snippet_names_the_release_tag() -> None:
    """The hook's `rev` is this version's tag (v + halcfg.__version__), which a release creates;
    once the repository has tags, it must be one of them."""
    from halcfg import __version__

    readme = (REPO / "README.md").read_text()
    rev = re.search(r"\n    rev: (\S+)", readme).group(1)  # type: ignore[union-attr]
    assert rev == f"v{__version__}"
    tags = subprocess.run(["git", "-C", str(REPO), "tag", "--list"], capture_output=True, text=True).stdout.split()
    assert not tags or rev in tags, tags
