"""Drone's runner, the kubelet's keyring and docker's helper key, each from its upstream rules."""

from __future__ import annotations

import pytest

from halcfg.config.model import Account
from halcfg.match import docker, drone, kubelet
from halcfg.match.reference import parse_reference
from halcfg.match.run import match_images
from halcfg.registry.hosts import account_key, docker_lookup_key, drone_runner_hostname

DIGEST = "sha256:" + "ab" * 32
CASES = ["golang", "golang:1.0", "library/golang", "index.docker.io/library/golang", "docker.io/library/golang",
         f"golang@{DIGEST}", "localhost:5000/foo", "localhost/foo", "foo:5000/bar", "foo.bar/baz",
         "registry-1.docker.io/x"]


def account(name: str, address: str) -> Account:
    return Account(index=0, name=name, address=address)


# -- drone -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("address", "host"),
    [
        ("index.docker.io", "docker.io"),
        ("https://index.docker.io/v1/", "index.docker.io"),  # mapped before the scheme is cut: never Hub
        ("docker.io", "docker.io"),
        ("https://docker.io", "docker.io"),
        ("http://localhost:5000/", "localhost:5000"),
        ("gcr.io/project", "gcr.io/project"),  # kept verbatim, so it never matches
        ("https://user@reg.io:443/x", "reg.io:443"),
    ],
)
def test_runner_hostname(address: str, host: str) -> None:
    assert drone_runner_hostname(address) == host


@pytest.mark.parametrize(
    ("image", "address", "expected"),
    [
        ("golang", "docker.io", True),
        ("golang", "index.docker.io", True),
        ("golang", "https://index.docker.io/v1/", False),
        ("registry-1.docker.io/x", "docker.io", False),
        ("registry-1.docker.io/x", "registry-1.docker.io", True),
        ("localhost:5000/foo", "localhost:5000", True),
        ("localhost:5000/foo", "localhost", False),
        ("localhost/foo", "localhost:5000", False),
        ("foo:5000/bar", "foo:5000", True),
        ("foo.bar/baz", "foo.bar", True),
        ("foo.bar/baz", "Foo.bar", False),  # case matters
        ("quay.io/coreos/etcd", "quay.io/coreos", False),  # no path scoping
    ],
)
def test_drone_matches(image: str, address: str, expected: bool) -> None:
    assert drone.matches(parse_reference(image), address) is expected


@pytest.mark.parametrize("address", ["index.docker.io", "https://index.docker.io", "docker.io",
                                     "registry-1.docker.io", "registry.hub.docker.com"])
def test_drone_address_spells_docker_hub_as_the_runner_matches_it(address: str) -> None:
    spelled = account_key(account("hub", address), "drone")
    assert spelled == "docker.io"
    assert drone.matches(parse_reference("golang"), spelled)


def test_drone_address_of_others_is_bare_host_port() -> None:
    assert account_key(account("a", "https://Reg.Example:8443/"), "drone") == "reg.example:8443"
    assert account_key(account("a", "not a host"), "drone") is None


def test_drone_first_match_wins_in_file_order() -> None:
    accounts = [account("other", "quay.io"), account("hub-a", "docker.io"), account("hub-b", "index.docker.io")]
    result = match_images(accounts, ["golang", "quay.io/x/y", "ghcr.io/x"], "drone")
    assert [(m.image, m.account) for m in result.payload] == [
        ("golang", "hub-a"), ("quay.io/x/y", "other"), ("ghcr.io/x", None)]
    assert "under drone hub-a wins" in result.payload[0].reason
    assert "under kubelet hub-a, hub-b are tried in that order" in result.payload[0].reason


def test_every_listed_case_under_both_policies() -> None:
    accounts = [account("hub", "index.docker.io"), account("local", "localhost:5000"), account("foo", "foo:5000"),
                account("bar", "foo.bar")]
    expected = {"golang": "hub", "golang:1.0": "hub", "library/golang": "hub",
                "index.docker.io/library/golang": "hub", "docker.io/library/golang": "hub",
                f"golang@{DIGEST}": "hub", "localhost:5000/foo": "local", "localhost/foo": None,
                "foo:5000/bar": "foo", "foo.bar/baz": "bar", "registry-1.docker.io/x": None}
    for policy in ("drone", "kubelet"):
        result = match_images(accounts, CASES, policy)
        # Under the plugin (render -t kubelet) the Hub key is `docker.io`, never the keyring's
        # `index.docker.io` fallback key, so `localhost/foo` gets nothing (issue 15.11).
        want = expected
        assert {m.image: m.account for m in result.payload} == want, policy
        assert not result.findings
    names = {m.image: m.name for m in match_images(accounts, CASES, "drone").payload}
    assert names[f"golang@{DIGEST}"] == names["golang:1.0"] == "docker.io/library/golang"


