"""Which accounts file a command works on: its --config/-c, else a -c given before the command,
else HALCFG_CONFIG, else ./halcfg.yaml. Programs that docker or the kubelet start (and
`halcfg init --user`) use the user's file instead of ./halcfg.yaml."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_NAME = "halcfg.yaml"
ENV_VAR = "HALCFG_CONFIG"
given: str | None = None  # `halcfg -c FILE COMMAND`: set once by cli.commands before the command runs


def config_path(flag: str | None) -> Path:
    return Path(flag or given or os.environ.get(ENV_VAR) or DEFAULT_NAME)


def user_config_path() -> Path:
    """The accounts file of programs that docker or the kubelet start, whose working folder means
    nothing: HALCFG_CONFIG, else `$XDG_CONFIG_HOME/halcfg/halcfg.yaml`, else
    `~/.config/halcfg/halcfg.yaml` (a relative XDG_CONFIG_HOME is ignored, per the XDG spec)."""
    if given or os.environ.get(ENV_VAR):
        return Path(given or os.environ[ENV_VAR])
    return user_default()


def user_default() -> Path:
    """`$XDG_CONFIG_HOME/halcfg/halcfg.yaml`, else `~/.config/halcfg/halcfg.yaml`: where
    `halcfg init --user` writes."""
    root = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(root) if os.path.isabs(root) else Path.home() / ".config"
    return base / "halcfg" / DEFAULT_NAME


def command_for(command: str, path: Path) -> str:
    """`halcfg COMMAND` as it must be typed to work on `path`: with `-c PATH` unless `path` is the
    file the command finds by itself. Every hint that names a command builds it here."""
    if path == config_path(None):
        return f"halcfg {command}"
    from shlex import quote

    return f"halcfg {command} -c {quote(str(path))}"


def init_hint(path: Path) -> str:
    """The command that creates the accounts file `path`: what a "no such file" hint names."""
    if path == user_default() and path != config_path(None):
        return "halcfg init --user"
    return command_for("init", path)
