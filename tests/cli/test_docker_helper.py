"""`docker-credential-halcfg` byte for byte as docker-credential-helpers define it, and under a
real client: skopeo with an auth file holding only `credHelpers`, against the htpasswd registry
and an ECR account on moto, whose token is fetched once and then served from the cache."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import BASIC_PASSWORD, BASIC_USER, SEEDED
from tests.support.cli import REPO, run_cli
from tests.support.credential_helper import (
    HELPER,
    HELPER_MODULE,
    auth_file,
    helper_env,
    install_shim,
    write_accounts,
)
from tests.support.moto_ecr import ACCESS_KEY_ID, SECRET_ACCESS_KEY, with_real_token_lifetime

CANARY = "CANARY-helper-4b1d-s3cr3t"
NOT_FOUND = "credentials not found in native keychain\n"
HUB = "https://index.docker.io/v1/"


@dataclass
class Helper:
    root: Path
    config: Path
    env: dict[str, str]

    def run(self, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([HELPER, *args], input=stdin, capture_output=True, text=True,
                                env={**self.env, **(env or {})}, timeout=60)
        assert "Traceback" not in result.stdout + result.stderr, result
        assert CANARY not in result.stderr, result.stderr
        return result

    def render_auth_file(self) -> Path:
        """What `halcfg render --target docker-config --helper halcfg` writes for the accounts."""
        rendered = run_cli("render", "-c", self.config, "--target", "docker-config", "--helper", "halcfg",
                           "--out", "-")  # fmt: skip
        assert rendered.returncode == 0, rendered.stderr
        path = self.root / "rendered-config.json"
        path.write_text(rendered.stdout)
        return path

    def skopeo_tags(
        self, address: str, repository: str, authfile: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`skopeo list-tags` with `authfile`, by default one holding only `credHelpers: {address: halcfg}`."""
        authfile = authfile or auth_file(self.root / "auth.json", address)
        return subprocess.run(
            ["skopeo", "list-tags", "--authfile", str(authfile), "--tls-verify=false",
             f"docker://{address}/{repository}"],
            capture_output=True, text=True, env=self.env, timeout=120,
        )  # fmt: skip

    def cache_file(self) -> Path:
        return self.root / "cache" / "halcfg" / "tokens.json"


@pytest.fixture
def helper(tmp_path: Path) -> Helper:
    bin_dir = tmp_path / "bin"
    install_shim(bin_dir)
    config = tmp_path / "halcfg.yaml"
    return Helper(tmp_path, config, helper_env(tmp_path, config, bin_dir))


def secret(helper: Helper, name: str, value: str) -> str:
    (helper.root / name).write_text(value)
    return name


def local(name: str, address: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "address": address, "plainHttp": True, **fields}


# -- the protocol, byte for byte -------------------------------------------------------------


@pytest.fixture
def accounts(helper: Helper) -> Helper:
    write_accounts(
        helper.config,
        local("files", "registry.test:5000", username="alice", passwordFile=secret(helper, "pw", CANARY)),
        {"name": "hub", "address": "index.docker.io", "username": "hub-bot", "passwordEnv": "HUB_TOKEN"},
        {"name": "public", "address": "public.test"},  # no password source: anonymous by design
        local("broken", "broken.test", username="bob", passwordFile="missing.txt"),
        local("shadowed", "registry.test:5000", username="second", passwordEnv="HUB_TOKEN"),
    )
    return helper


def test_get_answers_docker_json_for_managed_hosts(accounts: Helper) -> None:
    got = accounts.run("get", stdin="registry.test:5000")  # docker sends no newline
    assert (got.returncode, got.stderr) == (0, "")
    assert got.stdout == '{"ServerURL":"registry.test:5000","Username":"alice","Secret":"' + CANARY + '"}\n'
    hub = accounts.run("get", stdin=HUB + "\n", env={"HUB_TOKEN": "tok&<en>"})
    assert hub.returncode == 0
    assert hub.stdout == '{"ServerURL":"' + HUB + '","Username":"hub-bot","Secret":"tok\\u0026\\u003cen\\u003e"}\n'
    assert json.loads(hub.stdout)["Secret"] == "tok&<en>"


def test_unmanaged_host_and_anonymous_account_are_not_found(accounts: Helper) -> None:
    for url in ("quay.io", "registry.test:5001", "public.test"):
        result = accounts.run("get", stdin=url)
        assert (result.returncode, result.stdout) == (1, NOT_FOUND), url


