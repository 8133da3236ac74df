"""Parse WWW-Authenticate headers (RFC 7235) into challenges; pure string work.

requests joins repeated WWW-Authenticate headers with ", ", so one string can hold several
challenges, and a quoted value (a Bearer `scope`) can hold commas of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_SPACE = " \t"


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-cased: "basic", "bearer"
    params: dict[str, str] = field(default_factory=dict)  # names lower-cased, values unquoted
    token68: str | None = None

    def get(self, name: str) -> str | None:
        return self.params.get(name.lower())


def parse_challenges(header: str | None) -> list[Challenge]:
    """Every challenge in `header`, in order; malformed stretches are skipped, never raised."""
    challenges: list[Challenge] = []
    text = header or ""
    pos = 0
    while True:
        pos = _skip(text, pos, _SPACE + ",")
        if pos >= len(text):
            return challenges
        scheme = _TOKEN.match(text, pos)
        if scheme is None:  # garbage: resume at the next comma
            comma = text.find(",", pos)
            pos = len(text) if comma < 0 else comma + 1
            continue
        pos = scheme.end()
        token68 = _token68_at(text, pos)
        if token68 is not None:
            value, pos = token68
            challenges.append(Challenge(scheme.group().lower(), {}, value))
            continue
        params, pos = _params(text, pos)
        challenges.append(Challenge(scheme.group().lower(), params))


def _skip(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _token68_at(text: str, pos: int) -> tuple[str, int] | None:
    """`Scheme abc123==` form: a token68 that ends the challenge (at a comma or the end)."""
    start = _skip(text, pos, _SPACE)
    if start == pos:
        return None
    match = _TOKEN68.match(text, start)
    if match is None:
        return None
    end = _skip(text, match.end(), _SPACE)
    if end < len(text) and text[end] != ",":
        return None
    return match.group(), end


def _params(text: str, pos: int) -> tuple[dict[str, str], int]:
    """auth-params after a scheme; stops before a token that is the next challenge's scheme."""
    params: dict[str, str] = {}
    while True:
        start = _skip(text, pos, _SPACE + ",")
        name = _TOKEN.match(text, start)
        if name is None:
            return params, start
        equals = _skip(text, name.end(), _SPACE)
        if equals >= len(text) or text[equals] != "=":
            return params, start  # a new scheme begins here
        value_start = _skip(text, equals + 1, _SPACE)
        if value_start < len(text) and text[value_start] == '"':
            value, pos = _quoted(text, value_start)
        else:  # token, or a lenient unquoted value such as a bare URL
            end = value_start
            while end < len(text) and text[end] not in _SPACE + ",":
                end += 1
            value, pos = text[value_start:end], end
        params[name.group().lower()] = value


def _quoted(text: str, pos: int) -> tuple[str, int]:
    """A quoted-string starting at `pos` (the opening quote); backslash escapes the next char."""
    out: list[str] = []
    i = pos + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            return "".join(out), i + 1
        out.append(char)
        i += 1
    return "".join(out), i  # unterminated: take the rest
