"""Registry identity, in one place: which registry an address or a helper's server URL names,
and the key each consumer looks that registry up by.

Every stage asks this module; nothing else parses a registry host. Pure string work: it knows
no accounts model (an account is anything with `parsed_address` and `plain_http`).

Identity rules, applied once when an address is parsed:
- what users write: `host[:port]`, `http(s)://host[:port]`, a trailing `/`, and the API
  suffixes `/v1`, `/v1/`, `/v2`, `/v2/` that docker's own Hub key `https://index.docker.io/v1/`
  and clouddriver addresses carry (clouddriver `DockerRegistryNamedAccountCredentials` strips
  a trailing `/` and `/v2`); any other path is an error;
- the host is lower-cased and a trailing dot dropped (`Quay.IO.` is `quay.io`);
- the default port is no port: 443, or 80 for plain http (`docker.io:443` is `docker.io`);
- Docker Hub is one registry under `docker.io`, `index.docker.io`, `registry-1.docker.io` and
  `registry.hub.docker.com`, on its default port only (`registry-1.docker.io:5000` is not Hub).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

HUB = "docker.io"  # the image domain of Docker Hub once normalised (distribution/reference)
HUB_INDEX = "index.docker.io"  # Halyard's and the kubelet's spelling (`defaultRegistryHost`)
HUB_API_HOST = "registry-1.docker.io"  # where Hub's v2 API answers
HUB_V1_KEY = "https://index.docker.io/v1/"  # docker/cli configfile `authConfigKey`
_HUB_HOSTS = frozenset({HUB, HUB_INDEX, HUB_API_HOST, "registry.hub.docker.com"})
_API_SUFFIXES = ("/v1", "/v2")

CONSUMERS = ("docker", "containers-image", "drone", "kubelet", "clouddriver")

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_IPV6 = re.compile(r"\[[0-9A-Fa-f:.]+\]")
_ECR = re.compile(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]*")


class AddressError(ValueError):
    """The address is not `[scheme://]host[:port]`."""


class CredentialsInAddress(AddressError):
    """The address carries `user:password@`: credentials have fields of their own."""


@dataclass(frozen=True)
class Address:
    scheme: str | None  # "http" / "https" when the user wrote one
    host: str  # lower-cased, no trailing dot; IPv6 in brackets
    port: int | None  # as written

    @property
    def hostport(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def ipv6(self) -> bool:
        return self.host.startswith("[")

    def default_port(self, plain_http: bool = False) -> int:
        return 80 if self.scheme == "http" or (self.scheme is None and plain_http) else 443

    def effective_port(self, plain_http: bool = False) -> int:
        return self.default_port(plain_http) if self.port is None else self.port

    def is_docker_hub(self, plain_http: bool = False) -> bool:
        return self.host in _HUB_HOSTS and self.effective_port(plain_http) == self.default_port(plain_http)

    def registry(self, plain_http: bool = False) -> str:
        """The registry's one spelling: `docker.io` for Hub, else `host[:port]` without a default port."""
        if self.is_docker_hub(plain_http):
            return HUB
        return self.host if self.effective_port(plain_http) == self.default_port(plain_http) else self.hostport


class Located(Protocol):
    """What this module needs of an account."""

    @property
    def parsed_address(self) -> Address: ...
    @property
    def plain_http(self) -> bool: ...


def parse_address(text: str) -> Address:
    """Parse what users write in `address`: `index.docker.io`, `https://quay.io`, `127.0.0.1:5000`,
    `https://index.docker.io/v1/`."""
    if not _PRINTABLE_ASCII.fullmatch(text):
        raise AddressError(f"{text!r} holds a space, a control or a non-ASCII character")
    rest, scheme = text, None
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
        scheme = scheme.lower()
        if scheme not in ("http", "https"):
            raise AddressError(f"scheme {scheme!r} is not http or https")
    authority, slash, path = rest.partition("/")
    if "@" in authority:  # the message must not repeat what precedes the @
        raise CredentialsInAddress("holds credentials (user:password@): they do not belong in address")
    path = ("/" + path).rstrip("/") if slash else ""
    if path and path not in _API_SUFFIXES:
        raise AddressError(f"{text!r} has a path; give only the registry host and port")
    host, port = _host_port(authority, text)
    return Address(scheme, host, port)


