"""Run Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 for tests and the bench.

Each registry gets its own config file, storage and log under `workdir`; the config is written
as JSON (which distribution's YAML parser reads) and the environment is scrubbed of REGISTRY_*
variables so nothing outside the test can change it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bcrypt
import requests

from .ports import LOOPBACK, free_port
from .tls import make_server_tls

if TYPE_CHECKING:
    from .token_server import TokenServer

BINARY = "docker-registry"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
_PORT_ATTEMPTS = 3


@dataclass
class Registry:
    """A running registry: `url` for HTTP clients, `address` for an account's `address` field."""

    url: str
    address: str
    ca_file: Path | None
    process: subprocess.Popen[bytes] = field(repr=False)
    log_file: Path = field(repr=False)

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Terminate, then kill if it lingers; safe to call twice."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)

    def log_tail(self, lines: int = 20) -> str:
        """The end of the registry's own log, for error messages."""
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def htpasswd_lines(users: dict[str, str]) -> str:
    """bcrypt htpasswd entries at the minimum cost: distribution checks the hash on every request."""
    return "".join(
        f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"
        for user, password in users.items()
    )


def _config(
    workdir: Path,
    port: int,
    *,
    htpasswd: dict[str, str] | None,
    token: TokenServer | None,
    tls_files: tuple[Path, Path] | None,
    storage: str,
    log_level: str,
) -> dict[str, Any]:
    if storage == "inmemory":
        storage_config: dict[str, Any] = {"inmemory": {}}
    elif storage == "filesystem":
        storage_config = {
            "filesystem": {"rootdirectory": str(workdir / "storage")},
            "maintenance": {"uploadpurging": {"enabled": False}},
        }
    else:
        raise ValueError(f"storage must be 'inmemory' or 'filesystem', not {storage!r}")
    storage_config["cache"] = {"blobdescriptor": "inmemory"}
    storage_config["redirect"] = {"disable": True}

    http: dict[str, Any] = {"addr": f"{LOOPBACK}:{port}", "secret": secrets.token_hex(16)}
    if tls_files is not None:
        http["tls"] = {"certificate": str(tls_files[0]), "key": str(tls_files[1])}

    config: dict[str, Any] = {
        "version": "0.1",
        "log": {"level": log_level, "accesslog": {"disabled": True}},
        "storage": storage_config,
        "http": http,
        "health": {"storagedriver": {"enabled": False}},
    }
    if htpasswd is not None and token is not None:
        raise ValueError("a registry takes one auth method: htpasswd or token")
    if htpasswd is not None:
        path = workdir / "htpasswd"
        path.write_text(htpasswd_lines(htpasswd))
        config["auth"] = {"htpasswd": {"realm": "halcfg-test-registry", "path": str(path)}}
    if token is not None:
        config["auth"] = {"token": {
            "realm": token.realm,
            "service": token.service,
            "issuer": token.issuer,
            "rootcertbundle": str(token.cert_file),
        }}
    return config


def _wait_until_up(registry: Registry, verify: str | bool) -> bool:
    """True once /v2/ answers at all (401 counts); False if the process died first."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if registry.process.poll() is not None:
            return False
        try:
            requests.get(f"{registry.url}/v2/", timeout=1, verify=verify)
            return registry.process.poll() is None  # not someone else who took the port first
        except requests.RequestException:
            time.sleep(0.05)
    registry.stop()
    raise RuntimeError(
        f"{BINARY} did not answer {registry.url}/v2/ within {START_TIMEOUT:.0f}s; log tail:\n"
        + registry.log_tail()
    )


def start_registry(
    workdir: Path,
    *,
    htpasswd: dict[str, str] | None = None,
    token: TokenServer | None = None,
    tls: bool = False,
    storage: str = "inmemory",
    log_level: str = "error",
) -> Registry:
    """Start a registry and return once /v2/ answers; raises with the log tail if it cannot start.

    `log_level="info"` logs each request ("authorized request", with its URI and user agent)."""
    if shutil.which(BINARY) is None:
        raise RuntimeError(f"{BINARY} not found: apt-get install docker-registry")
    workdir.mkdir(parents=True, exist_ok=True)
    tls_material = make_server_tls(workdir / "tls") if tls else None
    tls_files = (tls_material.cert_file, tls_material.key_file) if tls_material else None
    env = {name: value for name, value in os.environ.items() if not name.startswith("REGISTRY_")}
    scheme = "https" if tls else "http"

    for _attempt in range(_PORT_ATTEMPTS):
        port = free_port()
        config_file = workdir / "config.yml"
        config_file.write_text(json.dumps(
            _config(workdir, port, htpasswd=htpasswd, token=token, tls_files=tls_files, storage=storage,
                    log_level=log_level),
            indent=2,
        ))
        log_file = workdir / "registry.log"
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                [BINARY, "serve", str(config_file)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            )
        registry = Registry(
            url=f"{scheme}://{LOOPBACK}:{port}",
            address=f"{LOOPBACK}:{port}",
            ca_file=tls_material.ca_file if tls_material else None,
            process=process,
            log_file=log_file,
        )
        verify: str | bool = str(tls_material.ca_file) if tls_material else True
        if _wait_until_up(registry, verify):
            return registry
        registry.stop()
        if "address already in use" not in registry.log_tail():
            break
    raise RuntimeError(f"{BINARY} exited at start; log tail:\n{registry.log_tail()}")
