"""Registry keys as the foreign formats spell them → an account's address and a valid, unique name.

docker, Drone and the kubelet spell Docker Hub `https://index.docker.io/v1/`, `docker.io` or
`index.docker.io`, and other registries `host[:port]`, sometimes with a scheme or a path
(FORMATS.md §7). An account holds `host[:port]`; Docker Hub is `index.docker.io`, as Halyard
writes it.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from halcfg.registry.hosts import AddressError, ecr_parts, parse_address

HUB_ADDRESS = "index.docker.io"
_API_PATHS = ("/v1", "/v2")  # docker's Hub key ends in /v1/; clouddriver strips /v2
_SUFFIXES = (".io", ".com", ".org", ".net", ".dev")  # dropped from names: quay.io → quay
_MAX_NAME = 63


def address_of(key: str) -> tuple[str, str | None]:
    """(address, path the account cannot keep) for a registry key; AddressError when it is no host."""
    text = key.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    host, slash, path = rest.partition("/")
    path = ("/" + path).rstrip("/") if slash else ""
    if path in _API_PATHS:
        path = ""
    address = parse_address(f"{scheme}://{host}" if scheme else host)
    if address.is_docker_hub():
        return HUB_ADDRESS, path or None
    return address.hostport, path or None


def name_for(address: str) -> str:
    """An account name for a registry: dockerhub, ecr-us-east-1, quay, registry-example-5000."""
    try:
        parsed = parse_address(address)
    except AddressError:
        return valid(address)
    if parsed.is_docker_hub():
        return "dockerhub"
    ecr = ecr_parts(parsed.host)
    if ecr:
        return f"ecr-{ecr[1]}"
    host = parsed.host
    for suffix in _SUFFIXES:
        if host.endswith(suffix) and host != suffix:
            host = host.removesuffix(suffix)
            break
    return valid(host if parsed.port is None else f"{host}-{parsed.port}")


def valid(text: str) -> str:
    """`text` as an account name: lower-case letters, digits and inner dashes."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:_MAX_NAME].rstrip("-")
    return name or "registry"


def unique(name: str, taken: Collection[str]) -> str:
    """`name`, or `name-2`, `name-3`, … : the first not in `taken`."""
    if name not in taken:
        return name
    n = 2
    while f"{name}-{n}" in taken:
        n += 1
    return f"{name}-{n}"
