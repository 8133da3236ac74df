"""Read an accounts file into plain data plus the line and column of every key and item.

validate runs on every commit, so this builds Python objects straight from libyaml's event
stream (ruamel.yaml.clib's CParser) instead of going through ruamel's node composer and
constructor, which cost most of the time on a large file. Positions come free with the
events, so a finding can point at `file:line:col` without a second parse.

Scalars resolve as YAML 1.2's core schema does (ruamel's default): `yes` is a string,
`true` a boolean. Anything hostile (duplicate keys, an alias bomb, a huge file, bytes that
are not UTF-8, control characters, nesting past MAX_DEPTH, numbers thousands of digits long, keys
that are not text) is a LoadError naming the spot, never a traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from halcfg.config.path import init_hint
from halcfg.errors import LoadError

MAX_BYTES = 8 * 1024 * 1024  # a 1,000-account file is ~250 KB; anything near this is a mistake
MAX_NODES = 1_000_000  # nodes after alias expansion: stops billion-laughs documents
MAX_DEPTH = 64  # nested collections: the schema needs 5; every later stage may then recurse freely
MAX_NUMBER = 100  # characters in a plain number: far past any port or timeout, and cheap to print

Position = tuple[int, int]  # 1-based line, column

_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL = {
    "": None, "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    ".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
    "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
    "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
    ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
}
_STR_TAGS = {"tag:yaml.org,2002:str", "!"}
_NOT_SPECIAL = object()
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


@dataclass
class Document:
    """Plain data (dicts, lists, scalars) and where each part of it stands in the file."""

    path: Path
    data: Any
    # id(mapping) -> {key: (key mark, value mark)}; id(list) -> [item mark, ...]; libyaml's marks
    # (0-based line and column), turned into positions only for the few places a finding needs
    marks: dict[int, Any]

    def locate(self, parts: Sequence[str | int], *, key: bool = False) -> Position | None:
        """Where the value at `parts` starts (its key, with key=True); the nearest known ancestor
        when the path runs out (a missing required key points at its mapping)."""
        node, found = self.data, (1, 1)
        for i, part in enumerate(parts):
            table = self.marks.get(id(node))
            if table is None:  # a scalar, or a node the parser kept no marks for
                break
            try:
                if isinstance(node, dict):
                    key_mark, value_mark = table[part]
                    mark = key_mark if key and i == len(parts) - 1 else value_mark
                else:
                    mark = table[part]
                found = (mark.line + 1, mark.column + 1)
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
        return found


def read_text(path: Path) -> str:
    """The file as text; LoadError for a missing, huge, non-regular or non-UTF-8 file."""
    from halcfg.files import regular

    try:
        raw = regular.read(path, MAX_BYTES)
    except FileNotFoundError:
        raise LoadError(f"{path}: no such file (create one with `{init_hint(path)}`)") from None
    except IsADirectoryError:
        raise LoadError(f"{path}: is a directory, not an accounts file") from None
    except regular.FileTooLarge:
        raise LoadError(f"{path}: file is over {MAX_BYTES // 2**20} MiB; accounts files are not this large") from None
    except OSError as error:
        raise LoadError(f"{path}: cannot read: {error.strerror}") from None
    return decode(raw, path)


def decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        col = error.start - (before.rfind(b"\n") + 1) + 1
        raise LoadError(
            f"{path}:{line}:{col}: byte 0x{raw[error.start]:02x} is not UTF-8; save the file as UTF-8"
        ) from None


def load(path: Path) -> Document:
    return parse(read_text(path), path)


def parse(text: str, path: Path) -> Document:
    """Build the document from `text`; LoadError (with file:line:col) if it is not one YAML mapping
    or list of plain data."""
    if len(text) > MAX_BYTES:
        raise LoadError(f"{path}: text is over {MAX_BYTES // 2**20} MiB; accounts files are not this large")
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    try:
        return _Builder(path).build(text)
    except MarkedYAMLError as error:
        raise LoadError(_yaml_error_line(path, text, error)) from None
    except ReaderError as error:  # a character YAML forbids (NUL, other control bytes)
        line, col = _position(text, error.position)
        raise LoadError(
            f"{path}:{line}:{col}: character U+{error.character:04X} is not allowed in YAML ({error.reason}); "
            "remove it, or write it as an escape inside double quotes"
        ) from None
    except YAMLError as error:  # anything else libyaml refuses, still as one line
        raise LoadError(f"{path}: not YAML: {str(error).splitlines()[0]}") from None


def _position(text: str, index: int) -> Position:
    """1-based line and column of character `index` (any of YAML's line breaks ends a line)."""
    before = text[:index]
    start = max(before.rfind("\n"), before.rfind("\r")) + 1
    return before.count("\n") + before.count("\r") - before.count("\r\n") + 1, index - start + 1


def _yaml_error_line(path: Path, text: str, error: Any) -> str:
    """libyaml's complaint as one `file:line:col: problem` line, with a hint for the usual causes."""
    mark, context = error.problem_mark or error.context_mark, error.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    problem = error.problem or error.context or "invalid YAML"
    if error.context and error.problem:
        problem = f"{problem} {error.context}"
        if context is not None and (context.line, context.column) != (mark.line, mark.column):
            problem += f" that starts at {context.line + 1}:{context.column + 1}"
    if mark is not None and "\t" in _line(text, mark.line)[: mark.column + 1]:
        problem += " (a tab: YAML indents with spaces)"
    return f"{where}: {problem}"


def _line(text: str, index: int) -> str:
    lines = text.split("\n", index + 1)
    return lines[index] if index < len(lines) else ""


def _plain(value: str) -> Any:
    """A plain (unquoted, untagged) scalar's value under YAML 1.2's core schema."""
    special = _SPECIAL.get(value, _NOT_SPECIAL)
    if special is not _NOT_SPECIAL:
        return special
    first = value[0]
    if first.isdigit() or first in "-+.":
        if len(value) > MAX_NUMBER and (_INT.fullmatch(value) or _HEX.fullmatch(value) or _OCT.fullmatch(value)
                                        or _FLOAT.fullmatch(value)):
            raise _NumberTooLong(value)
        if _INT.fullmatch(value):
            return int(value)
        if _FLOAT.fullmatch(value):
            return float(value)
        if _OCT.fullmatch(value):
            return int(value[2:], 8)
        if _HEX.fullmatch(value):
            return int(value[2:], 16)
    return value


class _NumberTooLong(Exception):
    """A plain scalar that reads as a number of more than MAX_NUMBER characters."""


class _Builder:
    """Turns libyaml events into plain data, recording positions and bounding alias expansion."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.marks: dict[int, Any] = {}
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # anchor -> (value, expanded nodes, height)
        self.nodes = 0
        self.stack: list[_Frame] = []
        self.scalar_mark: Any = None

    def where(self, mark: Any) -> str:
        return f"{self.path}:{mark.line + 1}:{mark.column + 1}"

    def build(self, text: str) -> Document:
        from ruamel.yaml import events

        try:
            from _ruamel_yaml import CParser as parser_class
        except ImportError:  # no C extension (PyPy, or a broken install): same events, slower
            from ruamel.yaml.main import YAML

            parser_class = _pure_parser(YAML)

        parser = parser_class(text)
        root = _Frame([], [], None)
        self.stack = [root]
        try:
            self.read_events(parser.get_event, events)
        except _NumberTooLong as error:
            raise LoadError(
                f"{self.where(self.scalar_mark)}: a number {len(str(error)):,} characters long; "
                "numbers in an accounts file are short (quote it if it is text)"
            ) from None
        if not root.container or root.container[0] is None:
            raise LoadError(f"{self.path}: file is empty; start one with `{init_hint(self.path)}`")
        return Document(self.path, root.container[0], self.marks)

    def read_events(self, get_event: Any, events: Any) -> None:
        scalar, mapping_start, sequence_start, alias = (
            events.ScalarEvent, events.MappingStartEvent, events.SequenceStartEvent, events.AliasEvent,
        )
        collection_end = (events.MappingEndEvent, events.SequenceEndEvent)
        stack = self.stack
        documents = 0
        while True:
            event = get_event()
            kind = type(event)
            if kind is scalar:
                value = event.value
                mark = self.scalar_mark = event.start_mark
                if event.ctag is not None:
                    if event.tag not in _STR_TAGS:
                        raise LoadError(
                            f"{self.where(mark)}: tag {event.tag} is not supported; "
                            "accounts files hold plain data"
                        )
                elif not event.style and event.implicit[0]:
                    value = _plain(value)
                self.nodes += 1
                if event.anchor:
                    self.anchors[event.anchor] = (value, 1, 0)
                frame = stack[-1]
                if frame.is_map:  # the common case, inlined: a key or its value
                    if frame.key_mark is None:
                        if type(value) is not str:
                            raise self.key_error(event.value, value, mark)
                        frame.key, frame.key_mark = value, mark
                        continue
                    key = frame.key
                    if key not in frame.container and key != "<<":
                        frame.container[key] = value
                        frame.table[key] = (frame.key_mark, mark)
                        frame.key_mark = None
                        continue
                self.add(frame, value, mark)
            elif kind is mapping_start or kind is sequence_start:
                if event.ctag is not None and event.tag not in _COLLECTION_TAGS:
                    raise LoadError(f"{self.where(event.start_mark)}: tag {event.tag} is not supported")
                if len(stack) > MAX_DEPTH:
                    raise self.depth_error(event.start_mark)
                container: Any = {} if kind is mapping_start else []
                table: Any = {} if kind is mapping_start else []
                self.marks[id(container)] = table
                self.nodes += 1
                stack.append(_Frame(container, table, event.start_mark, event.anchor, self.nodes))
            elif kind in collection_end:
                frame = stack.pop()
                parent = stack[-1]
                parent.height = max(parent.height, frame.height + 1)
                if frame.anchor:
                    self.anchors[frame.anchor] = (frame.container, self.nodes - frame.first_node + 1, frame.height)
                self.add(parent, frame.container, frame.mark)
            elif kind is alias:
                mark = event.start_mark
                if event.anchor not in self.anchors:
                    raise LoadError(f"{self.where(mark)}: alias *{event.anchor} has no anchor before it")
                value, size, height = self.anchors[event.anchor]
                self.nodes += size
                if self.nodes > MAX_NODES:
                    raise LoadError(
                        f"{self.where(mark)}: aliases expand past {MAX_NODES:,} nodes (an alias bomb?)"
                    )
                if len(stack) + height > MAX_DEPTH + 1:
                    raise self.depth_error(mark)
                frame = stack[-1]
                frame.height = max(frame.height, height + 1)
                self.add(frame, value, mark)
            elif kind is events.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise LoadError(
                        f"{self.where(event.start_mark)}: a second YAML document; "
                        "an accounts file holds exactly one"
                    )
            elif kind is events.StreamEndEvent:
                break

    def depth_error(self, mark: Any) -> LoadError:
        return LoadError(f"{self.where(mark)}: nested more than {MAX_DEPTH} levels deep; accounts files are shallow")

    def key_error(self, source: str, value: Any, mark: Any) -> LoadError:
        """Keys are names: `null:`, `1:` or `true:` would be a null, number or boolean key."""
        kind = "null" if value is None else "true/false" if isinstance(value, bool) else "a number"
        return LoadError(
            f"{self.where(mark)}: key {source!r} reads as {kind}, not text; keys are names (quote it if that is meant)"
        )

    def add(self, frame: _Frame, value: Any, mark: Any) -> None:
        container = frame.container
        if type(container) is list:
            container.append(value)
            frame.table.append(mark)
            return
        if frame.key_mark is None:  # this value is a key
            if isinstance(value, (dict, list)):
                raise LoadError(f"{self.where(mark)}: a mapping key must be a plain value")
            if type(value) is not str:  # an alias of a null, number or boolean
                raise self.key_error(json.dumps(value), value, mark)
            frame.key, frame.key_mark = value, mark
            return
        key, key_mark = frame.key, frame.key_mark
        frame.key = frame.key_mark = None
        if key == "<<":
            self.merge(frame, value, mark)
            return
        if key in container and key not in frame.merged:
            first = frame.table[key][0].line + 1
            raise LoadError(f"{self.where(key_mark)}: duplicate key {key!r} (first at line {first})")
        frame.merged.discard(key)
        container[key] = value
        frame.table[key] = (key_mark, mark)

    def merge(self, frame: _Frame, value: Any, mark: Any) -> None:
        """YAML merge keys (`<<: *defaults`): the mapping's own keys win, wherever they stand."""
        for source in value if isinstance(value, list) else [value]:
            if not isinstance(source, dict):
                raise LoadError(f"{self.where(mark)}: `<<` merges mappings only, not {json.dumps(source)[:40]}")
            source_marks = self.marks.get(id(source), {})
            for key, item in source.items():
                if key not in frame.container:
                    frame.container[key] = item
                    frame.table[key] = source_marks.get(key, (mark, mark))
                    frame.merged.add(key)


class _Frame:
    """A mapping or sequence being built, with the key waiting for its value."""

    __slots__ = ("anchor", "container", "first_node", "height", "is_map", "key", "key_mark", "mark", "merged",
                 "table")

    def __init__(self, container: Any, table: Any, mark: Any, anchor: str | None = None, first_node: int = 0):
        self.container, self.table, self.mark = container, table, mark
        self.is_map = type(container) is dict
        self.anchor, self.first_node = anchor, first_node
        self.key: Any = None
        self.key_mark: Any = None
        self.height = 0  # collections nested inside, for the depth bound through aliases
        self.merged: set[Any] = set()


def _pure_parser(yaml_class: Any) -> Any:
    """A factory with CParser's shape over ruamel's pure-Python parser."""

    def make(text: str) -> Any:
        yaml = yaml_class(typ="safe", pure=True)
        yaml.reader.stream = text
        return yaml.parser

    return make


def plain_tree(value: Any) -> Any:
    """A copy of a loaded tree as plain dicts and lists, whichever mapping and sequence types the
    loader made (ruamel's CommentedMap in edits): for comparing values and for showing them."""
    if isinstance(value, Mapping):
        return {key: plain_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_tree(item) for item in value]
    return value
