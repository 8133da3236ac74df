"""The v2 client layer by layer: pure helpers first, then against a real registry and the fault proxy."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from halcfg.registry.auth import CATALOG_SCOPE, Auth, pull_scope, token_lifetime
from halcfg.registry.client import DOCKER_V2, Client, next_page_url, same_origin
from halcfg.registry.errors import (
    AuthRefused,
    NotV2,
    RegistryError,
    ScopeRefused,
    TimedOut,
    TlsFailed,
    Unreachable,
    error_from_body,
)
from halcfg.registry.hosts import parse_address
from halcfg.registry.names import endpoint_for, repository_name
from halcfg.registry.transport import Transport, backoff_seconds, new_session, retry_after_seconds, tls_verify
from tests.support import BASIC_PASSWORD, BASIC_USER, SEEDED, TOKEN_USERS
from tests.support.seed import manifest_digest

# -- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "plain_http", "base_url", "hub"),
    [
        ("index.docker.io", False, "https://registry-1.docker.io", True),
        ("docker.io", False, "https://registry-1.docker.io", True),
        ("https://index.docker.io/", False, "https://registry-1.docker.io", True),
        ("quay.io", False, "https://quay.io", False),
        ("127.0.0.1:5000", True, "http://127.0.0.1:5000", False),
        ("http://127.0.0.1:5000", False, "http://127.0.0.1:5000", False),
        ("https://Harbor.Example:8443", False, "https://harbor.example:8443", False),
    ],
)
def test_endpoint(address: str, plain_http: bool, base_url: str, hub: bool) -> None:
    endpoint = endpoint_for(parse_address(address), plain_http)
    assert (endpoint.base_url, endpoint.docker_hub) == (base_url, hub)


def test_docker_hub_one_part_names_take_library() -> None:
    hub = endpoint_for(parse_address("index.docker.io"))
    other = endpoint_for(parse_address("quay.io"))
    assert repository_name(hub, "nginx") == "library/nginx"
    assert repository_name(hub, "myorg/app") == "myorg/app"
    assert repository_name(other, "nginx") == "nginx"


# -- Link ----------------------------------------------------------------------------------

PAGE = "https://r.example/v2/_catalog?n=2"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('</v2/_catalog?last=b&n=2>; rel="next"', "https://r.example/v2/_catalog?last=b&n=2"),
        ("<https://r.example/v2/_catalog?last=b&n=2>; rel=next", "https://r.example/v2/_catalog?last=b&n=2"),
        ('<?last=b&n=2>; rel="next"', "https://r.example/v2/_catalog?last=b&n=2"),
        ('</v2/_catalog?n=2>; rel="prev", </v2/_catalog?last=d&n=2>; rel="next"',
         "https://r.example/v2/_catalog?last=d&n=2"),
        ('</v2/_catalog?token=a%2Cb>; title="x"; REL="Next"', "https://r.example/v2/_catalog?token=a%2Cb"),
        ('</v2/_catalog?n=2>; rel="prev"', None),
        ("", None),
        (None, None),
    ],
)
def test_next_page_url(header: str | None, expected: str | None) -> None:
    assert next_page_url(PAGE, header) == expected


@pytest.mark.parametrize("header", ["<" * 60_000, "<a>" + ";" * 60_000, "<a>;rel=x," * 6_000, "<a>" + ">" * 60_000])
def test_next_page_url_of_hostile_headers(header: str) -> None:
    assert next_page_url(PAGE, header) is None


def test_same_origin() -> None:
    assert same_origin(PAGE, "HTTPS://R.example/v2/x")
    assert not same_origin(PAGE, "https://evil.example/v2/x")
    assert not same_origin(PAGE, "http://r.example/v2/x")
    assert not same_origin(PAGE, "https://r.example:444/v2/x")


# -- Retry-After, backoff, token lifetime, error bodies --------------------------------------


def test_retry_after() -> None:
    now = time.time()
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(" 0 ") == 0.0
    assert retry_after_seconds(formatdate(now + 20, usegmt=True), now=now) == pytest.approx(20, abs=1)
    assert retry_after_seconds(formatdate(now - 20, usegmt=True), now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("-1") is None


def test_backoff_prefers_retry_after_and_grows() -> None:
    assert backoff_seconds(0, 2.0) == 2.0
    assert 0.2 <= backoff_seconds(0, None) <= 0.3
    assert 0.8 <= backoff_seconds(2, None) <= 1.2


def test_token_lifetime() -> None:
    now = 1_700_000_000.0
    assert token_lifetime({"expires_in": 300}, now) == pytest.approx(270)
    assert token_lifetime({}, now) == pytest.approx(54)  # 60 s by default
    assert token_lifetime({"expires_in": 5}, now) == pytest.approx(54)  # the spec's minimum is 60
    issued = "2023-11-14T22:11:40Z"  # 100 s before `now`
    assert token_lifetime({"expires_in": 300, "issued_at": issued}, now) == pytest.approx(170)
    future = "2023-11-14T22:20:20Z"  # a server clock ahead of ours never extends a token
    assert token_lifetime({"expires_in": 300, "issued_at": future}, now) == pytest.approx(270)


def test_error_from_structured_body() -> None:
    body = b'{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"},{"code":"X"}]}'
    error = error_from_body(404, body, "/v2/a/tags/list")
    assert (error.status, error.code) == (404, "NAME_UNKNOWN")
    assert str(error) == "/v2/a/tags/list: HTTP 404 NAME_UNKNOWN: repository name not known to registry (and 1 more)"


def test_error_from_html_and_empty_bodies() -> None:
    error = error_from_body(502, b"<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>", "/v2/")
    assert (error.code, str(error)) == ("HTTP_502", "/v2/: HTTP 502: 502 Bad Gateway nginx")
    assert str(error_from_body(500, b"", "/v2/")) == "/v2/: HTTP 500"
    assert error_from_body(500, b'{"errors": "nope"}', "/v2/").code == "HTTP_500"


# -- against real registries -----------------------------------------------------------------


def client_for(url: str, username: str | None = None, password: str | None = None, *, page_size: int = 100,
               verify: bool | str = True, timeout: float = 5.0, deadline: float | None = None) -> Client:
    endpoint = endpoint_for(parse_address(url))
    transport = Transport(new_session(verify, 4, endpoint.base_url), timeout=timeout, deadline=deadline)
    return Client(endpoint, transport, Auth(transport, endpoint.base_url, username, password), page_size)


def catalog(client: Client) -> list[str]:
    return [name for page in client.catalog() for name in page]


def tags(client: Client, repository: str) -> list[str]:
    return [tag for page in client.tags(repository) for tag in page]


def test_anonymous_catalog_and_tags_paged(anon_registry) -> None:
    client = client_for(anon_registry.url, page_size=2)
    client.ping()
    assert client.auth.scheme == "none"
    assert sorted(catalog(client)) == sorted(SEEDED)
    assert len(list(client.catalog())) == 3  # 5 repositories, 2 per page
    assert sorted(tags(client, "team/paged")) == sorted(SEEDED["team/paged"])  # distribution 2.8: one page
    assert tags(client, "org/sub/deep") == ["1.0"]


def test_unknown_repository_is_name_unknown(anon_registry) -> None:
    with pytest.raises(RegistryError) as caught:
        tags(client_for(anon_registry.url), "team/nope")
    assert (caught.value.status, caught.value.code) == (404, "NAME_UNKNOWN")


def login(client: Client) -> Client:
    client.ping()
    client.login()
    return client


def test_basic_auth(basic_registry) -> None:
    client = login(client_for(basic_registry.url, BASIC_USER, BASIC_PASSWORD))
    assert client.auth.scheme == "basic"
    assert sorted(catalog(client)) == sorted(SEEDED)


@pytest.mark.parametrize(("user", "password"), [(BASIC_USER, "wrong"), (None, None)])
def test_basic_auth_refused(basic_registry, user: str | None, password: str | None) -> None:
    client = client_for(basic_registry.url, user, password)
    client.ping()
    assert client.auth.scheme == "basic"
    with pytest.raises(AuthRefused):
        client.login()


def test_bearer_tokens_cached_per_scope(token_setup) -> None:
    registry, token_server = token_setup
    token_server.requests.clear()
    client = login(client_for(registry.url, "bob", TOKEN_USERS["bob"], page_size=2, verify=str(token_server.ca_file)))
    assert client.auth.scheme == "bearer"
    assert sorted(catalog(client)) == sorted(SEEDED)  # three pages, one token
    assert sorted(tags(client, "team/paged")) == sorted(SEEDED["team/paged"])
    assert sorted(tags(client, "team/paged")) == sorted(SEEDED["team/paged"])
    scopes = [tuple(r["scope"]) for r in token_server.requests]
    assert scopes == [(), (CATALOG_SCOPE,), (pull_scope("team/paged"),)]
    assert {r["user"] for r in token_server.requests} == {"bob"}


def test_bearer_insufficient_scope_reauthenticates_once_then_fails(token_setup) -> None:
    registry, token_server = token_setup
    client = login(client_for(registry.url, "carol", TOKEN_USERS["carol"], verify=str(token_server.ca_file)))
    assert sorted(tags(client, "team/api")) == sorted(SEEDED["team/api"])
    token_server.requests.clear()
    with pytest.raises(RegistryError) as caught:
        catalog(client)
    assert caught.value.status == 401
    assert [r["scope"] for r in token_server.requests] == [[CATALOG_SCOPE], [CATALOG_SCOPE]]


def test_expired_token_is_refetched(token_setup, monkeypatch: pytest.MonkeyPatch) -> None:
    registry, token_server = token_setup
    client = login(client_for(registry.url, "bob", TOKEN_USERS["bob"], verify=str(token_server.ca_file)))
    tags(client, "team/api")
    token_server.requests.clear()
    tags(client, "team/api")
    assert token_server.requests == []
    later = time.monotonic() + token_server.expires_in
    monkeypatch.setattr("halcfg.registry.auth.time.monotonic", lambda: later)
    tags(client, "team/api")
    assert [r["scope"] for r in token_server.requests] == [[pull_scope("team/api")]]


def test_pull_is_one_head_on_the_listings_token(token_setup) -> None:
    registry, token_server = token_setup
    client = login(client_for(registry.url, "bob", TOKEN_USERS["bob"], verify=str(token_server.ca_file)))
    assert tags(client, "team/api") == SEEDED["team/api"]
    token_server.requests.clear()
    manifest = client.pull("team/api", "v3")
    assert (manifest.media_type, manifest.digest) == (DOCKER_V2, manifest_digest("team/api", "v3"))
    assert token_server.requests == []  # the pull scope's token, cached by the listing


def test_refused_pull_names_the_scope_and_what_the_token_grants(token_setup) -> None:
    """carol may pull team/* only: library/alpine's token carries no access, and the error says so."""
    registry, token_server = token_setup
    client = login(client_for(registry.url, "carol", TOKEN_USERS["carol"], verify=str(token_server.ca_file)))
    with pytest.raises(ScopeRefused) as caught:
        client.pull("library/alpine", "latest")
    error = caught.value
    assert (error.status, error.scope, error.granted) == (401, pull_scope("library/alpine"), [])
    assert str(error).endswith("the registry wants scope repository:library/alpine:pull (insufficient_scope), "
                               "and the token sent grants none of it")


def test_bearer_wrong_password(token_setup) -> None:
    registry, token_server = token_setup
    with pytest.raises(AuthRefused, match="refused the credentials"):
        login(client_for(registry.url, "bob", "wrong", verify=str(token_server.ca_file)))


def test_tls_verified_with_ca_file(tls_registry) -> None:
    client_for(tls_registry.url, verify=str(tls_registry.ca_file)).ping()
    client_for(tls_registry.url, verify=tls_verify(True, None)).ping()  # insecureRegistry
    with pytest.raises(TlsFailed, match="CERTIFICATE_VERIFY_FAILED"):
        client_for(tls_registry.url).ping()


def test_https_to_a_plain_http_registry_is_a_tls_failure(anon_registry) -> None:
    with pytest.raises(TlsFailed):
        client_for(anon_registry.url.replace("http://", "https://")).ping()


def test_registry_down(free_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(Unreachable, match="Connection refused"):
        client_for(f"http://127.0.0.1:{free_port}").ping()
    assert time.monotonic() - started < 1  # refused is final: no retries


# -- through the fault proxy -----------------------------------------------------------------


def test_retry_after_is_honoured(anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"/tags/list", status=429, headers={"Retry-After": "1"}, times=1)
    started = time.monotonic()
    assert tags(client_for(proxy.url), "team/api")
    assert time.monotonic() - started >= 1
    assert sum(1 for _, target in proxy.hits if "/tags/list" in target) == 2


def test_persistent_429_is_returned_not_waited_out(anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"/tags/list", status=429, headers={"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(RegistryError) as caught:
        tags(client_for(proxy.url), "team/api")
    assert caught.value.status == 429
    assert time.monotonic() - started < 1


def test_5xx_retried_then_succeeds(anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"_catalog", status=503, times=2)
    assert sorted(catalog(client_for(proxy.url))) == sorted(SEEDED)


def test_500_is_not_retried(anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"_catalog", status=500, body=b'{"errors":[{"code":"UNKNOWN","message":"boom"}]}')
    with pytest.raises(RegistryError, match="HTTP 500 UNKNOWN: boom"):
        catalog(client_for(proxy.url))
    assert sum(1 for _, target in proxy.hits if "_catalog" in target) == 1


def test_malformed_json(anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"_catalog", status=200, body=b'{"repositories": ["a", ')
    with pytest.raises(RegistryError) as caught:
        catalog(client_for(proxy.url))
    assert caught.value.code == "MALFORMED"


def test_tags_follow_link_pages(anon_registry, fault_proxy) -> None:
    """distribution 2.8 does not page tags, so the proxy plays a registry that does (as Quay: opaque token)."""
    proxy = fault_proxy(anon_registry.url)
    first = b'{"name": "team/api", "tags": ["a", "b"]}'
    proxy.add_rule(r"tags/list\?n=2$", status=200, body=first, headers={
        "Content-Type": "application/json", "Link": '</v2/team/api/tags/list?n=2&next_page=opaque%3D>; rel="next"'})
    proxy.add_rule(r"next_page=opaque", status=200, body=b'{"name": "team/api", "tags": ["c"]}',
                   headers={"Content-Type": "application/json"})
    assert list(client_for(proxy.url, page_size=2).tags("team/api")) == [["a", "b"], ["c"]]


def test_link_loop_is_stopped(anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"_catalog", headers={"Link": '</v2/_catalog?n=2>; rel="next"'})
    client = client_for(proxy.url, page_size=2)
    with pytest.raises(RegistryError) as caught:
        catalog(client)
    assert caught.value.code == "LINK_LOOP"


def test_link_to_another_host_is_not_followed(anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"_catalog", headers={"Link": f'<{anon_registry.url}/v2/_catalog?n=2&last=a>; rel="next"'})
    with pytest.raises(RegistryError) as caught:
        catalog(client_for(proxy.url))
    assert caught.value.code == "LINK_FOREIGN"


def test_not_v2(anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"^/v2/$", status=404, body=b"<html>Not Found</html>")
    with pytest.raises(NotV2):
        client_for(proxy.url).ping()


def test_slow_registry_times_out(anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url, delay=3)
    started = time.monotonic()
    with pytest.raises(TimedOut):
        client_for(proxy.url, timeout=0.3).ping()
    assert time.monotonic() - started < 1.5


def test_deadline_caps_every_request(anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url, delay=3)
    started = time.monotonic()
    with pytest.raises(TimedOut, match="overall timeout"):
        client_for(proxy.url, timeout=60, deadline=time.monotonic() + 0.5).ping()
    assert time.monotonic() - started < 1.5


def test_dropped_connection_is_unreachable(anon_registry, fault_proxy) -> None:
    proxy = fault_proxy(anon_registry.url)
    proxy.add_rule(r"^/v2/$", close=True)
    with pytest.raises(Unreachable):
        client_for(proxy.url).ping()
