"""`halcfg init [--user]`: write a commented starter accounts file, with the schema modeline for
editors. `--user` writes the file the credential helpers read (config/path.py), so `halcfg init
--user` is the one command their "no such file" hint names."""

from __future__ import annotations

import stat
from pathlib import Path
from shlex import quote
from typing import Annotated

import typer

from halcfg.cli.options import ConfigOption
from halcfg.config.path import DEFAULT_NAME, config_path, user_config_path
from halcfg.edit.document import starter_text
from halcfg.errors import UsageError
from halcfg.files.atomic import locked, write_atomic

_EMPTY_MAX = 64 * 1024  # bytes: more than any comment-only file someone started by hand


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(
        config: ConfigOption = None,
        user: Annotated[bool, typer.Option(
            "--user", help="write the file docker-credential-halcfg and the kubelet plugin read: $HALCFG_CONFIG, "
            "else $XDG_CONFIG_HOME/halcfg/halcfg.yaml, else ~/.config/halcfg/halcfg.yaml")] = False,
    ) -> None:
        """Write a starter accounts file; an existing file is never replaced (one holding only
        comments or nothing is filled in below them)."""
        if user and config:
            raise UsageError("give --user or --config, not both")
        path = user_config_path() if user else config_path(config)
        # not 0777 under umask 000; the user's own config folder is private, as XDG asks
        path.parent.mkdir(mode=0o700 if user else 0o755, parents=True, exist_ok=True)
        with locked(path):
            kept = _blank_text(path)
            if kept is None:
                raise UsageError(f"{path} already exists; change it with `halcfg account add|edit|delete`")
            write_atomic(path, (kept + starter_text()).encode("utf-8"))
        where = "" if str(path) == DEFAULT_NAME else f" -c {quote(str(path))}"
        typer.echo(f"Wrote {path}. Next: halcfg account add NAME --address HOST --username USER --password{where}")


def _blank_text(path: Path) -> str | None:
    """The text of a file that holds no YAML (nothing, blank lines, comments), to keep above the
    starter; "" when there is no file; None when it holds anything else."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return ""
    if not stat.S_ISREG(info.st_mode) or info.st_size > _EMPTY_MAX:
        return None
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        return None
    if not text.strip():
        return ""
    return text if text.endswith("\n") else text + "\n"
