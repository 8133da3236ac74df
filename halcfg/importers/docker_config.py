"""docker's `~/.docker/config.json`: `auths`, and `credHelpers` that name ecr-login.

Precedence is docker's (FORMATS.md §4.1): a host's credential helper wins over its `auths`
entry. Other helpers and `credsStore` keep their secrets outside the file, so those hosts are
reported as not importable.
"""

from __future__ import annotations

from pathlib import Path

from halcfg.findings import Severity
from halcfg.importers import names
from halcfg.importers.dockerauths import ecr_candidate, is_ecr, read_auths
from halcfg.importers.reading import parse_json, read_text
from halcfg.importers.source import Found
from halcfg.registry.hosts import AddressError, CredentialsInAddress

ECR_HELPER = "ecr-login"


def read(path: Path, deployment: str | None) -> Found:
    tree = parse_json(read_text(path), path)
    data = tree.data
    if not isinstance(data, dict) or not {"auths", "credHelpers", "credsStore"} & data.keys():
        raise tree.error([], "not a docker config.json: it has no `auths`, `credHelpers` or `credsStore`")
    found = Found()
    helpers = data.get("credHelpers") or {}
    if not isinstance(helpers, dict):
        raise tree.error(["credHelpers"], "credHelpers is not a mapping of registry to helper")
    if "auths" in data:
        read_auths(data["auths"], ["auths"], found, tree.location, tree.error, skip=lambda key: key in helpers)
    for key, helper in helpers.items():
        where = tree.location(["credHelpers", key])
        try:
            address = names.address_of(str(key))[0]
        except CredentialsInAddress as error:
            raise tree.error(["credHelpers"], f"a registry key {error}") from None
        except AddressError as error:
            raise tree.error(["credHelpers", key], f"{key!r} is not a registry host: {error}") from None
        if helper == ECR_HELPER and is_ecr(address):
            found.accounts.append(ecr_candidate(address, where))
        else:
            found.note(Severity.WARNING, "import-helper", where,
                       f"{key}: its credentials live in docker-credential-{helper}, not in this file; not importable",
                       "add it with `halcfg account add` and a --password-command that asks the helper")
    store = data.get("credsStore")
    if isinstance(store, str) and store:
        found.note(Severity.WARNING, "import-helper", tree.location(["credsStore"]),
                   f"credentials kept in docker-credential-{store} are not in this file; not importable",
                   "add those accounts with `halcfg account add`")
    return found
