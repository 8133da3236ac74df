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
    listen: Annotated[
        str | None, typer.Option(help="HOST:PORT to listen on (default: $DRONE_ADDRESS, else 127.0.0.1:3000)")
    ] = None,
    secret_file: Annotated[
        Path | None, typer.Option(help="file holding the shared secret (default: $DRONE_SECRET)")
    ] = None,
    config: ConfigOption = None,
    command_ttl: Annotated[float, typer.Option(min=0, help="seconds a passwordCommand's output is reused")] = 300.0,
    grace: Annotated[float, typer.Option(min=0, help="seconds SIGTERM waits for requests in flight")] = 30.0,
    head_timeout: Annotated[
        float, typer.Option(min=0.1, help="seconds a client may take to send a request head (slowloris)")
    ] = 10.0,
    max_connections: Annotated[
        int, typer.Option(min=1, help="connections open at once; more get a 503 and are closed")
    ] = 1000,
    max_client_connections: Annotated[
        int, typer.Option(min=1, help="connections open at once from one client address")
    ] = 100,
    reload_interval: Annotated[float, typer.Option(min=0.05, help="seconds between looks at the accounts file")] = 1.0,
    reload_settle: Annotated[
        float, typer.Option(min=0, help="seconds a changed accounts file must stay the same before it is loaded")
    ] = 1.0,
    metrics: Annotated[bool, typer.Option(help="answer GET /metrics (Prometheus text format)")] = True,
    debug: Annotated[bool, typer.Option(help="access lines name the accounts offered (or $DRONE_DEBUG)")] = False,
) -> None:
    """A Drone registry extension (DRONE_REGISTRY_PLUGIN_ENDPOINT): verifies each request's
    signature, Date and Digest, and answers the credentials of the accounts whose `drone` block
    allows the repository and event (every repository and event when it has none). Reloads the
    accounts file when it changes.

    A drop-in for drone-registry-plugin: without -c and $HALCFG_CONFIG it serves the plugin's
    registry file from $DRONE_CONFIG_FILE, on $DRONE_ADDRESS (else :3000, as the plugin does),
    with $DRONE_SECRET and $DRONE_DEBUG."""
    import os

    from halcfg import report
    from halcfg.config.path import ENV_VAR
    from halcfg.findings import EXIT_FINDINGS
    from halcfg.serve.drone import plugin
    from halcfg.serve.drone.accounts import InvalidAccounts
    from halcfg.serve.drone.server import Options, parse_listen, read_secret, serve

    env = plugin.settings()
    registry_file = env.config_file is not None and not (config or os.environ.get(ENV_VAR))
    path = env.config_file if registry_file and env.config_file else config_path(config)
    default_listen = plugin.DEFAULT_ADDRESS if registry_file else "127.0.0.1:3000"
    host, port = parse_listen(listen or env.address or default_listen)
    secret, warning = read_secret(secret_file)
    options = Options(path, host, port, secret, warning, command_ttl=command_ttl, grace=grace,
                      head_timeout=head_timeout, max_connections=max_connections,
                      max_client_connections=max_client_connections, reload_interval=reload_interval,
                      reload_settle=reload_settle,
                      metrics=metrics, registry_file=registry_file, debug=debug or env.debug)
    try:
        code = serve(options)
    except InvalidAccounts as error:
        typer.echo(report.render_text(error.findings), err=True)
        report.error(error)
        code = EXIT_FINDINGS
    raise typer.Exit(code)


@app.command("drone-test")
def drone_test(
    repo: Annotated[str, typer.Option(help="the repository slug the build is for, owner/name")],
    endpoint: Annotated[
        str | None, typer.Option(help="the extension's URL (default: $DRONE_REGISTRY_PLUGIN_ENDPOINT)")
    ] = None,
    secret_file: Annotated[
        Path | None,
        typer.Option(help="file holding the shared secret (default: $DRONE_REGISTRY_PLUGIN_TOKEN, else $DRONE_SECRET)"),
    ] = None,
    event: Annotated[str, typer.Option(help="the build event: push, pull_request, tag, promote, cron…")] = "push",
    image: Annotated[
        list[str] | None, typer.Option(help="an image the step pulls: say which credential the runner would use")
    ] = None,
    encoding: Annotated[
        str, typer.Option(help="Accept-Encoding: identity (what the runner sends) or aesgcm")
    ] = "identity",
    skip_verify: Annotated[bool, typer.Option(help="do not verify the endpoint's TLS certificate")] = False,
    timeout: Annotated[float, typer.Option(min=0.1, help="seconds to wait for the answer (the runner: 60)")] = 60.0,
) -> None:
    """Send one registry request signed exactly as Drone's runner signs it, to `serve drone` or any
    other registry extension, and print what the runner would make of the answer: the
    credentials (passwords masked), none, or the error it would log. Exit 1 when the runner
    would get no usable answer."""
    from halcfg.cli.drone_test import run

    raise typer.Exit(run(endpoint, secret_file, repo, event, image or [], encoding, skip_verify, timeout))
