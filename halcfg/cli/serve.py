"""`halcfg serve drone`: answer Drone's registry extension requests from the accounts file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from halcfg.cli.options import ConfigOption, Group
from halcfg.config.path import config_path

app = typer.Typer(help="Serve credentials at pull time.", no_args_is_help=True, cls=Group)


@app.command("drone")
def drone(
    listen: Annotated[str, typer.Option(help="HOST:PORT to listen on")] = "127.0.0.1:3000",
    secret_file: Annotated[
        Path | None, typer.Option(help="file holding the shared secret (default: $DRONE_SECRET)")
    ] = None,
    config: ConfigOption = None,
    command_ttl: Annotated[float, typer.Option(min=0, help="seconds a passwordCommand's output is reused")] = 300.0,
    grace: Annotated[float, typer.Option(min=0, help="seconds SIGTERM waits for requests in flight")] = 30.0,
    head_timeout: Annotated[
        float, typer.Option(min=0.1, help="seconds a client may take to send a request head (slowloris)")
    ] = 10.0,
    reload_interval: Annotated[float, typer.Option(min=0.05, help="seconds between looks at the accounts file")] = 1.0,
    reload_settle: Annotated[
        float, typer.Option(min=0, help="seconds a changed accounts file must stay the same before it is loaded")
    ] = 1.0,
    metrics: Annotated[bool, typer.Option(help="answer GET /metrics (Prometheus text format)")] = True,
) -> None:
    """A Drone registry extension (DRONE_REGISTRY_PLUGIN_ENDPOINT): verifies each request's
    signature, Date and Digest, and answers the credentials of the accounts whose `drone` block
    allows the repository and event. Reloads the accounts file when it changes."""
    from halcfg import report
    from halcfg.findings import EXIT_FINDINGS
    from halcfg.serve.drone.accounts import InvalidAccounts
    from halcfg.serve.drone.server import Options, parse_listen, read_secret, serve

    host, port = parse_listen(listen)
    secret, warning = read_secret(secret_file)
    options = Options(config_path(config), host, port, secret, warning, command_ttl=command_ttl, grace=grace,
                      head_timeout=head_timeout, reload_interval=reload_interval, reload_settle=reload_settle,
                      metrics=metrics)
    try:
        code = serve(options)
    except InvalidAccounts as error:
        typer.echo(report.render_text(error.findings), err=True)
        typer.echo(f"halcfg: error: {error}", err=True)
        code = EXIT_FINDINGS
    raise typer.Exit(code)