def test_a_failing_managed_account_is_an_error_not_an_anonymous_pull(accounts: Helper) -> None:
    result = accounts.run("get", stdin="broken.test")
    assert result.returncode == 1
    assert result.stdout.startswith("halcfg: account 'broken': passwordFile 'missing.txt' does not exist")
    assert NOT_FOUND.strip() not in result.stdout and result.stdout.count("\n") == 1


def test_list_names_every_account_with_a_password_without_resolving_it(accounts: Helper) -> None:
    listed = accounts.run("list", stdin="unused")  # HUB_TOKEN unset and missing.txt absent: still fine
    assert listed.returncode == 0
    assert listed.stdout == (
        '{"broken.test":"bob","https://index.docker.io/v1/":"hub-bot","registry.test:5000":"alice"}\n'
    )


def test_store_and_erase_keep_login_working_for_unmanaged_hosts(accounts: Helper) -> None:
    login = json.dumps({"ServerURL": "quay.io", "Username": "me", "Secret": CANARY})
    stored = accounts.run("store", stdin=login)
    assert (stored.returncode, stored.stdout) == (0, "")
    assert "keeps no credentials" in stored.stderr
    erased = accounts.run("erase", stdin="quay.io")
    assert (erased.returncode, erased.stdout) == (0, "")


def test_store_and_erase_point_managed_hosts_at_the_accounts_file(accounts: Helper) -> None:
    login = json.dumps({"ServerURL": "registry.test:5000", "Username": "me", "Secret": "other"})
    stored = accounts.run("store", stdin=login)
    assert stored.returncode == 1
    assert "account 'files'" in stored.stdout and "source of truth" in stored.stdout
    assert "halcfg account edit files" in stored.stdout
    erased = accounts.run("erase", stdin=HUB)
    assert erased.returncode == 1 and "account 'hub'" in erased.stdout
    assert (CANARY in (accounts.root / "pw").read_text())  # untouched


def test_protocol_errors_on_stdout(accounts: Helper) -> None:
    usage = "Usage: docker-credential-halcfg <store|get|erase|list|version>\n"
    assert (accounts.run().returncode, accounts.run().stdout) == (1, usage)
    assert accounts.run("get", "extra").stdout == usage
    assert accounts.run("fetch").stdout == "docker-credential-halcfg: unknown action: fetch\n"
    assert accounts.run("get", stdin="  \n").stdout == "no credentials server URL\n"
    assert accounts.run("store", stdin='{"ServerURL": "quay.io"}').stdout == "no credentials username\n"
    assert accounts.run("store", stdin='{"Username": "x"}').stdout == "no credentials server URL\n"
    assert accounts.run("version").stdout == "docker-credential-halcfg (halcfg) 0.1.0\n"


def test_accounts_file_from_xdg_config_when_halcfg_config_is_unset(helper: Helper) -> None:
    env = {k: v for k, v in helper.env.items() if k != "HALCFG_CONFIG"}
    missing = subprocess.run([HELPER, "get"], input="registry.test", capture_output=True, text=True,
                             env={**env, "XDG_CONFIG_HOME": str(helper.root / "xdg")}, timeout=60)
    assert missing.returncode == 1
    assert f"{helper.root / 'xdg' / 'halcfg' / 'halcfg.yaml'}: no such file" in missing.stdout
    config = helper.root / "home" / ".config" / "halcfg" / "halcfg.yaml"
    config.parent.mkdir(parents=True)
    write_accounts(config, local("home", "registry.test", username="u", password="p"))
    found = subprocess.run([HELPER, "get"], input="registry.test", capture_output=True, text=True, env=env, timeout=60)
    assert json.loads(found.stdout)["Username"] == "u"


def test_a_broken_accounts_file_serves_nothing(helper: Helper) -> None:
    write_accounts(helper.config, local("ok", "registry.test", username="u", password="p"), {"name": "Bad!"})
    result = helper.run("get", stdin="registry.test")
    assert result.returncode == 1
    assert f"accounts file {helper.config} is not valid" in result.stdout and "halcfg validate" in result.stdout


# -- skopeo through the helper ---------------------------------------------------------------


def test_skopeo_lists_tags_through_the_helper(helper: Helper, basic_registry) -> None:
    write_accounts(helper.config, local("basic", basic_registry.address, username=BASIC_USER,
                                        passwordFile=secret(helper, "pw", BASIC_PASSWORD)))
    listed = helper.skopeo_tags(basic_registry.address, "team/api")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["Tags"] == SEEDED["team/api"]


