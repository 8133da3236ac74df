"""Run Debian's docker daemon (package docker.io, 20.10) for tests: as root, with a containerd of
its own, data root, exec root and API socket under one folder, no TCP listener, no iptables, no
bridge (`--storage-driver=vfs --iptables=false --ip6tables=false --bridge=none`).

containerd is started here, not left to dockerd: dockerd 20.10 starts a managed containerd only
when /run/containerd/containerd.sock does not exist and uses the system's otherwise (moby v20.10.24
cmd/dockerd/daemon_unix.go initContainerD, daemon.go systemContainerdRunning); and containerd's
defaults put its opt plugin in /opt/containerd (containerd v1.6.20 services/opt/path_unix.go) and its
CRI streaming server on 127.0.0.1 (pkg/cri/config/config_unix.go), so a config of our own keeps
everything under the folder and off TCP. The one thing outside it is the empty folder
/run/docker/plugins, which dockerd always makes (moby daemon/daemon_linux.go getPluginExecRoot).

A daemon that cannot start here (not root, no cgroups, docker.io not installed) skips the tests
that need it, saying what failed and the tail of the daemon's log; with HALCFG_REQUIRE_DOCKERD=1
it fails them instead, for a machine where the daemon is known to work.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOCKERD = "dockerd"
CONTAINERD = "containerd"
DOCKER_CLI = "/usr/bin/docker"
"""Debian's docker.io client, the daemon's own version, so CI has it. A newer CLI on PATH
(/usr/local/bin/docker 28.x here) works too: it negotiates the daemon's API 1.41."""
REQUIRE_ENV = "HALCFG_REQUIRE_DOCKERD"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
_SOCKET_PATH_MAX = 107  # sun_path is 108 bytes with its NUL


class DaemonUnavailable(RuntimeError):
    """dockerd cannot run here; the message says what failed."""