def test_invalid_reference_is_a_finding() -> None:
    result = match_images([account("hub", "docker.io")], ["library/Golang", "golang"], "kubelet")
    assert [f.code for f in result.findings] == ["invalid-reference"]
    bad, good = result.payload
    assert (bad.host, bad.name, bad.account) == (None, None, None) and "lowercase" in bad.reason
    assert good.account == "hub"


# -- kubelet -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("key", "normalised"),
    [
        ("https://index.docker.io/v1/", "index.docker.io"),
        ("index.docker.io", "index.docker.io"),
        ("quay.io/coreos", "quay.io/coreos"),
        ("http://reg:5000/v2/", "reg:5000"),
        ("https://reg/v2/team", "reg/team"),
        ("reg/", "reg"),
    ],
)
def test_kubelet_key_normalisation(key: str, normalised: str) -> None:
    assert kubelet.normalise_key(key) == normalised


@pytest.mark.parametrize(
    ("key", "image", "expected"),
    [
        ("docker.io", "golang", True),
        ("index.docker.io", "golang", False),  # only through the fallback
        ("*.io", "quay.io/a", True),
        ("*.io", "a.b.io/a", False),  # equal label counts
        ("*.*.io", "a.b.io/a", True),
        ("*.dkr.ecr.*.amazonaws.com", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app", True),
        ("reg.io/foo", "reg.io/foobar/x", True),  # plain string prefix
        ("reg.io/foo", "reg.io/bar", False),
        ("localhost:5000", "localhost:5000/foo", True),
        ("localhost", "localhost:5000/foo", False),  # ports must be equal
        ("localhost:5000", "localhost/foo", False),
        ("reg.io:443", "reg.io/x", False),  # absent is not 443
        ("r[a-c]g.io", "rbg.io/x", True),
        ("r[^a-c]g.io", "rbg.io/x", False),
        ("r?g.io", "rag.io/x", False),  # `?` starts the URL's query, as in Go: the host is `r`
        ("r[g.io", "r[g.io/x", False),  # malformed glob never matches
        ("https://quay.io/v2/coreos", "quay.io/coreos/etcd", True),
    ],
)
def test_kubelet_key_matches(key: str, image: str, expected: bool) -> None:
    assert kubelet.key_matches(key, image) is expected


def test_kubelet_lookup_most_specific_first_and_every_match() -> None:
    keys = ["quay.io", "*.io", "quay.io/coreos", "https://index.docker.io/v1/"]
    assert kubelet.lookup(keys, "quay.io/coreos/etcd:v3") == ["quay.io/coreos", "quay.io", "*.io"]
    assert kubelet.lookup(keys, "golang") == ["*.io"]  # docker.io has two labels: *.io matches it
    keys.remove("*.io")
    assert kubelet.lookup(keys, "golang") == ["index.docker.io"]  # the Hub fallback
    assert kubelet.lookup(["docker.io", "index.docker.io"], "golang") == ["docker.io"]  # no fallback once matched
    assert kubelet.lookup(keys, "registry-1.docker.io/x") == []


def test_kubelet_accounts_tried_in_order() -> None:
    accounts = [account("q", "quay.io"), account("hub", "docker.io"), account("q2", "https://quay.io")]
    result = match_images(accounts, ["quay.io/a/b", "golang"], "kubelet")
    assert [(m.image, m.account) for m in result.payload] == [("quay.io/a/b", "q"), ("quay.io/a/b", "q2"),
                                                             ("golang", "hub")]
    assert result.payload[0].reason.startswith("1 of 2 tried: key quay.io matches quay.io/a/b")
    # The plugin's Hub key is docker.io, which matches directly: the index.docker.io fallback of
    # the keyring never comes into play under halcfg's plugin (it did when keys were docker's v1 URL).
    assert result.payload[2].reason == "key docker.io matches docker.io/library/golang"


# -- docker credential helpers -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("image", "url"),
    [("golang", "https://index.docker.io/v1/"), ("index.docker.io/x/y", "https://index.docker.io/v1/"),
     ("localhost:5000/foo", "localhost:5000"), ("registry-1.docker.io/x", "registry-1.docker.io")],
)
def test_docker_server_url(image: str, url: str) -> None:
    assert docker_lookup_key(parse_reference(image).domain) == url


def test_helper_finds_account_by_server_url() -> None:
    accounts = [account("hub", "index.docker.io"), account("local", "http://localhost:5000"),
                account("quay", "quay.io")]
    for url, name in [("https://index.docker.io/v1/", "hub"), ("docker.io", "hub"), ("localhost:5000", "local"),
                      ("https://localhost:5000/", "local"), ("QUAY.IO", "quay"), ("localhost", None), ("", None)]:
        found = docker.account_for_server_url(accounts, url)
        assert (found.name if found else None) == name, url
