"""Read a foreign file without trusting it: regular files only, size-capped, parsed safely.

YAML goes through the accounts loader (libyaml events, no tags, alias expansion bounded,
duplicate keys refused) so every error and every later complaint can say `file:line:col`;
JSON through the standard parser, whose errors carry line and column too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from halcfg.config import load as loader
from halcfg.errors import UsageError
from halcfg.files import regular
from halcfg.findings import Location

MAX_BYTES = 4 * 1024 * 1024  # a halconfig with every provider is tens of KB; a Secret list, hundreds


@dataclass
class Tree:
    """Plain data from a foreign file, and how to say where a part of it is."""

    path: Path
    data: Any
    positions: loader.Document | None = None  # YAML: line and column of every node

    def location(self, parts: Sequence[str | int]) -> Location:
        """Line and column of the node at `parts` (YAML), and its path either way."""
        line, col = (self.positions.locate(parts) or (1, 1)) if self.positions is not None else (None, None)
        return Location(str(self.path), line, col, path=tuple(parts) or None)

    def error(self, parts: Sequence[str | int], message: str) -> UsageError:
        return UsageError(f"{where(self.location(parts))}: {message}")

    def describe(self, parts: Sequence[str | int]) -> str:
        """`file:line:col: path` (YAML) or `file: path` (JSON): for text nested inside a value."""
        location = self.location(parts)
        return where(location) if location.line is None else f"{where(location)}: {dotted(location.path or ())}"


def where(location: Location) -> str:
    """`file:line:col` (YAML), or `file: auths["quay.io"].auth` (JSON, where lines are not kept)."""
    if location.line is not None or not location.path:
        return location.where()
    return f"{location.file}: {dotted(location.path)}"


def dotted(parts: Sequence[str | int]) -> str:
    """`auths["quay.io"].auth`: a path readers can follow in a JSON file."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("_", "").replace("-", "").isalnum():
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def read_text(path: Path) -> str:
    """The file's text; UsageError for anything but a readable regular UTF-8 file of sane size
    (a FIFO or a device is refused, never read forever)."""
    try:
        raw = regular.read(path, MAX_BYTES)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror}") from None
    if not raw.strip():
        raise UsageError(f"{path}: file is empty")
    return loader.decode(raw, path)


def parse_yaml(text: str, path: Path) -> Tree:
    document = loader.parse(text, path)
    return Tree(path, document.data, document)


_DOCUMENT_START = re.compile(r"^---(?=[ \t]|$)", re.MULTILINE)  # at column 0 always a marker, even after a block scalar


def parse_yaml_stream(text: str, path: Path) -> list[Tree]:
    """Every document of a YAML stream (`kubectl get -o yaml` of one object, a `---`-separated
    file, `halcfg render -t kubernetes --out -`), each parsed alone by the accounts loader. A
    document keeps its place: earlier lines become blank lines and the marker spaces, so every
    `file:line:col` is the stream's. Empty documents are left out."""
    starts = [m.start() for m in _DOCUMENT_START.finditer(text)]
    bounds = [0, *starts] if not starts or starts[0] != 0 else starts
    trees = []
    for begin, end in zip(bounds, [*bounds[1:], len(text)], strict=True):
        chunk = text[begin:end]
        if chunk.startswith("---"):
            chunk = "   " + chunk[3:]
        if not chunk.strip() or all(line.lstrip().startswith("#") or not line.strip() for line in chunk.splitlines()):
            continue
        tree = parse_yaml("\n" * text.count("\n", 0, begin) + chunk, path)
        if tree.data is not None:
            trees.append(tree)
    return trees


def parse_json(text: str, path: Path) -> Tree:
    return Tree(path, json_value(text, str(path), nested=False))


def json_value(text: str, where: str, *, nested: bool = True) -> Any:
    """`text` as JSON. `where` is the file, or (`nested`) the place in it that held the text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        at = f"{where}: " + (f"line {error.lineno} column {error.colno}: " if nested else "")
        if not nested:
            at = f"{where}:{error.lineno}:{error.colno}: "
        raise UsageError(f"{at}not valid JSON: {error.msg}") from None
    except RecursionError:
        raise UsageError(f"{where}: nests too deep to be a credentials file") from None


def parse_any(text: str, path: Path) -> list[Tree]:
    """JSON when the text starts like JSON, else every document of the YAML stream."""
    return [parse_json(text, path)] if text.lstrip().startswith(("{", "[")) else parse_yaml_stream(text, path)
