"""`halcfg serve drone` as a drop-in for drone-registry-plugin: its environment settings and its
registry file.

The plugin (drone/drone-registry-plugin, main.go `spec`, read with kelseyhightower/envconfig)
takes DRONE_DEBUG (bool), DRONE_ADDRESS (default ":3000", every interface), DRONE_SECRET
(required) and DRONE_CONFIG_FILE (required): a YAML list of `address`, `username`, `password`,
`email`, `aws_access_key_id`, `aws_secret_access_key` (plugin/registry.go `globalRegistry`,
plugin/plugin.go `parseBytes`). It offers every entry to every request (plugin.go `List`), as
halcfg does for an account without a `drone` block. The file is read by the importer
`halcfg import --from drone` uses (importers/drone.py, through the importers table), and its
entries become accounts in memory; nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from halcfg.config.model import Config, build_config
from halcfg.errors import UsageError

ADDRESS_ENV = "DRONE_ADDRESS"
CONFIG_ENV = "DRONE_CONFIG_FILE"
DEBUG_ENV = "DRONE_DEBUG"
DEFAULT_ADDRESS = ":3000"  # main.go: `default:":3000"`
SOURCE = "drone"  # the importers table's name for Drone's registry file
# Go's strconv.ParseBool, which envconfig uses for a bool field
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
_KEY_ENV = "HALCFG_DRONE_REGISTRY_{index}_AWS_SECRET_ACCESS_KEY"  # in-process only: ecr.secretAccessKeyEnv


@dataclass(frozen=True)
class PluginSettings:
    address: str | None  # DRONE_ADDRESS, None when unset
    config_file: Path | None  # DRONE_CONFIG_FILE, None when unset
    debug: bool


def settings(environ: Mapping[str, str] = os.environ) -> PluginSettings:
    """The plugin's settings from the environment; a DRONE_DEBUG Go would not parse is an error, as
    the plugin's `envconfig.Process` failing is."""
    debug = environ.get(DEBUG_ENV, "")
    if debug and debug not in _TRUE | _FALSE:
        raise UsageError(f"{DEBUG_ENV}={debug!r} is not a boolean (true, false, 1, 0, t, f)")
    return PluginSettings(environ.get(ADDRESS_ENV) or None, Path(environ[CONFIG_ENV]) if environ.get(CONFIG_ENV)
                          else None, debug in _TRUE)


def load_registry_file(path: Path) -> Config:
    """The plugin's registry file as a Config of accounts without a `drone` block; a file the
    importer refuses is a UsageError saying `file:line:col`."""
    from halcfg.importers import names
    from halcfg.importers.sources import SOURCES

    found = SOURCES[SOURCE](path, None)
    accounts: list[dict[str, Any]] = []
    taken: set[str] = set()
    for index, candidate in enumerate(found.accounts):
        name = names.unique(candidate.name, taken)
        taken.add(name)
        account: dict[str, Any] = {"name": name, **candidate.fields}
        if candidate.password:
            account["password"] = candidate.password
        if candidate.secret_access_key:  # the ECR refresh reads it from an environment variable
            variable = _KEY_ENV.format(index=index)
            os.environ[variable] = candidate.secret_access_key
            account["ecr"] = {**account.get("ecr", {}), "secretAccessKeyEnv": variable}
        accounts.append(account)
    document = {"version": 1, "providers": {"dockerRegistry": {"enabled": True, "accounts": accounts}}}
    return build_config(path, document)
