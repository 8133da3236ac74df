"""Image references by the distribution reference grammar, normalised as `ParseNormalizedNamed`
does (`golang` is `docker.io/library/golang`), in the two dialects halcfg's consumers parse:

- current (github.com/distribution/reference v0.6 `normalize.go` `splitDockerDomain`, used by
  the docker CLI and the kubelet): a bracketed IPv6 host is a domain, and so is a first
  component with an uppercase letter (`Localhost/x` is on registry `Localhost`);
- drone (docker/distribution v2.7.1, which drone-runner-docker's go.mod pins, parsed through
  `ParseAnyReference` then `ParseNamed` in `internal/docker/image/image.go` `MatchHostname`): no
  IPv6 host (`reference/regexp.go` `DomainRegexp` is DNS labels only), an uppercase first
  component is a Docker Hub path (and so invalid), and a 64-hex ID or `sha256:<hex>` digest is
  read as a digest, which has no name.

Which registry a domain names is registry/hosts' business, not this module's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from halcfg.registry.hosts import HUB, HUB_INDEX

OFFICIAL_PREFIX = "library/"
NAME_MAX = 255
TEXT_MAX = 1024  # name, tag and the longest digest fit well inside; longer text is refused unread

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DNS_HOST = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_HOST = rf"(?:{_DNS_HOST}|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"((?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII
)
_DOMAIN_ONLY = re.compile(_DOMAIN, re.ASCII)
_DRONE_DOMAIN = re.compile(rf"{_DNS_HOST}(?::[0-9]+)?", re.ASCII)
_HEX_ID = re.compile(r"[a-f0-9]{64}")
# go-digest `Parse` as ParseAnyReference calls it: a registered algorithm and its hex length
_GO_DIGEST = re.compile(r"sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128}")

DIALECTS = ("current", "drone")


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


def parse_reference(text: str, dialect: str = "current") -> Reference:
    """Parse and normalise `text` as that dialect's consumers do; ReferenceError when invalid."""
    if len(text) > TEXT_MAX:
        raise ReferenceError(f"reference is over {TEXT_MAX} characters")
    if _HEX_ID.fullmatch(text):
        raise ReferenceError(f"{text!r} is a 64-hex image ID, not a repository name")
    drone = dialect == "drone"
    if drone and _GO_DIGEST.fullmatch(text):
        raise ReferenceError(f"{text!r} is a digest, not a repository name (ParseAnyReference reads it as one)")
    domain, remainder = _split_domain(text, uppercase_is_domain=not drone)
    repository = remainder.split(":", 1)[0]  # as docker cuts it: before the first colon
    if repository.lower() != repository:
        raise ReferenceError(f"repository name {repository!r} must be lowercase")
    match = _REFERENCE.fullmatch(f"{domain}/{remainder}")
    if match is None or not _DOMAIN_ONLY.fullmatch(domain):
        raise ReferenceError(f"{text!r} is not a valid image reference (registry/name[:tag][@digest])")
    if drone and not _DRONE_DOMAIN.fullmatch(domain):
        raise ReferenceError(f"registry {domain!r} is an IPv6 address, which Drone's reference grammar "
                             "(docker/distribution v2.7.1) does not accept")
    name, tag, digest = match.groups()
    if len(name) > NAME_MAX:
        raise ReferenceError(f"repository name must not be more than {NAME_MAX} characters")
    return Reference(domain, name[len(domain) + 1 :], tag, digest)


def _split_domain(text: str, uppercase_is_domain: bool) -> tuple[str, str]:
    """(domain, rest) by docker's rule: the first component is a registry only when it holds `.`
    or `:`, is `localhost`, or (current dialect) has an uppercase letter; else Docker Hub."""
    first, slash, rest = text.partition("/")
    uppercase = uppercase_is_domain and first.lower() != first
    if not slash or (not any(c in first for c in ".:") and first != "localhost" and not uppercase):
        domain, rest = HUB, text
    else:
        domain = first
    if domain == HUB_INDEX:
        domain = HUB
    if domain == HUB and "/" not in rest:
        rest = OFFICIAL_PREFIX + rest
    return domain, rest
