"""Run halcfg the way users do: a real process, real argv, real exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "halcfg.yaml"


def run_cli(
    *args: str | os.PathLike[str],
    input: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`python -m halcfg ARGS`; stdin is empty (not a TTY) unless `input` is given."""
    full_env = {key: value for key, value in os.environ.items() if key != "HALCFG_CONFIG"}
    full_env.update({"PYTHONPATH": str(REPO), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "halcfg", *map(str, args)],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
    )


def run_ok(*args: str | os.PathLike[str], input: str | None = None) -> str:
    """run_cli that must exit 0; its stdout."""
    result = run_cli(*args, input=input)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
