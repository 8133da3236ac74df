"""Carry an edit of a dumped YAML tree back onto the original text, line by line.

ruamel's round trip keeps most formatting but not all of it (odd indents, spacing, line
endings), and it hangs comments on the node before them, so a dump moves or drops comment
lines next to an edit. An edit is therefore taken as the line diff between two dumps (before
and after the change) and replayed onto the original bytes: every line outside the diff is the
original line, byte for byte.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from halcfg.edit import flow


def splice(original: str, before: str, after: str, *, flows: bool = True) -> str:
    """`original` changed as `before` (the dump of its tree) changed into `after`.

    `before` and `after` use "\\n"; lines the edit adds take the original's line ending. With
    `flows`, a change inside a flow collection the user spread over lines is made in their
    layout (edit.flow); without, it takes the dump's line.
    """
    if not original:
        return after
    raw = split_lines(original)
    old = [line.rstrip("\r\n") for line in raw]
    base = before.split("\n")[:-1] if before.endswith("\n") else before.split("\n")
    new = _keep_comments(base, after.split("\n")[:-1] if after.endswith("\n") else after.split("\n"))
    nl = line_ending(original)

    at, past = _pair_lines(base, old)
    epilogue = max(past.values(), default=0)  # original lines past the last kept one ("...")

    out: list[str] = []
    cursor = 0  # next original line to copy
    for i1, i2, j1, j2 in _hunks(base, new, at, past):
        start = past[i1 - 1] if i1 else 0
        out += raw[cursor:start]
        cursor = at[i2] if i2 < len(base) else max(start, epilogue)
        lines = [line + nl for line in new[j1:j2]]
        if flows and any("[" in line or "{" in line for line in raw[start:cursor]):
            carried = flow.carry("".join(raw[start:cursor]), "\n".join(base[i1:i2]) + "\n",
                                 "\n".join(new[j1:j2]) + "\n", nl)
            lines = lines if carried is None else [carried]  # the user's layout of a flow collection
        out += lines
    out += raw[cursor:]

    text = "".join(line if line.endswith("\n") or k == len(out) - 1 else line + nl for k, line in enumerate(out))
    if not original.endswith("\n"):
        return text.rstrip("\r\n")
    return text if text.endswith("\n") else text + nl


def line_ending(text: str) -> str:
    """The file's own line ending: CRLF when most lines end so."""
    return "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"


