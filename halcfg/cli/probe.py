"""`halcfg probe [NAMES...]`: the offline checks, then every account against its live registry."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, TextIO

import typer

from halcfg.cli.options import ConfigOption
from halcfg.config.path import config_path
from halcfg.findings import exit_code
from halcfg.probe.run import DEFAULT_CONCURRENCY, AccountResult, probe_checked

DEFAULT_TIMEOUT = 120.0  # seconds for the whole probe; each request is also bounded by clientTimeoutMillis


def register(app: typer.Typer) -> None:
    @app.command("probe")
    def probe(
        names: Annotated[list[str] | None, typer.Argument(help="accounts to probe (default: all)")] = None,
        config: ConfigOption = None,
        fmt: Annotated[str, typer.Option("--format", help="report format: text or json")] = "text",
        concurrency: Annotated[int, typer.Option(min=1, help="requests in flight at once")] = DEFAULT_CONCURRENCY,
        timeout: Annotated[float, typer.Option(min=0.1, help="seconds for the whole probe")] = DEFAULT_TIMEOUT,
        strict: Annotated[bool, typer.Option("--strict", help="fail on warnings too")] = False,
    ) -> None:
        """Check each account against its registry's v2 API: reachable, credentials accepted,
        catalog readable, repositories known and tagged."""
        if fmt not in ("text", "json"):
            raise typer.BadParameter("must be text or json", param_hint="--format")
        raise typer.Exit(run(config_path(config), names or [], fmt, concurrency, timeout, strict))


def run(path: Path, names: list[str], fmt: str, concurrency: int, timeout: float, strict: bool) -> int:
    """Load and check `path` offline, probe the accounts the offline check lets through, print, exit code."""
    from halcfg import report
    from halcfg.config.check import check_document, place
    from halcfg.config.load import load
    from halcfg.config.model import Config

    document = load(path)
    checked, offline = check_document(document, strict)
    config = checked or Config(path=path)  # a provider block too broken to read: the findings say why
    progress = _ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        offline, result = probe_checked(config, offline, names, concurrency=concurrency, timeout=timeout,
                                        progress=progress)
    finally:
        if progress is not None:
            progress.clear()
    for account in result.accounts:  # point probe findings at the account's place in the file
        account.findings = [place(f, document) for f in account.findings]
    findings = offline + result.findings
    code = exit_code(findings, strict)
    if fmt == "json":
        body = result.to_json()
        del body["findings"]  # the report's own list holds the offline findings too
        typer.echo(report.render_json(findings, file=str(path), exit_code=code, **body))
        return code
    for account in result.accounts:
        typer.echo(_account_line(account))
    if findings:
        typer.echo(report.render_text(findings))
    typer.echo(f"{path}: {report.summary(findings)}")
    return code


def _account_line(account: AccountResult) -> str:
    """`name: reachable, auth basic, catalog 5, 4 repositories, 19 tags (0.31 s)`."""
    parts = []
    if account.endpoint is None:
        parts.append("address not usable")
    elif account.credential_source is None:
        parts.append("no credentials")
    if account.reachable:
        parts += ["reachable", f"auth {account.auth_scheme}"]
        if account.catalog_size is not None:
            parts.append(f"catalog {account.catalog_size}")
        if account.tags:
            counts = [count for count in account.tags.values() if count is not None]
            parts.append(f"{account.repositories_probed} repositories, {sum(counts)} tags")
    elif account.endpoint is not None:
        parts.append("no v2 answer")
    if not account.complete:
        parts.append("unfinished")
    return f"{account.name}: {', '.join(parts)} ({account.duration:.2f} s)"


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