@dataclass
class DockerDaemon:
    """A running dockerd: `host` for DOCKER_HOST, `cli` to run the docker client against it."""

    host: str
    root: Path
    dockerd: subprocess.Popen[bytes] = field(repr=False)
    containerd: subprocess.Popen[bytes] = field(repr=False)

    def cli(
        self, *args: str, env: dict[str, str], docker: str = DOCKER_CLI, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """`docker ARGS` against this daemon in `env` (whose PATH and DOCKER_CONFIG the client uses)."""
        return subprocess.run([docker, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              env={**env, "DOCKER_HOST": self.host}, timeout=timeout)  # fmt: skip

    def log_tail(self, lines: int = 15) -> str:
        return _tail(self.root / "dockerd.log", lines)

    def stop(self) -> None:
        """dockerd, then containerd: SIGTERM, a bounded wait, SIGKILL. Safe to call twice."""
        _stop(self.dockerd)
        _stop(self.containerd)
        _remove_data(self.root / "data")


def _remove_data(data: Path) -> None:
    """Remove the pulled images and containerd's state. dockerd makes its data root a shared mount
    of itself and undoes that only on a clean exit (moby daemon/daemon_unix.go
    setupDaemonRootPropagation): after a SIGKILL or a failed start, this does."""
    data_root = data / "docker"
    if _mounted(data_root):
        subprocess.run(["umount", str(data_root)], capture_output=True, timeout=STOP_TIMEOUT)
    if not _mounted(data_root):
        shutil.rmtree(data, ignore_errors=True)


def _mounted(path: Path) -> bool:
    """Whether `path` is a mount point, a bind mount onto itself included (which os.path.ismount,
    comparing devices, misses); mountinfo's fifth field is the mount point, octal-escaped."""
    target = str(path.resolve())
    try:
        with open("/proc/self/mountinfo") as mountinfo:
            points = [line.split()[4] for line in mountinfo]
    except OSError:
        return False
    return any(point.encode().decode("unicode_escape") == target for point in points)


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: Path) -> None:
        super().__init__("localhost", timeout=2)
        self._path = str(path)

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def _pong(api_socket: Path) -> bool:
    """True once the engine API answers GET /_ping with 200 OK."""
    connection = _UnixHTTPConnection(api_socket)
    try:
        connection.request("GET", "/_ping")
        response = connection.getresponse()
        return response.status == 200 and response.read() == b"OK"
    except OSError:
        return False
    finally:
        connection.close()


def _connects(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(path))
            return True
        except OSError:
            return False


def _wait(ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DaemonUnavailable(f"{what} exited with status {process.returncode} at start; "
                                    f"log tail:\n{_tail(log, 15)}")
        if ready():
            return
        time.sleep(0.1)
    raise DaemonUnavailable(f"{what} not ready within {START_TIMEOUT:.0f}s; log tail:\n{_tail(log, 15)}")


def _containerd_config(root: Path, run: Path) -> str:
    """containerd 1.6 config: state, sockets and opt folder under the test's folders; no CRI
    (whose streaming server would listen on TCP), no debug or metrics listener."""
    return "\n".join([
        "version = 2",
        f'root = "{root / "containerd"}"',
        f'state = "{run / "containerd-state"}"',
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        "[grpc]",
        f'  address = "{run / "containerd.sock"}"',
        '  tcp_address = ""',
        "[debug]",
        '  address = ""',
        "[metrics]",
        '  address = ""',
        '[plugins."io.containerd.internal.v1.opt"]',
        f'  path = "{root / "containerd-opt"}"',
        "",
    ])


def start_docker_daemon(workdir: Path) -> DockerDaemon:
    """Start containerd and dockerd under `workdir`; return once /_ping answers. Raises
    DaemonUnavailable (with the log tail) if either cannot start; nothing is left running."""
    if os.geteuid() != 0:
        raise DaemonUnavailable(f"dockerd needs root (the rootless mode is another setup); euid is {os.geteuid()}")
    for binary, package in ((DOCKERD, "docker.io"), (CONTAINERD, "containerd"), (DOCKER_CLI, "docker.io")):
        if shutil.which(binary) is None:
            raise DaemonUnavailable(f"{binary} not found: apt-get install {package}")
    data, run = workdir / "data", workdir / "run"
    data.mkdir(parents=True, exist_ok=True)
    run.mkdir(mode=0o700, parents=True, exist_ok=True)
    api_socket, containerd_socket = workdir / "docker.sock", run / "containerd.sock"
    longest = str(run / "docker" / "libnetwork" / f"{'0' * 12}.sock")  # the longest socket dockerd makes
    if len(longest.encode()) > _SOCKET_PATH_MAX:
        raise DaemonUnavailable(f"socket path too long for AF_UNIX: {longest}")
    config = workdir / "containerd.toml"
    config.write_text(_containerd_config(data, run))
    # Never /etc/docker/daemon.json; and the trust key dockerd 20.10 makes (moby cmd/dockerd/daemon.go
    # loadDaemonCliConfig) goes here, not to /etc/docker/key.json. Later dockerds ignore the key.
    (workdir / "daemon.json").write_text(json.dumps({"deprecated-key-path": str(workdir / "key.json")}))
    # Only PATH (dockerd finds runc and the shims on it): no proxy, DOCKER_* or TMPDIR setting
    # from outside reaches the daemons.
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}

    containerd_log = workdir / "containerd.log"
    with containerd_log.open("wb") as log:
        containerd = subprocess.Popen([CONTAINERD, "--config", str(config)], stdin=subprocess.DEVNULL,
                                      stdout=log, stderr=subprocess.STDOUT, env=env)  # fmt: skip
    dockerd: subprocess.Popen[bytes] | None = None
    try:
        _wait(lambda: _connects(containerd_socket), containerd, CONTAINERD, containerd_log)
        dockerd_log = workdir / "dockerd.log"
        with dockerd_log.open("wb") as log:
            dockerd = subprocess.Popen(
                [DOCKERD, "--config-file", str(workdir / "daemon.json"),
                 "-H", f"unix://{api_socket}", "--containerd", str(containerd_socket),
                 "--data-root", str(data / "docker"), "--exec-root", str(run / "docker"),
                 "--pidfile", str(run / "dockerd.pid"),
                 "--storage-driver=vfs", "--iptables=false", "--ip6tables=false", "--bridge=none"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
        _wait(lambda: _pong(api_socket), dockerd, DOCKERD, dockerd_log)
    except BaseException:
        if dockerd is not None:
            _stop(dockerd)
        _stop(containerd)
        _remove_data(data)
        raise
    return DockerDaemon(host=f"unix://{api_socket}", root=workdir, dockerd=dockerd, containerd=containerd)


@pytest.fixture(scope="session", name="docker_daemon")
def docker_daemon_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerDaemon]:
    """A dockerd for the session (import this fixture into the test module that needs it)."""
    try:
        daemon = start_docker_daemon(tmp_path_factory.mktemp("dockerd"))
    except DaemonUnavailable as error:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but {error}", pytrace=False)
        pytest.skip(f"no docker daemon: {error}")
    try:
        yield daemon
    finally:
        daemon.stop()
