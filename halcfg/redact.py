"""Keep secrets out of everything halcfg prints: masks for values, redaction for free text.

`redact` is the one function every stage passes outside text through (registry error bodies and
headers, passwordCommand stderr, boto errors, exception text) before it reaches a finding, a
log or a diff. It hides each secret in every form a server or a tool is likely to echo it in:
as is, percent-encoded, and base64 (standard and URL-safe, padded or not) — also inside a
longer base64 text such as `Basic base64(user:password)` or a base64'd docker config, where
the secret's bytes may start at any of three alignments. It also hides the userinfo of any
URL (`https://user:pass@host`), whoever's it is.

`mask_values` is for text that holds secrets by design (a rendered file, an accounts file's
diff): there a secret of any length is hidden, and a value holding one is replaced whole — a
base64 string is never cut into pieces whose edges still decode to part of the secret.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote

MASK = "****"

# Secrets shorter than this are not redacted inside free text: replacing every "a" would
# garble messages while hiding nothing a guesser could not already try.
_MIN_REDACT_LEN = 4
# A base64 run shorter than this, cut from the middle of an encoding, is too likely to occur by
# chance in other base64 text to be worth masking; the exact encodings are masked at any length.
_MIN_BASE64_CORE = 8
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/@'\"<>]*@")
# A run of base64 characters, either alphabet (a word, a token, a whole `.dockerconfigjson`): what
# mask_values hides whole. Two characters already encode one byte.
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{2,}=*")
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_DECODE_DEPTH = 2  # base64 of JSON holding base64 of user:password (a Secret's .dockerconfigjson)


def credential_secrets(username: str | None, password: str | None) -> list[str]:
    """What to redact for a login: the password and `user:password` (the Basic pair)."""
    if not password:
        return []
    return [password, f"{username or ''}:{password}"]


# Secrets resolved from places the caller does not hold (kork references): hidden by every
# `redact` of this process, whoever calls it and with whatever secrets it passes.
_remembered: set[str] = set()


def remember(secret: str) -> None:
    _remembered.add(secret)


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with URL userinfo and every form of each secret (and of each remembered one)
    replaced by MASK."""
    text = _USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
    forms = {form for secret in [*secrets, *_remembered] if secret for form in _forms(secret)}
    for form in sorted(forms, key=len, reverse=True):  # longest first, so no secret is half-masked
        if form in text:
            text = text.replace(form, MASK)
    return text


def hide_userinfo(url: str) -> str:
    """`url` fit to print: `https://user:pass@host/x` becomes `https://****@host/x`, and so
    does a URL without a scheme (`user:pass@host`), as users write in `address`."""
    scheme, sep, rest = url.rpartition("://") if "://" in url else ("", "", url)
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    return f"{scheme}{sep}{MASK}@{authority.rpartition('@')[2]}{slash}{path}"


@lru_cache(maxsize=4096)
def _forms(secret: str) -> frozenset[str]:
    forms: set[str] = set()
    for plain in {secret, secret.strip()}:
        if len(plain) < _MIN_REDACT_LEN:
            continue
        forms |= {plain, quote(plain, safe="")}
        forms |= _base64_forms(plain.encode())
    return frozenset(forms)


def _base64_forms(data: bytes) -> set[str]:
    """Exact encodings of `data`, and the part of its encoding fixed whatever precedes or
    follows it, at each of the three byte alignments; each standard and URL-safe."""
    encoded = base64.b64encode(data).decode("ascii")
    forms = {encoded, encoded.rstrip("=")}
    for shift in range(3):
        shifted = base64.b64encode(b"\0" * shift + data).decode("ascii")
        whole_groups = (shift + len(data)) // 3
        core = shifted[4 if shift else 0 : 4 * whole_groups]
        if len(core) >= _MIN_BASE64_CORE:
            forms.add(core)
    return forms | {form.replace("+", "-").replace("/", "_") for form in forms}


def mask_values(text: str, secrets: Iterable[str | None]) -> str:
    """`text`, which holds secrets by design, with every value that holds one replaced whole by MASK.

    A run of base64 characters is masked whole when it holds a secret as is, or when it decodes —
    at any alignment, either alphabet, and again inside what it decodes to — to bytes holding one
    as is or JSON-escaped. Elsewhere each secret is masked as is, JSON-escaped, YAML single-quoted
    and percent-encoded (callers add forms of their own formats, e.g. Go's JSON escapes). Secrets
    of any length count: masking a few innocent words beside a one-letter password is the price
    of never showing a character of it.
    """
    forms = _value_forms(tuple(s for s in secrets if s))
    if not forms:
        return text
    needles = [form.encode("utf-8", "surrogatepass") for form in forms if "\0" not in form]
    data = text.encode("utf-8", "surrogatepass")
    runs = list(_BASE64_RUN.finditer(data))
    pieces, last = [], 0
    for index in sorted(_holding([run.group() for run in runs], needles, _DECODE_DEPTH)):
        pieces += [data[last:runs[index].start()], MASK.encode()]
        last = runs[index].end()
    pieces.append(data[last:])
    masked = b"".join(pieces).decode("utf-8", "surrogatepass")
    for form in forms:  # longest first, so no secret is half-masked
        masked = masked.replace(form, MASK)
    return masked


@lru_cache(maxsize=64)
def _value_forms(secrets: tuple[str, ...]) -> list[str]:
    """Each secret as the formats of rendered files write it, longest first; a secret of several
    lines also line by line (a template may write it raw)."""
    forms: set[str] = set()
    for secret in secrets:
        for plain in {secret, secret.strip(), *secret.splitlines()}:
            if plain:
                forms |= {plain, json.dumps(plain, ensure_ascii=False)[1:-1], json.dumps(plain)[1:-1],
                          plain.replace("'", "''"), quote(plain, safe="")}
    return sorted(forms, key=len, reverse=True)


def _holding(chunks: list[bytes], needles: list[bytes], depth: int) -> set[int]:
    """Indexes of the chunks holding a needle as is or, `depth` levels down, inside base64."""
    hits = _containing(chunks, needles)
    if depth == 0:
        return hits
    inner: list[bytes] = []
    owner: list[int] = []
    for index, chunk in enumerate(chunks):
        if index not in hits:
            for run in _BASE64_RUN.findall(chunk):
                decoded = _decodings(run)
                inner += decoded
                owner += [index] * len(decoded)
    return hits | {owner[i] for i in _holding(inner, needles, depth - 1)} if inner else hits


def _containing(chunks: list[bytes], needles: list[bytes]) -> set[int]:
    """Indexes of the chunks holding a needle: one search per needle over all chunks joined."""
    joined = b"\0".join(chunks)
    starts = list(itertools.accumulate((len(chunk) + 1 for chunk in chunks), initial=0))
    found: set[int] = set()
    for needle in needles:
        at = joined.find(needle)
        while at >= 0:
            index = bisect.bisect_right(starts, at) - 1
            found.add(index)
            at = joined.find(needle, starts[index + 1])
    return found


def _decodings(run: bytes) -> list[bytes]:
    """`run` decoded from each of the four alignments an encoding inside it may start at."""
    run = run.rstrip(b"=").translate(_TO_STANDARD)
    decoded = []
    for offset in range(4):
        part = run[offset:]
        part = part[: len(part) - (len(part) % 4 == 1)]  # one dangling character encodes nothing
        if len(part) >= 2:
            decoded.append(base64.b64decode(part + b"=" * (-len(part) % 4)))
    return decoded