def _host_port(authority: str, whole: str) -> tuple[str, int | None]:
    host, port_text = authority, None
    if authority.startswith("["):
        end = authority.find("]")
        host, tail = authority[: end + 1], authority[end + 1 :]
        if end < 0 or (tail and not tail.startswith(":")):
            raise AddressError(f"{whole!r} is not host[:port]")
        port_text = tail[1:] if tail else None
        if not _IPV6.fullmatch(host):
            raise AddressError(f"{host!r} is not a valid IPv6 address")
    else:
        if ":" in authority:
            host, port_text = authority.rsplit(":", 1)
        host = host[:-1] if host.endswith(".") else host  # the root label: `quay.io.` is `quay.io`
        if not host or not _NAME.fullmatch(host):
            raise AddressError(f"{host or whole!r} is not a valid host name")
    port = None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise AddressError(f"port {port_text!r} in {whole!r} is not a number from 1 to 65535")
        port = int(port_text)
    return host.lower(), port


def registry_key(address: Address, plain_http: bool = False) -> str:
    """One spelling per registry, for "is this the same registry" (validate, import)."""
    return address.registry(plain_http)


def is_docker_hub_host(host: str) -> bool:
    """Whether a bare host (no port) is one of Docker Hub's names."""
    return host in _HUB_HOSTS


# -- per consumer: the key it looks an account's registry up by ---------------------------------

def consumer_key(address: Address, consumer: str, plain_http: bool = False) -> str | None:
    """The spelling of `address` under which `consumer` finds the account; None when that
    consumer can never use this registry.

    docker: docker/cli `cli/config/configfile/file.go` `getAuthConfigKey` maps `docker.io` and
      `index.docker.io` to `https://index.docker.io/v1/` and keeps every other domain as it is,
      for `auths` and `credHelpers` alike (`GetCredentialsStore`, `getConfiguredCredentialStore`:
      an exact map lookup). kubectl's dockerconfigjson uses the same key.
    containers-image: containers/image `pkg/docker/config/config.go` `findCredentialsInFile` looks
      `credHelpers` up by the bare registry of the reference, `docker.io` for Hub, exactly; its
      `auths` lookup also normalises keys (`normalizeAuthFileKey`, `normalizeRegistry`), so the
      docker key serves it there.
    drone: drone-runner-docker `internal/docker/image/image.go` `MatchHostname` compares the
      image's `reference.Domain` with the credential address exactly (after `index.docker.io` →
      `docker.io` and cutting an http(s) URL to its host); the runner's reference grammar
      (docker/distribution v2.7.1 `reference/regexp.go` `DomainRegexp`) has no IPv6 host, so an
      IPv6 registry never matches: None.
    kubelet: the plugin's `matchImages` and response `auth` keys are matched against the
      normalised image name (kubernetes `pkg/credentialprovider/plugin/plugin.go`
      `isImageAllowed`, `pkg/credentialprovider/keyring.go` `URLsMatchStr`): Hub is `docker.io`,
      ports compare as strings, so a default port must not be written.
    clouddriver: the account's URL (clouddriver `DockerRegistryNamedAccountCredentials` takes
      `address` as the base of `$address/v2`): scheme kept, Hub at `https://index.docker.io`
      (Halyard's default address).
    """
    hub = address.is_docker_hub(plain_http)
    if consumer == "docker":
        return HUB_V1_KEY if hub else address.registry(plain_http)
    if consumer in ("containers-image", "kubelet"):
        return address.registry(plain_http)
    if consumer == "drone":
        return None if address.ipv6 else address.registry(plain_http)
    if consumer == "clouddriver":
        scheme = "http" if plain_http or address.scheme == "http" else "https"
        return f"{scheme}://{HUB_INDEX if hub else address.registry(plain_http)}"
    raise ValueError(f"unknown consumer {consumer!r}; one of {', '.join(CONSUMERS)}")


def registry_host(address: str, consumer: str = "docker", plain_http: bool = False) -> str | None:
    """consumer_key of an address as written (the templates' `registry_host` filter); raises
    AddressError when it does not parse."""
    return consumer_key(parse_address(address), consumer, plain_http)


def account_key(account: Located, consumer: str) -> str | None:
    """consumer_key for an account; None when its address does not parse (validate reports that)."""
    try:
        address = account.parsed_address
    except AddressError:
        return None
    return consumer_key(address, consumer, account.plain_http)


