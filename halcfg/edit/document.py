"""The accounts file as ruamel's round-trip tree: load it, edit it, give back only what changed.

Edits work on the tree, where comments, key order and quoting survive. `Document.text()` dumps
the tree with the file's own indentation and splices the change onto the original bytes, so
every line the edit did not touch stays byte-identical. Deleting an account is the exception:
it cuts the account's lines (and the comment lines heading it) out of the text itself, because
ruamel files each comment under the node before it and would keep or drop the wrong ones.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from halcfg.config import load as loader
from halcfg.config.fields import PASSWORD_SOURCES
from halcfg.config.fields import order as key_order
from halcfg.config.schema import schema_document
from halcfg.edit.splice import indent, is_comment, is_filler, line_ending, splice, split_lines
from halcfg.errors import LoadError, UsageError

PROVIDER = ("providers", "dockerRegistry")

KEY_ORDER = key_order()  # where an edit inserts a key: Halyard's order, then halcfg's own
_FLOW_WIDTH = 72  # a new list of scalars is written [a, b] when it fits in this many columns

Path_ = tuple[str, ...]  # a key path inside one account, e.g. ("permissions", "READ")


def check_name(name: str) -> str:
    """`name` if the schema allows it as an account name; it also names the password file."""
    if not re.fullmatch(schema_document()["$defs"]["account"]["properties"]["name"]["pattern"], name):
        raise UsageError(
            f"account name {name!r} must be lower-case letters, digits and dashes, "
            "starting and ending with a letter or digit"
        )
    return name


def starter_text() -> str:
    """What `halcfg init` writes, and what `account add` starts from when there is no file."""
    schema_id = schema_document()["$id"]
    return (
        f"# yaml-language-server: $schema={schema_id}\n"
        "#\n"
        "# Container-registry accounts for Spinnaker, Drone and Kubernetes, kept by halcfg.\n"
        "#   add one:   halcfg account add NAME --address HOST --username USER --password\n"
        "#   check:     halcfg validate && halcfg probe\n"
        "# A password typed at the prompt is stored in secrets/NAME.password (mode 0600), not here.\n"
        "version: 1\n"
        "providers:\n"
        "  dockerRegistry:\n"
        "    enabled: true\n"
        "    accounts: []\n"
    )


@dataclass
class Document:
    """One accounts file: its original text, the round-trip tree, and how to dump it alike."""

    path: Path
    original: str  # as read, BOM removed (the starter text for a file not written yet)
    tree: CommentedMap
    yaml: YAML
    json_indent: int | None  # the file is JSON (a flow mapping): indent its lines this much
    baseline: str  # the tree dumped before any edit: what the edit is measured against
    bom: bool = False
    # secret files the edit references, written with the file: reference -> (content, may replace)
    secret_files: dict[str, tuple[str, bool]] = field(default_factory=dict, repr=False)

    def text(self) -> str:
        """The file as edited so far (no BOM).

        The splice keeps the original's bytes; should it ever mean something other than the
        dump (ruamel reshaped the lines around the edit), the dump wins.
        """
        dumped = _dump(self.yaml, self.tree, self.json_indent)
        spliced = splice(self.original, self.baseline, dumped)
        if spliced != dumped and _data(spliced, self.path) != _data(dumped, self.path):
            return dumped.replace("\n", line_ending(self.original))
        return spliced

    def encode(self, text: str) -> bytes:
        return (("\ufeff" if self.bom else "") + text).encode("utf-8")

    def where(self, node: Any, key: Any = None) -> str:
        """`file:line:col` of a node (or of one of its keys) for error messages."""
        try:
            line, col = node.lc.key(key) if key is not None else (node.lc.line, node.lc.col)
        except (AttributeError, KeyError, TypeError):
            return str(self.path)
        return f"{self.path}:{line + 1}:{col + 1}"


def load(path: Path) -> Document:
    text = loader.read_text(path)
    with path.open("rb") as stream:
        bom = stream.read(3) == b"\xef\xbb\xbf"
    return parse(text, path, bom=bom)


def new(path: Path) -> Document:
    """The document of a file not written yet: the starter text."""
    return parse(starter_text(), path)


def parse(text: str, path: Path, *, bom: bool = False) -> Document:
    """The document in `text`; LoadError with `file:line:col` when it is not a YAML mapping."""
    data = loader.parse(text, path).data  # the strict reader: positions, tags, alias bombs, duplicates
    if not isinstance(data, dict):
        raise LoadError(f"{path}:1:1: the top level is a {type(data).__name__}, not a mapping; see `halcfg init`")
    yaml = _yaml(text)
    try:
        tree = yaml.load(text.replace("\r\n", "\n"))
    except YAMLError as error:  # what the strict reader let through and ruamel's round trip refuses
        raise LoadError(f"{path}: cannot edit this file: {str(error).splitlines()[0]}") from None
    nested = re.search(r"\n( +)\S", text)
    json_indent = len(nested.group(1)) if nested else None
    return Document(path, text, tree, yaml, json_indent, _dump(yaml, tree, json_indent), bom)


def _yaml(text: str) -> YAML:
    yaml = YAML()  # round trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line that was one line
    mapping, sequence, offset = guess_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(yaml: YAML, tree: Any, json_indent: int | None) -> str:
    """The tree as text: YAML in the file's indentation, or JSON when the file is JSON.

    ruamel would write a JSON file as one flow-style line; written as JSON with the file's
    indent instead, an edit changes only the lines it must.
    """
    if tree.fa.flow_style():
        return json.dumps(tree, indent=json_indent, ensure_ascii=False) + "\n"
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def _data(text: str, path: Path) -> Any:
    try:
        return loader.parse(text, path).data
    except LoadError:
        return None


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


# ---- finding things ---------------------------------------------------------------------------


def provider(doc: Document, *, create: bool = False) -> CommentedMap | None:
    """providers.dockerRegistry, made when `create` and missing; UsageError when it is not a mapping."""
    node: Any = doc.tree
    for key in PROVIDER:
        child = node.get(key)
        if child is None:
            if not create:
                return None
            child = CommentedMap()
            _insert(node, key, child, order=("version", *PROVIDER))
        elif not isinstance(child, CommentedMap):
            raise UsageError(f"{doc.where(node, key)}: {key} is not a mapping; fix it by hand (see `halcfg validate`)")
        node = child
    return node


def accounts(doc: Document, *, create: bool = False) -> CommentedSeq | None:
    block = provider(doc, create=create)
    if block is None:
        return None
    seq = block.get("accounts")
    if seq is None:
        if not create:
            return None
        seq = CommentedSeq()
        if "accounts" in block:
            block["accounts"] = seq
        else:
            _insert(block, "accounts", seq, order=("enabled", "primaryAccount", "accounts"))
    elif not isinstance(seq, CommentedSeq):
        raise UsageError(f"{doc.where(block, 'accounts')}: accounts is not a list; fix it by hand")
    return seq


def names(doc: Document) -> list[str]:
    return [a["name"] for a in accounts(doc) or () if isinstance(a, dict) and isinstance(a.get("name"), str)]


def get_account(doc: Document, name: str) -> CommentedMap | None:
    return next((a for a in accounts(doc) or () if isinstance(a, CommentedMap) and a.get("name") == name), None)


def find_account(doc: Document, name: str) -> tuple[int, CommentedMap]:
    """The account called `name`; UsageError naming the closest name when there is none."""
    for index, item in enumerate(accounts(doc) or ()):
        if isinstance(item, CommentedMap) and item.get("name") == name:
            return index, item
    raise unknown_account(doc.path, name, names(doc))


def unknown_account(path: Path, name: str, known: Iterable[str]) -> UsageError:
    """The error for a name the file does not define, pointing at the closest one."""
    known = list(known)
    close = get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f" (it has: {', '.join(known)})" if known else ""
    return UsageError(f"{path}: no account named {name!r}{hint}")


# ---- edits ------------------------------------------------------------------------------------


@dataclass
class AccountPatch:
    """What `account add|edit` asks for, in file keys; anything not named stays as it is."""

    values: dict[Path_, Any] = field(default_factory=dict)  # None removes the key
    add: dict[Path_, list[str]] = field(default_factory=dict)  # items appended to a list
    remove: dict[Path_, list[str]] = field(default_factory=dict)  # items taken out of a list

    def sets_password_source(self) -> bool:
        return any(path[0] in PASSWORD_SOURCES and value is not None for path, value in self.values.items())


def set_enabled(doc: Document, enabled: bool) -> bool:
    """providers.dockerRegistry.enabled; False when it already was."""
    block = provider(doc, create=True)
    assert block is not None
    current = block.get("enabled")
    if isinstance(current, int) and bool(current) is enabled:  # ruamel may load a bool as ScalarBoolean (an int)
        return False
    _put(block, "enabled", enabled, order=("enabled", "primaryAccount", "accounts"))
    return True


def add_account(doc: Document, name: str, patch: AccountPatch) -> list[str]:
    """Append a new account; returns the keys written. Adding an account exactly as it is
    changes nothing (so a script can run its adds again); another one of its name is an error."""
    check_name(name)
    seq = accounts(doc, create=True)
    assert seq is not None
    account = CommentedMap(name=name)
    changed = _apply(account, patch)
    if name in names(doc):
        if _plain(get_account(doc, name)) == _plain(account):
            return []  # the same add again: nothing to do
        raise UsageError(f"{doc.path}: account {name!r} already exists; change it with `halcfg account edit {name}`")
    if not seq and seq.fa.flow_style():
        seq.fa.set_block_style()  # `accounts: []` from the starter becomes a block list
    seq.append(account)
    return ["name", *changed]


@dataclass
class AccountChange:
    """A whole account to add, or to put in place of the account named `replaces`."""

    account: dict[str, Any]  # every key, `name` included, as plain data
    replaces: str | None = None
    secret_files: dict[str, str] = field(default_factory=dict, repr=False)  # reference -> content


SECRET_REFERENCES: tuple[Path_, ...] = (("passwordFile",), ("ecr", "secretAccessKeyFile"))


def put_accounts(doc: Document, changes: Iterable[AccountChange]) -> None:
    """Add or replace whole accounts, and register their secret files to be written with the file.

    A replaced account keeps its place, and the comments of the keys it keeps. A secret file
    may overwrite an existing one only when the replaced account already referenced it.
    """
    seq = accounts(doc, create=True)
    assert seq is not None
    for change in changes:
        check_name(change.account["name"])
        replaced_refs: set[Any] = set()
        if change.replaces is None:
            if change.account["name"] in names(doc):
                raise UsageError(f"{doc.path}: account {change.account['name']!r} already exists")
            if not seq and seq.fa.flow_style():
                seq.fa.set_block_style()
            seq.append(_account_node(change.account))
        else:
            _, node = find_account(doc, change.replaces)
            replaced_refs = {_get_path(node, path) for path in SECRET_REFERENCES}
            for key in [key for key in node if key not in change.account]:
                del node[key]
            for key, value in change.account.items():
                if key not in node or _plain(node[key]) != value:
                    _put(node, key, _node(value, flow_like=node.get(key)))
        for reference, content in change.secret_files.items():
            doc.secret_files[reference] = (content, reference in replaced_refs)


def _account_node(values: dict[str, Any]) -> CommentedMap:
    node = CommentedMap()
    for key, value in values.items():
        _insert(node, key, _node(value), KEY_ORDER)
    return node


def set_primary(doc: Document, name: str) -> None:
    block = provider(doc, create=True)
    assert block is not None
    _put(block, "primaryAccount", name, order=("enabled", "primaryAccount", "accounts"))


def edit_account(doc: Document, name: str, patch: AccountPatch) -> list[str]:
    """Apply `patch` to the account; returns the key paths that changed (empty: nothing did)."""
    return _apply(find_account(doc, name)[1], patch)


def delete_account(doc: Document, name: str) -> tuple[Document, list[str]]:
    """The document without the account, and notes on what else had to change."""
    index, _ = find_account(doc, name)
    seq = accounts(doc)
    assert seq is not None
    span = None if seq.fa.flow_style() else _item_span(doc, seq, index)
    if span is None:  # a flow list, or an item laid out oddly: let ruamel cut it
        del seq[index]
        result = doc
    else:
        lines = split_lines(doc.original)
        result = parse("".join(lines[: span[0]] + lines[span[1] :]), doc.path, bom=doc.bom)
    notes = []
    block = provider(result, create=True)
    assert block is not None
    if block.get("accounts") is None or not block["accounts"]:
        empty = CommentedSeq()
        empty.fa.set_flow_style()
        block["accounts"] = empty
    if block.get("primaryAccount") == name:
        del block["primaryAccount"]
        notes.append("primaryAccount removed: it now defaults to the first account")
    return result, notes


def _item_span(doc: Document, seq: CommentedSeq, index: int) -> tuple[int, int] | None:
    """Lines [start, end) of item `index`: the comment lines right above its dash, its body,
    and one blank separator; None when the dash cannot be found."""
    lines = [line.rstrip("\r") for line in doc.original.split("\n")]
    dash = _dash(lines, seq, index)
    if dash is None:
        return None
    first, col = dash
    if index + 1 < len(seq):
        following = _dash(lines, seq, index + 1)
        if following is None:
            return None
        end = following[0]
    else:
        end = next((k for k in range(first + 1, len(lines)) if _ends_list(lines[k], col)), len(lines))
    while end - 1 > first and _outer_filler(lines[end - 1], col):
        end -= 1  # blank lines and outer comments after the body head what comes next
    start = first
    while start and is_comment(lines[start - 1]) and indent(lines[start - 1]) == col:
        start -= 1
    total = len(split_lines(doc.original))
    blank_before = start > 0 and not lines[start - 1].strip()
    blank_after = end < total and not lines[end].strip()
    if blank_after and (blank_before or index == 0):
        end += 1
    elif blank_before and end >= total:
        start -= 1
    return start, end


def _dash(lines: list[str], seq: CommentedSeq, index: int) -> tuple[int, int] | None:
    """(line, column) of the `-` that starts item `index`."""
    line, col = seq.lc.item(index)
    head = lines[line][:col].rstrip()
    if head.endswith("-") and not head[:-1].strip():
        return line, len(head) - 1
    return None


def _ends_list(line: str, col: int) -> bool:
    if is_filler(line):
        return False
    depth = indent(line)
    return depth < col or (depth == col and not line.lstrip().startswith("- ")) or line.startswith(("---", "..."))


def _outer_filler(line: str, col: int) -> bool:
    """A blank line, or a comment indented no deeper than `col`."""
    return not line.strip() or (is_comment(line) and indent(line) <= col)


def _apply(account: CommentedMap, patch: AccountPatch) -> list[str]:
    changed: list[str] = []
    if patch.sets_password_source():  # at most one password source: the new one replaces the rest
        chosen = {path[0] for path, value in patch.values.items() if value is not None}
        for key in PASSWORD_SOURCES:
            if key in account and key not in chosen:
                del account[key]
                changed.append(key)
    for path, value in patch.values.items():
        if _set_path(account, path, value):
            changed.append(".".join(path))
    for path, items in patch.add.items():
        current = _list(_get_path(account, path))
        fresh = [item for item in dict.fromkeys(items) if item not in current]
        if fresh and _set_path(account, path, [*current, *fresh]):
            changed.append(".".join(path))
    for path, items in patch.remove.items():
        current = _list(_get_path(account, path))
        kept = [item for item in current if item not in items]
        if len(kept) != len(current) and _set_path(account, path, kept or None):
            changed.append(".".join(path))
    return list(dict.fromkeys(changed))


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _get_path(node: Any, path: Path_) -> Any:
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _set_path(account: CommentedMap, path: Path_, value: Any) -> bool:
    """Set (or, for None, remove) the value at `path`; False when it already was so.

    An emptied `permissions` goes too; an emptied `ecr` stays, because `ecr: {}` still means
    "ask AWS for the password".
    """
    *parents, key = path
    node = account
    for depth, part in enumerate(parents):
        child = node.get(part)
        if not isinstance(child, CommentedMap):
            if value is None:
                return False
            child = CommentedMap()
            _put(node, part, child, key_order(path[:depth]))
        node = child
    if value is None:
        if key not in node:
            return False
        del node[key]
        if parents == ["permissions"] and not node:
            del account["permissions"]
        return True
    if key in node and _plain(node[key]) == value:
        return False
    _put(node, key, _node(value, flow_like=node.get(key)), key_order(path[:-1]))
    return True


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _node(value: Any, flow_like: Any = None) -> Any:
    """A tree node for a plain value; a list keeps the style of the list it replaces."""
    if isinstance(value, list):
        seq = CommentedSeq(value)
        if isinstance(flow_like, CommentedSeq):
            flow = flow_like.fa.flow_style()
        else:
            flow = all(isinstance(v, str) for v in value) and len(", ".join(value)) + 2 <= _FLOW_WIDTH
        if flow:
            seq.fa.set_flow_style()
        else:
            seq.fa.set_block_style()
        return seq
    if isinstance(value, dict):
        return CommentedMap((k, _node(v)) for k, v in value.items())
    return value


def _put(node: CommentedMap, key: str, value: Any, order: Iterable[str] = KEY_ORDER) -> None:
    """Replace the value in place, or insert the key where `order` puts it."""
    if key in node:
        node[key] = value
    else:
        _insert(node, key, value, order)


def _insert(node: CommentedMap, key: str, value: Any, order: Iterable[str]) -> None:
    rank = {k: i for i, k in enumerate(order)}
    mine = rank.get(key, len(rank))
    position = 0
    for i, existing in enumerate(node):
        if rank.get(existing, len(rank)) <= mine:
            position = i + 1
    node.insert(position, key, value)
