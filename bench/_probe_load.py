"""Issue 6 "Under load", the cases bench/probe runs after (a) and (b):

(c) 1,000 accounts on 1,000 ports of 127.0.0.1 that refuse connections, and one healthy account
    last in the file: wall time and peak RSS, against the healthy account probed alone.
    Target: the whole run within 10x of the healthy account alone (a refusal is not retried).
(d) 100 ECR accounts (100 registry ids) whose tokens come from moto, against 1 such account:
    wall time and peak RSS. Target: peak RSS of 100 within 1.3x of 1 (one boto3 client per
    identity, not one per account).
(e) 400 listed repositories behind the proxy's per-response delay, `halcfg probe` at its DEFAULT
    settings (no --concurrency) against a sequential keep-alive client (ping, then every
    tags/list in turn). Target >= 10x.
(f) Issue 19: the same 400 listed repositories behind the same delay, the pull check on (the
    default) against off (--no-pull-check), interleaved, best of ROUNDS each. The check may cost one
    round trip per repository: exactly one more request each (counted by the proxy), and no more
    time than those requests cost spread over the pool, `repos x delay / concurrency`, with case
    (a)'s 1.5x allowance for the pool's overhead. The ratio on / off is printed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests

from halcfg.probe.run import DEFAULT_CONCURRENCY  # what (e) and (f) run at: halcfg probe's default
from tests.support.fault_proxy import FaultProxy
from tests.support.ports import free_port
from tests.support.registry import Registry

TARGET_REFUSING_VS_ALONE = 10.0
TARGET_ECR_RSS = 1.3
TARGET_DEFAULTS_VS_SEQUENTIAL = 10.0
LISTED = 400
ROUNDS = 2
TARGET_PULL_OVERHEAD = 1.5  # extra time of the pull check / its ideal (one round trip per repository)


def write_file(path: Path, accounts: list[dict[str, Any]]) -> Path:
    """An accounts file (JSON is YAML)."""
    document = {"version": 1, "providers": {"dockerRegistry": {"enabled": True, "accounts": accounts}}}
    path.write_text(json.dumps(document))
    return path


def healthy(registry: Registry) -> dict[str, Any]:
    return {"name": "healthy", "address": registry.address, "plainHttp": True,
            "repositories": ["bench/repo-0000"]}


def probe_json(run: Any) -> dict[str, Any] | None:
    try:
        return json.loads(run.stdout)
    except ValueError:
        return None


def bench_refusing(registry: Registry, workdir: Path, measure: Any, command: Any, env: dict[str, str],
                   verdict: Any) -> list[bool]:
    print("\n(c) 1,000 accounts on ports that refuse connections, one healthy account last")
    alone = measure(command("probe", "-c", str(write_file(workdir / "alone.yaml", [healthy(registry)])),
                            "--format", "json"), 120, env)
    ports: set[int] = set()
    while len(ports) < 1000:
        ports.add(free_port())
    accounts = [{"name": f"down-{i:04d}", "address": f"127.0.0.1:{port}", "plainHttp": True,
                 "repositories": ["x/y"]} for i, port in enumerate(sorted(ports))]
    path = write_file(workdir / "refusing.yaml", [*accounts, healthy(registry)])
    run = measure(command("probe", "-c", str(path), "--format", "json"), 300, env)
    report = probe_json(run) or {}
    found = {a["name"]: a for a in report.get("accounts", [])}
    ok = found.get("healthy", {}).get("tags") == {"bench/repo-0000": 3}
    unreachable = sum(1 for a in found.values() if any(f["code"] == "registry-unreachable" for f in a["findings"]))
    ratio = run.seconds / alone.seconds
    print(f"  healthy account alone:          {alone.seconds:6.2f} s  peak RSS {alone.max_rss_kib / 1024:6.1f} MiB")
    print(f"  {len(accounts)} refusing + healthy:     {run.seconds:6.2f} s  peak RSS {run.max_rss_kib / 1024:6.1f} MiB"
          f"  ({unreachable} unreachable, healthy account {'probed' if ok else 'NOT probed'})")
    print(f"  refusing / alone = {ratio:6.2f}   target <= {TARGET_REFUSING_VS_ALONE:g}  "
          f"{verdict(ratio <= TARGET_REFUSING_VS_ALONE and ok)}")
    return [ok, ratio <= TARGET_REFUSING_VS_ALONE]


def bench_ecr(registry: Registry, workdir: Path, measure: Any, command: Any, env: dict[str, str],
              verdict: Any) -> list[bool]:
    from tests.support.moto_ecr import start_moto

    print("\n(d) ECR accounts whose tokens come from moto (100 registry ids, one AWS identity)")
    moto = start_moto()
    try:
        def accounts(count: int) -> list[dict[str, Any]]:
            return [{"name": f"ecr-{i:03d}", "address": registry.address, "plainHttp": True,
                     "repositories": ["bench/repo-0000"],
                     "ecr": {"region": moto.region, "registryId": f"{100000000000 + i}",
                             "endpointUrl": moto.endpoint_url, "accessKeyId": "testing",
                             "secretAccessKeyEnv": "BENCH_AWS_SECRET"}} for i in range(count)]

        ecr_env = {**env, "BENCH_AWS_SECRET": "testing", "AWS_EC2_METADATA_DISABLED": "true"}
        runs = {}
        for count in (1, 100):
            path = write_file(workdir / f"ecr-{count}.yaml", accounts(count))
            runs[count] = measure(command("probe", "-c", str(path), "--format", "json"), 300, ecr_env)
            report = probe_json(runs[count]) or {}
            sources = [a.get("credentialSource") for a in report.get("accounts", [])]
            print(f"  {count:3d} ECR account{'s' if count > 1 else ' '}: {runs[count].seconds:6.2f} s  "
                  f"peak RSS {runs[count].max_rss_kib / 1024:6.1f} MiB  "
                  f"({sources.count('ecr')} got a token, exit {runs[count].code})")
    finally:
        moto.stop()
    ratio = runs[100].max_rss_kib / runs[1].max_rss_kib
    print(f"  peak RSS 100 / 1 = {ratio:5.2f}   target <= {TARGET_ECR_RSS:g}  {verdict(ratio <= TARGET_ECR_RSS)}")
    return [runs[100].code == 0, ratio <= TARGET_ECR_RSS]


def sequential_listed(base_url: str, repositories: list[str]) -> float:
    """Halyard's way for listed repositories: one keep-alive session, ping, each tags/list in turn."""
    started = time.monotonic()
    with requests.Session() as session:
        session.get(f"{base_url}/v2/", timeout=30).raise_for_status()
        for repository in repositories:
            session.get(f"{base_url}/v2/{repository}/tags/list", timeout=30).raise_for_status()
    return time.monotonic() - started


