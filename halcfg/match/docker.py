"""docker's credential lookup key (docker/cli `getAuthConfigKey`): Docker Hub is
`https://index.docker.io/v1/`, every other registry the bare `host[:port]`. A credential helper
gets that key on stdin; `server_host` reads one back, tolerating the scheme and path that
`docker login https://host/` and other clients send."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from halcfg.config.model import Account
from halcfg.match.reference import DOCKER_HUB_DOMAIN, Reference, account_domain, is_docker_hub
from halcfg.registry.address import DOCKER_HUB_HOSTS

DOCKER_HUB_SERVER_URL = "https://index.docker.io/v1/"


def server_url(domain: str) -> str:
    """The config.json / credHelpers key docker uses for images on `domain`."""
    return DOCKER_HUB_SERVER_URL if is_docker_hub(domain) else domain


def reference_server_url(reference: Reference) -> str:
    return server_url(reference.domain)


def server_host(url: str) -> str | None:
    """The registry `host[:port]` a server URL names, lower-cased, Docker Hub as `docker.io`;
    None when it names no host."""
    text = url.strip()
    try:
        netloc = urlsplit(text if "://" in text else "https://" + text).netloc
    except ValueError:
        return None
    host = netloc.rpartition("@")[2].lower()
    if not host:
        return None
    return DOCKER_HUB_DOMAIN if host in DOCKER_HUB_HOSTS else host


def account_for_server_url(accounts: Iterable[Account], url: str) -> Account | None:
    """The first account (in file order) whose registry the server URL a helper was given names."""
    host = server_host(url)
    if host is None:
        return None
    return next((a for a in accounts if account_domain(a) == host), None)
