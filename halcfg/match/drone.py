"""Drone's runner: which registry credential applies to an image (drone-runner-docker
`image.MatchHostname`), and how halcfg spells an account's address so that it does.

The runner maps an address of exactly `index.docker.io` to `docker.io`, THEN takes the host of
an `http(s)://` URL, and compares it with the image's domain exactly: ports must agree, paths
play no part, case matters. The first credential in the list that matches wins.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from halcfg.config.model import Account
from halcfg.match.reference import DOCKER_HUB_DOMAIN, LEGACY_HUB_DOMAIN, Reference, account_domain


def runner_hostname(address: str) -> str:
    """The host the runner compares for a credential's `address`, in its order of steps."""
    if address == LEGACY_HUB_DOMAIN:
        address = DOCKER_HUB_DOMAIN
    if address.startswith(("http://", "https://")):
        try:
            netloc = urlsplit(address).netloc
        except ValueError:  # Go's url.Parse failing leaves the address as it was
            return address
        return netloc.rpartition("@")[2]
    return address


def matches(reference: Reference, address: str) -> bool:
    """Whether Drone's runner uses a credential for `address` to pull `reference`."""
    return reference.domain == runner_hostname(address)


def drone_address(account: Account) -> str | None:
    """The address halcfg hands Drone for `account`, one the runner matches: Docker Hub as
    `docker.io` (never `https://index.docker.io/v1/`, which it never matches), others bare
    `host[:port]`; None when the address does not parse."""
    return account_domain(account)
