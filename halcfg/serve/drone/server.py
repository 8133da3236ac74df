"""`halcfg serve drone`: the extension on uvicorn, reloading its accounts file as it changes.

uvicorn was chosen by measurement (bench/drone): on loopback with 32 requests in flight it
answered the most signed requests per second with the lowest p99 of the servers compared.
SIGTERM or SIGINT stops accepting, lets requests in flight finish (up to `grace` seconds), then
stops the accounts watcher and the answer threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from halcfg.config.model import Config
from halcfg.errors import UsageError
from halcfg.serve.drone.accounts import DEFAULT_SETTLE, LiveAccounts
from halcfg.serve.drone.aesgcm import KEY_BYTES
from halcfg.serve.drone.answer import DroneExtension
from halcfg.serve.drone.credentials import DEFAULT_COMMAND_TTL, CredentialCache
from halcfg.serve.drone.http import DroneApp
from halcfg.serve.drone.log import JsonLog
from halcfg.serve.drone.protocol import (
    DEFAULT_HEAD_TIMEOUT,
    DEFAULT_MAX_CLIENT_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS,
    guarded,
)

SECRET_ENV = "DRONE_SECRET"
SECRET_FILE_LIMIT = 4096  # bytes: a shared secret is tens of characters
# drone-go's aesgcm.Key refuses a secret under 32 bytes (plugin/internal/aesgcm/aesgcm.go, Key), and
# drone-registry-plugin's README makes one with `openssl rand -hex 16`: 32 characters.
MIN_SECRET_BYTES = KEY_BYTES
MAKE_SECRET = "(umask 077; openssl rand -hex 32 > drone.secret)"  # the umask makes it 0600


@dataclass(frozen=True)
class Options:
    config: Path
    host: str
    port: int
    secret: bytes
    secret_warning: str | None = None  # logged at start
    command_ttl: float = DEFAULT_COMMAND_TTL
    reload_interval: float = 1.0  # seconds between looks at the accounts file
    reload_settle: float = DEFAULT_SETTLE  # seconds a changed file must stay the same to be loaded
    grace: float = 30.0  # seconds SIGTERM waits for requests in flight
    keep_alive: float = 5.0  # seconds an idle connection is kept
    head_timeout: float = DEFAULT_HEAD_TIMEOUT  # seconds a request head may take to arrive
    max_connections: int = DEFAULT_MAX_CONNECTIONS  # open at once; beyond: 503 and closed
    max_client_connections: int = DEFAULT_MAX_CLIENT_CONNECTIONS  # the same, from one client address
    threads: int = 8  # answer threads: most answers take microseconds; a few wait on a command or ECR
    metrics: bool = True  # GET /metrics, Prometheus text format
    registry_file: bool = False  # `config` is drone-registry-plugin's file, not an accounts file
    debug: bool = False  # access lines name the accounts offered


def read_secret(secret_file: Path | None) -> tuple[bytes, str | None]:
    """The shared secret from --secret-file (a regular file; surrounding whitespace dropped), else
    $DRONE_SECRET, at least MIN_SECRET_BYTES long; and a warning when the file is readable by
    others than its owner."""
    if secret_file is not None:
        from halcfg.files import regular

        try:
            raw, info = regular.read_with_stat(secret_file, SECRET_FILE_LIMIT)
        except OSError as error:
            raise UsageError(f"{secret_file}: {error.strerror or 'cannot read'}") from None
        if not raw.strip():
            raise UsageError(f"{secret_file}: the secret file is empty")
        loose = info.st_mode & 0o077
        return _long_enough(raw.strip(), str(secret_file)), (
            f"{secret_file} is readable by others (mode {info.st_mode & 0o777:o}): chmod 600 it" if loose else None)
    value = os.environ.get(SECRET_ENV, "").strip()
    if not value:
        raise UsageError(f"no shared secret: give --secret-file or set {SECRET_ENV}")
    return _long_enough(value.encode(), f"${SECRET_ENV}"), None


def _long_enough(secret: bytes, where: str) -> bytes:
    if len(secret) < MIN_SECRET_BYTES:
        raise UsageError(f"{where}: the shared secret is {len(secret)} bytes, it must have at least "
                         f"{MIN_SECRET_BYTES}; make one with: {MAKE_SECRET}")
    return secret


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"listen address {text!r}: expected HOST:PORT (or :PORT), e.g. 127.0.0.1:3000")
    return host.strip("[]") or "0.0.0.0", int(port)


def build_app(options: Options, log: JsonLog) -> tuple[DroneApp, LiveAccounts]:
    """The ASGI app over the checked accounts file; raises LoadError / InvalidAccounts when it is broken."""
    load: Callable[[Path], Config] | None = None
    if options.registry_file:
        from halcfg.serve.drone import plugin

        load = plugin.load_registry_file
    accounts = LiveAccounts(options.config, log, options.reload_interval, options.reload_settle, load)
    metrics = None
    if options.metrics:
        from halcfg.serve.drone.metrics import Metrics

        metrics = Metrics()
        metrics.accounts = lambda: len(accounts.config.accounts)
    credentials = CredentialCache(log, command_ttl=options.command_ttl,
                                  observe=metrics.credential if metrics else None)
    extension = DroneExtension(options.secret, accounts, credentials)
    if metrics is not None:
        metrics.replay_memory = lambda: len(extension.seen)
    return DroneApp(extension, log, options.threads, metrics=metrics, debug=options.debug), accounts


def serve(options: Options) -> int:
    """Bind, serve until SIGTERM/SIGINT, drain; OSError when the address cannot be bound."""
    import signal
    import socket

    import uvicorn

    log = JsonLog()
    app, accounts = build_app(options, log)
    shared = options.secret.decode("utf-8", "replace")
    log.secrets = lambda: [shared, *app.extension.credentials.known_secrets()]
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((options.host, options.port))
    config = uvicorn.Config(
        app, host=options.host, port=options.port, log_level="warning", access_log=False, lifespan="off",
        http=guarded(options.head_timeout, options.max_connections, options.max_client_connections,
                     app.metrics.refused if app.metrics else lambda reason: None),
        timeout_keep_alive=int(options.keep_alive), timeout_graceful_shutdown=int(options.grace),
        server_header=False, date_header=True,
    )
    server = uvicorn.Server(config)
    accounts.start()
    log("start", listen="{}:{}".format(*sock.getsockname()[:2]), file=str(options.config),
        format="drone-registry-plugin" if options.registry_file else None,
        accounts=len(accounts.config.accounts), server="uvicorn", debug=options.debug or None)
    if options.secret_warning:
        log("warning", reason=options.secret_warning)
    # uvicorn re-raises the signal that stopped it once it has drained; by then the work is done,
    # so that signal ends in a no-op handler and the command exits 0 after its cleanup.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        accounts.stop()
        app.close()
        log("stop")
    return 0 if server.started else 2
