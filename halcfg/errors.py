"""Errors that end a command with exit 2 and one line of text, never a traceback."""

from __future__ import annotations

from collections.abc import Iterable


class UsageError(Exception):
    """Bad flags, a missing file, or anything else the user must fix before a check can run."""


class LoadError(UsageError):
    """The accounts file cannot be read or parsed; the message starts with `file:line:col`."""


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known spelling `word` most likely meant (a typo away), or None."""
    from difflib import get_close_matches

    close = get_close_matches(word, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def one_of(what: str, value: str, known: Iterable[str]) -> UsageError:
    """The one error for a value outside its choices: what it may be, and what was probably meant."""
    known = list(known)
    guess = closest(value, known)
    return UsageError(f"{what} must be one of {', '.join(known)}, not {value!r}"
                      + (f" (did you mean {guess!r}?)" if guess else ""))
