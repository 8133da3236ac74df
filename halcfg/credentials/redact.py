"""Keep secrets out of everything halcfg prints: masks for values, redaction for free text."""

from __future__ import annotations

from collections.abc import Iterable

MASK = "****"

# Secrets shorter than this are not redacted inside free text: replacing every "a" would
# garble messages while hiding nothing a guesser could not already try.
_MIN_REDACT_LEN = 4


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every occurrence of each secret (and of its stripped form) replaced by MASK."""
    forms = {form for s in secrets if s for form in (s, s.strip()) if len(form) >= _MIN_REDACT_LEN}
    for form in sorted(forms, key=len, reverse=True):  # longest first, so no secret is half-masked
        text = text.replace(form, MASK)
    return text
