"""registry/hosts, table-driven: every (address, image) pair per consumer, each expected value
written from that consumer's upstream source (cited per group), asserted exactly.

The same twelve addresses and thirteen images are crossed for every consumer (156 pairs each);
what differs is how each consumer spells the address, reads the image and compares the two.
A grid row is one address; its characters are the images in IMAGES' order: `x` the consumer
uses the account's credential for that image, `.` it does not.
"""

from __future__ import annotations

import pytest

from halcfg.config.model import Account
from halcfg.match import drone, kubelet
from halcfg.match.docker import account_for_server_url
from halcfg.match.reference import ReferenceError, parse_reference
from halcfg.registry.hosts import (
    HUB_V1_KEY,
    AddressError,
    CredentialsInAddress,
    account_key,
    docker_lookup_key,
    drone_runner_hostname,
    parse_address,
    parse_server_url,
)

SHA = "sha256:" + "0123456789abcdef" * 4

ADDRESSES = [
    "docker.io",
    "index.docker.io",
    "docker.io:443",
    "https://index.docker.io/v1/",
    "registry-1.docker.io",
    "registry.hub.docker.com",
    "Quay.IO",
    "quay.io:443",
    "http://localhost:5000/",
    "localhost",
    "registry-1.docker.io:5000",
    "https://[::1]:5000",
]
IMAGES = [
    "golang",
    "library/golang:1.0",
    "index.docker.io/library/golang",
    "registry-1.docker.io/library/golang",
    "quay.io/org/app",
    "Quay.io/org/app",
    "quay.io:443/org/app",
    "localhost:5000/x",
    "localhost/x",
    "Localhost/x",
    "[::1]:5000/x",
    SHA,
    "registry-1.docker.io:5000/x",
]


def account(address: str) -> Account:
    return Account(index=0, name="acct", address=address)


def grid(rows: str) -> dict[tuple[str, str], bool]:
    lines = rows.split()
    assert len(lines) == len(ADDRESSES) and all(len(line) == len(IMAGES) for line in lines)
    return {(a, i): c == "x" for a, line in zip(ADDRESSES, lines, strict=True)
            for i, c in zip(IMAGES, line, strict=True)}


def pairs(table: dict[tuple[str, str], bool]) -> list[tuple[str, str, bool]]:
    return [(a, i, used) for (a, i), used in table.items()]


# -- drone ----------------------------------------------------------------------------------
# drone-runner-docker internal/docker/image/image.go MatchHostname: the image goes through
# docker/distribution v2.7.1 (go.mod) ParseAnyReference + ParseNamed; `index.docker.io` becomes
# `docker.io`, an http(s) URL its Host; then reference.Domain(named) == hostname, exactly.
# v2.7.1 reference/regexp.go DomainRegexp has no IPv6; normalize.go splitDockerDomain has no
# uppercase rule (Localhost/x is a Hub path, invalid: uppercase); ParseAnyReference reads
# sha256:<hex> as a digest, and ParseNamed of it fails. halcfg hands Drone account_key(drone).

DRONE_ADDRESS = ["docker.io", "docker.io", "docker.io", "docker.io", "docker.io", "docker.io", "quay.io",
                 "quay.io", "localhost:5000", "localhost", "registry-1.docker.io:5000", None]
DRONE_DOMAIN = ["docker.io", "docker.io", "docker.io", "registry-1.docker.io", "quay.io", "Quay.io",
                "quay.io:443", "localhost:5000", "localhost", None, None, None, "registry-1.docker.io:5000"]
DRONE = grid("""
    xxx..........
    xxx..........
    xxx..........
    xxx..........
    xxx..........
    xxx..........
    ....x........
    ....x........
    .......x.....
    ........x....
    ............x
    .............
""")


@pytest.mark.parametrize(("address", "expected"), list(zip(ADDRESSES, DRONE_ADDRESS, strict=True)))
def test_drone_address(address: str, expected: str | None) -> None:
    assert account_key(account(address), "drone") == expected


@pytest.mark.parametrize(("image", "expected"), list(zip(IMAGES, DRONE_DOMAIN, strict=True)))
def test_drone_reads_image_domain(image: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ReferenceError):
            parse_reference(image, "drone")
    else:
        assert parse_reference(image, "drone").domain == expected


@pytest.mark.parametrize(("address", "image", "used"), pairs(DRONE))
def test_drone_pairs(address: str, image: str, used: bool) -> None:
    key = account_key(account(address), "drone")
    try:
        reference = parse_reference(image, "drone")
    except ReferenceError:
        assert not used
        return
    assert (key is not None and drone.matches(reference, key)) is used


