"""Issue 3 "Speed": how fast `halcfg probe` lists a big registry, against Halyard's way and the ideal.

(a) Across a WAN: a FaultProxy adds --delay to every response of a local registry seeded with
    --repos x --tags. halcfg's probe is timed against a sequential keep-alive client (ping,
    paginated catalog, every tags/list in order: what Halyard/Clouddriver does) and against the
    ideal `requests x delay / concurrency`, requests counted by the proxy.
    Targets: sequential / halcfg >= 10, halcfg / ideal <= 1.5.
(b) On loopback: halcfg's requests per second (requests counted by the sequential client, which
    makes the same ones) against wrk on one tags/list URL in the same run. Target >= 0.6.
    `--base DIR` adds another checkout's probe on the same proxy, interleaved: a before/after.
(c), (d), (e): issue 6's load cases, (f) issue 19's pull check on vs off, described in
bench/_probe_load.py.
Also reports halcfg's peak RSS: ru_maxrss from wait4 (the children's rusage of its own process).
Everything runs on 127.0.0.1, every run has a timeout, and the exit code is 0 only when every
target is met (so also 1 while `halcfg probe` does not exist yet).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for tests.support

from _probe_load import bench_defaults, bench_ecr, bench_pull_check, bench_refusing

from tests.support.fault_proxy import FaultProxy
from tests.support.registry import Registry, start_registry
from tests.support.seed import seed

ROOT = Path(__file__).resolve().parents[1]
TARGET_VS_SEQUENTIAL = 10.0
TARGET_VS_IDEAL = 1.5
TARGET_VS_WRK = 0.6
REQUEST_TIMEOUT = 30.0


@dataclass
class Run:
    """One finished child process: exit code, wall time, peak RSS and its output."""

    code: int
    seconds: float
    max_rss_kib: int
    stdout: str
    stderr: str


def run_measured(command: list[str], timeout: float, env: dict[str, str] | None = None) -> Run:
    """Run `command`, killing it after `timeout`; wait4 gives this child's own ru_maxrss."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(process.returncode, seconds, usage.ru_maxrss,
                   out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def halcfg_command(*args: str) -> list[str]:
    # -P: the working directory (perhaps another checkout) does not shadow PYTHONPATH's halcfg
    return [sys.executable, "-P", "-m", "halcfg", *args]


def halcfg_env(root: Path = ROOT) -> dict[str, str]:
    """The halcfg of checkout `root` (this one by default) first, whatever is installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return env


def probe_unavailable() -> str | None:
    """Why `halcfg probe --concurrency` cannot run yet, or None when it can."""
    try:
        run = run_measured(halcfg_command("probe", "--help"), 60, halcfg_env())
    except OSError as error:
        return str(error)
    if run.code != 0:
        return (run.stderr.strip().splitlines() or [f"exit code {run.code}"])[-1]
    if "--concurrency" not in run.stdout:
        return "`halcfg probe --help` lists no --concurrency option"
    return None


def write_accounts(path: Path, address: str, page_size: int) -> Path:
    path.write_text(
        "version: 1\n"
        "providers:\n"
        "  dockerRegistry:\n"
        "    enabled: true\n"
        "    accounts:\n"
        "      - name: local\n"
        f"        address: {address}\n"
        "        plainHttp: true\n"
        f"        paginateSize: {page_size}\n"
    )
    return path


def sequential_probe(base_url: str, page_size: int, repos_expected: int) -> tuple[int, float]:
    """Halyard's way: one keep-alive session, ping, catalog pages, then each tags/list in turn.

    Returns (requests made, seconds).
    """
    requests_made = 0
    started = time.monotonic()
    with requests.Session() as session:

        def get(url: str) -> requests.Response:
            nonlocal requests_made
            requests_made += 1
            response = session.get(url, timeout=REQUEST_TIMEOUT)
            response.raise_for_status()
            return response

        get(f"{base_url}/v2/")
        repositories: list[str] = []
        url: str | None = f"{base_url}/v2/_catalog?n={page_size}"
        for _page in range(repos_expected // page_size + 2):  # bounded even if Link loops
            if url is None:
                break
            response = get(url)
            repositories += response.json()["repositories"]
            link = response.links.get("next")
            url = urljoin(base_url, link["url"]) if link else None
        for repository in repositories:
            get(f"{base_url}/v2/{repository}/tags/list")
    return requests_made, time.monotonic() - started


def pooled_requests_per_second(base_url: str, concurrency: int, repos: int) -> float:
    """The ceiling for any requests-based client here: a bare Session on a pool of `concurrency`
    threads GETting every tags/list (no auth, no checks). CPython's GIL and requests' per-call
    cost bound it, so it says how much of the gap to wrk is the client library's."""
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=concurrency))
    urls = [f"{base_url}/v2/bench/repo-{i:04d}/tags/list" for i in range(repos)]
    started = time.monotonic()
    with session, ThreadPoolExecutor(concurrency) as pool:
        for response in pool.map(lambda url: session.get(url, timeout=REQUEST_TIMEOUT), urls):
            response.raise_for_status()
    return repos / (time.monotonic() - started)


