"""halcfg's pull-time programs as their clients find them: `docker-credential-halcfg` on PATH
(a shim running this checkout, so tests work with and without `pip install`), an accounts file
named by HALCFG_CONFIG, and a home, cache folder and AWS setup of the test's own."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from .cli import REPO

HELPER = "docker-credential-halcfg"
HELPER_MODULE = "halcfg.serve.docker_helper"


def install_shim(bin_dir: Path) -> Path:
    """`bin_dir/docker-credential-halcfg`: execs this interpreter on the helper module of this checkout."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / HELPER
    shim.write_text(
        "#!/bin/sh\n"
        f"PYTHONPATH={shlex.quote(str(REPO))}${{PYTHONPATH:+:$PYTHONPATH}} "
        f'exec {shlex.quote(sys.executable)} -m {HELPER_MODULE} "$@"\n'
    )
    shim.chmod(0o755)
    return shim


def helper_env(root: Path, config: Path, bin_dir: Path | None = None) -> dict[str, str]:
    """The environment docker would run the helper in, confined to `root`: its own HOME and
    cache folder, no ambient AWS identity or endpoint, never the instance metadata service."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "XDG_", "REGISTRY_AUTH", "HALCFG_")) and k != "PYTHONPATH"}
    (root / "home").mkdir(parents=True, exist_ok=True)
    env.update({
        "HOME": str(root / "home"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "HALCFG_CONFIG": str(config),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(root / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(root / "no-aws-credentials"),
    })
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    return env


def write_accounts(path: Path, *accounts: dict[str, Any]) -> Path:
    """An accounts file (JSON is YAML) holding `accounts`."""
    document = {"version": 1, "providers": {"dockerRegistry": {"enabled": True, "accounts": list(accounts)}}}
    path.write_text(json.dumps(document, indent=2))
    return path


def auth_file(path: Path, *hosts: str) -> Path:
    """A containers/docker auth file holding only `credHelpers: {host: halcfg}`."""
    path.write_text(json.dumps({"credHelpers": dict.fromkeys(hosts, "halcfg")}))
    return path
