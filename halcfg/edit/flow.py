"""Carry a change of a flow collection the user wrote over several lines onto their own layout.

ruamel writes a flow collection on one line, so the splice alone would put that one line where
the user had `[a,\\n    b]`, one item per line with a trailing comma, or a flow list of
accounts. Instead the change is read between ruamel's two dumps token by token — spaces,
comments and a trailing comma left out — and made in the user's text: what it keeps keeps its
place, line breaks and comments; an item removed takes its line (and the comment on it) with it
when that empties the line; an item added follows the one before it, on a line of its own when that one is. Only
changes inside flow collections are carried; the caller checks that the result reads as the
dump does, and takes the dump's lines otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_OPEN, _CLOSE = "[{", "]}"
_PUNCTUATION = _OPEN + _CLOSE + ",:"


@dataclass
class _Scan:
    """The characters YAML reads in a stretch of flow text, and where each stands."""

    bare: str  # those characters: no spaces (outside quotes), comments or trailing commas
    marks: list[int]  # the offset in the text of each
    plain: list[bool]  # outside quotes
    depth: list[int]  # flow depth before each (and, last, after the last), from the stretch's lowest
    dropped: list[int]  # offsets of the trailing commas left out (`b,` before `]`)
    spread: bool  # a line ends inside a flow collection

    def tokens(self) -> list[tuple[int, int]]:
        """[start, end) character ranges: each punctuation mark, and each run between them."""
        out: list[tuple[int, int]] = []
        for k, char in enumerate(self.bare):
            mark = self.plain[k] and char in _PUNCTUATION
            if mark or not out or self._ends_token(out[-1][1] - 1):
                out.append((k, k + 1))
            else:
                out[-1] = (out[-1][0], k + 1)
        return out

    def _ends_token(self, k: int) -> bool:
        return self.plain[k] and self.bare[k] in _PUNCTUATION

    def comma(self, k: int) -> bool:
        """Whether character `k` is a comma between items (not one inside quotes)."""
        return k < len(self.bare) and self.plain[k] and self.bare[k] == ","


def _scan(text: str) -> _Scan:
    found: list[tuple[int, str, bool]] = []  # (offset, character, outside quotes) YAML reads
    spread = False
    depth = 0
    offset = 0
    for line in text.split("\n"):
        quote = ""
        for k, char in enumerate(line):
            plain = not quote
            if quote:
                if char == quote and (quote == "'" or line[k - 1] != "\\"):
                    quote = ""
            elif char in "'\"":
                quote, plain = char, False
            elif char == "#" and (k == 0 or line[k - 1] in " \t"):
                break  # a comment: the rest of the line
            elif char in " \t\r":
                continue
            elif char in _OPEN:
                depth += 1
            elif char in _CLOSE:
                depth -= 1
            found.append((offset + k, char, plain))
        offset += len(line) + 1
        spread = spread or (depth > 0 and offset <= len(text))
    kept: list[tuple[int, str, bool]] = []
    dropped: list[int] = []
    for index, (at, char, plain) in enumerate(found):
        following = found[index + 1] if index + 1 < len(found) else None
        if char == "," and plain and following is not None and following[2] and following[1] in _CLOSE:
            dropped.append(at)
        else:
            kept.append((at, char, plain))
    levels = [0]
    for _, char, plain in kept:
        levels.append(levels[-1] + (plain and char in _OPEN) - (plain and char in _CLOSE))
    lowest = min(levels)  # a stretch may start inside a collection and close it
    return _Scan("".join(c for _, c, _ in kept), [at for at, _, _ in kept], [p for _, _, p in kept],
                 [level - lowest for level in levels], dropped, spread)


def carry(original: str, before: str, after: str, nl: str) -> str | None:
    """`original` — the user's lines for what ruamel dumped as `before` — changed as `before`
    changed into `after`; None when that is not a change inside flow collections spread over
    lines, or cannot be made here (the caller then takes `after`'s lines)."""
    old, base, new = _scan(original), _scan(before), _scan(after)
    if not old.spread or old.bare != base.bare:
        return None
    cut: set[int] = set()  # offsets of `original` to drop
    put: dict[int, str] = {}  # offset -> text to insert before it
    changes = _changes(base, new)
    if changes is None:
        return None
    for tag, i1, i2, j1, j2 in changes:
        if min(base.depth[i1:i2 + 1]) < 1:
            return None  # a change outside the flow collections (a block key): not ours to carry
        text = after[new.marks[j1]:new.marks[j2 - 1] + 1] if j2 > j1 else ""
        if "\n" in text:
            return None
        if tag == "delete":
            _delete(original, old, base, i1, i2, cut)
        elif tag == "replace":
            _cut(original, old, range(i1, i2), cut)
            put[old.marks[i1]] = put.get(old.marks[i1], "") + text
        elif text.startswith(","):  # an item after another: right after it
            if i1 == 0:
                return None
            at = old.marks[i1 - 1] + 1
            item_break = _own_line(original, old, _item_start(base, i1), nl)
            text = _laid_out(text, item_break)
            trailing = _trailing_comma(original, old, i1)
            if item_break and trailing is not None:  # new lines after the last item's own line
                at = original.find("\n", trailing)
                at = (len(original) if at < 0 else at) - (original[at - 1:at] == "\r")
                text = text[1:] + ","
            put[at] = put.get(at, "") + text
        elif i1 < len(old.marks):  # an item before another: right before it
            at = old.marks[i1]
            put[at] = _laid_out(text, _own_line(original, old, i1, nl) or " ") + put.get(at, "")
        else:
            return None
    return _apply(original, cut, put)


def _changes(base: _Scan, new: _Scan) -> list[tuple[str, int, int, int, int]] | None:
    """The differences from `base` to `new` as (tag, i1, i2, j1, j2) over their characters, token
    by token; one span between the common start and end when a finer one would split a bracket
    pair (a diff pairs any `]` with any other); None when even that one would."""
    old_tokens, new_tokens = base.tokens(), new.tokens()
    a = [base.bare[s:e] for s, e in old_tokens]
    b = [new.bare[s:e] for s, e in new_tokens]
    ops: list[tuple[str, int, int, int, int]] = [
        op for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not all(_balanced(a[i1:i2]) and _balanced(b[j1:j2]) for _, i1, i2, j1, j2 in ops):
        head = 0
        while head < min(len(a), len(b)) and a[head] == b[head]:
            head += 1
        tail = 0
        while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
            tail += 1
        i2, j2 = len(a) - tail, len(b) - tail
        tag = "replace" if head < i2 and head < j2 else "delete" if head < i2 else "insert"
        ops = [(tag, head, i2, head, j2)]
        if not (_balanced(a[head:i2]) and _balanced(b[head:j2])):
            return None

    def char(tokens: list[tuple[int, int]], index: int, size: int) -> int:
        return tokens[index][0] if index < len(tokens) else size

    return [(tag, char(old_tokens, i1, len(base.bare)), char(old_tokens, i2, len(base.bare)),
             char(new_tokens, j1, len(new.bare)), char(new_tokens, j2, len(new.bare)))
            for tag, i1, i2, j1, j2 in ops]


def _balanced(tokens: list[str]) -> bool:
    level = 0
    for token in tokens:
        level += (token in ("[", "{")) - (token in ("]", "}"))
        if level < 0:
            return False
    return level == 0


def _trailing_comma(original: str, old: _Scan, index: int) -> int | None:
    """The offset of the trailing comma left out before character `index`, if there is one and
    only a comment follows it on its line."""
    low = old.marks[index - 1] if index else -1
    high = old.marks[index] if index < len(old.marks) else len(original)
    found = [at for at in old.dropped if low < at < high]
    if not found:
        return None
    rest = original[found[0] + 1:].split("\n", 1)[0].strip(" \t\r")
    return found[0] if not rest or rest.startswith("#") else None


def _delete(original: str, old: _Scan, base: _Scan, i1: int, i2: int, cut: set[int]) -> None:
    """Cut base characters [i1, i2) out of `original`: `,item` is cut as `item,` when a comma
    follows (the one before may carry a comment), or with the trailing comma when it was last."""
    chars = range(i1, i2)
    if base.comma(i1):
        if base.comma(i2):
            chars = range(i1 + 1, i2 + 1)
        elif i2 < len(base.bare):
            trailing = [at for at in old.dropped if old.marks[i2 - 1] < at < old.marks[i2]]
            if trailing:  # the last item: it goes with its trailing comma, the one before stays
                chars = range(i1 + 1, i2)
                cut.add(trailing[0])
    _cut(original, old, chars, cut)


def _cut(original: str, old: _Scan, chars: range, cut: set[int]) -> None:
    """Cut those characters, the spaces between them on a line, and the spaces after a cut comma."""
    for k in chars:
        at = old.marks[k]
        cut.add(at)
        end = old.marks[k + 1] if k + 1 < len(old.marks) else len(original)
        gap = original[at + 1:end]
        if k + 1 in chars:
            if not gap.strip(" \t"):  # spaces between two cut characters on one line
                cut.update(range(at + 1, end))
        elif original[at] == "," and gap.lstrip(" \t")[:1] not in ("#", "\n", "\r", ""):
            cut.update(range(at + 1, at + 1 + len(gap) - len(gap.lstrip(" \t"))))  # up to the next item


def _item_start(base: _Scan, index: int) -> int:
    """The first character of the item that ends before character `index`."""
    level = base.depth[index]
    k = index - 1
    while k >= 0 and base.depth[k] >= level and not (base.depth[k] == level and base.comma(k)):
        k -= 1
    return k + 1


def _own_line(original: str, old: _Scan, k: int, nl: str) -> str:
    """A line break and the indent of character `k` when it starts its line; else ""."""
    if k >= len(old.marks):
        return ""
    line_start = original.rfind("\n", 0, old.marks[k]) + 1
    indent = original[line_start:old.marks[k]]
    return nl + indent if not indent.strip() else ""


def _laid_out(text: str, item_break: str) -> str:
    """`text` (ruamel's `, a, b`) with each separator between its items made `item_break`."""
    if not item_break:
        return text
    out, depth, quote, k = [], 0, "", 0
    while k < len(text):
        char = text[k]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif char == "," and depth == 0:
            out.append("," + item_break)
            k += 1
            while k < len(text) and text[k] == " ":
                k += 1
            continue
        out.append(char)
        k += 1
    return "".join(out)


_CLOSER_LINE = re.compile(r"[ \t]*[\]}][\]}, \t]*(#.*)?\r?\n?")


def _apply(original: str, cut: set[int], put: dict[int, str]) -> str:
    """`original` without the offsets in `cut`, with `put`'s texts inserted. Of the lines the cuts
    touch, one left holding nothing but spaces or a comment goes (a removed item's comment goes
    with it, as a deleted account's does); one left holding only closing brackets joins the line
    before; one left ending in an opening bracket takes the next line up (`[a,\n b]` without b
    is `[a]`, not `[a\n ]`)."""
    lines: list[tuple[str, bool]] = []  # (text, cut into)
    start = 0
    while start < len(original):
        end = original.find("\n", start)
        end = len(original) if end < 0 else end + 1
        line = "".join(put.get(k, "") + ("" if k in cut else original[k]) for k in range(start, end))
        touched = any(k in cut for k in range(start, end))
        if not (touched and (not line.strip(" \t\r\n") or line.lstrip(" \t").startswith("#"))):
            lines.append((line, touched))
        start = end
    out: list[str] = []
    opened = False  # the line before was cut to end in an opening bracket
    for line, touched in lines:
        pulled = opened and not line.lstrip(" \t").startswith("#")
        if out and "#" not in out[-1] and (pulled or (touched and _CLOSER_LINE.fullmatch(line))):
            out[-1] = out[-1].rstrip(" \t\r\n") + line.lstrip(" \t")
        else:
            out.append(line)
        opened = touched and "#" not in line and line.rstrip(" \t\r\n")[-1:] in ("[", "{")
    return "".join(out)
