"""`halcfg completion bash|zsh|fish` in the real shells, as a user installs it and presses TAB:
bash and zsh run interactive on a pseudo-terminal (bash's readline splits the line and calls the
function the script registered; zsh with compinit completes through its completion system), and
fish autoloads the script from ~/.config/fish/completions and answers `complete -C`. One table of
what each line offers, the command table and the commands' own parsers being the truth, holds
for all three.

Nothing of the user's: HOME, ZDOTDIR and fish's config and data folders are temporary, bash reads
the test's rc file, zsh no global one (so the test decides when compinit runs), and halcfg is
this checkout's.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shlex
import shutil
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from halcfg.cli.commands import TOP
from tests.support.cli import EXAMPLE, REPO, run_ok

EX = str(EXAMPLE)
FILES = ["halcfg.yaml", "notes.txt"]  # what the working folder holds: a FILE argument offers them
CASES: list[tuple[str, list[str]]] = [  # the line typed before TAB -> exactly what is offered
    ("halcfg ", [row.name for row in TOP]),
    ("halcfg val", ["validate"]),
    ("halcfg acc", ["account"]),
    ("halcfg account ", ["add", "edit", "delete", "get", "list"]),
    ("halcfg account l", ["list"]),
    ("halcfg provider docker-registry e", ["enable", "edit"]),
    ("halcfg validate --f", ["--format"]),
    ("halcfg validate ", FILES),
    ("halcfg account add x --ecr-secret-access-key-",
     ["--ecr-secret-access-key-file", "--ecr-secret-access-key-env"]),
    ("halcfg render --target kub", ["kubernetes", "kubelet"]),
    (f"halcfg render -c {EX} --account q", ["quay"]),
    ("halcfg import --from d", ["drone", "docker-config"]),
    ("halcfg match --policy ", ["drone", "kubelet", "docker"]),
    ("halcfg account list --format y", ["yaml"]),
    (f"halcfg account edit -c {EX} g", ["gcr"]),
    (f"halcfg account get -c {EX} h", ["harbor"]),
    (f"halcfg account get --config '{EX}' h", ["harbor"]),  # quoted as typed
    ("halcfg -c ", FILES),
    ("halcfg render --out ", FILES),
    (f"halcfg -c {EX} account delete e", ["ecr-prod"]),
    (f"halcfg -c {EX} probe d", ["dockerhub"]),
    (f"halcfg -c {EX} render --account ", ["dockerhub", "gcr", "ecr-prod", "quay", "harbor"]),
    ("halcfg completion ", ["bash", "zsh", "fish"]),
    ("halcfg completion z", ["zsh"]),
]


def _render_flags() -> list[str]:
    from halcfg.cli.render import parser

    return [flag for action in parser()._actions for flag in action.option_strings]


def _cases() -> list[tuple[str, list[str]]]:
    return [*CASES, ("halcfg render --", [f for f in _render_flags() if f.startswith("--")])]


def _home(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """(the working folder, the environment): a `halcfg` on PATH running this checkout."""
    bin_dir, work = tmp_path / "bin", tmp_path / "work"
    bin_dir.mkdir()
    work.mkdir()
    for name in FILES:
        (work / name).write_text("")
    shim = bin_dir / "halcfg"
    shim.write_text(f'#!/bin/sh\nexport PYTHONPATH={shlex.quote(str(REPO))}\n'
                    f'exec {shlex.quote(sys.executable)} -m halcfg "$@"\n')
    shim.chmod(0o755)
    env = {key: value for key, value in os.environ.items()
           if key not in ("HALCFG_CONFIG", "ZDOTDIR", "PYTHONPATH") and not key.startswith(("XDG_", "fish_"))}
    env.update(HOME=str(tmp_path), PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", TERM="dumb",
               XDG_CONFIG_HOME=str(tmp_path / ".config"), XDG_DATA_HOME=str(tmp_path / ".local" / "share"))
    return work, env


def _script(shell: str, env: dict[str, str]) -> str:
    """What `halcfg completion SHELL` prints, run as the user runs it."""
    done = subprocess.run(["halcfg", "completion", shell], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout


READY = "shell-ready> "


class Terminal:
    """An interactive shell on a wide pseudo-terminal, whose rc file's capture hook writes each
    TAB's candidates to `got`, ending with a `--buffer--LINE` line (LINE: the line after TAB)."""

    def __init__(self, argv: list[str], env: dict[str, str], work: Path, got: Path) -> None:
        self.got = got
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the shell, never back into pytest
            try:
                os.chdir(work)  # wide: zsh's listing shows every description whole
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 300, 0, 0))
                os.execve(shutil.which(argv[0]) or argv[0], argv, env)
            finally:
                os._exit(127)
        self.screen = b""
        self._until(lambda: READY.encode() in self.screen, "first prompt")

    def _until(self, done: Callable[[], bool], what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"no {what} in {timeout} s; screen: {self.screen[-2000:]!r}"
            if select.select([self.fd], [], [], 0.1)[0]:
                self.screen += os.read(self.fd, 65536)

    def tab(self, line: str) -> tuple[list[str], str, str]:
        """(the candidates, the line after TAB, what the terminal showed) for `line` typed, then TAB."""
        self.got.unlink(missing_ok=True)
        start = len(self.screen)
        os.write(self.fd, line.encode() + b"\t")
        self._until(lambda: self.got.exists() and "--buffer--" in self.got.read_text(), f"completion of {line!r}")
        *found, buffer = self.got.read_text().splitlines()
        quiet = time.monotonic() + 0.3  # the listing, if any, follows the line
        while time.monotonic() < quiet:
            if select.select([self.fd], [], [], 0.1)[0]:
                self.screen += os.read(self.fd, 65536)
                quiet = time.monotonic() + 0.3
        os.write(self.fd, b"\x15")  # ^U: kill the line, for the next one
        return found, buffer.removeprefix("--buffer--"), self.screen[start:].decode(errors="replace")

    def close(self) -> None:
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


# ---- bash ----------------------------------------------------------------------------------

# After the script: the function it registered runs as before, readline having set COMP_WORDS
# and COMP_CWORD from the typed line, and what it leaves in COMPREPLY goes to $CAPTURE.
BASH_CAPTURE = r"""
spec=$(complete -p halcfg)
printf '%s\n' "$spec" > "$CAPTURE.spec"
function=${spec##*-F }; function=${function%% *}
_test_tab() {
    "$function" "$@"
    { (( ${#COMPREPLY[@]} )) && printf '%s\n' "${COMPREPLY[@]}"; echo --buffer--; } > "$CAPTURE"
}
eval "${spec/-F $function/-F _test_tab}"
"""


def test_bash_offers_the_table(tmp_path: Path) -> None:
    work, env = _home(tmp_path)
    rc, got = tmp_path / "bashrc", tmp_path / "got"
    rc.write_text(f"PS1={READY!r}\nsource <(halcfg completion bash)\n{BASH_CAPTURE}")
    bash = Terminal(["bash", "--noprofile", "--rcfile", str(rc), "-i"], {**env, "CAPTURE": str(got)}, work, got)
    try:
        assert Path(f"{got}.spec").read_text() == "complete -o default -F _halcfg_completion halcfg\n"
        for line, expected in [*_cases(), ("halcfg render --target=kub", ["kubernetes", "kubelet"]),
                               ("halcfg render --target=", _render_targets())]:
            # a FILE: halcfg offers nothing, and `complete -o default` has readline complete file names
            assert bash.tab(line)[0] == ([] if expected is FILES else expected), line
    finally:
        bash.close()


def _render_targets() -> list[str]:
    from halcfg.render.targets import TARGETS

    return [*TARGETS, "all"]


# ---- fish ----------------------------------------------------------------------------------

needs_fish = pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed here (.ci/run installs it)")


def _fish(work: Path, env: dict[str, str], lines: list[str]) -> list[list[str]]:
    """`complete -C LINE` for each line, the script where fish autoloads a command's completions."""
    folder = Path(env["XDG_CONFIG_HOME"]) / "fish" / "completions"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "halcfg.fish").write_text(_script("fish", env))
    done = subprocess.run(["fish", "-c", "for line in $argv; complete -C $line; echo --end--; end", *lines],
                          capture_output=True, text=True, env=env, cwd=work, timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return _blocks(done.stdout)


def _blocks(out: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in out.splitlines():
        if line == "--end--":
            blocks.append([])
        else:
            blocks[-1].append(line)  # an empty line too: a shell would take it for a candidate
    return blocks[:-1]


@needs_fish
def test_fish_offers_the_table_with_descriptions(tmp_path: Path) -> None:
    work, env = _home(tmp_path)
    cases = _cases()
    offered = _fish(work, env, [line for line, _ in cases] + ["halcfg render --target=kub"])
    for (line, expected), got in zip(cases, offered[:-1], strict=True):
        assert sorted(item.partition("\t")[0] for item in got) == sorted(expected), line
    # each command with its whole line from the table, one candidate a line
    assert offered[0] == sorted(f"{row.name}\t{row.help}" for row in TOP)
    assert "--format\treport format: text or json" in offered[[c[0] for c in cases].index("halcfg validate --f")]
    assert sorted(offered[-1]) == ["--target=kubelet", "--target=kubernetes"]


@needs_fish
def test_fish_runs_halcfg_once_per_tab(tmp_path: Path) -> None:
    work, env = _home(tmp_path)
    log = tmp_path / "runs"
    shim = tmp_path / "bin" / "halcfg"
    shim.write_text(shim.read_text().replace("exec ", f"echo run >> {shlex.quote(str(log))}\nexec ", 1))
    _fish(work, env, ["halcfg acc"])
    assert log.read_text().splitlines() == ["run", "run"]  # `halcfg completion fish`, then one TAB


# ---- zsh -----------------------------------------------------------------------------------

needs_zsh = pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed here (.ci/run installs it)")
# A test's hooks: TAB runs zsh's expand-or-complete, then appends the line to $ZDOTDIR/got. With
# ZSH_MATCHES, every match zsh's completion functions add (after compadd's own matching, -O)
# goes there first. Adding each twice skews zsh's listing, so listings are read without it.
ZSH_TAB = r"""
_test_tab() { zle expand-or-complete; print -r -- "--buffer--$BUFFER" >> $ZDOTDIR/got }
zle -N _test_tab
bindkey '^I' _test_tab
"""
ZSH_MATCHES = r"""
compadd() {
    if [[ ${@[1,(i)(-|--)]} == *-[OAD]\ * ]]; then builtin compadd "$@"; return; fi
    local -a added
    builtin compadd -O added "$@"
    (( $#added )) && print -rl -- $added >> $ZDOTDIR/got
    builtin compadd "$@"
}
"""


@pytest.fixture
def zsh(tmp_path: Path) -> Iterator[Callable[..., Terminal]]:
    """Start an interactive zsh reading a .zshrc of the given lines (no global rc file); it is
    killed afterwards."""
    opened: list[Terminal] = []

    def start(zshrc: str, matches: bool = True) -> Terminal:
        work, env = _home(tmp_path)
        dot = tmp_path / "zdot"
        dot.mkdir()
        (dot / ".zshrc").write_text(f"PS1={READY!r}\n{zshrc}\n{ZSH_TAB}{ZSH_MATCHES if matches else ''}")
        opened.append(Terminal(["zsh", "-d", "-i"], {**env, "ZDOTDIR": str(dot)}, work, dot / "got"))
        return opened[-1]

    yield start
    for shell in opened:
        shell.close()


COMPINIT = 'autoload -Uz compinit && compinit -u -d "$ZDOTDIR/.zcompdump"'


@needs_zsh
def test_zsh_offers_the_table_with_descriptions(zsh: Callable[..., Terminal]) -> None:
    shell = zsh(f'{COMPINIT}\neval "$(halcfg completion zsh)"')  # the README's way
    for line, expected in _cases():
        matches, _, _ = shell.tab(line)
        assert sorted(matches) == sorted(expected), line
    _, buffer, _ = shell.tab("halcfg acc")
    assert buffer == "halcfg account "  # a single match is inserted, and a space after it
    matches, buffer, _ = shell.tab("halcfg render --target=kub")
    assert sorted(matches) == ["--target=kubelet", "--target=kubernetes"] and buffer == "halcfg render --target=kube"


@needs_zsh
def test_zsh_lists_each_candidate_with_what_it_does(zsh: Callable[..., Terminal]) -> None:
    shell = zsh(f'{COMPINIT}\neval "$(halcfg completion zsh)"', matches=False)

    def listed(line: str) -> set[str]:
        screen = shell.tab(line)[2]
        return {" ".join(row.split()) for row in screen.replace("\r", "").split("\n")}

    shown = listed("halcfg ")
    for row in TOP:  # each command beside its table line, apostrophes and all
        assert f"{row.name} -- {row.help}" in shown, shown
    assert "add -- Add an account (creating the accounts file if there is none), then probe it." in listed(
        "halcfg account ")
    shown = listed("halcfg validate -")  # a flag's spellings share their description's line
    assert "--config -c -- the accounts file, when no FILE is given" in shown, shown
    assert "--format -- report format: text or json" in shown, shown


@needs_zsh
def test_zsh_script_sourced_before_compinit_completes_once_compinit_runs(zsh: Callable[..., Terminal]) -> None:
    shell = zsh(f'eval "$(halcfg completion zsh)"\n{COMPINIT}')
    assert b"command not found" not in shell.screen and b"compdef" not in shell.screen, shell.screen
    assert shell.tab("halcfg val")[1] == "halcfg validate "


@needs_zsh
def test_zsh_script_installed_in_fpath_completes_on_the_first_tab(zsh: Callable[..., Terminal],
                                                                  tmp_path: Path) -> None:
    functions = tmp_path / "zsh-functions"
    functions.mkdir()
    (functions / "_halcfg").write_text(run_ok("completion", "zsh"))
    shell = zsh(f"fpath=({shlex.quote(str(functions))} $fpath)\n{COMPINIT}")
    assert shell.tab("halcfg acc")[1] == "halcfg account "
    assert sorted(shell.tab("halcfg match --policy ")[0]) == ["docker", "drone", "kubelet"]


@needs_zsh
def test_zsh_sources_the_script_without_compinit_quietly(tmp_path: Path) -> None:
    work, env = _home(tmp_path)
    done = subprocess.run(["zsh", "-f", "-c", 'source <(halcfg completion zsh) && print sourced'],
                          capture_output=True, text=True, env=env, cwd=work, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "sourced\n", "")


# ---- what a TAB costs ----------------------------------------------------------------------


@pytest.mark.parametrize("line", ["halcfg ", "halcfg val", "halcfg render --target kub",
                                  f"halcfg -c {EX} account get ", "halcfg completion "])
def test_a_tab_on_the_command_table_or_a_fast_path_imports_no_typer(line: str) -> None:
    code = ("import sys; from halcfg.main import main\nmain([])\n"
            "print(sorted(m for m in sys.modules if m.startswith(('typer', 'pydantic', 'click', 'rich'))))")
    env = {**os.environ, "PYTHONPATH": str(REPO), "_HALCFG_COMPLETE": "complete_zsh", "_HALCFG_LINE": line}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    *answer, imported = done.stdout.splitlines()
    assert answer and imported == "[]", done.stdout + done.stderr


def test_a_tab_on_render_targets_imports_no_renderer() -> None:
    """The names come from render/targets.py's table; the renderers (and what they import) load
    only when a target renders."""
    code = ("import sys; from halcfg.main import main\nmain([])\n"
            "print(sorted(m for m in sys.modules if m.startswith(('halcfg.render.', 'jinja2', 'halcfg.credentials'))"
            " and m != 'halcfg.render.targets'))")
    env = {**os.environ, "PYTHONPATH": str(REPO), "_HALCFG_COMPLETE": "complete_fish",
           "_HALCFG_LINE": "halcfg render --target kub"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    *answer, imported = done.stdout.splitlines()
    assert [line.split("\t")[0] for line in answer] == ["kubernetes", "kubelet"] and imported == "[]", done.stdout
