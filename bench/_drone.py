"""Issue 9 "Speed": signed Drone registry-extension requests against `halcfg serve drone`.

Sends --requests signed requests (default 10,000) with --concurrency in flight (32) over raw
keep-alive sockets on 127.0.0.1, and prints requests per second, p50/p99 latency and errors for
each HTTP server compared, with each one's req/s as a ratio of uvicorn's (what halcfg ships)
measured in the same run, and the server's CPU time per request (from /proc: what the
server costs, whatever else the machine is running). The load generator shares the machine's
cores with the server, so it is one thread over selectors sending requests signed beforehand
(one Date, valid 5 minutes).
`--base DIR` also runs the shipped server from another checkout (say a `git worktree` of an
older commit), with that checkout's own code, as `uvicorn@base`: a before/after in one run.
Targets for the shipped server: 0 errors, p99 < 50 ms, >= 1,000 req/s, and with /metrics on at most
5% fewer req/s than with it off (uvicorn-no-metrics); exit 0 only when met.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.drone_signer import drone_date, raw_request, registry_body, signed_request  # noqa: E402
from tests.support.ports import free_port  # noqa: E402

SHIPPED = "uvicorn"
BASE = "uvicorn@base"  # the shipped server of the --base checkout
NO_METRICS = "uvicorn-no-metrics"  # the shipped server with /metrics off: what metrics cost
MAX_METRICS_COST = 0.05  # issue 19: /metrics may cost at most 5% of the requests per second
WARM_UP = 200
SERVERS = ("uvicorn", "uvicorn-no-metrics", "waitress", "cheroot", "gunicorn-1x16", "gunicorn-2x16")
SECRET = "bench-shared-secret-0123456789abcdef"
TARGET_P99_MS = 50.0
TARGET_RPS = 1000.0
RUN_TIMEOUT = 120.0

ACCOUNTS = """\
version: 1
providers:
  dockerRegistry:
    enabled: true
    accounts:
      - name: hub
        address: index.docker.io
        username: bot
        passwordFile: hub.password
      - name: team
        address: registry.example.com:5000
        username: team-bot
        passwordEnv: BENCH_TEAM_PASSWORD
        drone: {repos: ["octocat/*"], events: [push, tag]}
      - name: tools
        address: quay.io
        username: tools-bot
        passwordCommand: printf tools-password
