"""Carry an edit of a dumped YAML tree back onto the original text, line by line.

ruamel's round trip keeps most formatting but not all of it (odd indents, spacing, line
endings), and it hangs comments on the node before them, so a dump moves or drops comment
lines next to an edit. An edit is therefore taken as the line diff between two dumps (before
and after the change) and replayed onto the original bytes: every line outside the diff is the
original line, byte for byte.
"""

from __future__ import annotations

from difflib import SequenceMatcher


def splice(original: str, before: str, after: str) -> str:
    """`original` changed as `before` (the dump of its tree) changed into `after`.

    `before` and `after` use "\\n"; lines the edit adds take the original's line ending.
    """
    if not original:
        return after
    raw = split_lines(original)
    old = [line.rstrip("\r\n") for line in raw]
    base = before.split("\n")[:-1] if before.endswith("\n") else before.split("\n")
    new = _keep_comments(base, after.split("\n")[:-1] if after.endswith("\n") else after.split("\n"))
    nl = line_ending(original)

    to_old = _pair_lines(base, old)
    epilogue = max(to_old.values(), default=-1) + 1  # original lines past the last kept one ("...")

    out: list[str] = []
    cursor = 0  # next original line to copy
    for i1, i2, j1, j2 in _hunks(base, new, to_old):
        start = to_old[i1 - 1] + 1 if i1 else 0
        out += raw[cursor:start]
        out += [line + nl for line in new[j1:j2]]
        cursor = to_old[i2] if i2 < len(base) else max(start, epilogue)
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


def _pair_lines(base: list[str], old: list[str]) -> dict[int, int]:
    """base line -> original line, for the lines ruamel kept and those it only respaced
    (`key:   value`, `[ a,  b ]`): outside an edit those are the original's lines."""
    pairs: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, base, old, autojunk=False).get_opcodes():
        if tag == "equal":
            pairs.update((i1 + k, j1 + k) for k in range(i2 - i1))
        elif tag == "replace":
            squeezed = SequenceMatcher(
                None, ["".join(line.split()) for line in base[i1:i2]], ["".join(line.split()) for line in old[j1:j2]],
                autojunk=False,
            )
            blocks = [block for block in squeezed.get_matching_blocks() if block.size]
            for a, b, size in blocks:
                pairs.update((i1 + a + k, j1 + b + k) for k in range(size))
            if not blocks and i2 - i1 == j2 - j1:  # reformatted beyond spacing, but one for one
                pairs.update((i1 + k, j1 + k) for k in range(i2 - i1))
    return pairs


def _hunks(base: list[str], new: list[str], to_old: dict[int, int]) -> list[tuple[int, int, int, int]]:
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
        while i1 and (i1 - 1) not in to_old:
            i1 -= 1
        while i2 < len(base) and i2 not in to_old:
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
