"""How each consumer spells an account's registry (FORMATS.md §7: Docker Hub is the foot-gun)."""

from __future__ import annotations

from halcfg.config.model import Account
from halcfg.registry.address import DOCKER_HUB_HOSTS, AddressError, parse_address

DOCKER_HUB_KEY = "https://index.docker.io/v1/"  # docker's and kubectl's key for Docker Hub
CONSUMERS = ("docker", "drone", "kubelet", "clouddriver")


def registry_host(address: str, consumer: str = "docker", plain_http: bool = False) -> str:
    """The spelling of `address` that `consumer` matches images against.

    docker (config.json, credHelpers, kubectl): Hub is `https://index.docker.io/v1/`, others bare
    `host[:port]`; drone: Hub is `docker.io` (the runner never matches the v1 URL); kubelet: Hub
    is `docker.io` (images arrive normalised); clouddriver: a URL with its scheme, Hub at
    `https://index.docker.io`. Raises AddressError for an address that does not parse.
    """
    if consumer not in CONSUMERS:
        raise ValueError(f"unknown consumer {consumer!r}; one of {', '.join(CONSUMERS)}")
    parsed = parse_address(address)
    hub = parsed.host in DOCKER_HUB_HOSTS and parsed.port is None
    if consumer == "clouddriver":
        scheme = "http" if plain_http or parsed.scheme == "http" else "https"
        return f"{scheme}://{'index.docker.io' if hub else parsed.hostport}"
    if hub:
        return DOCKER_HUB_KEY if consumer == "docker" else "docker.io"
    return parsed.hostport


def account_host(account: Account, consumer: str) -> str | None:
    """registry_host for an account; None when its address does not parse (validate reports that)."""
    try:
        return registry_host(account.address, consumer, account.plain_http)
    except AddressError:
        return None
