"""Basic and Bearer authentication for one registry, with Bearer tokens cached per scope.

A scope's token is fetched once and reused until shortly before it expires, so a probe of
1,000 repositories costs one token request per repository, never one per page or per retry.

Credentials go only where they belong: Basic credentials are sent to a token realm over https,
or over plain http only when the registry itself is plain http (its user accepted cleartext)
and the realm is on the registry's own host and port. Any other realm gets CredentialsWithheld
before a byte is sent to it. Userinfo in a realm is dropped, never used nor shown. Every token
obtained is kept in `issued`, so callers can redact it from what they print.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from halcfg.registry.challenge import Challenge, parse_challenges
from halcfg.registry.errors import AuthRefused, CredentialsWithheld, RegistryError, error_from_body
from halcfg.registry.token_claims import claims, granted_actions
from halcfg.registry.transport import TOKEN_LIMIT, Transport

CATALOG_SCOPE = "registry:catalog:*"
DEFAULT_EXPIRES_IN = 60  # seconds; the token spec's default and minimum
_EXPIRY_MARGIN = 0.1  # drop a token this fraction of its lifetime early (at most 30 s)


def pull_scope(repository: str) -> str:
    return f"repository:{repository}:pull"


def token_lifetime(body: dict[str, object], now: float | None = None) -> float:
    """Seconds a token response stays usable from `now` (wall clock): expires_in counted from
    issued_at when given (never from the future, so a fast server clock cannot extend it),
    less a safety margin."""
    raw = body.get("expires_in")
    expires_in = float(raw) if isinstance(raw, (int, float)) and raw > 0 else DEFAULT_EXPIRES_IN
    expires_in = max(expires_in, DEFAULT_EXPIRES_IN)
    now = time.time() if now is None else now
    issued = _timestamp(body.get("issued_at"))
    age = max(0.0, now - issued) if issued is not None else 0.0
    return max(0.0, expires_in - age - min(30.0, expires_in * _EXPIRY_MARGIN))


def _timestamp(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


@dataclass
class _Token:
    value: str
    expires: float  # time.monotonic()


class Auth:
    """What to send for a scope; learns the scheme from the registry's challenges."""

    def __init__(self, transport: Transport, registry: str, username: str | None, password: str | None) -> None:
        self.transport = transport
        self.registry = registry  # base URL, e.g. https://quay.io: where realms are judged from
        self.issued: list[str] = []  # every token obtained, for redaction
        self.username = username
        self.password = password
        self.scheme = "none"  # "none" | "basic" | "bearer"
        self._bearer: Challenge | None = None
        self._tokens: dict[str | None, _Token] = {}
        self._locks: dict[str | None, threading.Lock] = {}
        self._lock = threading.Lock()
        self._basic: dict[str, str] = {}
        if password is not None:
            pair = f"{username or ''}:{password}".encode()
            self._basic = {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    @property
    def has_credentials(self) -> bool:
        return self.password is not None

    def adopt(self, challenges: list[Challenge]) -> bool:
        """Switch to the best scheme offered (Bearer over Basic); False when none is usable."""
        bearer = next((c for c in challenges if c.scheme == "bearer" and c.get("realm")), None)
        if bearer is not None:
            with self._lock:
                if self._bearer is None or self._bearer.get("realm") != bearer.get("realm"):
                    self._tokens.clear()
                self._bearer, self.scheme = bearer, "bearer"
            return True
        if any(c.scheme == "basic" for c in challenges):
            self.scheme = "basic"
            return True
        return False

    def headers(self, scope: str | None) -> dict[str, str]:
        """Authorization for a request needing `scope` (None: just authenticated, as for /v2/)."""
        if self.scheme == "basic":
            return self._basic
        if self.scheme == "bearer":
            return {"Authorization": "Bearer " + self._token(scope)}
        return {}

    def login(self) -> None:
        """Check the credentials now, as `docker login` does: a scope-less token for Bearer
        (Basic is checked by the caller's authenticated /v2/ request)."""
        if self.scheme == "bearer":
            self._token(None)

    def granted(self, scope: str) -> list[str] | None:
        """What the cached token for `scope` grants on its resource, by the token's own claims
        (None: no token, or an opaque one)."""
        with self._lock:
            token = self._tokens.get(scope)
        return granted_actions(claims(token.value), scope) if token is not None else None

    def reauthenticate(self, www_authenticate: str | None, scope: str | None) -> bool:
        """After a 401: adopt the challenge it carries and drop the cached token for `scope`.
        True when one more try can help (Bearer always; Basic only if we sent nothing yet)."""
        challenges = parse_challenges(www_authenticate)
        before = self.scheme
        if not self.adopt(challenges):
            return False
        if self.scheme == "bearer":
            with self._lock:
                self._tokens.pop(scope, None)
            return True
        return before == "none" and bool(self._basic)

    def _token(self, scope: str | None) -> str:
        with self._lock:
            lock = self._locks.setdefault(scope, threading.Lock())
        with lock:  # one fetch per scope even when many threads want it at once
            token = self._tokens.get(scope)
            if token is None or time.monotonic() >= token.expires:
                token = self._fetch(scope)
                self._tokens[scope] = token
            return token.value

    def _fetch(self, scope: str | None) -> _Token:
        challenge = self._bearer
        assert challenge is not None
        realm = _realm_url(self.registry, challenge.get("realm") or "")
        host = urlsplit(realm).netloc
        if self.has_credentials:
            refusal = _unsafe_realm(realm, self.registry)
            if refusal:
                raise CredentialsWithheld(f"token realm {_shown(realm)} {refusal}: the credentials were not sent")
        query = {}
        if service := challenge.get("service"):
            query["service"] = service
        if scope:
            query["scope"] = scope
        url = (realm + ("&" if "?" in realm else "?") + urlencode(query)) if query else realm
        started = time.monotonic()
        response = self.transport.get(url, headers=self._basic, limit=TOKEN_LIMIT)  # anonymous without a password
        if response.status_code in (401, 403):
            if self.has_credentials:
                raise AuthRefused(f"token server {host} refused the credentials (HTTP {response.status_code})",
                                  status=response.status_code, code="UNAUTHORIZED")
            raise AuthRefused(f"token server {host} wants credentials and the account has none",
                              status=response.status_code, code="UNAUTHORIZED")
        if response.status_code != 200:
            raise error_from_body(response.status_code, response.content, f"token server {host}")
        try:
            body = json.loads(response.content)
            value = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError):
            body, value = None, None
        if not isinstance(value, str) or not value:
            raise RegistryError(f"token server {host} answered without a token", code="MALFORMED")
        with self._lock:
            self.issued.append(value)
        return _Token(value, started + token_lifetime(body))


def _realm_url(registry: str, realm: str) -> str:
    """The realm as an absolute URL without userinfo (a relative realm is on the registry)."""
    parts = urlsplit(urljoin(registry + "/", realm.strip()))
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, ""))


def _unsafe_realm(realm: str, registry: str) -> str | None:
    """Why Basic credentials must not go to `realm`, or None when they may."""
    scheme = urlsplit(realm).scheme
    if scheme == "https":
        return None
    if scheme != "http":
        return "is not an http(s) URL"
    if urlsplit(registry).scheme != "http":
        return "is plain http while the registry is https (the password would cross the network in clear)"
    if _origin(realm) != _origin(registry):
        return (f"is plain http on another host than the registry ({_origin(registry)}); "
                "plainHttp covers the registry's own host and port only")
    return None


def _origin(url: str) -> str:
    """host:port of an http(s) URL, with the scheme's default port made explicit."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname or ""
    return f"[{host}]:{port or default}" if ":" in host else f"{host}:{port or default}"


def _shown(url: str) -> str:
    """`url` without its query (the realm's own parameters are noise here)."""
    return url.split("?", 1)[0]
