"""Where an account's v2 API lives, and how its repository names are spelled on the wire."""

from __future__ import annotations

from dataclasses import dataclass

from halcfg.registry.hosts import HUB_API_HOST, Address


@dataclass(frozen=True)
class Endpoint:
    scheme: str  # "https", or "http" for plainHttp / an http:// address
    hostport: str  # the API host: Docker Hub's index.docker.io becomes registry-1.docker.io
    docker_hub: bool

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.hostport}"

    def url(self, path: str) -> str:
        """Absolute URL of an API path such as `/v2/_catalog`."""
        return self.base_url + path


def endpoint_for(address: Address, plain_http: bool = False) -> Endpoint:
    """Where the v2 API of the registry at `address` answers; `plain_http` forces http."""
    scheme = "http" if plain_http else address.scheme or "https"
    if address.is_docker_hub(plain_http):
        return Endpoint(scheme, HUB_API_HOST, docker_hub=True)
    return Endpoint(scheme, address.hostport, docker_hub=False)


def repository_name(endpoint: Endpoint, name: str) -> str:
    """The name the API expects: Docker Hub's official images live under `library/`."""
    if endpoint.docker_hub and "/" not in name:
        return f"library/{name}"
    return name