def account_registry(account: Located) -> str | None:
    """The account's registry identity (`docker.io` for Hub); None when the address does not parse."""
    try:
        return account.parsed_address.registry(account.plain_http)
    except AddressError:
        return None


# -- per consumer: the key it looks an image's domain up by -------------------------------------

def docker_lookup_key(domain: str) -> str:
    """The `auths` / `credHelpers` key docker looks up for an image on `domain`, the domain as
    distribution/reference gives it (docker/cli `configfile.getAuthConfigKey`)."""
    return HUB_V1_KEY if domain in (HUB, HUB_INDEX) else domain


def drone_runner_hostname(address: str) -> str:
    """The host drone-runner-docker compares for a credential's `address` (`MatchHostname`, in
    its order of steps): exactly `index.docker.io` becomes `docker.io`, THEN an `http(s)://`
    URL is cut to Go's `url.URL.Host`; a URL Go refuses is kept as written."""
    if address == HUB_INDEX:
        address = HUB
    if address.startswith(("http://", "https://")):
        parsed = go_url_host_path(address.split("://", 1)[1])
        return address if parsed is None else parsed[0]
    return address


def go_url_host_path(schemeless: str) -> tuple[str, str] | None:
    """(host, path) of `https://<schemeless>` as Go's `net/url.Parse` splits it: `URL.Host`
    (userinfo, up to the last `@`, dropped) and `URL.Path`; None where Go fails: a port that is not digits, an
    unclosed `[`. Used for the kubelet's `ParseSchemelessURL` and the runner's URL addresses."""
    end = min((i for i in (schemeless.find(c) for c in "/?#") if i >= 0), default=len(schemeless))
    rest = schemeless[end:]
    path = rest.split("?", 1)[0].split("#", 1)[0] if rest.startswith("/") else ""
    host = schemeless[:end].rpartition("@")[2]  # net/url `parseAuthority`: userinfo ends at the last @
    if host.startswith("["):
        close = host.find("]")
        if close < 0:
            return None
        port_part = host[close + 1 :]
    else:
        colon = host.rfind(":")
        port_part = host[colon:] if colon >= 0 else ""
    if not re.fullmatch(r"(?::[0-9]*)?", port_part):
        return None
    return host, path


# -- what a credential helper is sent ------------------------------------------------------------

def parse_server_url(text: str) -> Address | None:
    """The registry a credential helper's server URL names, parsed as a WHATWG URL parser reads
    a host: scheme optional (http or https), lower-cased, a trailing dot dropped, a path ignored.
    docker sends its key (`https://index.docker.io/v1/` or `host[:port]`, docker/cli
    `credentials/native_store.go` `Get`), containers/image the bare registry (`docker.io`).

    None for anything a URL parser and a registry could read differently: userinfo (`@`), a
    backslash (WHATWG reads it as `/` in http URLs, Go does not), `%`, `?`, `#`, whitespace,
    control or non-ASCII characters, an empty host or a bad port."""
    if not text or not _PRINTABLE_ASCII.fullmatch(text) or any(c in text for c in "@\\%?#"):
        return None
    scheme, rest = None, text
    if "://" in text:
        scheme, rest = text.split("://", 1)
        scheme = scheme.lower()
        if scheme not in ("http", "https"):
            return None
    authority = rest.split("/", 1)[0]
    try:
        host, port = _host_port(authority, text)
    except AddressError:
        return None
    return Address(scheme, host, port)


def serves(account: Located, url: Address) -> bool:
    """Whether the account's registry is the one a helper's server URL names. A URL without a
    scheme or port takes the account's own default port (docker sends `host` for both)."""
    try:
        address = account.parsed_address
    except AddressError:
        return False
    plain = account.plain_http
    if address.is_docker_hub(plain) and url.host in _HUB_HOSTS:
        return url.port is None or url.port == url.default_port(plain)
    wanted = url.port if url.port is not None else (address.default_port(plain) if url.scheme is None
                                                   else url.default_port())
    return address.host == url.host and address.effective_port(plain) == wanted


# -- what an address implies ----------------------------------------------------------------------

def ecr_parts(host: str) -> tuple[str, str] | None:
    """(registry id, region) for an ECR host, else None."""
    match = _ECR.match(host)
    return (match.group(1), match.group(2)) if match else None


def infer_registry_type(host: str) -> str:
    """The registryType implied by a host; "other" when nothing is implied."""
    if host in _HUB_HOSTS:
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