"""


@dataclass
class Result:
    server: str
    seconds: float
    latencies: list[float]
    errors: int
    cpu_seconds: float  # the server's processes' user + system time during the run

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_seconds / len(self.latencies) * 1e6 if self.latencies else float("nan")

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def signed_requests(count: int) -> list[tuple[dict[str, str], bytes]]:
    """`count` distinct signed requests as (headers, body) (repos and events vary; each is another
    build, since the server refuses a replayed one), one Date for the run."""
    date = drone_date()
    pairs = []
    for i in range(count):
        owner, event = ("octocat" if i % 2 else "other"), ("pull_request" if i % 3 == 0 else "push")
        body = registry_body(slug=f"{owner}/repo-{i % 64}", event=event)
        pairs.append((signed_request(SECRET, body, date=date), body))
    return pairs


def load(port: int, payloads: list[bytes], concurrency: int, deadline: float) -> tuple[float, list[float], int]:
    """Send every payload with `concurrency` in flight on keep-alive sockets; latencies and errors."""
    selector = selectors.DefaultSelector()
    latencies: list[float] = []
    errors = 0
    queue = iter(payloads)
    state: dict[socket.socket, list] = {}  # socket -> [buffer, sent_at]

    def send_next(sock: socket.socket) -> bool:
        payload = next(queue, None)
        if payload is None:
            return False
        state[sock] = [b"", time.perf_counter()]
        sock.sendall(payload)
        return True

    started = time.perf_counter()
    for _ in range(min(concurrency, len(payloads))):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        selector.register(sock, selectors.EVENT_READ)
        send_next(sock)
    while state and time.perf_counter() < deadline:
        for key, _ in selector.select(timeout=1.0):
            sock = key.fileobj
            chunk = sock.recv(65536)
            if not chunk:
                errors += 1
                selector.unregister(sock)
                state.pop(sock, None)
                sock.close()
                continue
            entry = state[sock]
            entry[0] += chunk
            head_end = entry[0].find(b"\r\n\r\n")
            if head_end < 0:
                continue
            head = entry[0][:head_end].decode("latin-1").split("\r\n")
            length = next((int(h.split(":", 1)[1]) for h in head if h.lower().startswith("content-length:")), 0)
            if len(entry[0]) < head_end + 4 + length:
                continue
            latencies.append(time.perf_counter() - entry[1])
            if head[0].split(" ")[1] not in ("200", "204"):
                errors += 1
            if not send_next(sock):
                selector.unregister(sock)
                state.pop(sock)
                sock.close()
    errors += len(state)  # requests still unanswered at the deadline
    return time.perf_counter() - started, latencies, errors


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of every live process in process group `pgid` (the server and its workers),
    from /proc: a measure that, unlike req/s, does not depend on what else the machine runs."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ..., utime (12), stime (13)
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start listening")


def run_one(server: str, workdir: Path, payloads: list[bytes], concurrency: int, base: Path | None = None) -> Result:
    port = free_port()
    root, name = (base, SHIPPED) if server == BASE and base is not None else (ROOT, server)
    env = {**os.environ, "BENCH_TEAM_PASSWORD": "team-password", "PYTHONPATH": str(root)}
    with open(workdir / f"{server}.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(root / "bench" / "_drone_servers.py"), name, str(port),
             str(workdir / "halcfg.yaml"), str(workdir / "secret")],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True)
        try:
            wait_ready(port, process)
            load(port, payloads[:WARM_UP], concurrency, time.perf_counter() + RUN_TIMEOUT)  # other requests
            cpu_before = group_cpu_seconds(process.pid)
            seconds, latencies, errors = load(port, payloads[WARM_UP:], concurrency, time.perf_counter() + RUN_TIMEOUT)
            cpu = group_cpu_seconds(process.pid) - cpu_before
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return Result(server, seconds, latencies, errors, cpu)


def answer_cost(root: Path, workdir: Path) -> float:
    """CPU microseconds per answer of checkout `root`'s halcfg on workdir's requests and accounts."""
    env = {**os.environ, "BENCH_TEAM_PASSWORD": "team-password", "PYTHONPATH": str(root)}
    script = ROOT / "bench" / "_drone_answer.py"
    done = subprocess.run([sys.executable, "-P", str(script), str(workdir / "requests.json"),
                           str(workdir / "halcfg.yaml"), str(workdir / "secret")],
                          capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT, check=True)
    return float(done.stdout.split()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"comma-separated, of {', '.join(SERVERS)}")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the servers this many times, interleaved; each one's best run counts")
    parser.add_argument("--base", type=Path, metavar="DIR",
                        help=f"a checkout whose shipped server also runs, as {BASE}: before/after in one run")
    options = parser.parse_args(argv)
    servers = options.servers.split(",")
    if options.base is not None:
        if not (options.base / "bench" / "_drone_servers.py").is_file():
            parser.error(f"--base {options.base}: no bench/_drone_servers.py there (not a halcfg checkout?)")
        servers.append(BASE)
    with tempfile.TemporaryDirectory(prefix="bench-drone-") as tmp:
        workdir = Path(tmp)
        (workdir / "halcfg.yaml").write_text(ACCOUNTS)
        (workdir / "hub.password").write_text("hub-password")
        (workdir / "secret").write_text(SECRET)
        pairs = signed_requests(WARM_UP + options.requests)
        payloads = [raw_request(headers, body) for headers, body in pairs]
        runs = [run_one(server, workdir, payloads, options.concurrency, options.base)
                for _ in range(options.rounds) for server in servers]
        results = [max((r for r in runs if r.server == server), key=lambda r: r.rps) for server in servers]
        costs: dict[str, float] = {}
        if options.base is not None:
            (workdir / "requests.json").write_text(json.dumps(
                [[headers, base64.b64encode(body).decode()] for headers, body in pairs]))
            for _ in range(options.rounds):
                for side, root in (("this checkout", ROOT), ("base", options.base)):
                    costs[side] = min(costs.get(side, float("inf")), answer_cost(root, workdir))
    baseline = next((r for r in results if r.server == SHIPPED), None)
    print(f"{options.requests} signed requests, {options.concurrency} in flight, loopback, "
          f"{os.cpu_count()} cores shared with the load generator")
    print(f"{'server':<15} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'CPU us/req':>11} "
          f"{'req/s vs ' + SHIPPED:>17} {'CPU vs ' + SHIPPED:>15}")
    for r in results:
        rps = f"{r.rps / baseline.rps:.2f}" if baseline and baseline.rps else "-"
        cpu = f"{r.cpu_us_per_request / baseline.cpu_us_per_request:.2f}" if baseline and baseline.cpu_seconds else "-"
        print(f"{r.server:<15} {r.rps:>8.0f} {r.percentile(0.5):>8.2f} {r.percentile(0.99):>8.2f} "
              f"{r.errors:>7} {r.cpu_us_per_request:>11.0f} {rps:>17} {cpu:>15}")
    if costs:
        print(f"halcfg's answer alone (no HTTP server), CPU per request, best of {options.rounds}: "
              f"{costs['this checkout']:.1f} us here, {costs['base']:.1f} us in the base, "
              f"ratio {costs['this checkout'] / costs['base']:.3f}")
    if baseline is None:
        return 0
    met = baseline.errors == 0 and baseline.percentile(0.99) < TARGET_P99_MS and baseline.rps >= TARGET_RPS
    bare = next((r for r in results if r.server == NO_METRICS), None)
    if bare is not None and bare.rps:
        ratio = baseline.rps / bare.rps
        cheap = ratio >= 1 - MAX_METRICS_COST
        met = met and cheap
        print(f"/metrics on: {baseline.rps:.0f} req/s, off: {bare.rps:.0f} req/s, ratio {ratio:.3f} "
              f"(CPU per request {baseline.cpu_us_per_request / bare.cpu_us_per_request:.3f}); "
              f"at most {MAX_METRICS_COST:.0%} fewer: {'met' if cheap else 'NOT met'}")
    print(f"targets for {SHIPPED} (0 errors, p99 < {TARGET_P99_MS:g} ms, >= {TARGET_RPS:g} req/s): "
          f"{'met' if met else 'NOT met'}; median latency {statistics.median(baseline.latencies) * 1000:.2f} ms")
    return 0 if met else 1
