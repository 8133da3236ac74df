"""The probe's and the registry client's imports point down DESIGN.md's diagram only:
registry/ knows nothing of the accounts model, probe/ never reaches the reporter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "halcfg"
FORBIDDEN = {
    "registry": ("halcfg.config", "halcfg.credentials", "halcfg.probe", "halcfg.report", "halcfg.cli"),
    "probe": ("halcfg.report", "halcfg.cli", "halcfg.edit"),
}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_no_forbidden_edge(stage: str) -> None:
    edges = [
        (module.name, name)
        for module in sorted((PACKAGE / stage).glob("*.py"))
        for name in sorted(imports(module))
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[stage])
    ]
    assert edges == []
