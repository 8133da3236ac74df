"""`halcfg probe`'s pull check and credential lifetimes, end to end: the real CLI against real
registries (distribution), a token server that lists but refuses pull, images pushed with real
manifests (docker schema 2, an OCI index), moto's ECR, and the fault proxy where a registry's
answer must be one distribution does not give (ECR's IAM refusal, a schema 1 type)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_probe import account_of, codes, finding, local, probe, write_config
from tests.support import BASIC_PASSWORD, BASIC_USER, SEEDED
from tests.support.cli import run_cli
from tests.support.moto_ecr import ACCESS_KEY_ID, SECRET_ACCESS_KEY, with_real_token_lifetime
from tests.support.registry import Registry, start_registry
from tests.support.seed import push_oci_index, seed
from tests.support.token_server import TokenServer

LISTER = "lister"
PASSWORD = "s3cret-lister"
ACR_USER = "00000000-0000-0000-0000-000000000000"  # how ACR names the user of a token login
ECR_DENIED = json.dumps({"errors": [{"code": "DENIED", "message": (
    "User: arn:aws:iam::123456789012:user/spinnaker is not authorized to perform: ecr:BatchGetImage on "
    "resource: arn:aws:ecr:us-east-1:123456789012:repository/team/api")}]}).encode()


@pytest.fixture(scope="module")
def lister_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, TokenServer]]:
    """A token registry holding SEEDED whose token server grants `lister` everything, the catalog
    included, except pull on org/*: the robot account that may list but not pull."""
    workdir = tmp_path_factory.mktemp("lister-registry")
    server = TokenServer(workdir, {LISTER: PASSWORD, "pusher": "p"},
                         grants={LISTER: ["*", "!repository:org/*:pull"], "pusher": ["*"]}).start()
    try:
        with start_registry(workdir, token=server) as registry:
            seed(registry, SEEDED, auth=("pusher", "p"), token_server=server)
            yield registry, server
    finally:
        server.stop()


def text(path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = run_cli("probe", "-c", path, *args, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout


def manifest_requests(proxy: Any) -> list[tuple[str, str]]:
    return [(method, target) for method, target in proxy.hits if "/manifests/" in target]


# -- pullable ---------------------------------------------------------------------------------------


def test_docker_and_oci_images_are_pullable_with_one_head_each(tmp_path: Path, scratch_registry,
                                                                fault_proxy) -> None:
    seed(scratch_registry, {"team/api": ["v1", "v2"]})
    push_oci_index(scratch_registry.url, "multi/arch", "latest")
    push_oci_index(scratch_registry.url, "multi/arch", "v9")
    proxy = fault_proxy(scratch_registry.url)
    path = write_config(tmp_path, local("scratch", proxy))
    code, report = probe(path)
    assert code == 0, report
    assert codes(report) == ["pull-checked"]
    assert "the newest tag of 2 repositories answered a pull" in finding(report, "pull-checked")["message"]
    # `latest` when there is one, else the last tag listed; a HEAD each, nothing more
    assert sorted(manifest_requests(proxy)) == [("HEAD", "/v2/multi/arch/manifests/latest"),
                                                ("HEAD", "/v2/team/api/manifests/v2")]
    code, out = text(path)
    assert code == 0
    assert "info [pull-checked] account 'scratch': pull check: the newest tag of 2 repositories" in out


# -- listed, not pullable ----------------------------------------------------------------------------


def test_token_server_grants_the_catalog_but_refuses_pull(tmp_path: Path, lister_setup) -> None:
    registry, server = lister_setup
    path = write_config(tmp_path, local("robot", registry, username=LISTER, passwordEnv="PW",
                                        caCertFile=str(server.ca_file)))
    code, report = probe(path, env={"PW": PASSWORD})
    assert code == 1
    assert sorted(codes(report)) == ["pull-checked", "repository-denied"]
    denied = finding(report, "repository-denied")
    assert "access to org/sub/deep (from the catalog) denied" in denied["message"]
    assert ("the registry wants scope repository:org/sub/deep:pull (insufficient_scope), and the token "
            "sent grants none of it") in denied["message"]
    assert "newest tag of 4 repositories answered a pull" in finding(report, "pull-checked")["message"]
    assert account_of(report, "robot")["tags"]["org/sub/deep"] is None
    code, out = text(path, env={"PW": PASSWORD})
    assert code == 1 and "error [repository-denied] account 'robot': access to org/sub/deep" in out
    assert PASSWORD not in out


def test_tags_listed_but_the_manifest_refused_as_ecr_refuses_it(tmp_path: Path, basic_registry,
                                                                 fault_proxy) -> None:
    """An IAM policy with ecr:ListImages but not ecr:BatchGetImage: tags list, pulls fail. The HEAD's
    403 has no body, so one GET reads ECR's reason, as containerd does."""
    proxy = fault_proxy(basic_registry.url)
    proxy.add_rule(r"^/v2/team/api/manifests/", status=403, body=ECR_DENIED)
    path = write_config(tmp_path, local("ecr-like", proxy, username=BASIC_USER, passwordEnv="PW",
                                        repositories=["team/api", "team/worker"]))
    code, report = probe(path, env={"PW": BASIC_PASSWORD})
    assert code == 1
    assert codes(report) == ["pull-denied", "pull-checked"]
    denied = finding(report, "pull-denied")
    assert denied["severity"] == "ERROR"
    assert ("repository team/api (listed in `repositories:`) lists its tags but refuses a pull of team/api:v3"
            in denied["message"])
    assert "not authorized to perform: ecr:BatchGetImage" in denied["message"]
    assert "the robot can list but not pull" in denied["remediation"]
    assert account_of(report, "ecr-like")["tags"] == {"team/api": 3, "team/worker": 1}
    assert [m for m, t in manifest_requests(proxy) if "team/api" in t] == ["HEAD", "GET"]
    code, out = text(path, env={"PW": BASIC_PASSWORD})
    assert code == 1 and "error [pull-denied] account 'ecr-like': repository team/api" in out


def test_a_listed_tag_whose_manifest_is_gone(tmp_path: Path) -> None:
    """Storage lost the manifest's revision: tags/list still names the tag, a pull gets 404."""
    workdir = tmp_path / "registry"
    with start_registry(workdir, storage="filesystem") as registry:
        digests = seed(registry, {"team/api": ["v1", "v2"], "team/worker": ["latest"]})
        revision = digests["team/api"]["v2"].removeprefix("sha256:")
        (workdir / "storage/docker/registry/v2/repositories/team/api/_manifests/revisions/sha256" / revision
         / "link").unlink()
        path = write_config(tmp_path, local("broken", registry))
        code, report = probe(path)
        code_text, out = text(path)
    assert (code, code_text) == (1, 1)
    assert codes(report) == ["pull-manifest-missing", "pull-checked"]
    missing = finding(report, "pull-manifest-missing")
    assert "tag v2 of team/api is listed, but its manifest is not served" in missing["message"]
    assert "MANIFEST_UNKNOWN: manifest unknown" in missing["message"]  # the follow-up GET's reason
    assert account_of(report, "broken")["tags"] == {"team/api": 2, "team/worker": 1}
    assert "error [pull-manifest-missing]" in out


def test_a_schema1_answer_is_a_warning(tmp_path: Path, anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"^/v2/team/api/manifests/",
                   headers={"Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws"})
    path = write_config(tmp_path, local("old", proxy, repositories=["team/api"]))
    code, report = probe(path)
    assert code == 0
    assert codes(report) == ["pull-unsupported-type", "pull-checked"]
    assert "v1+prettyjws manifest" in finding(report, "pull-unsupported-type")["message"]
    assert probe(path, "--strict")[0] == 1


# -- flags ---------------------------------------------------------------------------------------------


def test_pull_check_flags(tmp_path: Path, anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    path = write_config(tmp_path, local("anon", proxy))
    code, report = probe(path, "--pull-check", "2")
    assert code == 0
    assert "; 3 more not checked (--pull-check 2)" in finding(report, "pull-checked")["message"]
    assert len([m for m, _ in manifest_requests(proxy) if m == "HEAD"]) == 2
    proxy.hits.clear()
    code, report = probe(path, "--no-pull-check")
    assert (code, codes(report), manifest_requests(proxy)) == (0, [], [])
    assert account_of(report, "anon")["tags"] == {repo: len(tags) for repo, tags in SEEDED.items()}
    result = run_cli("probe", "-c", path, "--pull-check", "3", "--no-pull-check")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "halcfg: error: --pull-check and --no-pull-check contradict each other; give one"]


# -- credential lifetimes --------------------------------------------------------------------------------


def ecr_account(registry: Registry, endpoint_url: str, moto_ecr: Any) -> dict[str, Any]:
    return local("ecr", registry, repositories=["team/api"], ecr={
        "region": moto_ecr.region, "registryId": moto_ecr.registry_id, "endpointUrl": endpoint_url,
        "accessKeyId": ACCESS_KEY_ID, "secretAccessKeyEnv": "ECR_SECRET",
    })


def test_ecr_token_lifetime(tmp_path: Path, moto_ecr, ecr_registry, fault_proxy) -> None:
    aws = fault_proxy(moto_ecr.endpoint_url)
    aws.add_rule(r"^/$", rewrite=with_real_token_lifetime)  # expiresAt 12 h from now, as ECR says
    path = write_config(tmp_path, ecr_account(ecr_registry, aws.url, moto_ecr))
    code, report = probe(path, env={"ECR_SECRET": SECRET_ACCESS_KEY})
    assert code == 0, report
    assert codes(report) == ["credential-expires", "pull-checked"]
    expires = finding(report, "credential-expires")
    assert expires["severity"] == "INFO"
    assert re.fullmatch(r"account 'ecr': its ECR token expires at \d{4}-\d\d-\d\d \d\d:\d\d UTC "
                        r"\(in (11 h 59 min|12 h 0 min)\)", expires["message"]), expires["message"]
    code, out = text(path, env={"ECR_SECRET": SECRET_ACCESS_KEY})
    assert code == 0 and "info [credential-expires] account 'ecr': its ECR token expires at" in out


def test_ecr_token_already_expired_is_a_warning(tmp_path: Path, moto_ecr, ecr_registry) -> None:
    """moto's expiresAt is 2015: the registry still takes the token, but consumers would not."""
    path = write_config(tmp_path, ecr_account(ecr_registry, moto_ecr.endpoint_url, moto_ecr))
    code, report = probe(path, env={"ECR_SECRET": SECRET_ACCESS_KEY})
    assert code == 0
    assert codes(report) == ["credential-expired", "pull-checked"]
    expired = finding(report, "credential-expired")
    assert expired["severity"] == "WARNING"
    assert "its ECR token expires at 2015-01-01" in expired["message"] and "(already expired)" in expired["message"]
    assert "need a new render" in expired["remediation"]


@pytest.mark.parametrize(("lifetime", "code", "severity"), [
    (1800, "credential-expires-soon", "WARNING"),
    (2 * 86400, "credential-expires", "INFO"),
])
def test_a_jwt_password_says_when_it_dies(tmp_path: Path, lister_setup, lifetime: int, code: str,
                                          severity: str) -> None:
    """An ACR-style token login: the password is a JWT, whose `exp` is read without verifying it."""
    registry, server = lister_setup
    password = server.make_token(ACR_USER, [], expires_in=lifetime)
    server.users[ACR_USER] = password
    path = write_config(tmp_path, local("acr", registry, username=ACR_USER, passwordEnv="PW",
                                        caCertFile=str(server.ca_file), repositories=["team/api"]))
    exit_code, report = probe(path, env={"PW": password})
    assert exit_code == 0, report
    assert codes(report) == [code, "pull-checked"]
    found = finding(report, code)
    assert found["severity"] == severity
    assert found["message"].startswith("account 'acr': its password (a JWT) expires at ")
    exp = time.gmtime(time.time() + lifetime)
    assert time.strftime("%Y-%m-%d", exp) in found["message"]
    exit_code, out = text(path, env={"PW": password})
    assert f"[{code}]" in out
    assert password not in json.dumps(report) + out
    assert probe(path, "--strict", env={"PW": password})[0] == (1 if severity == "WARNING" else 0)


@pytest.mark.parametrize("target", ["kubernetes", "docker-config"])
def test_render_says_when_the_written_ecr_token_dies(tmp_path: Path, moto_ecr, ecr_registry, fault_proxy,
                                                     target: str) -> None:
    """Where render resolves an ECR token into a file, its finding gives the expiry and what is left."""
    aws = fault_proxy(moto_ecr.endpoint_url)
    aws.add_rule(r"^/$", rewrite=with_real_token_lifetime)
    path = write_config(tmp_path, ecr_account(ecr_registry, aws.url, moto_ecr))
    extra = ["--inline-ecr"] if target == "docker-config" else []
    result = run_cli("render", "-c", path, "--target", target, "--out", tmp_path / "out", *extra,
                     env={"ECR_SECRET": SECRET_ACCESS_KEY})
    assert result.returncode == 0, result.stdout + result.stderr
    printed = result.stdout + result.stderr
    assert re.search(r"\[render-short-lived-token\] account 'ecr': its ECR token, rendered into a static file, "
                     r"expires at \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in (11 h 59 min|12 h 0 min)\)", printed), printed
    assert moto_ecr.password not in printed
