"""Drone's global registry file (drone-registry-plugin's DRONE_CONFIG_FILE): a YAML list of
`address`, `username`, `password`, `email`, `aws_access_key_id`, `aws_secret_access_key`.

An ECR address becomes an `ecr` account; its static keys (if any) become `ecr.accessKeyId` and
a 0600 `secretAccessKeyFile`. An `http://` address keeps `plainHttp`. A GCR `_json_key` password
is kept as one line of JSON, because newer clouddriver reads only a password file's first line
(FORMATS.md §1.3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from halcfg.findings import Severity
from halcfg.importers import names
from halcfg.importers.reading import parse_yaml, read_text
from halcfg.importers.source import Candidate, Found
from halcfg.registry.hosts import AddressError, ecr_parts, parse_address
from halcfg.registry.json_key import JSON_KEY_USER, compact_json

KEYS = ("address", "username", "password", "email", "token", "aws_access_key_id", "aws_secret_access_key")


def read(path: Path, deployment: str | None) -> Found:
    tree = parse_yaml(read_text(path), path)
    if not isinstance(tree.data, list):
        raise tree.error([], "not a Drone registry file: the top level must be a list of registries")
    found = Found()
    for index, entry in enumerate(tree.data):
        at = [index]
        if not isinstance(entry, dict):
            raise tree.error(at, "each registry is a mapping with address, username, password")
        for key, value in entry.items():
            if key not in KEYS:
                found.note(Severity.INFO, "import-ignored", tree.location([*at, key]),
                           f"{key}: Drone ignores this key; not imported")
            elif value is not None and not isinstance(value, str):
                raise tree.error([*at, key], f"{key} must be a string")
        address = entry.get("address")
        if not address:
            raise tree.error(at, "the registry has no address")
        try:
            address, dropped = names.address_of(address)
        except AddressError as error:
            raise tree.error([*at, "address"], f"address: {error}") from None
        if dropped:
            found.note(Severity.WARNING, "import-path-dropped", tree.location([*at, "address"]),
                       f"the path {dropped} is dropped; an account covers the whole registry {address}")
        location = tree.location(at)
        if ecr_parts(parse_address(address).host):
            key_id, secret = entry.get("aws_access_key_id"), entry.get("aws_secret_access_key")
            if bool(key_id) != bool(secret):
                raise tree.error(at, "aws_access_key_id and aws_secret_access_key go together")
            ecr: dict[str, Any] = {"accessKeyId": key_id} if key_id else {}
            found.accounts.append(Candidate(names.name_for(address), {"address": address, "ecr": ecr}, location,
                                            secret_access_key=secret or None))
            continue
        if entry.get("token"):
            found.note(Severity.WARNING, "import-ignored", tree.location([*at, "token"]),
                       "token: the registry plugin does not send it; not imported")
        fields: dict[str, Any] = {"address": address}
        if entry["address"].strip().lower().startswith("http://"):
            # the runner pulls from it over plain HTTP (drone-runner-docker matches the URL's host)
            fields["plainHttp"] = True
        for key in ("username", "email"):
            if entry.get(key):
                fields[key] = entry[key]
        password = entry.get("password") or None
        if password and entry.get("username") == JSON_KEY_USER:
            password = one_line_json(password)
        found.accounts.append(Candidate(names.name_for(address), fields, location, password=password))
    return found


def one_line_json(text: str) -> str:
    """A JSON key file as one compact line (same JSON); other text with its trailing newline cut."""
    compact = compact_json(text)
    return text.rstrip("\r\n") if compact is None else compact
