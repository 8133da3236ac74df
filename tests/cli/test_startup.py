"""Fast entries load only what they use: `--version`, `--help` and `account list` import no
probe, no HTTP or AWS library and no template engine; `-h` works everywhere; completion
scripts for bash, zsh and fish, answered from the command table."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.cli import EXAMPLE, REPO, run_cli
from tests.support.cli import run_ok as ok
from tests.support.terminal import on_a_terminal

HEAVY = ("requests", "urllib3", "boto3", "botocore", "jinja2", "rich", "halcfg.probe", "halcfg.registry.client",
         "halcfg.edit.document")


def _imported(*args: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    code = (
        "import sys; from halcfg.main import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in sys.modules if m.startswith({heavy!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    return eval(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["account", "list", "-c", str(EXAMPLE)],
                                  ["account", "get", "gcr", "-c", str(EXAMPLE)], ["validate", "-q", str(EXAMPLE)]])
def test_fast_entries_import_only_what_they_use(args: list[str]) -> None:
    assert _imported(*args) == []


@pytest.mark.parametrize("args", [["account", "list", "-c", str(EXAMPLE)],
                                  ["account", "get", "gcr", "-c", str(EXAMPLE)]])
def test_account_get_and_list_start_without_typer(args: list[str]) -> None:
    assert _imported(*args, heavy=("typer", "pydantic", "click")) == []


@pytest.mark.parametrize("args", [[], ["account"], ["account", "add"], ["account", "list"], ["provider"],
                                  ["provider", "docker-registry", "edit"], ["probe"], ["validate"], ["init"],
                                  ["schema"], ["match"], ["completion"], ["render"], ["serve"], ["serve", "drone"],
                                  ["kubelet-credential-provider"]])
def test_dash_h_everywhere(args: list[str]) -> None:
    result = run_cli(*args, "-h")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: halcfg"), result.stdout
    assert "\x1b[" not in result.stdout and "╭" not in result.stdout  # plain text, one style


def test_top_level_help_lists_every_command_in_full() -> None:
    from halcfg.cli.commands import TOP

    out = " ".join(ok("--help").split())
    for row in TOP:
        assert f"{row.name} {row.help}" in out


def test_group_listings_are_not_cut_off() -> None:
    out = " ".join(ok("account", "-h").split())
    assert "add Add an account (creating the accounts file if there is none), then probe it." in out
    assert "...," not in out and "... " not in out.split("Commands:")[1]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str) -> None:
    script = ok("completion", shell)
    assert "_HALCFG_COMPLETE" in script and "halcfg" in script


def test_completion_answers_from_the_command_table() -> None:
    env = {"_HALCFG_COMPLETE": "complete_bash", "COMP_WORDS": "halcfg acc", "COMP_CWORD": "1"}
    assert run_cli(env=env).stdout.split() == ["account"]
    env = {"_HALCFG_COMPLETE": "complete_bash", "COMP_WORDS": "halcfg account add x --required-gr", "COMP_CWORD": "4"}
    assert run_cli(env=env).stdout.split() == ["--required-group-membership"]
    assert "must be one of bash, zsh, fish" in run_cli("completion", "tcsh").stderr


def test_severity_colour_on_a_terminal_only_and_never_under_no_color(tmp_path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text("version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n    accounts:\n"
                    "      - name: a\n        address: a.io\n        username: u\n")  # a warning
    colour = on_a_terminal("validate", str(path), env={"NO_COLOR": ""})[1]
    assert b"\x1b[33mwarning\x1b[0m [username-without-password]" in colour
    assert b"\x1b[" not in on_a_terminal("validate", str(path), env={"NO_COLOR": "1"})[1]
    piped = run_cli("validate", path)
    assert "warning [username-without-password]" in piped.stdout and "\x1b[" not in piped.stdout
