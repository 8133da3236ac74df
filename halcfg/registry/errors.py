"""What can go wrong talking to a registry, as exceptions the probe maps to findings.

Messages never carry credentials: nothing here is given any.
"""

from __future__ import annotations

import json
import re


class RegistryError(Exception):
    """The registry answered, but not as the v2 API promises: `code` is the API's error code
    (NAME_UNKNOWN, DENIED, UNSUPPORTED, ...) or a synthetic one (HTTP_500, MALFORMED, LINK_LOOP)."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or (f"HTTP_{status}" if status else "ERROR")


class NotV2(RegistryError):
    """Something answers at the address, but `/v2/` is not a Docker Registry v2 API."""


class Unreachable(RegistryError):
    """No HTTP answer at all: refused, reset, or the name does not resolve."""


class TlsFailed(RegistryError):
    """The TLS handshake failed: untrusted certificate, wrong host name, or not TLS at all."""


class TimedOut(RegistryError):
    """No answer within the account's clientTimeoutMillis or the probe's overall deadline."""


class DeadlinePassed(TimedOut):
    """The probe's overall deadline, not the account's own timeout, cut this request short."""


class Cancelled(RegistryError):
    """The probe was stopped (its overall deadline passed) before this request ran."""


class TooLarge(RegistryError):
    """An answer over the size cap for its kind (pages, tokens), counted after decompression."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="TOO_LARGE")


class CredentialsWithheld(RegistryError):
    """The token realm is not a safe place for the account's credentials; they were not sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="REALM_INSECURE")


class RateLimited(RegistryError):
    """The registry kept answering 429 where the probe starts: nothing could be checked."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=429, code="TOOMANYREQUESTS")


class AuthRefused(RegistryError):
    """The registry or its token server rejected the credentials (or wants some and got none)."""


class ScopeRefused(RegistryError):
    """The credentials were accepted, but not for this: a 401 or 403 on a listing or a pull.
    `scope` is what the registry wanted (its challenge's, or the one asked for under Bearer),
    `granted` what the token sent grants on it by its claims (None: unknown)."""

    def __init__(self, message: str, *, status: int, code: str, scope: str | None = None,
                 granted: list[str] | None = None) -> None:
        super().__init__(message, status=status, code=code)
        self.scope = scope
        self.granted = granted


_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def error_from_body(status: int, body: bytes, what: str) -> RegistryError:
    """An error for a non-2xx answer: the first of `{"errors": [{"code", "message"}]}`, else a
    snippet of whatever the body holds (HTML from a proxy, plain text, nothing)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        document = None
    errors = document.get("errors") if isinstance(document, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = str(errors[0].get("code") or f"HTTP_{status}")
        message = str(errors[0].get("message") or "").strip()
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        text = f"{what}: HTTP {status} {code}" + (f": {message}" if message else "") + more
        return RegistryError(text, status=status, code=code)
    snippet = _SPACES.sub(" ", _TAGS.sub(" ", body[:2000].decode("utf-8", "replace"))).strip()[:160]
    return RegistryError(f"{what}: HTTP {status}" + (f": {snippet}" if snippet else ""), status=status)
