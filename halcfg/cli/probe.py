"""`halcfg probe [NAMES...]`: the offline checks, then every account against its live registry."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, TextIO

import typer

from halcfg.cli.options import ConfigOption, account_names, choices
from halcfg.config.path import config_path
from halcfg.probe.run import DEFAULT_CONCURRENCY
from halcfg.report import formats

DEFAULT_TIMEOUT = 120.0  # seconds for the whole probe; each request is also bounded by clientTimeoutMillis


def register(app: typer.Typer) -> None:
    @app.command("probe")
    def probe(
        names: Annotated[list[str] | None, typer.Argument(
            help="accounts to probe (default: all)", autocompletion=account_names)] = None,
        config: ConfigOption = None,
        fmt: Annotated[str, typer.Option(
            "--format", help="report format: text or json", autocompletion=choices(formats("probe")))] = "text",
        concurrency: Annotated[int, typer.Option(min=1, help="requests in flight at once")] = DEFAULT_CONCURRENCY,
        timeout: Annotated[float, typer.Option(min=0.1, help="seconds for the whole probe")] = DEFAULT_TIMEOUT,
        strict: Annotated[bool, typer.Option("--strict", help="fail on warnings too")] = False,
        pull_check: Annotated[int | None, typer.Option(
            "--pull-check", min=0, metavar="N",
            help="pull the newest tag of the first N repositories of each account (default: all)")] = None,
        no_pull_check: Annotated[bool, typer.Option(
            "--no-pull-check", help="list tags only; pull nothing (same as --pull-check 0)")] = False,
    ) -> None:
        """Check each account against its registry's v2 API: reachable, credentials accepted (and
        when they expire), catalog readable, repositories known and tagged, newest tags pullable."""
        from halcfg.errors import UsageError
        from halcfg.report import reporter

        reporter("probe", fmt)  # a bad --format fails before anything is probed
        if no_pull_check and pull_check not in (None, 0):
            raise UsageError("--pull-check and --no-pull-check contradict each other; give one")
        limit = 0 if no_pull_check else pull_check
        raise typer.Exit(run(config_path(config), names or [], fmt, concurrency, timeout, strict, limit))


def run(path: Path, names: list[str], fmt: str, concurrency: int, timeout: float, strict: bool,
        pull_check: int | None = None) -> int:
    """Probe `path` (offline check first), print the report, return the exit code."""
    from halcfg import report
    from halcfg.probe.stage import probe_file

    progress = _ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        result = probe_file(path, names, strict=strict, concurrency=concurrency, timeout=timeout, progress=progress,
                            pull_check=pull_check)
    finally:
        if progress is not None:
            progress.clear()
    typer.echo(report.reporter("probe", fmt)(result, color=report.color_wanted(sys.stdout)))
    return result.exit_code


class _ProgressLine:
    """`probing 12/40` redrawn in place on a terminal, only once a probe has run half a second."""

    DELAY = 0.5
    INTERVAL = 0.1

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.drawn_at = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < self.DELAY or now - self.drawn_at < self.INTERVAL:
            return
        self.drawn_at, self.shown = now, True
        self.stream.write(f"\rprobing {done}/{total}")
        self.stream.flush()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