# The runner's own reading of addresses as users write them in Drone files (MatchHostname's steps).
@pytest.mark.parametrize(
    ("address", "hostname"),
    [
        ("index.docker.io", "docker.io"),
        ("https://index.docker.io/v1/", "index.docker.io"),  # the URL is cut after the Hub mapping
        ("http://localhost:5000/", "localhost:5000"),
        ("https://u:p@reg.io:443/x", "reg.io:443"),  # Go's URL.Host: userinfo dropped, port kept
        ("https://reg.io:x", "https://reg.io:x"),  # url.Parse fails: kept as written
        ("Quay.io", "Quay.io"),  # no case folding
    ],
)
def test_drone_runner_hostname(address: str, hostname: str) -> None:
    assert drone_runner_hostname(address) == hostname


# -- kubelet --------------------------------------------------------------------------------
# The image arrives normalised by distribution/reference v0.6 (kubelet parsers.ParseImageName):
# IPv6 is a domain, an uppercase first component is a domain (Localhost/x is on `Localhost`),
# sha256:<hex> is docker.io/library/sha256 tagged <hex>. kubernetes
# pkg/credentialprovider/plugin/plugin.go isImageAllowed and keyring.go URLsMatchStr compare
# the plugin's key (halcfg's matchImages and auth key) label by label with filepath.Match
# (case-sensitive), ports as strings (SplitHostPort), path by prefix.

KUBELET_KEY = ["docker.io", "docker.io", "docker.io", "docker.io", "docker.io", "docker.io", "quay.io",
               "quay.io", "localhost:5000", "localhost", "registry-1.docker.io:5000", "[::1]:5000"]
KUBELET_NAME = ["docker.io/library/golang", "docker.io/library/golang", "docker.io/library/golang",
                "registry-1.docker.io/library/golang", "quay.io/org/app", "Quay.io/org/app",
                "quay.io:443/org/app", "localhost:5000/x", "localhost/x", "Localhost/x", "[::1]:5000/x",
                "docker.io/library/sha256", "registry-1.docker.io:5000/x"]
KUBELET = grid("""
    xxx........x.
    xxx........x.
    xxx........x.
    xxx........x.
    xxx........x.
    xxx........x.
    ....x........
    ....x........
    .......x.....
    ........x....
    ............x
    ..........x..
""")


@pytest.mark.parametrize(("address", "expected"), list(zip(ADDRESSES, KUBELET_KEY, strict=True)))
def test_kubelet_key(address: str, expected: str) -> None:
    assert account_key(account(address), "kubelet") == expected


@pytest.mark.parametrize(("image", "expected"), list(zip(IMAGES, KUBELET_NAME, strict=True)))
def test_kubelet_reads_image_name(image: str, expected: str) -> None:
    assert parse_reference(image).name == expected


@pytest.mark.parametrize(("address", "image", "used"), pairs(KUBELET))
def test_kubelet_pairs(address: str, image: str, used: bool) -> None:
    key = account_key(account(address), "kubelet")
    assert key is not None
    assert kubelet.lookup([key], parse_reference(image).name) == ([kubelet.normalise_key(key)] if used else [])


# -- docker auths and credHelpers ----------------------------------------------------------
# docker/cli cli/config/configfile/file.go getAuthConfigKey: docker.io and index.docker.io are
# https://index.docker.io/v1/, any other domain (reference.Domain, v0.6 grammar) is itself;
# GetCredentialsStore / getConfiguredCredentialStore look credHelpers up by that key exactly,
# credentials/file_store.go Get looks auths up exactly, then by ConvertToHostname of each key
# (which halcfg's bare keys equal already). halcfg writes account_key(docker) for both.

DOCKER_KEY = [HUB_V1_KEY] * 6 + ["quay.io", "quay.io", "localhost:5000", "localhost", "registry-1.docker.io:5000",
                                 "[::1]:5000"]
DOCKER_LOOKUP = [HUB_V1_KEY, HUB_V1_KEY, HUB_V1_KEY, "registry-1.docker.io", "quay.io", "Quay.io", "quay.io:443",
                 "localhost:5000", "localhost", "Localhost", "[::1]:5000", HUB_V1_KEY, "registry-1.docker.io:5000"]
DOCKER = grid("""
    xxx........x.
    xxx........x.
    xxx........x.
    xxx........x.
    xxx........x.
    xxx........x.
    ....x........
    ....x........
    .......x.....
    ........x....
    ............x
    ..........x..
""")


@pytest.mark.parametrize(("address", "expected"), list(zip(ADDRESSES, DOCKER_KEY, strict=True)))
def test_docker_key(address: str, expected: str) -> None:
    assert account_key(account(address), "docker") == expected


