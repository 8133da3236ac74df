"""Parse WWW-Authenticate headers (RFC 7235) into challenges; pure string work.

requests joins repeated WWW-Authenticate headers with ", ", so one string can hold several
challenges, and a quoted value (a Bearer `scope`) can hold commas of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_SPACES = re.compile(r"[ \t]*")
_SEPARATORS = re.compile(r"[ \t,]*")
_BARE_VALUE = re.compile(r"[^ \t,]*")
_QUOTED = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)(?:"|\\?$)', re.DOTALL)  # Friedl's unrolled loop
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
# Real headers hold one to three challenges of a few params. Past these caps the rest is junk;
# stopping there keeps a hostile header's cost at one regex scan, not one Python step per byte.
MAX_CHALLENGES = 16
MAX_PARAMS = 32
MAX_HEADER = 16 * 1024  # characters read: a Bearer challenge naming many scopes is a few kB


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-cased: "basic", "bearer"
    params: dict[str, str] = field(default_factory=dict)  # names lower-cased, values unquoted
    token68: str | None = None

    def get(self, name: str) -> str | None:
        return self.params.get(name.lower())


def _skip(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where `pattern` (one that may match nothing) stops matching from `pos`."""
    match = pattern.match(text, pos)
    return match.end() if match else pos


def parse_challenges(header: str | None) -> list[Challenge]:
    """Every challenge in `header`, in order (at most MAX_CHALLENGES); malformed stretches are
    skipped, never raised. Linear in the header's length: every scan is a regex match."""
    challenges: list[Challenge] = []
    text = (header or "")[:MAX_HEADER]
    pos = 0
    while len(challenges) < MAX_CHALLENGES:
        pos = _skip(_SEPARATORS, text, pos)
        if pos >= len(text):
            break
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
    return challenges


def _token68_at(text: str, pos: int) -> tuple[str, int] | None:
    """`Scheme abc123==` form: a token68 that ends the challenge (at a comma or the end)."""
    start = _skip(_SPACES, text, pos)
    if start == pos:
        return None
    match = _TOKEN68.match(text, start)
    if match is None:
        return None
    end = _skip(_SPACES, text, match.end())
    if end < len(text) and text[end] != ",":
        return None
    return match.group(), end


def _params(text: str, pos: int) -> tuple[dict[str, str], int]:
    """auth-params after a scheme; stops before a token that is the next challenge's scheme.
    Params past MAX_PARAMS are skipped up to the next comma-separated token."""
    params: dict[str, str] = {}
    seen = 0
    while True:
        start = _skip(_SEPARATORS, text, pos)
        name = _TOKEN.match(text, start)
        if name is None:
            return params, start
        equals = _skip(_SPACES, text, name.end())
        if equals >= len(text) or text[equals] != "=":
            return params, start  # a new scheme begins here
        value_start = _skip(_SPACES, text, equals + 1)
        quoted = _QUOTED.match(text, value_start)
        if quoted is not None:  # an unterminated quote takes the rest
            value, pos = _ESCAPE.sub(r"\1", quoted.group(1)), quoted.end()
        else:  # token, or a lenient unquoted value such as a bare URL
            pos = _skip(_BARE_VALUE, text, value_start)
            value = text[value_start:pos]
        seen += 1
        if seen <= MAX_PARAMS:
            params[name.group().lower()] = value
        else:
            return params, len(text)  # a flood of params: the rest of the header is not worth reading
