"""docker's credential lookup (docker/cli `cli/config/configfile/file.go` `getAuthConfigKey`,
`GetCredentialsStore`): the key for an image is `https://index.docker.io/v1/` for Docker Hub and
the image's domain as written otherwise, looked up exactly in `credHelpers` and `auths`. A
credential helper gets that key (or, from containers/image, the bare registry) on stdin; which
account it names is registry/hosts' `parse_server_url` and `serves`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from halcfg.config.model import Account
from halcfg.match.reference import Reference
from halcfg.registry.hosts import account_key, docker_lookup_key, parse_server_url, serves


def candidates(accounts: Sequence[Account], reference: Reference) -> list[Account]:
    """Accounts whose config.json key docker looks up for `reference`, in file order; halcfg's
    docker-config keeps the first per key, so the first is the one docker uses."""
    wanted = docker_lookup_key(reference.domain)
    return [a for a in accounts if account_key(a, "docker") == wanted]


def account_for_server_url(accounts: Iterable[Account], url: str) -> Account | None:
    """The first account (in file order) whose registry the server URL a helper was given names;
    None for a URL that names no registry unambiguously."""
    parsed = parse_server_url(url)
    if parsed is None:
        return None
    return next((a for a in accounts if serves(a, parsed)), None)