@pytest.mark.parametrize(("image", "expected"), list(zip(IMAGES, DOCKER_LOOKUP, strict=True)))
def test_docker_lookup_key(image: str, expected: str) -> None:
    assert docker_lookup_key(parse_reference(image).domain) == expected


@pytest.mark.parametrize(("address", "image", "used"), pairs(DOCKER))
def test_docker_pairs(address: str, image: str, used: bool) -> None:
    lookup = docker_lookup_key(parse_reference(image).domain)
    assert (account_key(account(address), "docker") == lookup) is used
    # docker-credential-halcfg, sent that key by docker's native store, answers with the account
    assert (account_for_server_url([account(address)], lookup) is not None) is (used or _same_registry(address, image))


def _same_registry(address: str, image: str) -> bool:
    """Keys docker never sends for this account but halcfg's helper still serves, because they
    name the account's registry: a case or default-port variant, or Hub under an alias."""
    return (address, image) in HELPER_ALSO


HELPER_ALSO = {
    *((a, "registry-1.docker.io/library/golang") for a in ADDRESSES[:6]),  # Hub's API host
    ("Quay.IO", "Quay.io/org/app"), ("quay.io:443", "Quay.io/org/app"),  # WHATWG lower-cases the host
    ("Quay.IO", "quay.io:443/org/app"), ("quay.io:443", "quay.io:443/org/app"),  # 443 is the default port
    ("localhost", "Localhost/x"),
}


# -- containers/image (skopeo, podman, buildah) -------------------------------------------
# pkg/docker/config/config.go getCredentialsWithHomeDir: registry = ref.Name() up to the first
# `/`; findCredentialsInFile looks credHelpers[registry] up exactly, and the helper is sent that
# registry. Its reference grammar (docker/reference, a v2.7.1 fork) has no IPv6 and no uppercase
# rule, and sha256:<hex> is docker.io/library/sha256 there. halcfg's docker-config --helper
# writes account_key(docker) and, where it differs, account_key(containers-image).

CONTAINERS_KEYS = [{HUB_V1_KEY, "docker.io"}] * 6 + [{"quay.io"}, {"quay.io"}, {"localhost:5000"}, {"localhost"},
                                                   {"registry-1.docker.io:5000"}, {"[::1]:5000"}]
CONTAINERS_REGISTRY = ["docker.io", "docker.io", "docker.io", "registry-1.docker.io", "quay.io", "Quay.io",
                       "quay.io:443", "localhost:5000", "localhost", None, None, "docker.io",
                       "registry-1.docker.io:5000"]
CONTAINERS = grid("""
    xxx........x.
    xxx........x.
    xxx........x.
    xxx........x.
    xxx........x.
    xxx........x.
    ....x........
    ....x........
    .......x.....
    ........x....
    ............x
    .............
""")


@pytest.mark.parametrize(("address", "expected"), list(zip(ADDRESSES, CONTAINERS_KEYS, strict=True)))
def test_containers_image_helper_keys(address: str, expected: set[str]) -> None:
    assert {account_key(account(address), "docker"), account_key(account(address), "containers-image")} == expected


@pytest.mark.parametrize(("address", "image", "used"), pairs(CONTAINERS))
def test_containers_image_pairs(address: str, image: str, used: bool) -> None:
    registry = CONTAINERS_REGISTRY[IMAGES.index(image)]
    keys = {account_key(account(address), "docker"), account_key(account(address), "containers-image")}
    assert (registry in keys) is used
    if used:  # and the helper, sent that registry, answers with the account
        assert account_for_server_url([account(address)], registry) is not None


# -- clouddriver ----------------------------------------------------------------------------
# clouddriver DockerRegistryNamedAccountCredentials: `address` loses one trailing `/` and a
# `/v2`, and `registry` is it without `https://` / `http://`; DockerRegistryImageLookupController
# generateArtifact names an image `${registry}/${repository}:${tag}`. halcfg renders
# account_key(clouddriver) as the address.

CLOUDDRIVER_URL = ["https://index.docker.io"] * 6 + ["https://quay.io", "https://quay.io", "http://localhost:5000",
                                                     "https://localhost", "https://registry-1.docker.io:5000",
                                                     "https://[::1]:5000"]
CLOUDDRIVER_REPOSITORY = ["library/golang:latest", "library/golang:1.0", "library/golang:latest",
                          "library/golang:latest", "org/app:latest", "org/app:latest", "org/app:latest", "x:latest",
                          "x:latest", "x:latest", "x:latest", f"library/sha256:{SHA[7:]}", "x:latest"]


