"""Every halcfg command, declared once: name, the module under halcfg.cli that runs it, the line
`halcfg --help` lists, and whether it is a fast path. `halcfg.main` dispatches from this table
and the typer app (cli/app.py) is built from it.

A fast path is an argparse module with `main(argv)`, reached without importing typer: it runs
unattended and often (validate on every commit, render on every deploy, the kubelet plugin on
every pull, `account get|list` from scripts, `completion` from every new shell's rc file), where
typer's import alone costs more than the work. The typer app lists it too and hands it its
arguments untouched. Every other row names a module offering a typer group (`app`) or
`register(app)` that adds its one command. A row named "group sub" is a fast subcommand of the
typer group "group".

This module imports nothing heavy: `halcfg.main` reads it on every start.
"""

from __future__ import annotations

from typing import NamedTuple

from halcfg.config import path
from halcfg.errors import closest


class Command(NamedTuple):
    name: str  # the words after `halcfg`: "validate", "account get"
    module: str  # under halcfg.cli
    help: str  # its line in `halcfg --help` (and its group's listing)
    fast: bool = False  # argparse `main(argv)`, reached without typer

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.name.split())


COMMANDS: tuple[Command, ...] = (
    Command("init", "init", "Write a starter accounts file; an existing file is never replaced."),
    Command("validate", "validate", "Check accounts files offline: JSON Schema plus halcfg's rules.", fast=True),
    Command("probe", "probe", "Check each account against its registry's v2 API."),
    Command("match", "match", "Say which account's credentials each image reference gets, and why."),
    Command("import", "imports", "Import registry accounts from Halyard, Drone, docker or Kubernetes files."),
    Command("render", "render", "Compile the accounts into Spinnaker, Operator, Drone, Kubernetes, docker and "
            "kubelet files.", fast=True),
    Command("serve", "serve", "Serve credentials at pull time."),
    # the Drone-extension test command (issue 17 item 4) takes one row here, e.g.
    # Command("<name>", "<module under halcfg.cli>", "<one line>"),
    Command("account", "account", "Add, change, show and remove docker-registry accounts."),
    Command("account get", "account_view", "Show one account as written; passwords are masked.", fast=True),
    Command("account list", "account_view", "List the accounts (* marks the primary one); passwords are masked.",
            fast=True),
    Command("provider", "provider", "Turn providers on and off, and set their options."),
    Command("schema", "schema", "Print the accounts file's JSON Schema (draft 2020-12)."),
    Command("completion", "completion", "Print the shell completion script for bash, zsh or fish.", fast=True),
    Command("kubelet-credential-provider", "kubelet_provider", "The kubelet's image credential provider plugin.",
            fast=True),
)
BY_NAME = {command.name: command for command in COMMANDS}
TOP = tuple(command for command in COMMANDS if len(command.words) == 1)  # what `halcfg --help` lists
CONFIG_FLAGS = ("-c", "--config")


def find(args: list[str]) -> Command | None:
    """The row `args` starts with, the longest name first (`account get` before `account`)."""
    for size in (2, 1):
        command = BY_NAME.get(" ".join(args[:size]))
        if command is not None and len(command.words) == size:
            return command
    return None


def subcommands(group: str) -> tuple[Command, ...]:
    """The fast rows under a typer group: `account` -> account get, account list."""
    return tuple(c for c in COMMANDS if c.words[:-1] == (group,))


def help_of(name: str) -> str:
    return BY_NAME[name].help


def take_config(args: list[str]) -> list[str]:
    """`args` without a leading `-c FILE` (or `--config FILE`, `--config=FILE`, `-cFILE`), which is
    kept as the accounts file every command uses unless it is given its own: `halcfg -c f.yaml
    validate` is `halcfg validate -c f.yaml`."""
    rest = list(args)
    while rest:
        head = rest[0]
        if head in CONFIG_FLAGS and len(rest) > 1:
            path.given, rest = rest[1], rest[2:]
        elif head.startswith("--config="):
            path.given, rest = head.removeprefix("--config="), rest[1:]
        elif head.startswith("-c") and not head.startswith("--") and len(head) > 2:
            path.given, rest = head[2:], rest[1:]
        else:
            break
    return rest


def unknown(word: str, known: list[str]) -> str:
    """The message for a command that is not one, with the closest one when there is."""
    guess = closest(word, known)
    return f"no such command {word!r}" + (f" (did you mean {guess!r}?)" if guess else "")
