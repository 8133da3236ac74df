"""`match`'s stage: for each image, its registry, normalised name, and which accounts'
credentials apply under one consumer's policy, and why; contested registries say who wins
under each policy, and an account that is that image's registry but that the consumer does
not use says why. Identity comes from registry/hosts; the grammar from match/reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from halcfg.config.model import Account
from halcfg.findings import Finding, Location, Severity, StageResult
from halcfg.match import docker, drone, kubelet
from halcfg.match.reference import Reference, ReferenceError, parse_reference
from halcfg.registry.hosts import (
    HUB_V1_KEY,
    AddressError,
    account_key,
    docker_lookup_key,
    parse_server_url,
    serves,
)

POLICIES = ("drone", "kubelet", "docker")
_DIALECT = {"drone": "drone", "kubelet": "current", "docker": "current"}


@dataclass(frozen=True)
class Match:
    image: str
    host: str | None  # the registry host[:port]; None for an invalid reference
    name: str | None  # normalised repository name, without tag or digest
    account: str | None  # None: no account applies
    reason: str

    def to_json(self) -> dict[str, str | None]:
        return {"image": self.image, "host": self.host, "name": self.name, "account": self.account,
                "reason": self.reason}


def drone_candidates(accounts: Sequence[Account], reference: Reference) -> list[Account]:
    """Accounts whose Drone address the runner matches to `reference`, in file order: the
    order halcfg's extension lists them, so the first is the one the runner uses."""
    return [a for a in accounts if (address := account_key(a, "drone")) and drone.matches(reference, address)]


def kubelet_candidates(accounts: Sequence[Account], reference: Reference) -> list[tuple[Account, str]]:
    """(account, key) pairs the kubelet tries for `reference`, in its order: most specific key
    first, accounts sharing a key in file order."""
    keyed = [(a, kubelet.normalise_key(key)) for a in accounts if (key := account_key(a, "kubelet"))]
    order = kubelet.lookup({key for _, key in keyed}, reference.name)
    return [(a, key) for wanted in order for a, key in keyed if key == wanted]


def match_file(path: Path, images: Sequence[str], policy: str) -> StageResult[list[Match]]:
    """`match_images` over the accounts of the file at `path` that pass the schema (the opener's
    MATCH policy: validate reports the rest).

    Raises LoadError when the file cannot be parsed, UsageError when its provider block is unusable."""
    from halcfg.config.opener import MATCH, open_accounts
    from halcfg.errors import UsageError

    config = open_accounts(path, MATCH).payload.config
    if config is None:
        raise UsageError(f"{path}: the dockerRegistry provider block is not usable; run halcfg validate")
    return match_images(config.accounts, images, policy)


def match_images(accounts: Sequence[Account], images: Sequence[str], policy: str) -> StageResult[list[Match]]:
    """Per image, the accounts whose credentials apply under `policy` (under kubelet one row per
    account tried); an invalid reference is a finding, and so is an account the consumer cannot use."""
    result: StageResult[list[Match]] = StageResult([], list(_unusable(accounts, policy)))
    for image in images:
        try:
            reference = parse_reference(image, _DIALECT[policy])
        except ReferenceError as error:
            result.payload.append(_unreadable(accounts, image, error, policy, result.findings))
            continue
        found = {"drone": _drone, "kubelet": _kubelet, "docker": _docker}[policy](accounts, image, reference)
        result.payload += found
    return result


def _unreadable(accounts: Sequence[Account], image: str, error: ReferenceError, policy: str,
                findings: list[Finding]) -> Match:
    """An image the policy's consumer cannot parse: invalid for everyone (ERROR), or only for
    this consumer's older grammar (Drone), which then gives it no credential (WARNING)."""
    try:
        reference = parse_reference(image)
    except ReferenceError:
        findings.append(Finding(
            Severity.ERROR, "invalid-reference", f"{image!r}: {error}",
            "Write the image as [registry[:port]/]name[:tag][@digest], the repository name in lowercase.",
        ))
        return Match(image, None, None, None, f"invalid reference: {error}")
    findings.append(Finding(
        Severity.WARNING, "consumer-cannot-parse", f"{image!r}: {error}",
        f"{policy} pulls it without credentials; write the image as a repository name on a host it reads.",
    ))
    reason = f"{policy} cannot parse this reference ({error}), so it uses no credential for it"
    return _none(image, reference, reason + _near_misses(accounts, reference, policy, readable=False))


def _unusable(accounts: Sequence[Account], policy: str) -> list[Finding]:
    """Accounts the policy's consumer can never use (an IPv6 registry under Drone), said once."""
    found = []
    for account in accounts:
        try:
            address = account.parsed_address
        except AddressError:
            continue  # validate reports the address
        if account_key(account, policy) is None:
            found.append(Finding(
                Severity.WARNING, "consumer-cannot-use", f"Drone's runner never matches an IPv6 registry "
                f"({address.hostport}): its reference grammar (docker/distribution v2.7.1) has no IPv6 host",
                "Give the registry a DNS name for Drone, or pull its images with another consumer.",
                Location(account=account.name, path=account.key_path),
            ))
    return found