def bench_defaults(registry: Registry, repos: int, delay: float, workdir: Path, measure: Any, command: Any,
                   env: dict[str, str], verdict: Any) -> list[bool]:
    listed = [f"bench/repo-{i:04d}" for i in range(min(LISTED, repos))]
    print(f"\n(e) {len(listed)} listed repositories behind a {delay * 1000:.0f} ms proxy, halcfg at its defaults")
    proxy = FaultProxy(registry.url, delay=delay).start()
    try:
        sequential = sequential_listed(proxy.url, listed)
        path = write_file(workdir / "listed.yaml", [{"name": "listed", "address": proxy.address, "plainHttp": True,
                                                     "repositories": listed}])
        proxy.hits.clear()
        run = measure(command("probe", "-c", str(path), "--format", "json"), 300, env)
        requests_made, connections = len(proxy.hits), proxy.peak_connections
    finally:
        proxy.stop()
    ratio = sequential / run.seconds
    print(f"  sequential keep-alive client: {sequential:6.2f} s")
    print(f"  halcfg probe (defaults):      {run.seconds:6.2f} s  ({requests_made} requests on at most "
          f"{connections} connections at once, exit {run.code})")
    print(f"  sequential / halcfg = {ratio:5.1f}   target >= {TARGET_DEFAULTS_VS_SEQUENTIAL:g}  "
          f"{verdict(ratio >= TARGET_DEFAULTS_VS_SEQUENTIAL)}")
    return [run.code == 0, ratio >= TARGET_DEFAULTS_VS_SEQUENTIAL]


def bench_pull_check(registry: Registry, repos: int, delay: float, workdir: Path, measure: Any, command: Any,
                     env: dict[str, str], verdict: Any) -> list[bool]:
    listed = [f"bench/repo-{i:04d}" for i in range(min(LISTED, repos))]
    print(f"\n(f) the pull check on vs off: {len(listed)} listed repositories behind a {delay * 1000:.0f} ms proxy")
    proxy = FaultProxy(registry.url, delay=delay).start()
    seconds: dict[str, list[float]] = {"on": [], "off": []}
    requests_made: dict[str, int] = {}
    ok = True
    try:
        path = write_file(workdir / "pull.yaml", [{"name": "listed", "address": proxy.address, "plainHttp": True,
                                                   "repositories": listed}])
        for _ in range(ROUNDS):
            for mode, flags in (("off", ["--no-pull-check"]), ("on", [])):
                proxy.hits.clear()
                run = measure(command("probe", "-c", str(path), "--format", "json", *flags), 300, env)
                requests_made[mode] = len(proxy.hits)
                seconds[mode].append(run.seconds)
                codes = [f["code"] for f in (probe_json(run) or {}).get("findings", [])]
                ok = ok and run.code == 0 and codes == (["pull-checked"] if mode == "on" else [])
    finally:
        proxy.stop()
    on, off = min(seconds["on"]), min(seconds["off"])
    extra = requests_made["on"] - requests_made["off"]
    ideal = len(listed) * delay / DEFAULT_CONCURRENCY
    overhead = (on - off) / ideal
    print(f"  pull check off: {off:6.2f} s  ({requests_made['off']} requests)")
    print(f"  pull check on:  {on:6.2f} s  ({requests_made['on']} requests: {extra} more, one per repository "
          f"{verdict(extra == len(listed))})")
    print(f"  on / off = {on / off:5.2f};  (on - off) / ideal one round trip per repository "
          f"({len(listed)} x {delay * 1000:.0f} ms / {DEFAULT_CONCURRENCY} = {ideal:.2f} s) = {overhead:5.2f}   "
          f"target <= {TARGET_PULL_OVERHEAD:g}  {verdict(overhead <= TARGET_PULL_OVERHEAD)}")
    return [ok, extra == len(listed), overhead <= TARGET_PULL_OVERHEAD]
