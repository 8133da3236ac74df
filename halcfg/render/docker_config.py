"""Target `docker-config`: docker's config.json (FORMATS.md §4.1), read by docker, skopeo, podman,
buildah and crane.

`auths` holds `{"auth": base64(user:pass)}` per host, as `docker login` saves it; ECR accounts go
to `credHelpers: {host: ecr-login}` (tokens at pull time) unless --inline-ecr; `--helper NAME`
names that helper for every account (docker-credential-halcfg serves them all) and holds no secret.

Keys are registry/hosts' `docker` key (`https://index.docker.io/v1/` for Hub), which docker and
crane look up and which containers/image finds in `auths` by normalising keys. Its `credHelpers`
lookup is exact and by the bare registry (containers/image `pkg/docker/config/config.go`
`findCredentialsInFile`), so a Hub account's helper is also written under `docker.io`.
"""

from __future__ import annotations

import re
from typing import Any

from halcfg.errors import UsageError
from halcfg.findings import Severity
from halcfg.registry.hosts import Located, account_key
from halcfg.render.encode import docker_auth
from halcfg.render.target import Job

ECR_HELPER = "ecr-login"
_HELPER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


def context(job: Job) -> dict[str, Any]:
    helper, inline_ecr = job.options.helper, job.options.inline_ecr
    if helper is not None and not _HELPER_NAME.match(helper):
        raise UsageError(f"--helper {helper!r}: a helper is named by the suffix of docker-credential-<name>")
    if helper is None:
        job.resolver.prefetch([a for a in job.accounts if a.password_sources and (inline_ecr or a.ecr is None)])
    auths: dict[str, dict[str, str]] = {}
    helpers: dict[str, str] = {}
    owners: dict[str, str] = {}
    for account in job.accounts:
        key = account_key(account, "docker")
        if key is None:
            continue
        if key in owners:
            job.finding(Severity.WARNING, "config-host-taken", account,
                        f"{key} already has account {owners[key]!r}'s credentials; config.json holds one per host")
            continue
        if helper is not None or (account.ecr is not None and not inline_ecr):
            for helper_key in _helper_keys(account, key):
                helpers[helper_key] = helper or ECR_HELPER
        else:
            credential = job.credential(account)
            if credential is None:
                continue
            auths[key] = {"auth": docker_auth(credential.username, credential.password)}
        owners[key] = account.name
    config: dict[str, Any] = {"auths": dict(sorted(auths.items()))}
    if helpers:
        config["credHelpers"] = dict(sorted(helpers.items()))
    return {"config": config}


def _helper_keys(account: Located, key: str) -> list[str]:
    """The credHelpers keys every client finds the account's helper under: docker's key, and
    containers/image's bare registry where it differs (Docker Hub's `docker.io`)."""
    bare = account_key(account, "containers-image")
    return [key] if bare in (None, key) else [key, bare]
