"""Which accounts file a command works on: --config/-c, else HALCFG_CONFIG, else ./halcfg.yaml."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_NAME = "halcfg.yaml"
ENV_VAR = "HALCFG_CONFIG"


def config_path(flag: str | None) -> Path:
    return Path(flag or os.environ.get(ENV_VAR) or DEFAULT_NAME)