def test_skopeo_fails_with_halcfgs_message_when_the_credential_fails(helper: Helper, basic_registry) -> None:
    (helper.root / "vault.txt").write_text(CANARY)
    failing = 'printf %s "$(cat vault.txt)"; echo "vault: token $(cat vault.txt) expired" >&2; exit 3'
    write_accounts(helper.config, local("vaulted", basic_registry.address, username=BASIC_USER,
                                        passwordCommand=failing))
    listed = helper.skopeo_tags(basic_registry.address, "team/api", helper.render_auth_file())
    assert listed.returncode != 0
    assert "error getting credentials" in listed.stderr
    assert "halcfg: account 'vaulted': passwordCommand exited with status 3: vault: token **** expired" in listed.stderr
    assert "Tags" not in listed.stdout and CANARY not in listed.stdout + listed.stderr


# -- ECR on moto: fetched once, then from the cache ------------------------------------------


def ecr_account(address: str, moto_ecr, endpoint_url: str) -> dict[str, Any]:
    return local("ecr", address, ecr={
        "region": moto_ecr.region, "registryId": moto_ecr.registry_id, "endpointUrl": endpoint_url,
        "accessKeyId": ACCESS_KEY_ID, "secretAccessKeyEnv": "ECR_SECRET",
    })  # fmt: skip


def test_skopeo_through_ecr_token_fetched_once_then_cached(
    helper: Helper, moto_ecr, ecr_registry, fault_proxy
) -> None:
    aws = fault_proxy(moto_ecr.endpoint_url)
    aws.add_rule(r"^/$", rewrite=with_real_token_lifetime)  # moto's tokens expired in 2015
    helper.env["ECR_SECRET"] = SECRET_ACCESS_KEY
    write_accounts(helper.config, ecr_account(ecr_registry.address, moto_ecr, aws.url))

    authfile = helper.render_auth_file()
    assert json.loads(authfile.read_text()) == {"auths": {}, "credHelpers": {ecr_registry.address: "halcfg"}}
    first = helper.skopeo_tags(ecr_registry.address, "team/api", authfile)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["Tags"] == SEEDED["team/api"]
    assert len(aws.hits) == 1  # one GetAuthorizationToken

    cache = helper.cache_file()
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert moto_ecr.password in cache.read_text()

    aws.add_rule(r".", status=500, body=b'{"__type": "ServerException"}')  # AWS is down from now on
    second = helper.skopeo_tags(ecr_registry.address, "team/worker", authfile)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["Tags"] == SEEDED["team/worker"]
    assert len(aws.hits) == 1  # served from the cache by another process

    # A hit imports neither boto3 nor requests.
    timed = subprocess.run([sys.executable, "-X", "importtime", "-m", HELPER_MODULE, "get"],
                           input=ecr_registry.address, capture_output=True, text=True,
                           env={**helper.env, "PYTHONPATH": str(REPO)}, timeout=60)  # fmt: skip
    assert json.loads(timed.stdout)["Secret"] == moto_ecr.password
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in timed.stderr.splitlines()}
    assert "halcfg" in imported and not imported & {"boto3", "botocore", "requests", "typer", "jsonschema"}


def test_ecr_failure_is_halcfgs_message(helper: Helper, moto_ecr, free_port: int) -> None:
    helper.env["ECR_SECRET"] = SECRET_ACCESS_KEY
    write_accounts(helper.config, ecr_account("registry.test", moto_ecr, f"http://127.0.0.1:{free_port}"))
    result = helper.run("get", stdin="registry.test")
    assert result.returncode == 1
    assert result.stdout.startswith("halcfg: account 'ecr': cannot reach the ECR API")
    assert not helper.cache_file().exists()


def test_an_expired_token_is_used_once_and_never_cached(helper: Helper, moto_ecr) -> None:
    helper.env["ECR_SECRET"] = SECRET_ACCESS_KEY
    write_accounts(helper.config, ecr_account("registry.test", moto_ecr, moto_ecr.endpoint_url))
    result = helper.run("get", stdin="registry.test")
    assert json.loads(result.stdout)["Secret"] == moto_ecr.password
    assert not helper.cache_file().exists()
    assert os.listdir(helper.root / "home") == []  # and nothing else was written


# -- every client finds the helper under its own key (issue 15.1) -------------------------------


@pytest.fixture
def hub_helper(helper: Helper) -> Helper:
    write_accounts(helper.config, {"name": "hub", "address": "docker.io:443", "username": "hub-bot",
                                   "passwordFile": secret(helper, "hub.pw", CANARY)})
    return helper


