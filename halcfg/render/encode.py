"""Byte-exact encoders the targets share: Go's JSON, a deterministic YAML subset, docker's `auth`.

Every consumer has its own byte rules (FORMATS.md §3.1, §4.1, §7); these functions are the one
place that knows them, and the templates reach them as filters.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

# Go's encoding/json escapes these even inside strings (HTML safety); kubectl's bytes carry them.
_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_GO_ESCAPED = re.compile("[<>&\u2028\u2029]")


def go_json(value: Any, indent: str | None = None) -> str:
    """JSON as Go's json.Marshal (indent None) or json.MarshalIndent(v, "", indent) writes it.

    Key order is the caller's (Go structs keep field order; Go maps sort keys: pass sorted dicts).
    Python and Go (1.22+) agree on every other escape: \\b \\f \\n \\r \\t, \\u00XX below 0x20.
    """
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(value, ensure_ascii=False, separators=separators, indent=indent)
    return _GO_ESCAPED.sub(lambda m: _GO_ESCAPES[m.group()], text)


def b64encode(value: str | bytes) -> str:
    """Standard, padded base64 of the UTF-8 bytes."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    return base64.b64encode(data).decode("ascii")


def docker_auth(username: str | None, password: str | None) -> str:
    """docker's and kubectl's `auth`: base64 of `username:password`, padded."""
    return b64encode(f"{username or ''}:{password or ''}")


# A plain YAML scalar only when no YAML 1.1 or 1.2 reader can take it for anything but a string.
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./@+-]*\Z")
_NOT_STRINGS = re.compile(r"(?i:y|n|yes|no|true|false|on|off|null)\Z")

# What a double-quoted scalar may hold raw: YAML's printable set, the same in 1.1 (§5.1 c-printable)
# and 1.2 (§5.1): #x9 #xA #xD [#x20-#x7E] #x85 [#xA0-#xD7FF] [#xE000-#xFFFD] [#x10000-#x10FFFF];
# minus the line breaks 1.1 adds to LF and CR (#x85, #x2028, #x2029, §5.4 b-char), which a
# reader folds into a space, and the byte-order mark #xFEFF, which 1.2 forbids inside a document.
# SnakeYAML's StreamReader.update refuses the rest outright ("special characters are not allowed"),
# yaml.v2's yaml_parser_update_buffer (readerc.go) too ("control characters are not allowed"), and
# both fold a raw #x85 into a space. Everything outside the set is escaped.
_UNPRINTABLE = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


def _escape(char: str) -> str:
    point = ord(char)
    return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.match(text) and not _NOT_STRINGS.match(text):
        return text
    return quoted(text)


def quoted(text: str) -> str:
    """A YAML double-quoted scalar that every 1.1 and 1.2 reader reads back as exactly `text`:
    JSON's escapes (valid YAML escapes), plus `\\uXXXX` for whatever lies outside the printable set."""
    return _UNPRINTABLE.sub(lambda m: _escape(m.group()), json.dumps(text, ensure_ascii=False))


def one_line(text: str) -> str:
    """`text` safe inside a `#` comment line: line breaks and unprintable characters escaped
    (a file name with a newline would otherwise start new YAML lines or documents)."""
    return _UNPRINTABLE.sub(lambda m: _escape(m.group()), text.replace("\\", "\\\\").replace("\n", "\\n")
                            .replace("\r", "\\r"))


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML of plain data (dicts in their order, lists, scalars), ending in a newline.

    Strings are plain only when unambiguous, else double-quoted, so the output reads back as
    the same data under YAML 1.1 (clouddriver's SnakeYAML, Go's yaml.v2) and 1.2 alike.
    """
    lines: list[str] = []
    _emit(value, indent, lines)
    return "".join(line + "\n" for line in lines)


def _emit(value: Any, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            lines.append(pad + "{}")
        for key, item in value.items():
            head = f"{pad}{_scalar(key)}:"
            if isinstance(item, dict | list) and item:
                lines.append(head)
                _emit(item, indent + 2 if isinstance(item, dict) else indent, lines)
            else:
                lines.append(f"{head} {_inline(item)}")
    elif isinstance(value, list):
        if not value:
            lines.append(pad + "[]")
        for item in value:
            if isinstance(item, dict) and item:
                start = len(lines)
                _emit(item, indent + 2, lines)
                lines[start] = pad + "- " + lines[start][indent + 2 :]
            elif isinstance(item, list) and item:
                lines.append(pad + "-")
                _emit(item, indent + 2, lines)
            else:
                lines.append(f"{pad}- {_inline(item)}")
    else:
        lines.append(pad + _scalar(value))


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)
