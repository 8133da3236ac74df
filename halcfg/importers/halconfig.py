"""Halyard's `~/.hal/config`: the docker-registry accounts of one deployment.

Every field Halyard models is kept under its own name (halcfg's file uses Halyard's names);
a plaintext `password` moves to a 0600 file. kork-secrets references (`encrypted:…`,
`encryptedFile:…`, in password, passwordFile or username) stay as they are: Spinnaker resolves
them, halcfg passes them through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from halcfg.config.fields import order as key_order
from halcfg.config.references import REFERENCE_KEYS, RESOLVED_HERE, is_secret_reference
from halcfg.errors import closest
from halcfg.findings import Severity
from halcfg.importers import names
from halcfg.importers.reading import Tree, parse_yaml, read_text
from halcfg.importers.source import Candidate, Found

PROVIDER = ("providers", "dockerRegistry")
# Halyard fields clouddriver never uses; said so instead of dropped silently
UNUSED = {"dockerconfigFile": "clouddriver accepts dockerconfigFile but never reads it for credentials"}


def read(path: Path, deployment: str | None) -> Found:
    tree = parse_yaml(read_text(path), path)
    data = tree.data
    if not isinstance(data, dict) or not isinstance(data.get("deploymentConfigurations"), list):
        raise tree.error([], "not a halconfig: it has no deploymentConfigurations list")
    index = _deployment(tree, deployment)
    at: list[str | int] = ["deploymentConfigurations", index]
    node: Any = data["deploymentConfigurations"][index]
    for key in PROVIDER:
        node = node.get(key) if isinstance(node, dict) else None
        at.append(key)
    found = Found(named=True)
    if node is None:
        return found
    if not isinstance(node, dict):
        raise tree.error(at, "providers.dockerRegistry is not a mapping")
    if node.get("enabled") is False:
        found.note(Severity.INFO, "import-provider-disabled", tree.location([*at, "enabled"]),
                   "the docker-registry provider is disabled in this deployment; the accounts file keeps its own "
                   "`enabled`")
    accounts = node.get("accounts") or []
    if not isinstance(accounts, list):
        raise tree.error([*at, "accounts"], "accounts is not a list")
    for i, account in enumerate(accounts):
        found.accounts.append(_account(tree, account, [*at, "accounts", i], found))
    primary = node.get("primaryAccount")
    found.primary = names.valid(primary) if isinstance(primary, str) else None
    return found


def _deployment(tree: Tree, wanted: str | None) -> int:
    """Index of the deployment named `wanted`, else of currentDeployment, else the only one."""
    deployments = tree.data["deploymentConfigurations"]
    labels = [d.get("name") if isinstance(d, dict) else None for d in deployments]
    known = [str(label) for label in labels if label is not None]
    name = wanted or tree.data.get("currentDeployment")
    if name is None:
        if len(deployments) == 1:
            return 0
        raise tree.error(["deploymentConfigurations"], f"several deployments ({', '.join(known)}) "
                         "and no currentDeployment; pick one with --deployment")
    if name in labels:
        return labels.index(name)
    close = closest(str(name), known)
    hint = f"; did you mean {close!r}?" if close else f" (it has: {', '.join(known) or 'none'})"
    at = [] if wanted else ["currentDeployment"]
    raise tree.error(at, f"no deployment named {name!r}{hint}")


def _account(tree: Tree, raw: Any, at: list[str | int], found: Found) -> Candidate:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise tree.error(at, "an account must be a mapping with a name")
    name = raw["name"]
    if names.valid(name) != name:
        found.note(Severity.WARNING, "import-renamed", tree.location([*at, "name"]),
                   f"account name {name!r} is not valid in Spinnaker; imported as {names.valid(name)!r}")
    known = key_order()
    fields = {key: raw[key] for key in known if key != "name" and raw.get(key) is not None}
    for key, value in raw.items():
        if key not in known and value is not None:
            reason = UNUSED.get(key, "halcfg has no such account field")
            found.note(Severity.WARNING, "import-ignored", tree.location([*at, key]),
                       f"account {name!r}: {key} is not imported: {reason}")
    password = fields.pop("password", None)
    if isinstance(password, int | float) and not isinstance(password, bool):
        password = str(password)  # `password: 12345` is a string to Halyard
    if isinstance(password, str) and is_secret_reference(password):
        fields["password"] = password
        password = None
    for key, what in REFERENCE_KEYS.items():  # kork resolves any property, a username too (Halyard keeps it)
        if is_secret_reference(fields.get(key)):
            engine = fields[key].split("!")[0]
            found.note(Severity.INFO, "import-secret-reference", tree.location([*at, key]),
                       f"account {name!r}: {key} is a Spinnaker secret reference ({engine}!…), kept as it is: "
                       + (f"Spinnaker targets keep it, and halcfg resolves it where it needs the {what}"
                          if engine.partition(":")[2] in RESOLVED_HERE else
                          "halcfg passes it through to Spinnaker targets but cannot resolve it, "
                          "so `halcfg probe` checks the registry without credentials"))
    return Candidate(names.valid(name), fields, tree.location(at),
                     password=password if isinstance(password, str) and password else None)
