"""Registry addresses: parse `[scheme://]host[:port][/path]` and infer the registry's kind.

Pure string work, shared by the offline rules and the registry client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HOST = re.compile(
    r"^(?:\[[0-9A-Fa-f:.]+\]"  # bracketed IPv6
    r"|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)$"
)
_ECR = re.compile(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")

DOCKER_HUB_HOSTS = frozenset({"index.docker.io", "docker.io", "registry-1.docker.io", "registry.hub.docker.com"})
DOCKER_HUB_API_HOST = "registry-1.docker.io"


class AddressError(ValueError):
    """The address is not `[scheme://]host[:port]`."""


class CredentialsInAddress(AddressError):
    """The address carries `user:password@`: credentials have fields of their own."""


@dataclass(frozen=True)
class Address:
    scheme: str | None  # "http" / "https" when the user wrote one
    host: str  # lower-cased
    port: int | None

    @property
    def hostport(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"


def parse_address(text: str) -> Address:
    """Parse what users write in `address`: `index.docker.io`, `https://quay.io`, `127.0.0.1:5000`."""
    rest = text.strip()
    scheme = None
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
        scheme = scheme.lower()
        if scheme not in ("http", "https"):
            raise AddressError(f"scheme {scheme!r} is not http or https")
    if "@" in rest.split("/", 1)[0]:  # the message must not repeat what precedes the @
        raise CredentialsInAddress("holds credentials (user:password@): they do not belong in address")
    rest = rest.rstrip("/")
    if "/" in rest:
        raise AddressError(f"{text!r} has a path; give only the registry host and port")
    host, port = rest, None
    if rest.startswith("["):
        end = rest.find("]")
        host, tail = rest[: end + 1], rest[end + 1 :]
        if tail:
            if not tail.startswith(":"):
                raise AddressError(f"{text!r} is not host[:port]")
            port = _port(tail[1:], text)
    elif ":" in rest:
        host, port_text = rest.rsplit(":", 1)
        port = _port(port_text, text)
    if not host or not _HOST.match(host):
        raise AddressError(f"{host or text!r} is not a valid host name")
    return Address(scheme, host.lower(), port)


def registry_key(address: Address, plain_http: bool = False) -> str:
    """One spelling per registry: Docker Hub's aliases are one host, and the default port is no port."""
    if address.host in DOCKER_HUB_HOSTS:
        return "docker.io"
    plain = address.scheme == "http" or (address.scheme is None and plain_http)
    default = 80 if plain else 443
    return address.host if address.port in (None, default) else address.hostport


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise AddressError(f"port {text!r} in {whole!r} is not a number from 1 to 65535")
    return int(text)


def ecr_parts(host: str) -> tuple[str, str] | None:
    """(registry id, region) for an ECR host, else None."""
    match = _ECR.match(host)
    return (match.group(1), match.group(2)) if match else None


def infer_registry_type(host: str) -> str:
    """The registryType implied by a host; "other" when nothing is implied."""
    if host in DOCKER_HUB_HOSTS:
        return "dockerhub"
    if ecr_parts(host):
        return "ecr"
    if host == "gcr.io" or host.endswith(".gcr.io"):
        return "gcr"
    if host.endswith("-docker.pkg.dev"):
        return "artifact-registry"
    if host.endswith(".azurecr.io"):
        return "acr"
    if host == "quay.io":
        return "quay"
    if host == "ghcr.io":
        return "ghcr"
    if host.endswith(".jfrog.io"):  # JFrog's cloud Artifactory: <server>.jfrog.io, <repo>-<server>.jfrog.io
        return "artifactory"
    return "other"
