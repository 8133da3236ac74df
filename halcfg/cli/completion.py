"""`halcfg completion bash|zsh|fish`: print the script that makes the shell complete halcfg, and
the answers the script asks for (the protocol: cli/shells.py).

The shell runs halcfg on every TAB, so what the command table and the argparse fast paths know
is answered here without typer (whose import, with pydantic, costs more than Python's start):
command names with their table line, and every flag and value of a fast path. The typer
commands' flags and values come from typer (cli/app.py), importing only the command being
completed. Choices (render targets, formats, shells) come from where the commands check them;
account names from the accounts file the command would use. This command is a fast path too:
`eval "$(halcfg completion zsh)"` runs in every new shell.
"""

from __future__ import annotations

import argparse
import importlib
import os

from halcfg.cli import argparse_help, shells
from halcfg.cli.commands import CONFIG_FLAGS, TOP, Command, find, help_of, take_config
from halcfg.errors import one_of

Candidate = tuple[str, str]  # (value, description)


def parser() -> argparse.ArgumentParser:
    made = argparse_help.parser(
        "halcfg completion", help_of("completion") + ' Install: `eval "$(halcfg completion bash)"` in ~/.bashrc '
        '(zsh: ~/.zshrc, before or after compinit), or `halcfg completion fish > '
        '~/.config/fish/completions/halcfg.fish`.')
    made.add_argument("shell", metavar="SHELL", help="bash, zsh or fish")
    return made


def main(argv: list[str]) -> int:
    options = argparse_help.parse(parser(), argv)
    if isinstance(options, int):
        return options
    if options.shell not in shells.SHELLS:
        from halcfg import report

        return report.error(one_of("SHELL", options.shell, shells.SHELLS))
    print(shells.SCRIPTS[options.shell], end="")
    return 0


def complete(shell: str) -> int:
    """Print the candidates for the request of `shell` (from the environment its script set)."""
    if shell not in shells.SHELLS or (shell != "bash" and shells.LINE not in os.environ):
        # another shell, or the zsh or fish script an older halcfg had typer write: zsh's eval'd
        # answers in typer's form, which ours are not; no answer (fish then completes file names)
        return 1
    before, incomplete = shells.request(shell)
    prefix = ""
    if incomplete.startswith("-") and "=" in incomplete:  # zsh and fish keep `--flag=value` one word
        flag, _, incomplete = incomplete.partition("=")
        before, prefix = [*before, flag], flag + "="
    try:
        found = _without_typer(before, incomplete)
        if found is None:
            from halcfg.cli.app import candidates

            found = candidates(before, incomplete)
    except Exception:  # a half-typed line typer cannot parse: nothing to offer, and no message
        found = []
    if found:  # not even an empty line: bash and fish would take it for a candidate, not a file name
        print(shells.answer(shell, [(prefix + value, text) for value, text in found]))
    return 0


def _without_typer(before: list[str], incomplete: str) -> list[Candidate] | None:
    """Command names and fast paths, answered from the command table; None: ask typer."""
    words = take_config(before)  # `halcfg -c FILE render --account <TAB>` names FILE's accounts
    if not words and not incomplete.startswith("-"):
        return [(row.name, row.help) for row in TOP if row.name.startswith(incomplete)]
    row = find(words)
    if row is None or not row.fast:
        return None
    return fast_path(row, words[len(row.words):], incomplete)


def names_in(config: str | None) -> list[str]:
    """The account names of the accounts file at `config` (the default one for None); none when
    it cannot be read: completion never prints an error."""
    from halcfg.config.path import config_path
    from halcfg.config.view import read_listing

    try:
        return [str(a.get("name")) for a in read_listing(config_path(config)).accounts if a.get("name")]
    except Exception:
        return []


def _values(dest: str, words: list[str]) -> list[str] | None:
    """What an argparse option (by its dest) or positional takes; None: a file (the shell's own)."""
    if dest == "target":
        from halcfg.render.targets import TARGETS

        return [*TARGETS, "all"]
    if dest == "format":
        from halcfg import report

        return list(report.formats("accounts" if words[:1] == ["account"] else "validate"))
    if dest in ("account", "name"):
        config = next((words[i + 1] for i, w in enumerate(words[:-1]) if w in CONFIG_FLAGS), None)
        return names_in(config)
    if dest == "shell":
        return list(shells.SHELLS)
    return None


def fast_path(row: Command, before: list[str], incomplete: str) -> list[Candidate]:
    """Completions for a fast path's argparse flags and values; `before`: the words after its name."""
    module = importlib.import_module(f"halcfg.cli.{row.module}")
    parser: argparse.ArgumentParser = module.parser(*row.words[1:])
    flags = {flag: action for action in parser._actions for flag in action.option_strings}
    previous = flags.get(before[-1]) if before else None
    if previous is not None and previous.nargs != 0:
        found = _values(previous.dest, [*row.words, *before])
    elif incomplete.startswith("-"):
        return [(flag, action.help or "") for flag, action in flags.items()
                if flag.startswith(incomplete) and (flag.startswith("--") or len(incomplete) < 2)]
    else:
        positional = next((a for a in parser._actions if not a.option_strings), None)
        found = None if positional is None else _values(positional.dest, [*row.words, *before])
    if found is None:
        return []  # a file: the script leaves it to the shell
    return [(value, "") for value in found if value.startswith(incomplete)]
