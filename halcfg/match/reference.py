"""Image references by the distribution reference grammar (docker/distribution `reference`),
normalised as `ParseNormalizedNamed` does: `golang` is `docker.io/library/golang`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from halcfg.config.model import Account
from halcfg.registry.address import DOCKER_HUB_HOSTS

DOCKER_HUB_DOMAIN = "docker.io"
LEGACY_HUB_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
NAME_MAX = 255

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"((?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII
)
_DOMAIN_ONLY = re.compile(_DOMAIN, re.ASCII)
_HEX_ID = re.compile(r"[a-f0-9]{64}")


class ReferenceError(ValueError):
    """Not an image reference; the message says which rule of the grammar it breaks."""


@dataclass(frozen=True)
class Reference:
    domain: str  # registry host[:port] as written, Docker Hub as docker.io
    path: str  # repository path, Docker Hub's official images under library/
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """The normalised repository name: `docker.io/library/golang`."""
        return f"{self.domain}/{self.path}"

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def parse_reference(text: str) -> Reference:
    """Parse and normalise `text` as docker and Drone's runner do; ReferenceError when invalid."""
    if _HEX_ID.fullmatch(text):
        raise ReferenceError(f"{text!r} is a 64-hex image ID, not a repository name")
    domain, remainder = _split_domain(text)
    repository = remainder.split(":", 1)[0]  # as docker cuts it: before the first colon
    if repository.lower() != repository:
        raise ReferenceError(f"repository name {repository!r} must be lowercase")
    match = _REFERENCE.fullmatch(f"{domain}/{remainder}")
    if match is None or not _DOMAIN_ONLY.fullmatch(domain):
        raise ReferenceError(f"{text!r} is not a valid image reference (registry/name[:tag][@digest])")
    name, tag, digest = match.groups()
    if len(name) > NAME_MAX:
        raise ReferenceError(f"repository name must not be more than {NAME_MAX} characters")
    return Reference(domain, name[len(domain) + 1 :], tag, digest)


def _split_domain(text: str) -> tuple[str, str]:
    """(domain, rest) by docker's rule: the first component is a registry only when it holds `.`
    or `:`, is `localhost`, or has an uppercase letter; else the image lives on Docker Hub."""
    first, slash, rest = text.partition("/")
    if not slash or (not any(c in first for c in ".:") and first != "localhost" and first.lower() == first):
        domain, rest = DOCKER_HUB_DOMAIN, text
    else:
        domain = first
    if domain == LEGACY_HUB_DOMAIN:
        domain = DOCKER_HUB_DOMAIN
    if domain == DOCKER_HUB_DOMAIN and "/" not in rest:
        rest = OFFICIAL_PREFIX + rest
    return domain, rest


def is_docker_hub(domain: str) -> bool:
    return domain in (DOCKER_HUB_DOMAIN, LEGACY_HUB_DOMAIN)


def account_domain(account: Account) -> str | None:
    """The domain an image from `account`'s registry has once normalised: Docker Hub (under any
    of its spellings) as `docker.io`, others `host[:port]`; None when the address does not parse."""
    host = account.host
    if host is None:
        return None
    return DOCKER_HUB_DOMAIN if host in DOCKER_HUB_HOSTS else account.parsed_address.hostport