def split_lines(text: str) -> list[str]:
    """Lines with their endings; only "\\n" ends a line (a lone "\\r" stays in its line)."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _pair_lines(base: list[str], old: list[str]) -> tuple[dict[int, int], dict[int, int]]:
    """Where the base lines stand in the original, for the lines ruamel kept, those it only
    respaced (`key:   value`, `[ a,  b ]`) and those it joined or split (a flow collection the
    user wrote over several lines, ruamel on one): outside an edit those are the original's lines.

    Two maps, base line -> original line: `at` where a base line's original starts, `past` the
    original line past it. A base line that is part of a group (m base lines for n original ones)
    is in `at` only as the group's first line and in `past` only as its last, so a change
    anywhere in a group replaces the whole group, and no change cuts one.
    """
    at: dict[int, int] = {}
    past: dict[int, int] = {}

    def pair(a0: int, a1: int, b0: int, b1: int) -> None:
        at[a0], past[a1 - 1] = b0, b1

    for tag, i1, i2, j1, j2 in SequenceMatcher(None, base, old, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                pair(i1 + k, i1 + k + 1, j1 + k, j1 + k + 1)
        elif tag == "replace":
            squeezed = SequenceMatcher(
                None, ["".join(line.split()) for line in base[i1:i2]], ["".join(line.split()) for line in old[j1:j2]],
                autojunk=False,
            )
            blocks = squeezed.get_matching_blocks()  # the last one is the (end, end, 0) sentinel
            if len(blocks) == 1 and i2 - i1 == j2 - j1 and not _groups(base[i1:i2], old[j1:j2]):
                for k in range(i2 - i1):  # reformatted beyond spacing, but one for one
                    pair(i1 + k, i1 + k + 1, j1 + k, j1 + k + 1)
                continue
            a, b = i1, j1  # past the last matched lines
            for block in blocks:
                for g in _groups(base[a:i1 + block.a], old[b:j1 + block.b]):  # the lines between matches
                    pair(a + g[0], a + g[1], b + g[2], b + g[3])
                for k in range(block.size):
                    pair(i1 + block.a + k, i1 + block.a + k + 1, j1 + block.b + k, j1 + block.b + k + 1)
                a, b = i1 + block.a + block.size, j1 + block.b + block.size
    return at, past


def _groups(base: list[str], old: list[str]) -> list[tuple[int, int, int, int]]:
    """(base start, end, original start, end) of each run of lines that hold the same YAML apart
    from spacing, line breaks, comments and a trailing comma in a flow collection: ruamel's one
    line for the user's `[a,\n  b,\n]`. A group has at least one line on each side; comment
    lines and blank ones go with the group before them (ruamel hangs a comment on what precedes
    it). No groups unless the two sides hold the same text in all."""
    mine, theirs = _bare(base), _bare(old)
    if not base or not old or "".join(mine) != "".join(theirs):
        return []
    groups: list[tuple[int, int, int, int]] = []
    a = b = a0 = b0 = got_a = got_b = 0
    while a < len(base) or b < len(old):
        if ((got_a < got_b or (got_a == got_b and a == a0)) and a < len(base)) or b == len(old):
            got_a += len(mine[a])
            a += 1
        else:
            got_b += len(theirs[b])
            b += 1
        if got_a == got_b and a > a0 and b > b0:
            while a < len(base) and not mine[a]:
                a += 1
            while b < len(old) and not theirs[b]:
                b += 1
            groups.append((a0, a, b0, b))
            a0, b0 = a, b
    return groups


def _bare(lines: list[str]) -> list[str]:
    """Each line without spaces and comments, and without the comma that ends a flow collection's
    last item (`b,` before a line `]`): what is left is what YAML reads from it."""
    bare = ["".join(_without_comment(line).split()) for line in lines]
    following = ""
    for k in range(len(bare) - 1, -1, -1):  # from the end: the next line that holds anything
        if bare[k].endswith(",") and following[:1] in ("]", "}"):
            bare[k] = bare[k][:-1]
        bare[k] = re.sub(r",(?=[\]}])", "", bare[k])
        following = bare[k] or following
    return bare


def _without_comment(line: str) -> str:
    """`line` up to its comment: a `#` at the start or after a space, outside quotes."""
    quote = ""
    for k, char in enumerate(line):
        if quote:
            if char == quote and (quote == "'" or line[k - 1] != "\\"):
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (k == 0 or line[k - 1] in " \t"):
            return line[:k]
    return line


def _hunks(base: list[str], new: list[str], at: dict[int, int],
           past: dict[int, int]) -> list[tuple[int, int, int, int]]:
    """The changed ranges (base, then new), widened until the lines around each are original lines."""
    # base boundary -> new boundary; at an insertion point a range starts before the inserted
    # lines and ends after them, hence the first mapping for starts and the last for ends
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    ranges: list[list[int]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, base, new, autojunk=False).get_opcodes():
        for i, j in ((i1, j1), (i2, j2)) if tag != "equal" else ((i, j1 + i - i1) for i in range(i1, i2 + 1)):
            starts.setdefault(i, j)
            ends[i] = j
        if tag == "equal":
            continue
        while i1 and (i1 - 1) not in past:
            i1 -= 1
        while i2 < len(base) and i2 not in at:
            i2 += 1
        while ranges and ranges[-1][1] >= i1:  # touching or overlapping: one change
            p1, p2 = ranges.pop()
            i1, i2 = min(p1, i1), max(p2, i2)
        ranges.append([i1, i2])
    return [(i1, i2, starts[i1], ends[i2]) for i1, i2 in ranges]


def is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def is_filler(line: str) -> bool:
    return not line.strip() or is_comment(line)


def _heads_outer(line: str, depth: int) -> bool:
    """A blank line, or a comment indented less than `depth`: it leads into what follows."""
    return not line.strip() or (is_comment(line) and indent(line) < depth)


def indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _keep_comments(base: list[str], new: list[str]) -> list[str]:
    """`new` with comment lines put back where a reader expects them.

    ruamel keeps the comment lines that follow a key with that key: deleting the key drops
    them, and a key appended after it lands below them. Both would misplace comments that
    belong to what comes next (the next account's heading), so a dropped trailing run of
    blank and comment lines is restored, and an insertion moves above blank lines and
    comments that are indented less than it (they head the next, outer, item).
    """
    present = {line for line in new if is_comment(line)}
    out: list[str] = []
    floor = 0  # never move an insertion above an earlier change
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, base, new, autojunk=False).get_opcodes():
        if tag == "equal":
            out += new[j1:j2]
            continue
        added = new[j1:j2]
        if i2 > i1:
            removed = base[i1:i2]
            tail = len(removed)
            while tail and is_filler(removed[tail - 1]):
                tail -= 1
            trailing = removed[tail:]
            if trailing and not any(line in present for line in trailing if is_comment(line)):
                added = added + trailing
            out += added
        else:
            first = next((line for line in added if line.strip()), "")
            depth = indent(first)
            at = len(out)
            while at > floor and _heads_outer(out[at - 1], depth):
                at -= 1
            out[at:at] = added
        floor = len(out)
    return out


def original_place(original: str, proposed: str, line: int, col: int) -> tuple[int, int]:
    """Where (`line`, `col`) of `proposed` — an edit of `original` that was not saved — stands in
    `original`, the file the user has: the same place on a line the edit kept, else the place
    the change starts (the first character that differs: where a new account would have gone)."""
    old = [text.rstrip("\r\n") for text in split_lines(original)] or [""]
    new = [text.rstrip("\r\n") for text in split_lines(proposed)]
    for tag, i1, _, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if not j1 <= line - 1 < max(j2, j1 + 1):
            continue
        if tag == "equal":
            return i1 + line - 1 - j1 + 1, col
        if i1 >= len(old):  # appended past the end: the end of the last line
            return len(old), len(old[-1]) + 1
        before, after = old[i1], new[j1] if j1 < len(new) else ""
        same = next((k for k, (a, b) in enumerate(zip(before, after, strict=False)) if a != b),
                    min(len(before), len(after)))
        return i1 + 1, same + 1
    return len(old), len(old[-1]) + 1
