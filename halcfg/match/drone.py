"""Drone's runner: which registry credential applies to an image (drone-runner-docker
`internal/docker/image/image.go` `MatchHostname`, called per step in `engine/compiler/compiler.go`,
where the first credential in the list that matches wins).

The image is read in the runner's dialect (match/reference `drone`); the credential's address as
the runner reads it comes from registry/hosts (`drone_runner_hostname`); the two compare
exactly: ports must agree, paths play no part, case matters.
"""

from __future__ import annotations

from halcfg.match.reference import Reference
from halcfg.registry.hosts import drone_runner_hostname


def matches(reference: Reference, address: str) -> bool:
    """Whether Drone's runner uses a credential for `address` to pull `reference` (parsed in
    the drone dialect)."""
    return reference.domain == drone_runner_hostname(address)
