"""Layers point one way (DESIGN.md "Layout"): read the import graph of halcfg/ and fail on an edge
the table below does not allow, as go-containerregistry's depcheck does.

Every import counts, the lazy ones inside functions too: a lazy import is a cheaper edge, not
a different one. To allow a new edge, add it here with the reason in a comment.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest

from tests.support.cli import REPO

PACKAGE = REPO / "halcfg"
COMMON = {"errors", "findings", "files", "redact"}  # the common language, file primitives and redaction

# unit -> what it may import: units (a stage folder or a top-level module) or single modules
# (`redact`). The package root (`halcfg.__version__`) is open to everyone.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "files": {"errors"},
    "redact": set(),
    "findings": set(),
    "resources": set(),
    # renders every stage's results (so it knows their types); no stage imports it
    "report": COMMON | {"config", "probe.result", "match", "render", "importers.run",
                        "edit.transaction.Edited"},  # an edit's payload, for render_edit's type only
    "registry": COMMON,  # a parsed address and a credential in, no accounts model
    "config": COMMON | {"resources", "registry.hosts"},
    "credentials": COMMON | {"config", "registry"},
    "probe": COMMON | {"config", "credentials", "registry"},
    "edit": COMMON | {"config", "resources", "probe"},  # probe: the live check of an edit
    "render": COMMON | {"config", "credentials", "registry", "resources"},
    "match": COMMON | {"config", "registry"},
    # importers.sources: serve drone reads drone-registry-plugin's file with `import --from drone`'s reader
    "serve": COMMON | {"config", "credentials", "registry", "match", "resources", "importers.sources",
                       "importers.names"},
    "importers": COMMON | {"config", "registry", "edit"},  # changes that edit/ applies
    "cli": COMMON | {"report", "resources", "config", "credentials", "registry", "edit", "probe", "render",
                     "match", "serve", "importers", "cli"},
    "main": COMMON | {"cli"},
    "__main__": {"main"},
}

# Edges that exist and are being removed, tolerated until then: add one only with the issue
# that removes it. (registry -> config.model and probe -> report were here until issue 7 removed them.)
KNOWN: set[tuple[str, str]] = set()

# Who may touch the disk. files/ holds the primitives (atomic replace, no-follow reads and
# writes, the lock); edit/ is the only writer of the accounts file and of secrets/, and may use
# the system calls itself (its secret files are made O_EXCL|O_NOFOLLOW inside a checked folder).
# The units in ATOMIC_WRITERS write their own outputs, through files/ only: render (its output
# folders), credentials (the token cache). Nothing else writes.
RAW_WRITERS = {"files", "edit"}
ATOMIC_WRITERS = {"render", "credentials"}

def _unit(module: str) -> str:
    """`halcfg.config.model` -> `config`; `halcfg.report` -> `report`; `halcfg` -> ``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield module, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _imports(tree: ast.Module, module: str) -> Iterator[str]:
    """Every halcfg module `tree` imports, `from x import y` counted as x.y (y may be a module)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.split(".")[0] == "halcfg")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = module.split(".")[: len(module.split(".")) - node.level + (module == "halcfg")]
                base = ".".join([*package, *([node.module] if node.module else [])])
            if base.split(".")[0] == "halcfg":
                yield from (f"{base}.{alias.name}" for alias in node.names)


def _within(target: str, rules: set[str]) -> bool:
    return any(target == rule or target.startswith(rule + ".") for rule in rules)


def _allowed(source: str, target: str) -> bool:
    if target in ("", "__version__", source) or _within(target, {t for s, t in KNOWN if s == source}):
        return True
    rules = ALLOWED.get(source)
    assert rules is not None, f"halcfg/{source} is not in tests/unit/test_layers.py's table: add its rule"
    return _within(target, rules)


def edges() -> set[tuple[str, str, str]]:
    """(importing module, source unit, target as `unit.module...`) for every cross-unit import."""
    out = set()
    for module, tree in _modules():
        source = _unit(module)
        for imported in _imports(tree, module):
            target = ".".join(imported.split(".")[1:])
            if _unit(imported) != source:
                out.add((module, source, target))
    return out


def test_every_import_points_down() -> None:
    bad = sorted(f"{module} imports halcfg.{target}" for module, source, target in edges()
                 if not _allowed(source, target))
    assert bad == [], "forbidden edges (DESIGN.md Layout):\n" + "\n".join(bad)


def test_known_edges_do_not_spread() -> None:
    """A known edge is tolerated where it is, not copied: at most the modules that have it now."""
    for source, target in KNOWN:
        users = {module for module, s, t in edges() if s == source and (t == target or t.startswith(target + "."))}
        assert len(users) <= 2, f"{source} -> {target} spreads to {sorted(users)}"


# Calls that create, replace, remove or write a file or folder.
_RAW_CALLS = {"write_text", "write_bytes", "unlink", "rmdir", "mkdir", "makedirs", "rename", "replace", "remove",
              "touch", "mkstemp", "mkdtemp", "symlink", "link", "chmod", "chown", "rmtree", "copy", "copyfile",
              "move"}
_WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"}
# The primitives of files/ that write (reading ones are open to every unit).
_ATOMIC_CALLS = {"write_atomic", "private_folder", "make_parents", "open_folder", "sweep", "locked"}


def _writes(node: ast.Call) -> str | None:
    """The name of what `node` calls when it writes to the disk, else None."""
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    if name in _RAW_CALLS:
        if name in ("replace", "rename", "remove", "move", "copy") and not (
                isinstance(owner, ast.Name) and owner.id in ("os", "shutil")):
            return None  # str.replace, list.remove, files.folder.replace: not the system calls
        return name
    if name == "open":
        modes = [a.value for a in node.args[1:2] if isinstance(a, ast.Constant)]
        modes += [k.value.value for k in node.keywords if k.arg == "mode" and isinstance(k.value, ast.Constant)]
        if any(isinstance(m, str) and set(m) & set("wax+") for m in modes):
            return name
        flags = {n.attr for a in node.args[1:2] for n in ast.walk(a) if isinstance(n, ast.Attribute)}
        devnull = any(isinstance(a, ast.Attribute) and a.attr == "devnull" for a in node.args[:1])
        if flags & _WRITE_FLAGS and not devnull:  # os.open(os.devnull, O_WRONLY) writes no file
            return name
    return None


def test_only_the_writers_write_files() -> None:
    """The write check is applied to every module: raw writes in files/ and edit/ only, the files/
    writing primitives in edit/, render/ and credentials/ only."""
    bad = []
    for module, tree in _modules():
        unit = _unit(module)
        if unit in RAW_WRITERS:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _writes(node)
            if name is not None:
                bad.append(f"{module}:{node.lineno} {name} (write through halcfg.files)")
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in _ATOMIC_CALLS and unit not in ATOMIC_WRITERS:
                bad.append(f"{module}:{node.lineno} {called} (only {sorted(ATOMIC_WRITERS | RAW_WRITERS)} write)")
    assert bad == [], "\n".join(bad)


@pytest.mark.parametrize(("source", "target"), [
    ("registry", "config.model"), ("probe", "cli.app"), ("config", "edit.document"), ("match", "report"),
    # what tests/unit/probe/test_layers.py held, folded in here
    ("registry", "config"), ("registry", "credentials"), ("registry", "probe"), ("registry", "report"),
    ("registry", "cli"), ("probe", "report"), ("probe", "cli"), ("probe", "edit"),
    # no edge points up: config sits below credentials, credentials below edit
    ("config", "credentials"), ("credentials", "edit"), ("files", "config"), ("redact", "config"),
])
def test_the_table_forbids_what_the_design_forbids(source: str, target: str) -> None:
    assert not _within(target, ALLOWED[source])


def test_no_module_imports_a_private_name_of_another() -> None:
    """Issue 14.6: what one module keeps private (`_name`) is not another's to use; a name another
    module needs is public in its owner, so the owner knows it has users."""
    bad = sorted(f"{module} imports halcfg.{target}" for module, _, target in edges()
                 if target.rsplit(".", 1)[-1].startswith("_") and not target.rsplit(".", 1)[-1].startswith("__"))
    assert bad == [], "private names imported across units:\n" + "\n".join(bad)
