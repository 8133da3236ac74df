"""Fast entries load only what they use: `--version`, `--help` and `account list` import no
probe, no HTTP or AWS library and no template engine; `-h` works everywhere; completion
scripts for bash, zsh and fish, answered from the command table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


@pytest.mark.parametrize("args", [["--version"], ["account", "list", "-c", str(EXAMPLE)],
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


# ---- a CLI that forgives (issue 17 item 6) -----------------------------------------------------


# bash, zsh and fish themselves complete from one table: tests/cli/test_completion_shells.py


@pytest.mark.parametrize(("shell", "env", "expected"), [
    ("zsh", {"_HALCFG_LINE": "halcfg render --target kub"}, "kubernetes\nkubelet"),
    ("fish", {"_HALCFG_LINE": "halcfg match --policy "}, "drone\nkubelet"),
])
def test_zsh_and_fish_ask_the_same_table(shell: str, env: dict[str, str], expected: str) -> None:
    assert expected in run_cli(env={"_HALCFG_COMPLETE": f"complete_{shell}", **env}).stdout


def test_a_script_typer_wrote_for_an_older_halcfg_gets_no_answer_to_eval() -> None:
    # typer's zsh script eval'd the answer: a list of command names would run as a command
    old = run_cli(env={"_HALCFG_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "halcfg "})
    assert (old.returncode, old.stdout, old.stderr) == (1, "", "")


def test_config_before_or_after_the_command(tmp_path: Path) -> None:
    for args in (["-c", str(EXAMPLE), "validate", "-q"], ["validate", "-q", "-c", str(EXAMPLE)],
                 [f"--config={EXAMPLE}", "validate", "-q"]):
        assert run_cli(*args, cwd=tmp_path).returncode == 0, args
    listed = [ok("-c", EXAMPLE, "account", "list"), ok("account", "list", "-c", EXAMPLE),
              ok("--config", EXAMPLE, "account", "list")]
    assert listed[0] == listed[1] == listed[2] and "quay" in listed[0]
    assert "gcr.io" in ok("-c", EXAMPLE, "match", "gcr.io/payments-prod/api")  # a typer command too
    path = tmp_path / "x.yaml"
    assert run_cli("-c", path, "init").returncode == 0 and path.is_file()


@pytest.mark.parametrize(("args", "line"), [
    (["validat"], "halcfg: error: no such command 'validat' (did you mean 'validate'?); see 'halcfg -h'"),
    (["acount", "list"], "halcfg: error: no such command 'acount' (did you mean 'account'?); see 'halcfg -h'"),
    (["account", "lst"], "halcfg: error: no such command 'lst' (did you mean 'list'?); see 'halcfg account -h'"),
    (["provider", "docker-registry", "enabel"],
     "halcfg: error: no such command 'enabel' (did you mean 'enable'?); see 'halcfg provider docker-registry -h'"),
    (["validate", "--formt", "json", str(EXAMPLE)],
     "halcfg: error: no such option: --formt (did you mean --format?); see 'halcfg validate -h'"),
    (["render", "-t", "drone", "--chek", "-c", str(EXAMPLE)],
     "halcfg: error: no such option: --chek (did you mean --check?); see 'halcfg render -h'"),
    (["account", "list", "--formt", "json"],
     "halcfg: error: no such option: --formt (did you mean --format?); see 'halcfg account list -h'"),
    (["match", "--formt", "json", "x"],
     "halcfg: error: no such option: --formt (did you mean --format?); see 'halcfg match -h'"),
    (["account", "add", "x", "--adress", "y"],
     "halcfg: error: no such option: --adress (did you mean --address?); see 'halcfg account add -h'"),
    (["validate", "--format", "jsn", str(EXAMPLE)],
     "halcfg: error: --format must be one of text, json, not 'jsn' (did you mean 'json'?)"),
    (["account", "list", "--format", "yml", "-c", str(EXAMPLE)],
     "halcfg: error: --format must be one of text, json, yaml, not 'yml' (did you mean 'yaml'?)"),
    (["render", "-t", "kubernetse", "-c", str(EXAMPLE)],
     "halcfg: error: unknown target kubernetse (did you mean 'kubernetes'?); known: spinnaker, halconfig, "
     "spinnaker-operator, drone, kubernetes, docker-config, kubelet, all"),
    (["match", "--policy", "kublet", "x", "-c", str(EXAMPLE)],
     "halcfg: error: --policy must be one of drone, kubelet, docker, not 'kublet' (did you mean 'kubelet'?)"),
    (["import", "--from", "halconfg", str(EXAMPLE)], "halcfg: error: --from must be one of halconfig, drone, "
     "docker-config, kubernetes-secret, not 'halconfg' (did you mean 'halconfig'?)"),
    (["completion", "bsh"], "halcfg: error: SHELL must be one of bash, zsh, fish, not 'bsh' (did you mean 'bash'?)"),
    (["account", "add", "x"], "halcfg: error: Missing option '--address'; see 'halcfg account add -h'"),
])
def test_typos_get_one_line_naming_what_was_meant(tmp_path: Path, args: list[str], line: str) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert (result.returncode, result.stderr, result.stdout) == (2, line + "\n", "")


@pytest.mark.parametrize("out", ["deploy/", "deploy//", "deploy"])
def test_output_paths_never_print_with_a_double_slash(tmp_path: Path, out: str) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text("version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n    accounts:\n"
                    "      - name: q\n        address: quay.io\n        username: u\n        passwordEnv: Q\n")
    result = run_cli("render", "-t", "kubernetes", "--out", out, "-c", path, cwd=tmp_path, env={"Q": "t"})
    assert result.returncode == 0, result.stderr
    assert "wrote deploy/kubernetes/" in result.stdout and "//" not in result.stdout, result.stdout


def test_version_reads_the_same_with_or_without_typer() -> None:
    from halcfg import __version__

    assert ok("--version") == f"halcfg {__version__}\n"  # main's fast path
    typer_run = subprocess.run(
        [sys.executable, "-c", "import sys; from halcfg.cli.app import run; sys.exit(run(['--version']))"],
        capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert (typer_run.returncode, typer_run.stdout) == (0, f"halcfg {__version__}\n")
