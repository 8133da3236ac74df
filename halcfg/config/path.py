"""Which accounts file a command works on: --config/-c, else HALCFG_CONFIG, else ./halcfg.yaml."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_NAME = "halcfg.yaml"
ENV_VAR = "HALCFG_CONFIG"


def config_path(flag: str | None) -> Path:
    return Path(flag or os.environ.get(ENV_VAR) or DEFAULT_NAME)


def user_config_path() -> Path:
    """The accounts file of programs that docker or the kubelet start, whose working folder means
    nothing: HALCFG_CONFIG, else `$XDG_CONFIG_HOME/halcfg/halcfg.yaml`, else
    `~/.config/halcfg/halcfg.yaml` (a relative XDG_CONFIG_HOME is ignored, per the XDG spec)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    root = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(root) if os.path.isabs(root) else Path.home() / ".config"
    return base / "halcfg" / DEFAULT_NAME
