"""`match`'s stage: for each image, its registry, normalised name, and which accounts'
credentials apply under one consumer's policy, and why; contested registries say who wins
under each policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from halcfg.config.model import Account
from halcfg.findings import Finding, Severity, StageResult
from halcfg.match import drone, kubelet
from halcfg.match.reference import Reference, ReferenceError, parse_reference

POLICIES = ("drone", "kubelet")


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
    return [a for a in accounts if (address := drone.drone_address(a)) and drone.matches(reference, address)]


def kubelet_candidates(accounts: Sequence[Account], reference: Reference) -> list[tuple[Account, str]]:
    """(account, key) pairs the kubelet tries for `reference`, in its order: most specific key
    first, accounts sharing a key in file order."""
    keyed = [(a, kubelet.normalise_key(key)) for a in accounts if (key := kubelet.account_key(a))]
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
    account tried); an invalid reference is a finding."""
    result: StageResult[list[Match]] = StageResult([])
    for image in images:
        try:
            reference = parse_reference(image)
        except ReferenceError as error:
            result.payload.append(Match(image, None, None, None, f"invalid reference: {error}"))
            result.findings.append(Finding(
                Severity.ERROR, "invalid-reference", f"{image!r}: {error}",
                "Write the image as [registry[:port]/]name[:tag][@digest], the repository name in lowercase.",
            ))
            continue
        result.payload += _drone(accounts, image, reference) if policy == "drone" else _kubelet(
            accounts, image, reference)
    return result


def _drone(accounts: Sequence[Account], image: str, reference: Reference) -> list[Match]:
    found = drone_candidates(accounts, reference)
    if not found:
        return [_none(image, reference, f"no account's Drone address is {reference.domain} "
                                        "(the runner compares host:port exactly; paths play no part)")]
    winner = found[0]
    reason = f"{reference.domain} equals the Drone address of {winner.name} ({_spelling(winner)})"
    return [Match(image, reference.domain, reference.name, winner.name, reason + _contest(accounts, reference))]


def _kubelet(accounts: Sequence[Account], image: str, reference: Reference) -> list[Match]:
    found = kubelet_candidates(accounts, reference)
    if not found:
        return [_none(image, reference, f"no account's key matches {reference.name} (host labels by glob, "
                                        "equal ports, path prefix; Docker Hub falls back to index.docker.io)")]
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


def _none(image: str, reference: Reference, reason: str) -> Match:
    return Match(image, reference.domain, reference.name, None, reason)


def _spelling(account: Account) -> str:
    address = drone.drone_address(account)
    return address if address == account.address else f"{account.address} in the file, sent as {address}"


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