def _clouddriver_registry(address: str) -> str:
    """clouddriver's `registry` for an `address` (the constructor's steps, in order)."""
    address = address[:-1] if address.endswith("/") else address
    address = address[:-3] if address.endswith("/v2") else address
    return address.removeprefix("https://").removeprefix("http://")


@pytest.mark.parametrize(("address", "expected"), list(zip(ADDRESSES, CLOUDDRIVER_URL, strict=True)))
def test_clouddriver_address(address: str, expected: str) -> None:
    plain = address.startswith("http://")
    assert account_key(Account(index=0, name="a", address=address, plain_http=plain), "clouddriver") == expected


@pytest.mark.parametrize(("address", "image"), [(a, i) for a in ADDRESSES for i in IMAGES])
def test_clouddriver_pairs(address: str, image: str) -> None:
    # The artifact clouddriver would name for this image's repository and tag under the account.
    url = CLOUDDRIVER_URL[ADDRESSES.index(address)]
    expected = f"{url.split('://', 1)[1]}/{CLOUDDRIVER_REPOSITORY[IMAGES.index(image)]}"
    reference = parse_reference(image)
    rendered = account_key(account(address), "clouddriver")
    assert rendered is not None
    assert f"{_clouddriver_registry(rendered)}/{reference.path}:{reference.tag or 'latest'}" == expected


# -- addresses as users write them, and what helpers are sent ------------------------------

@pytest.mark.parametrize(
    ("text", "scheme", "host", "port", "registry"),
    [
        ("index.docker.io", None, "index.docker.io", None, "docker.io"),
        ("https://index.docker.io/v1/", "https", "index.docker.io", None, "docker.io"),
        ("https://index.docker.io/v1", "https", "index.docker.io", None, "docker.io"),
        ("https://quay.io/v2/", "https", "quay.io", None, "quay.io"),
        ("HTTPS://Quay.IO./", "https", "quay.io", None, "quay.io"),
        ("docker.io:443", None, "docker.io", 443, "docker.io"),
        ("http://docker.io:80", "http", "docker.io", 80, "docker.io"),
        ("http://docker.io:443", "http", "docker.io", 443, "docker.io:443"),
        ("registry-1.docker.io:5000", None, "registry-1.docker.io", 5000, "registry-1.docker.io:5000"),
        ("[::1]:5000", None, "[::1]", 5000, "[::1]:5000"),
        ("reg.example:443", None, "reg.example", 443, "reg.example"),
    ],
)
def test_parse_address(text: str, scheme: str | None, host: str, port: int | None, registry: str) -> None:
    parsed = parse_address(text)
    assert (parsed.scheme, parsed.host, parsed.port, parsed.registry()) == (scheme, host, port, registry)


@pytest.mark.parametrize("text", ["quay.io/team", "ftp://quay.io", "quay.io:0", "quay.io:x", "[::1", "a b",
                                  "quay.io\n", "", "https://", "-bad.io", "quay.io/v3/"])
def test_parse_address_refuses(text: str) -> None:
    with pytest.raises(AddressError):
        parse_address(text)


def test_parse_address_credentials_message_repeats_nothing() -> None:
    with pytest.raises(CredentialsInAddress) as caught:
        parse_address("https://bot:hunter2@quay.io")
    assert "hunter2" not in str(caught.value) and "bot" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "registry"),
    [
        ("https://index.docker.io/v1/", "docker.io"),  # docker's native store sends its key
        ("docker.io", "docker.io"),  # containers/image sends the bare registry
        ("localhost:5000", "localhost:5000"),
        ("HTTPS://LOCALHOST:5000/", "localhost:5000"),
        ("quay.io.", "quay.io"),
        ("https://quay.io:443", "quay.io"),
        ("evil.test\\@127.0.0.1:5000", None),  # a backslash: WHATWG and Go disagree on the host
        ("https://evil.test\\@127.0.0.1:5000", None),
        ("https://user@127.0.0.1:5000", None),  # userinfo
        ("127.0.0.1:5000@evil.test", None),
        ("https://quay.io%2f@x", None),
        ("quay.io?x", None),
        ("quay.io#x", None),
        ("qu ay.io", None),
        ("quay.io\t", None),
        ("ftp://quay.io", None),
        ("quäy.io", None),
        ("", None),
    ],
)
def test_parse_server_url(text: str, registry: str | None) -> None:
    parsed = parse_server_url(text)
    assert (None if parsed is None else parsed.registry()) == registry


def test_backslash_url_gets_no_account() -> None:
    accounts = [Account(index=0, name="local", address="127.0.0.1:5000")]
    assert account_for_server_url(accounts, "127.0.0.1:5000") is not None
    assert account_for_server_url(accounts, "evil.test\\@127.0.0.1:5000") is None
