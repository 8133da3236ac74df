"""Keep secrets out of everything halcfg prints: masks for values, redaction for free text.

`redact` is the one function every stage passes outside text through (registry error bodies and
headers, passwordCommand stderr, boto errors, exception text) before it reaches a finding, a
log or a diff. It hides each secret in every form a server or a tool is likely to echo it in:
as is, percent-encoded, and base64 (standard and URL-safe, padded or not) — also inside a
longer base64 text such as `Basic base64(user:password)` or a base64'd docker config, where
the secret's bytes may start at any of three alignments. It also hides the userinfo of any
URL (`https://user:pass@host`), whoever's it is.
"""

from __future__ import annotations

import base64
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