def test_skopeo_gets_the_hub_login_through_the_rendered_helper_file(hub_helper: Helper) -> None:
    # containers/image looks credHelpers up by the bare registry, docker.io
    # (pkg/docker/config/config.go findCredentialsInFile), then asks the helper for docker.io.
    rendered = hub_helper.render_auth_file()
    assert json.loads(rendered.read_text())["credHelpers"] == {"docker.io": "halcfg", HUB: "halcfg"}
    login = subprocess.run(["skopeo", "login", "--get-login", "--authfile", str(rendered), "docker.io"],
                           capture_output=True, text=True, env=hub_helper.env, timeout=60)
    assert (login.returncode, login.stdout) == (0, "hub-bot\n"), login.stderr
    # The v1 key alone, as docker-config wrote it before, leaves skopeo logged out of Docker Hub.
    v1_only = auth_file(hub_helper.root / "v1-only.json", HUB)
    logged_out = subprocess.run(["skopeo", "login", "--get-login", "--authfile", str(v1_only), "docker.io"],
                                capture_output=True, text=True, env=hub_helper.env, timeout=60)
    assert logged_out.returncode != 0 and "not logged into docker.io" in logged_out.stderr


def _docker_login(helper: Helper, config_json: Path) -> subprocess.CompletedProcess[str]:
    """`docker login` (Docker Hub) with `config_json`: docker/cli cli/command/registry/login.go
    runLogin reads the stored credential (GetDefaultAuthConfig -> ConfigFile.GetAuthConfig, whose
    getAuthConfigKey is https://index.docker.io/v1/) and prints its username before it calls the
    daemon, which here is a closed loopback port: no daemon is needed to see what docker found."""
    docker_dir = helper.root / "docker"
    docker_dir.mkdir(exist_ok=True)
    (docker_dir / "config.json").write_text(config_json.read_text())
    env = {**helper.env, "DOCKER_CONFIG": str(docker_dir), "DOCKER_HOST": "tcp://127.0.0.1:9"}
    return subprocess.run(["/usr/local/bin/docker", "login"], capture_output=True, text=True, env=env,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_docker_cli_finds_the_hub_credential_under_the_v1_key(hub_helper: Helper) -> None:
    found = _docker_login(hub_helper, hub_helper.render_auth_file())
    assert "Authenticating with existing credentials... [Username: hub-bot]" in found.stderr, found.stderr
    assert CANARY not in found.stdout + found.stderr
    bare_only = auth_file(hub_helper.root / "bare-only.json", "docker.io")
    missed = _docker_login(hub_helper, bare_only)
    assert "existing credentials" not in missed.stderr and missed.returncode != 0


# -- helper input parsed as clients send it (issue 16.6) ---------------------------------------


def test_ambiguous_server_urls_match_no_account(accounts: Helper) -> None:
    for url in ("evil.test\\@registry.test:5000", "https://evil.test\\@registry.test:5000",
                "https://x@registry.test:5000", "registry.test:5000@evil.test", "registry.test:5000?x",
                "registry.test%3a5000", "ftp://registry.test:5000"):
        result = accounts.run("get", stdin=url)
        assert (result.returncode, result.stdout) == (1, NOT_FOUND), url
    for url in ("REGISTRY.TEST:5000", "http://registry.test:5000/", "registry.test.:5000"):
        assert accounts.run("get", stdin=url).returncode == 0, url  # a host as a URL parser reads it


def _raw(helper: Helper, action: str, data: bytes) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run([HELPER, action], input=data, capture_output=True, env=helper.env, timeout=60)
    assert b"Traceback" not in result.stdout + result.stderr
    return result


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("get", b"registry.test:5000\xff", b"input is not UTF-8 (byte 18)"),
        ("get", b"a" * (65 * 1024), b"input over 64 KiB"),
        ("store", b"[" * 30_000 + b"]" * 30_000, b"store expects a JSON credential on stdin"),  # too deep
        ("store", b'{"ServerURL": ' + b"9" * 5000 + b"}", b"store expects a JSON credential on stdin"),
        ("store", b"\xfe\xff", b"input is not UTF-8"),
    ],
)
def test_bad_input_is_one_line_exit_1(accounts: Helper, action: str, data: bytes, message: bytes) -> None:
    result = _raw(accounts, action, data)
    assert result.returncode == 1 and message in result.stdout and result.stdout.count(b"\n") == 1, result