def wrk_requests_per_second(url: str, seconds: int, connections: int) -> float | str:
    """wrk -t2 -cN -dS on `url`: Requests/sec, or why it could not be measured."""
    if shutil.which("wrk") is None:
        return "wrk not installed (apt-get install wrk)"
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", url]
    run = run_measured(command, seconds + 30)
    match = re.search(r"Requests/sec:\s+([\d.]+)", run.stdout)
    if run.code != 0 or match is None:
        return f"wrk failed (exit {run.code}): {run.stderr.strip() or run.stdout.strip()}"
    if "Non-2xx" in run.stdout or "Socket errors" in run.stdout:
        return f"wrk saw errors:\n{run.stdout}"
    return float(match.group(1))


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def run_probe(accounts: Path, concurrency: int, timeout: float, root: Path = ROOT, *extra: str) -> Run:
    command = halcfg_command("probe", "-c", str(accounts), "--format", "json", "--concurrency", str(concurrency),
                             *extra)
    run = run_measured(command, timeout, halcfg_env(root))
    if run.code != 0:
        tail = "\n    ".join((run.stderr or run.stdout).strip().splitlines()[-8:])
        print(f"  halcfg probe exited {run.code}:\n    {tail}")
    return run


def bench_wan(
    registry: Registry, args: argparse.Namespace, missing: str | None, workdir: Path, peak: list[int]
) -> list[bool]:
    print(f"\n(a) across a WAN: every response delayed {args.delay * 1000:.0f} ms by a proxy")
    proxy = FaultProxy(registry.url, delay=args.delay).start()
    results: list[bool] = []
    try:
        sequential_requests, sequential = sequential_probe(proxy.url, args.page_size, args.repos)
        print(f"  sequential keep-alive client: {sequential:8.2f} s  ({sequential_requests} requests)")
        if missing:
            print(f"  halcfg probe: not measured ({missing})")
            return [False]
        proxy.hits.clear()
        run = run_probe(write_accounts(workdir / "wan.yaml", proxy.address, args.page_size),
                        args.concurrency, args.timeout)
        peak.append(run.max_rss_kib)
        halcfg_requests = len(proxy.hits)
        ideal = halcfg_requests * args.delay / args.concurrency
        print(f"  halcfg probe:                 {run.seconds:8.2f} s  ({halcfg_requests} requests, "
              f"exit {run.code})")
        print(f"  ideal (requests x delay / {args.concurrency}): {ideal:6.2f} s")
        speedup = sequential / run.seconds
        overhead = run.seconds / ideal if ideal else float("inf")
        print(f"  sequential / halcfg = {speedup:6.1f}   target >= {TARGET_VS_SEQUENTIAL:g}  "
              f"{verdict(speedup >= TARGET_VS_SEQUENTIAL)}")
        print(f"  halcfg / ideal      = {overhead:6.2f}   target <= {TARGET_VS_IDEAL:g}  "
              f"{verdict(overhead <= TARGET_VS_IDEAL)}")
        results += [run.code == 0, speedup >= TARGET_VS_SEQUENTIAL, overhead <= TARGET_VS_IDEAL]
        if args.base is not None:
            before_after(proxy, args, workdir)
    finally:
        proxy.stop()
    return results


def before_after(proxy: FaultProxy, args: argparse.Namespace, workdir: Path) -> None:
    """The --base checkout's probe and this one's on the same accounts, interleaved, best of
    three each. A base without the pull check (issue 19) is compared with `--no-pull-check` too,
    which makes the same requests."""
    accounts = write_accounts(workdir / "wan-base.yaml", proxy.address, args.page_size)
    sides = {"before": (args.base, ()), "after": (ROOT, ()), "after --no-pull-check": (ROOT, ("--no-pull-check",))}
    best: dict[str, tuple[float, int]] = {}
    for _ in range(3):
        for side, (root, extra) in sides.items():
            proxy.hits.clear()
            run = run_probe(accounts, args.concurrency, args.timeout, root, *extra)
            if run.code == 0 and (side not in best or run.seconds < best[side][0]):
                best[side] = (run.seconds, len(proxy.hits))
    print(f"  before/after, --base {args.base} (best of 3 each):")
    for side, (seconds, hits) in best.items():
        ratio = f"{seconds / best['before'][0]:.3f}x before" if "before" in best else ""
        print(f"    {side:<22} {seconds:7.2f} s  ({hits} requests)  {ratio}")


