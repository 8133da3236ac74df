"""The real parts behave as the protocol tests assume: if these fail, fix the harness, not halcfg."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from tests.support import BASIC_PASSWORD, BASIC_USER, SEEDED, TOKEN_USERS
from tests.support.fault_proxy import ProxyFactory
from tests.support.moto_ecr import MotoECR, ecr_authorization
from tests.support.registry import Registry, start_registry
from tests.support.seed import MANIFEST_V2, manifest_digest, push_image, seed
from tests.support.token_server import TokenServer


def _catalog(url: str, **kwargs: Any) -> list[str]:
    response = requests.get(f"{url}/v2/_catalog", timeout=5, **kwargs)
    response.raise_for_status()
    return response.json()["repositories"]


def _challenge(response: requests.Response) -> str:
    assert response.status_code == 401, response.text
    return response.headers["WWW-Authenticate"]


def _token(token_server: TokenServer, user: str, *scopes: str) -> str:
    response = requests.get(
        token_server.realm,
        params={"service": token_server.service, "scope": list(scopes)},
        auth=(user, TOKEN_USERS[user]),
        timeout=5,
        verify=str(token_server.ca_file),
    )
    response.raise_for_status()
    return response.json()["token"]


# --- registries -------------------------------------------------------------------------------


def test_anonymous_registry_serves_the_seeded_images(anon_registry: Registry) -> None:
    ping = requests.get(f"{anon_registry.url}/v2/", timeout=5)
    assert ping.status_code == 200
    assert ping.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    assert anon_registry.address == anon_registry.url.removeprefix("http://")
    assert anon_registry.address.startswith("127.0.0.1:")
    assert _catalog(anon_registry.url) == sorted(SEEDED)
    for repo, tags in SEEDED.items():
        listed = requests.get(f"{anon_registry.url}/v2/{repo}/tags/list", timeout=5).json()
        assert listed == {"name": repo, "tags": sorted(tags)}
    head = requests.head(
        f"{anon_registry.url}/v2/team/api/manifests/v2", headers={"Accept": MANIFEST_V2}, timeout=5
    )
    assert head.headers["Docker-Content-Digest"] == manifest_digest("team/api", "v2")


def test_catalog_paginates_with_a_relative_link(anon_registry: Registry) -> None:
    response = requests.get(f"{anon_registry.url}/v2/_catalog", params={"n": 2}, timeout=5)
    assert response.json()["repositories"] == sorted(SEEDED)[:2]
    assert response.headers["Link"].startswith("</v2/_catalog?last=")
    too_many = requests.get(f"{anon_registry.url}/v2/_catalog", params={"n": 1001}, timeout=5)
    assert too_many.status_code == 400  # distribution's catalog.maxentries defaults to 1000
    assert too_many.json()["errors"][0]["code"] == "PAGINATION_NUMBER_INVALID"


def test_basic_registry_wants_the_right_password(basic_registry: Registry) -> None:
    assert _challenge(requests.get(f"{basic_registry.url}/v2/", timeout=5)).startswith("Basic realm=")
    wrong = requests.get(f"{basic_registry.url}/v2/", auth=(BASIC_USER, "wrong"), timeout=5)
    assert wrong.status_code == 401
    assert _catalog(basic_registry.url, auth=(BASIC_USER, BASIC_PASSWORD)) == sorted(SEEDED)


def test_tls_registry_verifies_against_its_own_ca(tls_registry: Registry) -> None:
    assert tls_registry.url.startswith("https://127.0.0.1:")
    assert tls_registry.ca_file is not None
    assert _catalog(tls_registry.url, verify=str(tls_registry.ca_file)) == sorted(SEEDED)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{tls_registry.url}/v2/", timeout=5)


def test_free_port_refuses_connections(free_port: int) -> None:
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{free_port}/v2/", timeout=2)


def test_seed_refuses_a_repository_without_tags(anon_registry: Registry) -> None:
    with pytest.raises(ValueError, match="at least one tag"):
        seed(anon_registry, {"team/empty": []})


def test_a_registry_that_cannot_start_says_why(tmp_path: Path) -> None:
    token_server = TokenServer(tmp_path, {})
    with pytest.raises(ValueError, match="one auth method"):
        start_registry(tmp_path, htpasswd={"a": "b"}, token=token_server)
    token_server.cert_file.write_text("not a certificate\n")
    with pytest.raises(RuntimeError, match=r"(?s)exited at start; log tail:\n.*certificate"):
        start_registry(tmp_path, token=token_server)


# --- token auth -------------------------------------------------------------------------------


def test_token_registry_challenges_with_the_token_servers_realm(
    token_setup: tuple[Registry, TokenServer],
) -> None:
    registry, token_server = token_setup
    challenge = _challenge(requests.get(f"{registry.url}/v2/_catalog", timeout=5))
    assert challenge.startswith(f'Bearer realm="{token_server.realm}"')
    assert f'service="{token_server.service}"' in challenge
    assert 'scope="registry:catalog:*"' in challenge


def test_token_registry_accepts_the_token_servers_tokens(
    token_setup: tuple[Registry, TokenServer],
) -> None:
    registry, token_server = token_setup
    token_server.requests.clear()
    token = _token(token_server, "bob", "registry:catalog:*")
    bearer = {"Authorization": f"Bearer {token}"}
    assert _catalog(registry.url, headers=bearer) == sorted(SEEDED)
    assert requests.get(f"{registry.url}/v2/", headers=bearer, timeout=5).status_code == 200
    assert token_server.requests == [{
        "scope": ["registry:catalog:*"], "user": "bob", "service": token_server.service,
        "account": None, "offline_token": None, "status": 200,
    }]


def test_token_server_refuses_bad_credentials(token_setup: tuple[Registry, TokenServer]) -> None:
    _, token_server = token_setup
    for auth in [("bob", "wrong"), ("mallory", "x"), None]:
        response = requests.get(token_server.realm, params={"service": token_server.service},
                                auth=auth, timeout=5, verify=str(token_server.ca_file))
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"


def test_token_registry_rejects_forged_and_expired_tokens(
    token_setup: tuple[Registry, TokenServer], tmp_path: Path
) -> None:
    registry, token_server = token_setup
    forger = TokenServer(tmp_path, {})  # same issuer and service, but a key the registry does not trust
    forged = forger.make_token("bob", ["registry:catalog:*"])
    expired = token_server.make_token("bob", ["registry:catalog:*"], expires_in=-120)
    for token in (forged, expired):
        response = requests.get(
            f"{registry.url}/v2/_catalog", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
        assert 'error="invalid_token"' in _challenge(response)


def test_a_narrow_grant_meets_insufficient_scope(token_setup: tuple[Registry, TokenServer]) -> None:
    registry, token_server = token_setup
    token = _token(token_server, "carol", "registry:catalog:*", "repository:team/api:pull",
                   "repository:library/alpine:pull")
    bearer = {"Authorization": f"Bearer {token}"}
    tags = requests.get(f"{registry.url}/v2/team/api/tags/list", headers=bearer, timeout=5)
    assert tags.json()["tags"] == SEEDED["team/api"]
    for path in ("_catalog", "library/alpine/tags/list"):
        response = requests.get(f"{registry.url}/v2/{path}", headers=bearer, timeout=5)
        assert 'error="insufficient_scope"' in _challenge(response)


def test_token_server_grants_anonymous_pulls_only_when_asked(tmp_path: Path) -> None:
    token_server = TokenServer(tmp_path, {}, anonymous=True).start()
    try:
        response = requests.get(token_server.realm, params={"scope": "repository:team/api:pull,push"}, timeout=5,
                                verify=str(token_server.ca_file))
    finally:
        token_server.stop()
    assert response.status_code == 200
    assert set(response.json()) == {"token", "access_token", "expires_in", "issued_at"}
    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["access"] == [{"type": "repository", "name": "team/api", "actions": ["pull"]}]
    assert token_server.requests[0]["user"] is None


# --- moto's ECR -------------------------------------------------------------------------------


def test_moto_ecr_token_opens_the_ecr_backed_registry(moto_ecr: MotoECR, ecr_registry: Registry) -> None:
    user, password, endpoint = ecr_authorization(moto_ecr.endpoint_url, moto_ecr.region)
    assert (user, password) == ("AWS", f"{moto_ecr.registry_id}-auth-token")
    assert endpoint == f"https://{moto_ecr.registry_id}.dkr.ecr.{moto_ecr.region}.amazonaws.com"
    assert _catalog(ecr_registry.url, auth=(user, password)) == sorted(SEEDED)
    wrong = requests.get(f"{ecr_registry.url}/v2/", auth=("AWS", "not-the-token"), timeout=5)
    assert wrong.status_code == 401
    other_account = ecr_authorization(moto_ecr.endpoint_url, moto_ecr.region, "111122223333")[1]
    assert other_account == "111122223333-auth-token"


# --- fault proxy ------------------------------------------------------------------------------


def test_proxy_passes_through_reads_and_pushes(
    anon_registry: Registry, scratch_registry: Registry, fault_proxy: ProxyFactory
) -> None:
    assert _catalog(fault_proxy(anon_registry.url).url) == sorted(SEEDED)
    proxy = fault_proxy(scratch_registry.url)
    with requests.Session() as session:
        digest = push_image(proxy.url, "proxied/app", "v1", session=session)
        listed = session.get(f"{proxy.url}/v2/proxied/app/tags/list", timeout=5).json()
    assert digest == manifest_digest("proxied/app", "v1")
    assert listed["tags"] == ["v1"]
    assert ("POST", "/v2/proxied/app/blobs/uploads/") in proxy.hits
    upload_puts = [path for method, path in proxy.hits if method == "PUT" and "/blobs/uploads/" in path]
    assert upload_puts, "Location must point back at the proxy, not at the registry"


def test_proxy_delay_applies_to_every_response_concurrently(
    anon_registry: Registry, fault_proxy: ProxyFactory
) -> None:
    proxy = fault_proxy(anon_registry.url, delay=0.2)
    url = f"{proxy.url}/v2/team/api/tags/list"
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(pool.map(lambda _: requests.get(url, timeout=5).status_code, range(32)))
    elapsed = time.monotonic() - started
    assert statuses == [200] * 32
    assert 0.2 <= elapsed < 1.0, f"32 concurrent 0.2 s requests took {elapsed:.2f}s"
    assert len(proxy.hits) == 32


def test_proxy_slow_rule_trips_a_client_timeout(anon_registry: Registry, fault_proxy: ProxyFactory) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"^/v2/$", delay=1.0, times=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{proxy.url}/v2/", timeout=0.3)
    assert requests.get(f"{proxy.url}/v2/", timeout=0.5).status_code == 200


def test_proxy_status_rules_apply_n_times_then_pass(anon_registry: Registry, fault_proxy: ProxyFactory) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule("/tags/list", status=429, headers={"Retry-After": "1"}, times=1)
    proxy.add_rule("/tags/list", status=503, body=b'{"errors":[{"code":"UNAVAILABLE"}]}', times=2)
    url = f"{proxy.url}/v2/team/api/tags/list"
    with requests.Session() as session:
        answers = [session.get(url, timeout=5) for _ in range(4)]
    assert [a.status_code for a in answers] == [429, 503, 503, 200]
    assert answers[0].headers["Retry-After"] == "1"
    assert answers[1].json()["errors"][0]["code"] == "UNAVAILABLE"
    assert answers[3].json()["tags"] == SEEDED["team/api"]


def test_proxy_malformed_body_link_loop_and_forbidden_catalog(
    anon_registry: Registry, fault_proxy: ProxyFactory
) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule("/tags/list", status=200, body=b'{"name": "team/api", "tags": [')
    proxy.add_rule("^/v2/_catalog", headers={"Link": '</v2/_catalog?n=1&last=a>; rel="next"'},
                   body=b'{"repositories": ["a"]}', times=3)
    proxy.add_rule("^/v2/_catalog", status=403,
                   body=b'{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}')
    with pytest.raises(requests.exceptions.JSONDecodeError):
        requests.get(f"{proxy.url}/v2/team/api/tags/list", timeout=5).json()
    for _ in range(3):
        page = requests.get(f"{proxy.url}/v2/_catalog?n=1&last=a", timeout=5)
        assert page.links["next"]["url"] == "/v2/_catalog?n=1&last=a"
        assert page.json() == {"repositories": ["a"]}
    forbidden = requests.get(f"{proxy.url}/v2/_catalog", timeout=5)
    assert forbidden.status_code == 403
    assert forbidden.json()["errors"][0]["code"] == "DENIED"


def test_proxy_close_drops_the_connection(anon_registry: Registry, fault_proxy: ProxyFactory) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"^/v2/$", close=True, times=1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{proxy.url}/v2/", timeout=5)
    assert requests.get(f"{proxy.url}/v2/", timeout=5).status_code == 200
    assert proxy.hits == [("GET", "/v2/"), ("GET", "/v2/")]


def test_proxy_refuses_chunked_request_bodies(scratch_registry: Registry, fault_proxy: ProxyFactory) -> None:
    proxy = fault_proxy(scratch_registry.url)
    response = requests.post(f"{proxy.url}/v2/x/blobs/uploads/", data=iter([b"a", b"b"]), timeout=5)
    assert response.status_code == 411


def test_proxy_answers_502_when_the_upstream_is_down(free_port: int, fault_proxy: ProxyFactory) -> None:
    proxy = fault_proxy(f"http://127.0.0.1:{free_port}")
    response = requests.get(f"{proxy.url}/v2/", timeout=5)
    assert response.status_code == 502
    assert response.json()["errors"][0]["code"] == "UNAVAILABLE"
