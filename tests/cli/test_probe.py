"""`halcfg probe` end to end: the real CLI in a subprocess against real registries, a token
server, moto's ECR and the fault proxy. Every finding the probe promises is produced here."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from tests.support import BASIC_PASSWORD, BASIC_USER, SEEDED, TOKEN_USERS
from tests.support.cli import REPO, run_cli
from tests.support.seed import LAYER, MANIFEST_V2, image_documents

EXAMPLES = REPO / "examples"
SEEDED_COUNTS = {repo: len(tags) for repo, tags in SEEDED.items()}


def write_config(directory: Path, *accounts: dict[str, Any]) -> Path:
    """An accounts file (JSON is YAML) holding `accounts`."""
    path = directory / "halcfg.yaml"
    document = {"version": 1, "providers": {"dockerRegistry": {"enabled": True, "accounts": list(accounts)}}}
    path.write_text(json.dumps(document, indent=2))
    return path


def secret_file(directory: Path, name: str, content: str) -> str:
    (directory / "secrets").mkdir(mode=0o700, exist_ok=True)
    (directory / "secrets" / name).write_text(content)
    (directory / "secrets" / name).chmod(0o600)  # as halcfg keeps them: validate warns about others
    return f"secrets/{name}"


def probe(path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, dict[str, Any]]:
    """Run `halcfg probe --format json`; (exit code, report). No traceback, ever."""
    result = run_cli("probe", "-c", path, "--format", "json", *args, env=env, timeout=timeout)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def account_of(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in report["accounts"] if a["name"] == name)


def codes(report: dict[str, Any], name: str | None = None) -> list[str]:
    return [f["code"] for f in report["findings"] if name is None or f["account"] == name]


def finding(report: dict[str, Any], code: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["code"] == code)


def local(name: str, registry: Any, **fields: Any) -> dict[str, Any]:
    return {"name": name, "address": registry.address, "plainHttp": True, **fields}


# -- healthy registries ----------------------------------------------------------------------


def test_anonymous_registry_catalog(tmp_path: Path, anon_registry) -> None:
    code, report = probe(write_config(tmp_path, local("anon", anon_registry)))
    assert code == 0, report
    anon = account_of(report, "anon")
    assert anon["reachable"] is True
    assert anon["authScheme"] == "none"
    assert anon["catalogSize"] == len(SEEDED)
    assert anon["repositoriesProbed"] == len(SEEDED)
    assert anon["tags"] == SEEDED_COUNTS
    assert anon["complete"] is True and anon["durationMs"] >= 0
    assert codes(report) == ["pull-checked"]  # nothing wrong; the pull check says what it proved
    assert "newest tag of 5 repositories answered a pull" in finding(report, "pull-checked")["message"]


def test_json_shape(tmp_path: Path, anon_registry) -> None:
    _, report = probe(write_config(tmp_path, local("anon", anon_registry, repositories=["team/api"])))
    assert set(report) >= {"file", "exit_code", "durationMs", "accounts", "summary", "findings"}
    assert set(account_of(report, "anon")) == {
        "name", "address", "endpoint", "credentialSource", "reachable", "authScheme", "catalogSize",
        "repositoriesProbed", "tags", "durationMs", "complete", "findings",
    }
    assert account_of(report, "anon")["catalogSize"] is None  # listed repositories: the catalog is not read


def test_basic_auth_with_password_file(tmp_path: Path, basic_registry) -> None:
    path = write_config(tmp_path, local("basic", basic_registry, username=BASIC_USER,
                                        passwordFile=secret_file(tmp_path, "pw", BASIC_PASSWORD)))
    code, report = probe(path)
    assert code == 0, report
    basic = account_of(report, "basic")
    assert (basic["authScheme"], basic["credentialSource"], basic["catalogSize"]) == ("basic", "passwordFile", 5)


def test_basic_auth_with_password_command(tmp_path: Path, basic_registry) -> None:
    secret_file(tmp_path, "pw", f"{BASIC_PASSWORD}\n")
    path = write_config(tmp_path, local("basic", basic_registry, username=BASIC_USER,
                                        passwordCommand="cat secrets/pw", repositories=["team/api"]))
    code, report = probe(path)
    assert code == 0, report
    assert account_of(report, "basic")["tags"] == {"team/api": 3}


def test_password_env(tmp_path: Path, basic_registry) -> None:
    path = write_config(tmp_path, local("basic", basic_registry, username=BASIC_USER, passwordEnv="HALCFG_TEST_PW",
                                        repositories=["team/worker"]))
    code, report = probe(path, env={"HALCFG_TEST_PW": BASIC_PASSWORD})
    assert code == 0, report
    code, report = probe(path, env={"HALCFG_TEST_PW": ""})
    assert code == 1
    assert codes(report) == ["password-env-unset"]
    assert account_of(report, "basic")["reachable"] is True  # the registry is still checked


def test_password_command_failure(tmp_path: Path, basic_registry) -> None:
    secret_file(tmp_path, "pw", BASIC_PASSWORD)
    command = "cat secrets/pw; echo \"vault: token for $(cat secrets/pw) expired\" >&2; exit 2"
    path = write_config(tmp_path, local("basic", basic_registry, username=BASIC_USER, passwordCommand=command))
    result = run_cli("probe", "-c", path, "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert codes(report) == ["password-command-failed"]
    assert "vault: token for **** expired" in finding(report, "password-command-failed")["message"]
    assert BASIC_PASSWORD not in result.stdout + result.stderr
    assert account_of(report, "basic")["reachable"] is True


def test_token_auth_full_access(tmp_path: Path, token_setup) -> None:
    registry, token_server = token_setup
    path = write_config(tmp_path, local("tok", registry, username="bob", passwordEnv="BOB_PW",
                                        caCertFile=str(token_server.ca_file)))
    code, report = probe(path, env={"BOB_PW": TOKEN_USERS["bob"]})
    assert code == 0, report
    tok = account_of(report, "tok")
    assert (tok["authScheme"], tok["catalogSize"], tok["tags"]) == ("bearer", 5, SEEDED_COUNTS)


def test_repositories_regex_filters_the_catalog(tmp_path: Path, anon_registry) -> None:
    code, report = probe(write_config(tmp_path, local("anon", anon_registry, repositoriesRegex="team/.*")))
    assert code == 0
    assert sorted(account_of(report, "anon")["tags"]) == ["team/api", "team/paged", "team/worker"]
    assert account_of(report, "anon")["catalogSize"] == 5
    _, report = probe(write_config(tmp_path, local("anon", anon_registry, repositoriesRegex="nothing/.*")))
    assert codes(report) == ["regex-matches-nothing"]


def test_ecr_token_from_moto_accepted_by_the_registry(tmp_path: Path, moto_ecr, ecr_registry) -> None:
    path = write_config(tmp_path, local("ecr", ecr_registry, repositories=["team/api"], ecr={
        "region": moto_ecr.region, "registryId": moto_ecr.registry_id, "endpointUrl": moto_ecr.endpoint_url,
        "accessKeyId": "testing", "secretAccessKeyEnv": "ECR_SECRET",
    }))
    code, report = probe(path, env={"ECR_SECRET": "testing"})
    assert code == 0, report
    ecr = account_of(report, "ecr")
    assert (ecr["credentialSource"], ecr["authScheme"], ecr["tags"]) == ("ecr", "basic", {"team/api": 3})


def test_text_output(tmp_path: Path, anon_registry, free_port: int) -> None:
    path = write_config(tmp_path, local("anon", anon_registry),
                        {"name": "down", "address": f"127.0.0.1:{free_port}", "plainHttp": True})
    result = run_cli("probe", "-c", path)
    assert result.returncode == 1
    total = sum(SEEDED_COUNTS.values())
    assert f"anon: reachable, auth none, catalog 5, 5 repositories, {total} tags" in result.stdout
    assert "down: no v2 answer" in result.stdout
    assert "error [registry-unreachable] account 'down': cannot connect to 127.0.0.1:" in result.stdout
    assert "info [pull-checked] account 'anon': pull check: the newest tag of 5 repositories" in result.stdout
    assert result.stdout.rstrip().endswith(f"{path}: 1 error, 1 info")
    assert "\r" not in result.stderr  # no progress bar when piped


def test_names_select_accounts_and_unknown_names_are_usage_errors(tmp_path: Path, anon_registry,
                                                                   free_port: int) -> None:
    path = write_config(tmp_path, local("anon", anon_registry, repositories=["team/api"]),
                        {"name": "down", "address": f"127.0.0.1:{free_port}", "plainHttp": True})
    code, report = probe(path, "anon")
    assert code == 0
    assert [a["name"] for a in report["accounts"]] == ["anon"]
    result = run_cli("probe", "-c", path, "nope")
    assert result.returncode == 2
    assert "no account named 'nope'" in result.stderr


def test_offline_errors_skip_the_account(tmp_path: Path, anon_registry) -> None:
    path = write_config(tmp_path, local("anon", anon_registry, repositories=["team/api"], repositoriesRegex="x"))
    code, report = probe(path)
    assert code == 1
    assert codes(report) == ["repositories-exclusive", "probe-skipped"]
    assert report["accounts"] == []


# -- what goes wrong ---------------------------------------------------------------------------


def test_unreachable(tmp_path: Path, free_port: int) -> None:
    code, report = probe(write_config(tmp_path, {"name": "down", "address": f"127.0.0.1:{free_port}",
                                                 "plainHttp": True}))
    assert code == 1
    assert codes(report) == ["registry-unreachable"]
    assert "Connection refused" in finding(report, "registry-unreachable")["message"]
    assert account_of(report, "down")["reachable"] is False


def test_tls(tmp_path: Path, tls_registry) -> None:
    (tmp_path / "ca.pem").write_bytes(Path(tls_registry.ca_file).read_bytes())
    path = write_config(
        tmp_path,
        {"name": "untrusted", "address": tls_registry.address, "repositories": ["team/api"]},
        {"name": "trusted", "address": f"https://{tls_registry.address}", "caCertFile": "ca.pem",
         "repositories": ["team/api"], "registryType": "other"},
        {"name": "insecure", "address": tls_registry.url, "insecureRegistry": True, "repositories": ["team/api"]},
    )
    code, report = probe(path)
    assert code == 1
    assert codes(report, "untrusted") == ["tls-failed"]
    assert "caCertFile" in finding(report, "tls-failed")["remediation"]
    assert account_of(report, "trusted")["tags"] == {"team/api": 3}
    assert "tls-failed" not in codes(report, "trusted") + codes(report, "insecure")
    assert account_of(report, "insecure")["tags"] == {"team/api": 3}


def test_not_a_v2_registry(tmp_path: Path, anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"^/v2/", status=404, body=b"<html><body>Welcome to nginx!</body></html>",
                   headers={"Content-Type": "text/html"})
    code, report = probe(write_config(tmp_path, local("web", proxy)))
    assert code == 1
    assert codes(report) == ["not-v2"]


def test_basic_auth_refused_with_halyards_newline_hint(tmp_path: Path, basic_registry) -> None:
    path = write_config(tmp_path, local("basic", basic_registry, username=BASIC_USER,
                                        passwordFile=secret_file(tmp_path, "pw", f"{BASIC_PASSWORD}\n")))
    result = run_cli("probe", "-c", path, "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert codes(report) == ["file-trailing-whitespace", "auth-refused"]
    assert "trailing newline" in finding(report, "auth-refused")["remediation"]
    assert BASIC_PASSWORD not in result.stdout + result.stderr


def test_auth_refused_with_leading_whitespace_hint(tmp_path: Path, basic_registry) -> None:
    path = write_config(tmp_path, local("basic", basic_registry, username=BASIC_USER, passwordEnv="PW"))
    code, report = probe(path, env={"PW": f" {BASIC_PASSWORD}"})
    assert code == 1
    assert codes(report) == ["auth-refused"]
    assert "leading whitespace" in finding(report, "auth-refused")["remediation"]


def test_missing_credentials(tmp_path: Path, basic_registry) -> None:
    code, report = probe(write_config(tmp_path, local("basic", basic_registry)))
    assert code == 1
    assert codes(report) == ["auth-refused"]
    assert "has none" in finding(report, "auth-refused")["message"]


def test_token_auth_wrong_password(tmp_path: Path, token_setup) -> None:
    registry, token_server = token_setup
    path = write_config(tmp_path, local("tok", registry, username="bob", passwordEnv="BOB_PW",
                                        caCertFile=str(token_server.ca_file)))
    code, report = probe(path, env={"BOB_PW": "not-bobs"})
    assert code == 1
    assert codes(report) == ["auth-refused"]
    assert "not-bobs" not in json.dumps(report)


def test_catalog_forbidden_by_token_scope(tmp_path: Path, token_setup) -> None:
    """carol may pull team/* but not read the catalog: the registry answers insufficient_scope."""
    registry, token_server = token_setup
    path = write_config(tmp_path, local("carol", registry, username="carol", passwordEnv="CAROL_PW",
                                        caCertFile=str(token_server.ca_file)))
    code, report = probe(path, env={"CAROL_PW": TOKEN_USERS["carol"]})
    assert code == 1
    assert codes(report) == ["catalog-unavailable"]
    assert "List the repositories explicitly" in finding(report, "catalog-unavailable")["remediation"]


def test_listed_repositories_unknown_and_denied(tmp_path: Path, token_setup) -> None:
    registry, token_server = token_setup
    path = write_config(tmp_path, local("carol", registry, username="carol", passwordEnv="CAROL_PW",
                                        caCertFile=str(token_server.ca_file),
                                        repositories=["team/api", "team/nope", "library/alpine"]))
    code, report = probe(path, env={"CAROL_PW": TOKEN_USERS["carol"]})
    assert code == 1
    assert sorted(codes(report)) == ["pull-checked", "repository-denied", "repository-unknown"]
    assert "team/nope" in finding(report, "repository-unknown")["message"]
    assert "library/alpine" in finding(report, "repository-denied")["message"]
    assert account_of(report, "carol")["tags"] == {"team/api": 3, "team/nope": None, "library/alpine": None}


def test_catalog_403_through_the_proxy(tmp_path: Path, anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"_catalog", status=403, body=b'{"errors":[{"code":"DENIED","message":"catalog is admin only"}]}')
    code, report = probe(write_config(tmp_path, local("proxied", proxy)))
    assert code == 1
    assert codes(report) == ["catalog-unavailable"]
    assert "admin only" in finding(report, "catalog-unavailable")["message"]


def test_empty_catalog(tmp_path: Path, scratch_registry) -> None:
    path = write_config(tmp_path, local("empty", scratch_registry))
    code, report = probe(path)
    assert code == 0
    assert codes(report) == ["catalog-empty"]
    assert finding(report, "catalog-empty")["severity"] == "WARNING"
    assert probe(path, "--strict")[0] == 1


def push_untagged(registry: Any, repo: str) -> None:
    """Push an image by digest only: the repository is in the catalog, yet has no tags."""
    config, manifest = image_documents(repo, "untagged")
    with requests.Session() as session:
        for blob in (LAYER, config):
            upload = session.post(f"{registry.url}/v2/{repo}/blobs/uploads/", timeout=10)
            location = upload.headers["Location"]
            digest = "sha256:" + hashlib.sha256(blob).hexdigest()
            session.put(f"{location}&digest={digest}", data=blob, timeout=10).raise_for_status()
        digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
        session.put(f"{registry.url}/v2/{repo}/manifests/{digest}", data=manifest,
                    headers={"Content-Type": MANIFEST_V2}, timeout=10).raise_for_status()


def test_repositories_without_tags(tmp_path: Path, scratch_registry) -> None:
    push_untagged(scratch_registry, "ci/by-digest")
    push_untagged(scratch_registry, "ci/other")
    code, report = probe(write_config(tmp_path, local("untagged", scratch_registry)))
    assert code == 0
    assert sorted(codes(report)) == ["no-tags", "repository-no-tags", "repository-no-tags"]
    assert account_of(report, "untagged")["tags"] == {"ci/by-digest": 0, "ci/other": 0}


def test_listed_repository_with_empty_tag_list(tmp_path: Path, anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"/v2/team/api/tags/list", status=200, body=b'{"name": "team/api", "tags": []}',
                   headers={"Content-Type": "application/json"})
    code, report = probe(write_config(tmp_path, local("p", proxy, repositories=["team/api", "team/worker"])))
    assert code == 0
    assert codes(report) == ["repository-no-tags", "pull-checked"]


# -- faults through the proxy ------------------------------------------------------------------


def test_slow_registry_past_client_timeout(tmp_path: Path, anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url, delay=5)
    started = time.monotonic()
    code, report = probe(write_config(tmp_path, local("slow", proxy, clientTimeoutMillis=300)))
    assert time.monotonic() - started < 4
    assert code == 1
    assert codes(report) == ["timeout"]
    assert "clientTimeoutMillis" in finding(report, "timeout")["message"]


def test_overall_timeout_stops_everything(tmp_path: Path, anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"tags/list", delay=30)
    started = time.monotonic()
    code, report = probe(write_config(tmp_path, local("slow", proxy)), "--timeout", "1")
    assert time.monotonic() - started < 4  # the process exits promptly, not after 30 s
    assert code == 1
    assert codes(report) == ["timeout"]
    slow = account_of(report, "slow")
    assert (slow["complete"], slow["reachable"], slow["catalogSize"]) == (False, True, 5)
    assert "5 repositories unfinished" in finding(report, "timeout")["message"]


def test_retry_after_honoured(tmp_path: Path, anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"_catalog", status=429, headers={"Retry-After": "1"}, times=1)
    started = time.monotonic()
    code, report = probe(write_config(tmp_path, local("limited", proxy)))
    assert code == 0, report
    assert time.monotonic() - started >= 1
    assert account_of(report, "limited")["catalogSize"] == 5


def test_rate_limited(tmp_path: Path, anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"tags/list", status=429, headers={"Retry-After": "120"},
                   body=b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}')
    code, report = probe(write_config(tmp_path, local("limited", proxy, repositories=["team/api"])))
    assert code == 0  # a warning: the account may be fine
    assert codes(report) == ["rate-limited"]


def test_server_errors(tmp_path: Path, anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"team/api/tags", status=503, times=1)  # retried
    proxy.add_rule(r"team/worker/tags", status=500, body=b"internal error")
    code, report = probe(write_config(tmp_path, local("p", proxy, repositories=["team/api", "team/worker"])))
    assert code == 1
    assert codes(report) == ["registry-error", "pull-checked"]
    assert "team/worker" in finding(report, "registry-error")["message"]
    assert account_of(report, "p")["tags"] == {"team/api": 3, "team/worker": None}


def test_malformed_json(tmp_path: Path, anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"_catalog", status=200, body=b"{not json", headers={"Content-Type": "application/json"})
    code, report = probe(write_config(tmp_path, local("p", proxy)))
    assert code == 1
    assert codes(report) == ["registry-error"]
    assert "not the JSON object" in finding(report, "registry-error")["message"]


def test_link_loop(tmp_path: Path, anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"_catalog", headers={"Link": '</v2/_catalog?n=2>; rel="next"'})
    code, report = probe(write_config(tmp_path, local("p", proxy, paginateSize=2)))
    assert code == 1
    assert codes(report) == ["pagination-broken", "pull-checked"]


def test_registry_down_mid_probe(tmp_path: Path, anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"tags/list", close=True)
    code, report = probe(write_config(tmp_path, local("p", proxy, repositories=["team/api"])))
    assert code == 1
    assert codes(report) == ["registry-unreachable"]


# -- concurrency ---------------------------------------------------------------------------------


def test_accounts_and_repositories_run_in_parallel(tmp_path: Path, anon_registry, fault_proxy) -> None:
    """Behind a 0.3 s proxy, 3 accounts x (ping + catalog + 5 tag lists + 5 pulls) cannot take less
    than 10.8 s one at a time; in parallel they overlap on several connections. The pull check is
    one request per repository, on the token the listing holds."""
    proxy = fault_proxy(anon_registry.url, delay=0.3)
    path = write_config(tmp_path, *(local(f"a{i}", proxy) for i in range(3)))
    started = time.monotonic()
    code, report = probe(path, "--concurrency", "16")
    elapsed = time.monotonic() - started
    assert code == 0, report
    assert all(a["repositoriesProbed"] == 5 for a in report["accounts"])
    sequential_floor = len(proxy.hits) * 0.3
    assert len(proxy.hits) == 36
    assert sum(method == "HEAD" and "/manifests/" in target for method, target in proxy.hits) == 15
    assert proxy.peak_connections >= 3
    assert elapsed < sequential_floor, elapsed


def test_progress_line_on_a_terminal(tmp_path: Path, anon_registry, fault_proxy) -> None:
    """stderr on a pseudo-terminal gets a `probing done/total` line, erased at the end."""
    proxy = fault_proxy(anon_registry.url, delay=0.4)
    path = write_config(tmp_path, local("slow", proxy))
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("HALCFG_CONFIG", None)
    process = subprocess.Popen([sys.executable, "-m", "halcfg", "probe", "-c", str(path)],
                               stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    stdout, _ = process.communicate(timeout=60)
    terminal = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        terminal += chunk
    os.close(leader)
    assert process.returncode == 0, stdout
    assert b"\rprobing " in terminal
    assert terminal.endswith(b"\r\x1b[K")
    assert b"probing" not in stdout


# -- the examples --------------------------------------------------------------------------------


def test_examples_are_reported_unreachable(tmp_path: Path) -> None:
    """examples/ names real registries this machine cannot reach: each is reported, nothing faked."""
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    env = {"QUAY_ROBOT_TOKEN": "not-a-real-token", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
           "AWS_SECRET_ACCESS_KEY": "example", "AWS_EC2_METADATA_DISABLED": "true",
           "HTTPS_PROXY": "", "https_proxy": ""}
    code, report = probe(tmp_path / "examples" / "halcfg.yaml", "--timeout", "30", env=env)
    assert code == 1
    assert len(report["accounts"]) == 5
    for account in report["accounts"]:
        assert account["reachable"] is False
        assert "registry-unreachable" in [f["code"] for f in account["findings"]], account
        assert account["tags"] == {}
