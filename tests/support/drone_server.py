"""`halcfg serve drone` as a real process on 127.0.0.1 and a free port, for tests.

The server's stderr (its structured log) goes to a file the test can read; `stop()` sends
SIGTERM and waits, so every test leaves no process behind.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.cli import REPO
from tests.support.ports import LOOPBACK, free_port

START_TIMEOUT = 20.0
CLEARED = ("HALCFG_CONFIG", "DRONE_SECRET", "DRONE_ADDRESS", "DRONE_CONFIG_FILE", "DRONE_DEBUG")


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class DroneServer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    _log_file: object = field(repr=False)

    def post(self, headers: dict[str, str], body: bytes, path: str = "/", timeout: float = 30.0) -> Response:
        return self.request("POST", path, headers, body, timeout)

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None,
                timeout: float = 30.0) -> Response:
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def log_lines(self) -> list[dict[str, object]]:
        """Every log line so far; each must be one JSON object."""
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.strip()]

    def wait_for_log(self, event: str, timeout: float = 10.0, **fields: object) -> dict[str, object]:
        """The last log line of `event` (with `fields` equal), waiting for one to appear."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = [line for line in self.log_lines()
                     if line.get("event") == event and all(line.get(k) == v for k, v in fields.items())]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no {event!r} log line within {timeout} s: {self.log_path.read_text()}")

    def stop(self, timeout: float = 40.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()  # type: ignore[attr-defined]
        return self.process.returncode


def start_drone_server(config: Path, secret_file: Path | None, log_path: Path, *extra: str,
                       env: dict[str, str] | None = None) -> DroneServer:
    """Start the server and wait until /healthz answers; raise with its log if it does not.
    Without `secret_file` the secret comes from DRONE_SECRET in `env`."""
    port = free_port()
    return launch_drone_server(
        ["--listen", f"{LOOPBACK}:{port}", *(("--secret-file", str(secret_file)) if secret_file else ()),
         "-c", str(config), *extra], port, log_path, env)


def launch_drone_server(args: list[str], port: int, log_path: Path, env: dict[str, str] | None = None) -> DroneServer:
    """`halcfg serve drone ARGS`, expected to listen on `port`, with `env` over an environment
    cleared of halcfg's and the Drone plugin's settings; ready when /healthz answers."""
    log_file = open(log_path, "wb")  # noqa: SIM115 - closed by DroneServer.stop
    full_env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    full_env.update({"PYTHONPATH": str(REPO), **(env or {})})
    process = subprocess.Popen(
        [sys.executable, "-m", "halcfg", "serve", "drone", *args],
        stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, env=full_env,
    )
    server = DroneServer(process, port, log_path, log_file)
    end = time.monotonic() + START_TIMEOUT
    while time.monotonic() < end:
        if process.poll() is not None:
            server.stop()
            raise RuntimeError(f"halcfg serve drone exited {process.returncode}: {log_path.read_text()}")
        try:
            if server.request("GET", "/healthz", timeout=1).status == 200:
                return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"halcfg serve drone did not answer /healthz: {log_path.read_text()}")
