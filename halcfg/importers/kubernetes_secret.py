"""Kubernetes image pull Secrets (`kubernetes.io/dockerconfigjson`): one account per registry.

Takes a Secret as YAML or JSON, a `List` of them (what `kubectl get secret -o yaml` prints for
several), or a `---`-separated stream of either (a manifests file, `halcfg render -t kubernetes
--out -`), with the config in `data` (base64) or `stringData`. The Secret's name and namespace
go into each account's `kubernetes` block, so rendering gives the same Secret back.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from halcfg.errors import UsageError
from halcfg.findings import Severity
from halcfg.importers.dockerauths import Parts, read_auths
from halcfg.importers.reading import Tree, dotted, json_value, parse_any, read_text
from halcfg.importers.source import Found

PULL_SECRET = "kubernetes.io/dockerconfigjson"
KEY = ".dockerconfigjson"
LISTS = ("List", "SecretList")


def read(path: Path, deployment: str | None) -> Found:
    trees = parse_any(read_text(path), path)
    if not trees:
        raise UsageError(f"{path}: holds no YAML document")
    found = Found()
    for tree in trees:
        _document(tree, found, alone=len(trees) == 1)
    return found


def _document(tree: Tree, found: Found, *, alone: bool) -> None:
    data = tree.data
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind == "Secret":
        _secret(tree, data, [], found, alone=alone)
    elif kind in LISTS:
        items = data.get("items")
        if not isinstance(items, list):
            raise tree.error(["items"], f"a {kind} without an `items` list")
        for index, item in enumerate(items):
            _secret(tree, item, ["items", index], found, alone=False)
        if not items:
            raise tree.error(["items"], f"the {kind} holds no Secrets")
    elif alone:
        raise tree.error(["kind"] if kind else [], f"not a Kubernetes Secret or List (kind: {kind or 'none'})")
    else:
        found.note(Severity.INFO, "import-not-pull-secret", tree.location(["kind"] if kind else []),
                   f"a {kind or 'document without kind'}, not a Secret; skipped")


def _secret(tree: Tree, secret: Any, at: Parts, found: Found, *, alone: bool) -> None:
    if not isinstance(secret, dict) or secret.get("kind") != "Secret":
        raise tree.error(at, "not a Secret")
    kind = secret.get("type", "Opaque")
    metadata: dict[str, Any] = secret["metadata"] if isinstance(secret.get("metadata"), dict) else {}
    name, namespace = metadata.get("name"), metadata.get("namespace")
    if kind != PULL_SECRET:
        message = f"Secret {name or ''} is of type {kind}, not {PULL_SECRET}".replace("  ", " ")
        if alone:
            raise tree.error([*at, "type"] if "type" in secret else at, message)
        found.note(Severity.INFO, "import-not-pull-secret", tree.location([*at, "type"]), message + "; skipped")
        return
    content, content_at = _content(tree, secret, at)

    def fail(parts: Parts, message: str) -> UsageError:
        return UsageError(f"{tree.describe(content_at)} → {dotted(parts)}: {message}")

    if not isinstance(content, dict) or "auths" not in content:
        raise UsageError(f"{tree.describe(content_at)}: the docker config in it has no `auths`")
    block = {key: value for key, value in (("secretName", name), ("namespace", namespace)) if isinstance(value, str)}
    read_auths(content["auths"], ["auths"], found, lambda parts: tree.location(content_at), fail,
               extra={"kubernetes": block} if block else None)


def _content(tree: Tree, secret: dict[str, Any], at: Parts) -> tuple[Any, Parts]:
    """The decoded docker config of the Secret, and where it is in the file."""
    string_data = secret.get("stringData")
    if isinstance(string_data, dict) and isinstance(string_data.get(KEY), str):
        where = [*at, "stringData", KEY]
        return json_value(string_data[KEY], tree.describe(where)), where
    data = secret.get("data")
    where = [*at, "data", KEY]
    if not isinstance(data, dict) or not isinstance(data.get(KEY), str):
        raise tree.error([*at, "data"] if isinstance(data, dict) else at, f"the Secret has no data[\"{KEY}\"]")
    try:
        raw = base64.b64decode("".join(data[KEY].split()), validate=True)
    except (binascii.Error, ValueError):
        raise tree.error(where, f"data[\"{KEY}\"] is not base64") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise tree.error(where, f"data[\"{KEY}\"] is not UTF-8 JSON") from None
    return json_value(text, tree.describe(where)), where
