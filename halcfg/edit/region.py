"""Change a stretch of the file's text through ruamel's round-trip tree, and splice it back.

ruamel's round trip keeps comments and quoting, but loading and dumping a 1,000-account file
takes seconds. So an edit hands ruamel only the lines it is about — one account, as a
one-item list — and everything outside them stays the original text, untouched and unparsed.
The whole file goes through ruamel only when it cannot be cut into such a stretch (a flow or
JSON list, an empty one, a comment indented oddly): same result, slower.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from halcfg.config import load as loader
from halcfg.edit.splice import line_ending, splice, split_lines
from halcfg.errors import LoadError

_KEY_ONLY = re.compile(r"^( *)(- +)?[^\s#][^#]*?:[ \t]*(#.*)?$")  # "key:" with its value below


def guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) most used under `key:` lines; 2, 4, 2 if none."""
    maps: Counter[int] = Counter()
    seqs: Counter[tuple[int, int]] = Counter()
    parent: int | None = None  # column of the key on the previous `key:` line
    for line in text.split("\n"):
        line = line.rstrip("\r")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        col = len(line) - len(line.lstrip(" "))
        if parent is not None and col >= parent:
            if stripped.startswith("- "):
                content = col + len(stripped) - len(stripped[1:].lstrip(" "))
                seqs[(content - parent, col - parent)] += 1
            elif col > parent:
                maps[col - parent] += 1
        match = _KEY_ONLY.match(line)
        parent = None if match is None else len(match.group(1)) + len(match.group(2) or "")
    mapping = maps.most_common(1)[0][0] if maps else 2
    sequence, offset = seqs.most_common(1)[0][0] if seqs else (mapping + 2, mapping)
    return mapping, sequence, offset


def yaml_for(indent: tuple[int, int, int]) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line that was one line
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def dump(yaml: Any, tree: Any, json_indent: int | None = None, *, whole: bool = False) -> str:
    """The tree as text: YAML in the file's indentation, or JSON when the whole file is a flow
    mapping (JSON). ruamel would write a JSON file as one flow-style line; written as JSON with
    the file's indent instead, an edit changes only the lines it must.
    """
    if whole and tree.fa.flow_style():
        return json.dumps(tree, indent=json_indent, ensure_ascii=False) + "\n"
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def rewrite(text: str, path: Path, change: Callable[[Any], None], *, base: int = 0,
            indent: tuple[int, int, int] | None = None, whole: bool = False) -> str:
    """`text` after `change` edits its ruamel tree in place: the tree is dumped before and after,
    and the difference spliced onto `text`, so every line the change did not touch keeps its
    bytes. `text` is a whole document, or a stretch of one whose lines start at column `base`.

    Should the splice ever mean something other than the dump (ruamel reshaped the lines
    around the edit), the dump wins.
    """
    loadable = "".join(line[base:] if line.startswith(" " * base) else line.lstrip(" ")
                       for line in split_lines(text)) if base else text
    from ruamel.yaml.error import YAMLError

    yaml = yaml_for(indent or guess_indent(loadable))
    try:
        tree = yaml.load(loadable.replace("\r\n", "\n"))
    except YAMLError as error:  # what the strict reader let through and ruamel's round trip refuses
        raise LoadError(f"{path}: cannot edit this file: {str(error).splitlines()[0]}") from None
    nested = re.search(r"\n( +)\S", text) if whole else None
    json_indent = len(nested.group(1)) if nested else None
    before = _shift(dump(yaml, tree, json_indent, whole=whole), base)
    change(tree)
    after = _shift(dump(yaml, tree, json_indent, whole=whole), base)
    if after == before:
        return text
    wanted = None
    for flows in (True, False):  # the user's layout of a changed flow collection, else the dump's
        spliced = splice(text, before, after, flows=flows)
        if spliced == after:
            return spliced
        wanted = wanted or [_data(after, path)]
        if _data(spliced, path) == wanted[0]:
            return spliced
    return after.replace("\n", line_ending(text))


def _shift(text: str, base: int) -> str:
    return "".join(" " * base + line if line.strip() else line for line in split_lines(text)) if base else text


def rewrite_file(text: str, path: Path, change: Callable[[Any], None]) -> str:
    """The whole file through ruamel: for layouts a stretch cannot be cut from."""
    return rewrite(text, path, change, whole=True)


def rewrite_lines(text: str, path: Path, start: int, end: int, base: int, change: Callable[[Any], None],
                  indent: tuple[int, int, int]) -> str:
    """`text` with lines [start, end) — a stretch indented `base` — changed by `change` on the
    stretch's own tree; the rest of the text is neither parsed nor touched."""
    lines = split_lines(text)
    stretch = "".join(lines[start:end])
    changed = rewrite(stretch, path, change, base=base, indent=indent)
    if changed == stretch:
        return text
    if end < len(lines) and not changed.endswith("\n"):
        changed += line_ending(text)
    return "".join(lines[:start]) + changed + "".join(lines[end:])


def insert_lines(text: str, at: int, base: int, block: str) -> str:
    """`block` (dumped at column 0, "\\n" endings) inserted before line `at`, indented `base`,
    in the file's line endings."""
    lines = split_lines(text)
    nl = line_ending(text)
    new = [(" " * base + line + nl) if line.strip() else nl for line in block.rstrip("\n").split("\n")]
    if at >= len(lines) and lines and not lines[-1].endswith("\n"):
        return "".join(lines) + nl + "".join(new).removesuffix(nl)  # no final newline before: none after
    return "".join(lines[:at] + new + lines[at:])


def _data(text: str, path: Path) -> Any:
    try:
        return loader.parse(text, path).data
    except LoadError:
        return None