def bench_loopback(
    registry: Registry, args: argparse.Namespace, missing: str | None, workdir: Path, peak: list[int]
) -> list[bool]:
    print("\n(b) on loopback, no proxy")
    requests_made, sequential = sequential_probe(registry.url, args.page_size, args.repos)
    print(f"  sequential keep-alive client: {requests_made / sequential:8.0f} requests/s  "
          f"({requests_made} requests in {sequential:.2f} s)")
    results: list[bool] = []
    halcfg_rps: float | None = None
    if missing:
        print(f"  halcfg probe: not measured ({missing})")
        results.append(False)
    else:
        startup = run_measured(halcfg_command("--version"), 60, halcfg_env())
        run = run_probe(write_accounts(workdir / "loopback.yaml", registry.address, args.page_size),
                        args.concurrency, args.timeout)
        peak.append(run.max_rss_kib)
        halcfg_rps = requests_made / run.seconds
        steady = requests_made / max(run.seconds - startup.seconds, 1e-9)
        print(f"  halcfg probe:                 {halcfg_rps:8.0f} requests/s  ({run.seconds:.2f} s, "
              f"exit {run.code}; {steady:.0f}/s without its {startup.seconds:.2f} s start-up)")
        results.append(run.code == 0)
    ceiling = pooled_requests_per_second(registry.url, args.concurrency, args.repos)
    print(f"  bare requests.Session, {args.concurrency} threads: {ceiling:5.0f} requests/s  "
          "(the ceiling for a requests-based client on this machine)")
    repository = "bench/repo-0000"
    wrk = wrk_requests_per_second(f"{registry.url}/v2/{repository}/tags/list", args.wrk_seconds,
                                  args.concurrency)
    if isinstance(wrk, str):
        print(f"  wrk: not measured ({wrk})")
        return [*results, False]
    print(f"  wrk -t2 -c{args.concurrency} -d{args.wrk_seconds}s on {repository}/tags/list: "
          f"{wrk:8.0f} requests/s")
    if halcfg_rps is not None:
        ratio = halcfg_rps / wrk
        print(f"  halcfg / wrk = {ratio:6.2f}   target >= {TARGET_VS_WRK:g}  {verdict(ratio >= TARGET_VS_WRK)}")
        print(f"  halcfg / bare requests = {halcfg_rps / ceiling:.2f};  bare requests / wrk = {ceiling / wrk:.2f}")
        results.append(ratio >= TARGET_VS_WRK)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=int, default=1000, help="repositories to seed (default 1000)")
    parser.add_argument("--tags", type=int, default=3, help="tags per repository (default 3)")
    parser.add_argument("--concurrency", type=int, default=32, help="halcfg probe --concurrency and wrk -c (32)")
    parser.add_argument("--delay", type=float, default=0.05, help="WAN delay per response, seconds (0.05)")
    parser.add_argument("--page-size", type=int, default=1000,
                        help="paginateSize / catalog n, at most 1000 for distribution (1000)")
    parser.add_argument("--wrk-seconds", type=int, default=5, help="wrk duration (5)")
    parser.add_argument("--timeout", type=float, default=300, help="timeout of each halcfg run, seconds (300)")
    parser.add_argument("--cases", default="abcdef", help="which cases to run, e.g. 'ce' (default abcdef)")
    parser.add_argument("--base", type=Path, metavar="DIR",
                        help="case (a) also probes with another checkout's halcfg: before/after in one run")
    args = parser.parse_args()
    if not 1 <= args.page_size <= 1000:
        parser.error("--page-size must be within 1..1000 (distribution's catalog.maxentries)")

    print(f"halcfg probe bench: {args.repos} repositories x {args.tags} tags, concurrency {args.concurrency}, "
          f"page size {args.page_size}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    missing = probe_unavailable()
    if missing:
        print(f"NOTE: halcfg probe is not available yet: {missing}\n"
              "      measuring the baselines only.")

    peak: list[int] = []
    with tempfile.TemporaryDirectory(prefix="halcfg-bench-") as tmp:
        workdir = Path(tmp)
        with start_registry(workdir / "registry") as registry:
            started = time.monotonic()
            tags = [f"v{i}" for i in range(1, args.tags + 1)]
            seed(registry, {f"bench/repo-{i:04d}": tags for i in range(args.repos)})
            print(f"seeded {registry.url} in {time.monotonic() - started:.1f} s")
            results: list[bool] = []
            if "a" in args.cases:
                results += bench_wan(registry, args, missing, workdir, peak)
            if "b" in args.cases:
                results += bench_loopback(registry, args, missing, workdir, peak)
            env = halcfg_env()
            if "c" in args.cases:
                results += bench_refusing(registry, workdir, run_measured, halcfg_command, env, verdict)
            if "d" in args.cases:
                results += bench_ecr(registry, workdir, run_measured, halcfg_command, env, verdict)
            if "e" in args.cases:
                results += bench_defaults(registry, args.repos, args.delay, workdir, run_measured, halcfg_command,
                                          env, verdict)
            if "f" in args.cases:
                results += bench_pull_check(registry, args.repos, args.delay, workdir, run_measured,
                                            halcfg_command, env, verdict)

    if peak:
        print(f"\nhalcfg peak RSS: {max(peak) / 1024:.1f} MiB (ru_maxrss of its own process)")
    return 0 if all(results) else 1
