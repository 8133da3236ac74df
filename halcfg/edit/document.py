"""The accounts file's edits: add, change and delete an account, switch the provider.

The file is parsed once (config.load: plain data and the position of every key and item).
An edit finds its account's lines from those positions and changes only them: key edits go
through ruamel's round-trip tree of that one account (edit.region), so comments, key order
and quoting survive, and every byte outside the account stays as it was without being parsed
again. Deleting cuts the account's lines (and the comment lines heading it) out of the text.
Layouts a stretch cannot be cut from (flow or JSON lists, an empty list) go through the
whole file's tree instead: same result, slower.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from halcfg.config import load as loader
from halcfg.config.fields import PASSWORD_SOURCES, SOURCE_BLOCKS
from halcfg.config.fields import order as key_order
from halcfg.config.model import PROVIDER, unknown_account
from halcfg.config.path import command_for
from halcfg.config.schema import schema_document
from halcfg.edit import region
from halcfg.edit.patch import AccountPatch, Path_
from halcfg.edit.splice import indent, is_comment, is_filler, split_lines
from halcfg.errors import LoadError, UsageError

KEY_ORDER = key_order()  # where an edit inserts a key: Halyard's order, then halcfg's own
PROVIDER_ORDER = ("enabled", "primaryAccount", "accounts")
_FLOW_WIDTH = 72  # a new list of scalars is written [a, b] when it fits in this many columns

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
    """One accounts file as read: its text and its one parse (plain data with positions)."""

    path: Path
    original: str  # as read, BOM removed (the starter text for a file not written yet)
    parsed: loader.Document
    bom: bool = False
    # secret files an edit references, written with the file: reference -> (content, may replace)
    secret_files: dict[str, tuple[str, bool]] = field(default_factory=dict, repr=False)

    def encode(self, text: str) -> bytes:
        return (("\ufeff" if self.bom else "") + text).encode("utf-8")

    def where(self, *parts: str | int) -> str:
        """`file:line:col` of the key at `parts`, for error messages."""
        line, col = self.parsed.locate(parts, key=True) or (1, 1)
        return f"{self.path}:{line}:{col}"


def load(path: Path) -> Document:
    """The accounts file as the editor reads it: the opener's RAW policy, so that a file the
    schema rejects can still be edited (the edit's result is what gets checked)."""
    from halcfg.config.opener import RAW, open_accounts

    opened = open_accounts(path, RAW).payload
    with path.open("rb") as stream:
        bom = stream.read(3) == b"\xef\xbb\xbf"
    return _mapping(opened.document, opened.text, bom)


def new(path: Path) -> Document:
    """The document of a file not written yet: the starter text."""
    return parse(starter_text(), path)


def parse(text: str, path: Path, *, bom: bool = False) -> Document:
    """The document in `text`; LoadError with `file:line:col` when it is not a YAML mapping."""
    return _mapping(loader.parse(text, path), text, bom)  # the strict reader: positions, tags, alias bombs, duplicates


def _mapping(parsed: loader.Document, text: str, bom: bool) -> Document:
    if not isinstance(parsed.data, dict):
        raise LoadError(f"{parsed.path}:1:1: the top level is a {type(parsed.data).__name__}, not a mapping; "
                        "see `halcfg schema` for what it holds")
    return Document(parsed.path, text, parsed, bom)


# ---- finding things ---------------------------------------------------------------------------


def provider(doc: Document) -> dict[str, Any] | None:
    """providers.dockerRegistry as plain data; UsageError when it is there but not a mapping."""
    node: Any = doc.parsed.data
    for depth, key in enumerate(PROVIDER):
        node = node.get(key)
        if node is None:
            return None
        if not isinstance(node, dict):
            raise UsageError(f"{doc.where(*PROVIDER[: depth + 1])}: {key} is not a mapping; "
                             "fix it by hand (see `halcfg validate`)")
    return node


def accounts(doc: Document) -> list[Any]:
    """The accounts list as plain data ([] when there is none); UsageError when it is not a list."""
    block = provider(doc) or {}
    items = block.get("accounts")
    if items is not None and not isinstance(items, list):
        raise UsageError(f"{doc.where(*PROVIDER, 'accounts')}: accounts is not a list; fix it by hand")
    return items or []


def names(doc: Document) -> list[str]:
    return [a["name"] for a in accounts(doc) if isinstance(a, dict) and isinstance(a.get("name"), str)]


def get_account(doc: Document, name: str) -> dict[str, Any] | None:
    return next((a for a in accounts(doc) if isinstance(a, dict) and a.get("name") == name), None)


def find_account(doc: Document, name: str) -> tuple[int, dict[str, Any]]:
    """The account called `name`; UsageError naming the closest name when there is none."""
    for index, item in enumerate(accounts(doc)):
        if isinstance(item, dict) and item.get("name") == name:
            return index, item
    raise unknown_account(doc.path, name, names(doc))


# ---- where an account's lines are -------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    dash: int  # line of the `-` that starts the item
    col: int  # its column
    end: int  # the line after the item's body (its trailing blank lines and outer comments excluded)


_OTHER_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")  # line breaks to libyaml, not to split_lines


def _lines_agree(doc: Document) -> bool:
    """Whether libyaml's line numbers are the text's "\n" lines (no lone CR, NEL, LS or PS)."""
    return _OTHER_BREAKS.search(doc.original) is None


def _items(doc: Document) -> list[Any] | None:
    """libyaml's start marks of the accounts' items, or None when there is no accounts list (or
    its line numbers cannot be trusted)."""
    if not _lines_agree(doc):
        return None
    block = provider(doc)
    items = None if block is None else block.get("accounts")
    return doc.parsed.marks.get(id(items)) if isinstance(items, list) else None


def _item(doc: Document, lines: list[str], index: int) -> _Item | None:
    """Where item `index` of the accounts list stands, when it is a block item (`- key: ...`)."""
    marks = _items(doc)
    if not marks:
        return None
    dash = _dash(lines, marks[index])
    if dash is None:
        return None
    first, col = dash
    if index + 1 < len(marks):
        following = _dash(lines, marks[index + 1])
        if following is None:
            return None
        end = following[0]
    else:
        end = next((k for k in range(first + 1, len(lines)) if _ends_list(lines[k], col)), len(lines))
    while end - 1 > first and _outer_filler(lines[end - 1], col):
        end -= 1  # blank lines and outer comments after the body head what comes next
    return _Item(first, col, end)


def _dash(lines: list[str], mark: Any) -> tuple[int, int] | None:
    """(line, column) of the `-` before the item that starts at `mark`."""
    if mark.line >= len(lines):
        return None
    head = lines[mark.line][: mark.column].rstrip()
    if head.endswith("-") and not head[:-1].strip():
        return mark.line, len(head) - 1
    return None


def _ends_list(line: str, col: int) -> bool:
    if is_filler(line):
        return False
    depth = indent(line)
    return depth < col or (depth == col and not line.lstrip().startswith("- ")) or line.startswith(("---", "..."))


def _outer_filler(line: str, col: int) -> bool:
    """A blank line, or a comment indented no deeper than `col`."""
    return not line.strip() or (is_comment(line) and indent(line) <= col)


def _lines(doc: Document) -> list[str]:
    return [line.rstrip("\r\n") for line in split_lines(doc.original)]


# ---- edits ------------------------------------------------------------------------------------


def add_account(doc: Document, name: str, patch: AccountPatch) -> tuple[str, list[str]]:
    """The text with a new account appended, and the keys written. Adding an account exactly as
    it is changes nothing (so a script can run its adds again); another of its name is an error."""
    check_name(name)
    account = CommentedMap(name=name)
    changed = ["name", *_apply(account, patch)]
    existing = get_account(doc, name)
    if existing is not None:
        if existing == loader.plain_tree(account):
            return doc.original, []  # the same add again: nothing to do
        raise UsageError(f"{doc.path}: account {name!r} already exists; change it with "
                         f"`{command_for(f'account edit {name}', doc.path)}`")
    lines = _lines(doc)
    count = len(accounts(doc))
    last = _item(doc, lines, count - 1) if count else None
    indent_ = region.guess_indent(doc.original)
    if last is not None and last.col >= indent_[2]:
        block = region.dump(region.yaml_for(indent_), CommentedSeq([account]))
        return region.insert_lines(doc.original, last.end, last.col - indent_[2], block), changed

    def append(tree: CommentedMap) -> None:
        seq = _accounts_tree(doc, tree)
        if not seq and seq.fa.flow_style():
            seq.fa.set_block_style()  # `accounts: []` from the starter becomes a block list
        seq.append(account)

    return region.rewrite_file(doc.original, doc.path, append), changed


def edit_account(doc: Document, name: str, patch: AccountPatch) -> tuple[str, list[str]]:
    """The text with `patch` applied to the account, and the key paths that changed (none: the
    text is the original)."""
    index, _ = find_account(doc, name)
    changed: list[str] = []
    item = _item(doc, _lines(doc), index)
    indent_ = region.guess_indent(doc.original)
    if item is not None and item.col >= indent_[2]:
        def change_item(seq: CommentedSeq) -> None:
            changed.extend(_apply(seq[0], patch))

        text = region.rewrite_lines(doc.original, doc.path, item.dash, item.end, item.col - indent_[2],
                                    change_item, indent_)
        return text, changed

    def change(tree: CommentedMap) -> None:
        changed.extend(_apply(_accounts_tree(doc, tree)[index], patch))

    return region.rewrite_file(doc.original, doc.path, change), changed


def delete_account(doc: Document, name: str) -> tuple[str, list[str]]:
    """The text without the account (and the comment lines heading it), and notes on what else
    had to change."""
    index, _ = find_account(doc, name)
    primary = (provider(doc) or {}).get("primaryAccount") == name
    notes = ["primaryAccount removed: it now defaults to the first account"] if primary else []
    span = _item_span(doc, index)
    if span is None:  # a flow list or an odd layout: through the whole file's tree

        def cut(tree: CommentedMap) -> None:
            block = _provider_tree(tree)
            del block["accounts"][index]
            _tidy(block, primary)

        return region.rewrite_file(doc.original, doc.path, cut), notes
    lines = split_lines(doc.original)
    text = "".join(lines[: span[0]] + lines[span[1]:])
    if len(accounts(doc)) == 1:  # the list is empty now: it becomes `accounts: []`
        return region.rewrite_file(text, doc.path, lambda tree: _tidy(_provider_tree(tree), primary)), notes
    if primary:
        text = _drop_key_line(doc, text, "primaryAccount", before=span[0])
    return text, notes


def _provider_tree(tree: CommentedMap) -> CommentedMap:
    block = tree
    for key in PROVIDER:
        block = block[key]
    return block


def _tidy(block: CommentedMap, primary: bool) -> None:
    """After an account is cut: an emptied list reads `accounts: []`; a deleted primary goes."""
    if not block.get("accounts"):
        empty = CommentedSeq()
        empty.fa.set_flow_style()
        block["accounts"] = empty
    if primary:
        block.pop("primaryAccount", None)


def _drop_key_line(doc: Document, text: str, key: str, before: int) -> str:
    """`text` (the original with lines cut after line `before`) without the provider's `key: value`
    line, when it is one line; else through the whole file's tree."""
    line = doc.parsed.locate((*PROVIDER, key), key=True)
    lines = split_lines(text)
    if line is not None and line[0] - 1 < before and _lines_agree(doc) and re.fullmatch(
            rf"\s*{key}:\s*[\w.-]+\s*(#.*)?", lines[line[0] - 1].rstrip("\r\n")):
        return "".join(lines[: line[0] - 1] + lines[line[0]:])

    return region.rewrite_file(text, doc.path, lambda tree: _provider_tree(tree).pop(key, None))


def _item_span(doc: Document, index: int) -> tuple[int, int] | None:
    """Lines [start, end) of item `index`: the comment lines right above its dash, its body,
    and one blank separator; None when the item is not a block item."""
    lines = _lines(doc)
    item = _item(doc, lines, index)
    if item is None:
        return None
    start, end, col = item.dash, item.end, item.col
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


def set_provider(doc: Document, key: str, value: bool | str | None) -> tuple[str, bool]:
    """providers.dockerRegistry.`key` (enabled, primaryAccount) set to `value` (None removes
    it); the text, and False when it already was so."""
    block = provider(doc) or {}
    current = block.get(key)
    if current == value and type(current) is type(value):
        return doc.original, False
    text = _replace_scalar(doc, key, value) if key in block and value is not None else None
    if text is not None:
        return text, True

    def change(tree: CommentedMap) -> None:
        node: Any = tree
        for depth, part in enumerate(PROVIDER):
            child = node.get(part)
            if not isinstance(child, CommentedMap):
                child = CommentedMap()
                _insert(node, part, child, order=("version", *PROVIDER[: depth + 1]))
            node = child
        if value is None:
            node.pop(key, None)
        else:
            _put(node, key, value, order=PROVIDER_ORDER)

    return region.rewrite_file(doc.original, doc.path, change), True


def _replace_scalar(doc: Document, key: str, value: bool | str) -> str | None:
    """The text with the one-line scalar value of the provider's `key` replaced, in the quoting
    it had; None when the value is not a plain one-line scalar."""
    where = doc.parsed.locate((*PROVIDER, key), key=True)
    if where is None or not _lines_agree(doc):
        return None
    lines = split_lines(doc.original)
    line = lines[where[0] - 1]
    match = re.match(rf"""(\s*["']?{key}["']?\s*:\s*)(["']?)([\w.-]+)\2(.*)""", line, re.DOTALL)
    if match is None:
        return None
    shown = ("true" if value else "false") if isinstance(value, bool) else value
    lines[where[0] - 1] = f"{match[1]}{match[2]}{shown}{match[2]}{match[4]}"
    return "".join(lines)


@dataclass
class AccountChange:
    """A whole account to add, or to put in place of the account named `replaces`."""

    account: dict[str, Any]  # every key, `name` included, as plain data
    replaces: str | None = None
    secret_files: dict[str, str] = field(default_factory=dict, repr=False)  # reference -> content


SECRET_REFERENCES: tuple[Path_, ...] = (("passwordFile",), ("ecr", "secretAccessKeyFile"))


def put_accounts(doc: Document, changes: Iterable[AccountChange], primary: str | None = None) -> str:
    """The text with whole accounts added or replaced (and primaryAccount set, when given); their
    secret files are registered in `doc.secret_files`, to be written with the file.

    A replaced account keeps its place, and the comments of the keys it keeps. A secret file
    may overwrite an existing one only when the replaced account already referenced it. Imports
    are rare and may touch many accounts: they go through the whole file's tree.
    """
    changes = list(changes)
    for change in changes:
        check_name(change.account["name"])
        if change.replaces is None and change.account["name"] in names(doc):
            raise UsageError(f"{doc.path}: account {change.account['name']!r} already exists")
        replaced = get_account(doc, change.replaces) if change.replaces else None
        if change.replaces is not None and replaced is None:
            raise unknown_account(doc.path, change.replaces, names(doc))
        refs = {_get_path(replaced, path) for path in SECRET_REFERENCES} if replaced else set()
        for reference, content in change.secret_files.items():
            doc.secret_files[reference] = (content, reference in refs)

    def apply(tree: CommentedMap) -> None:
        seq = _accounts_tree(doc, tree)
        for change in changes:
            if change.replaces is None:
                if not seq and seq.fa.flow_style():
                    seq.fa.set_block_style()
                seq.append(_account_node(change.account))
                continue
            node = next(a for a in seq if isinstance(a, CommentedMap) and a.get("name") == change.replaces)
            for key in [key for key in node if key not in change.account]:
                del node[key]
            for key, value in change.account.items():
                if key not in node or loader.plain_tree(node[key]) != value:
                    _put(node, key, _node(value, flow_like=node.get(key)))
        if primary is not None:
            _put(_provider_tree(tree), "primaryAccount", primary, order=PROVIDER_ORDER)

    return region.rewrite_file(doc.original, doc.path, apply)


def _account_node(values: dict[str, Any]) -> CommentedMap:
    node = CommentedMap()
    for key, value in values.items():
        _insert(node, key, _node(value), KEY_ORDER)
    return node


def _accounts_tree(doc: Document, tree: CommentedMap) -> CommentedSeq:
    """providers.dockerRegistry.accounts in the whole file's tree, made when missing."""
    node: Any = tree
    for depth, key in enumerate(PROVIDER):
        child = node.get(key)
        if not isinstance(child, CommentedMap):
            if child is not None:
                raise UsageError(f"{doc.where(*PROVIDER[: depth + 1])}: {key} is not a mapping; fix it by hand")
            child = CommentedMap()
            _insert(node, key, child, order=("version", *PROVIDER[: depth + 1]))
        node = child
    seq = node.get("accounts")
    if not isinstance(seq, CommentedSeq):
        seq = CommentedSeq()
        _put(node, "accounts", seq, order=PROVIDER_ORDER)
    return seq


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

    A block or mapping emptied by a removal goes too (`permissions`, `drone`, `kubernetes` and
    its `labels`), except a password-source block: `ecr: {}` still means "ask AWS for the password".
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
        for depth in range(len(parents), 0, -1):  # the emptied mappings above it, innermost first
            holder = _get_path(account, tuple(parents[: depth - 1]))
            if parents[0] in SOURCE_BLOCKS or holder[parents[depth - 1]]:
                break
            del holder[parents[depth - 1]]
        return True
    if key in node and loader.plain_tree(node[key]) == value:
        return False
    _put(node, key, _node(value, flow_like=node.get(key)), key_order(path[:-1]))
    return True



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