def _drone(accounts: Sequence[Account], image: str, reference: Reference) -> list[Match]:
    found = drone_candidates(accounts, reference)
    if not found:
        return [_none(image, reference, f"no account's Drone address is {reference.domain} (the runner compares "
                      "host:port exactly; paths play no part)" + _near_misses(accounts, reference, "drone"))]
    winner = found[0]
    reason = f"{reference.domain} equals the Drone address of {winner.name} ({_spelling(winner, 'drone')})"
    return [Match(image, reference.domain, reference.name, winner.name, reason + _contest(accounts, reference))]


def _kubelet(accounts: Sequence[Account], image: str, reference: Reference) -> list[Match]:
    found = kubelet_candidates(accounts, reference)
    if not found:
        return [_none(image, reference, f"no account's key matches {reference.name} (host labels by glob, "
                      "equal ports, path prefix; the same key is the plugin's matchImages entry)"
                      + _near_misses(accounts, reference, "kubelet"))]
    contest = _contest(accounts, reference)
    matches = []
    for rank, (account, key) in enumerate(found, 1):
        how = ("matches" if kubelet.key_matches(key, reference.name)
               else "applies by the kubelet's Docker Hub fallback to")
        reason = f"key {key} {how} {reference.name}"
        if len(found) > 1:
            reason = f"{rank} of {len(found)} tried: {reason}"
        matches.append(Match(image, reference.domain, reference.name, account.name, reason + contest))
    return matches


def _docker(accounts: Sequence[Account], image: str, reference: Reference) -> list[Match]:
    key = docker_lookup_key(reference.domain)
    found = docker.candidates(accounts, reference)
    if not found:
        return [_none(image, reference, f"docker looks up the key {key} in auths and credHelpers, and no account "
                      "has it" + _near_misses(accounts, reference, "docker"))]
    winner = found[0]
    reason = f"docker looks up the key {key}, which is account {winner.name}'s ({_spelling(winner, 'docker')})"
    if len(found) > 1:
        reason += f"; config.json holds one entry per key, so {', '.join(a.name for a in found[1:])} are not used"
    return [Match(image, reference.domain, reference.name, winner.name, reason)]


def _near_misses(accounts: Sequence[Account], reference: Reference, policy: str, readable: bool = True) -> str:
    """Why each account that IS the image's registry (by halcfg's identity rules) still does not
    apply under `policy`: never skip an account silently. `readable` is False when the policy's
    consumer could not parse the reference at all (`reference` is then the current dialect's)."""
    url = parse_server_url(reference.domain)
    if url is None:
        return ""
    why = []
    for account in accounts:
        if not serves(account, url):
            continue
        key = account_key(account, policy)
        if key is None:
            why.append(f"{account.name} is that registry, but Drone's runner never matches an IPv6 registry")
        elif not readable:
            why.append(f"{account.name} would be that registry, but {policy} reads no registry from this reference")
        elif policy == "drone":
            why.append(f"{account.name} is that registry, but the runner compares {reference.domain} with "
                       f"its address {key} exactly")
        elif policy == "kubelet":
            why.append(f"{account.name} is that registry, but the kubelet matches {reference.name} against "
                       f"{key} label by label, case and port as written")
        elif key == HUB_V1_KEY:
            why.append(f"{account.name} is that registry, but its config.json key is {key}, which docker looks "
                       "up only for docker.io and index.docker.io images")
        else:
            why.append(f"{account.name} is that registry, but its config.json key is {key}, and docker looks "
                       f"keys up exactly")
    return "".join(f"; {line}" for line in why)


def _none(image: str, reference: Reference, reason: str) -> Match:
    return Match(image, reference.domain, reference.name, None, reason)


def _spelling(account: Account, policy: str) -> str:
    key = account_key(account, policy)
    return f"{key}" if key == account.address else f"{account.address} in the file, looked up as {key}"


def _contest(accounts: Sequence[Account], reference: Reference) -> str:
    """When several accounts claim the image's registry: who wins under each policy."""
    under_drone = [a.name for a in drone_candidates(accounts, reference)]
    under_kubelet = [a.name for a, _ in kubelet_candidates(accounts, reference)]
    if len(under_drone) < 2 and len(under_kubelet) < 2:
        return ""
    drone_says = (f"under drone {under_drone[0]} wins (first in the file of {', '.join(under_drone)})"
                  if under_drone else "under drone none applies")
    kubelet_says = (f"under kubelet {', '.join(under_kubelet)} are tried in that order" if len(under_kubelet) > 1
                    else f"under kubelet only {under_kubelet[0]} applies" if under_kubelet
                    else "under kubelet none applies")
    return f"; {reference.domain} is claimed by several accounts: {drone_says}; {kubelet_says}"
