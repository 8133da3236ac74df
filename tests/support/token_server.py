"""A Docker token server (the `auth.token` realm of distribution), small enough to read in one go.

It speaks the protocol of https://distribution.github.io/distribution/spec/auth/token/: GET the
realm with `service`, repeatable `scope` and Basic credentials, get back an RS256 JWT whose
header carries the signing certificate (`x5c`), which is how distribution 2.8 finds the key.
Like real token servers it never refuses a scope: it grants the subset the user may have, and
the registry answers `insufficient_scope` for the rest.

It serves https (a throwaway CA in `ca_file`), as real token servers do: halcfg sends Basic
credentials to a realm only over https (or plain http on the registry's own host and port).
`tls=False` gives the plain-http realm tests of that refusal need.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import fnmatch
import json
import secrets
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .ports import LOOPBACK
from .tls import make_server_tls

ANONYMOUS = ""
"""The `grants` key for requests without credentials (used when `anonymous=True`)."""

_DEFAULT_GRANTS = ["*"]
_ANONYMOUS_DEFAULT_GRANTS = ["pull"]


def _parse_grant(grant: str) -> tuple[str, str, set[str]]:
    """'pull' / 'push' / '*' are shorthands; otherwise a scope-shaped 'type:name-glob:actions'
    (a leading '!' is stripped by the caller: a denial)."""
    if grant == "*":
        return "*", "*", {"*"}
    if ":" not in grant:
        return "repository", "*", {grant}
    kind, _, rest = grant.partition(":")
    name, _, actions = rest.rpartition(":")
    return kind, name, set(actions.split(","))


def _covers(grant: str, kind: str, name: str, wanted: list[str]) -> set[str]:
    """The actions of `wanted` that `grant` names for resource `kind:name`."""
    grant_kind, grant_name, actions = _parse_grant(grant)
    if not (fnmatch.fnmatchcase(kind, grant_kind) and fnmatch.fnmatchcase(name, grant_name)):
        return set()
    return set(wanted) if "*" in actions else actions


def parse_scope(scope: str) -> tuple[str, str, list[str]]:
    """'repository:team/api:pull,push' -> ('repository', 'team/api', ['pull', 'push'])."""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    return kind, name, [action for action in actions.split(",") if action]


def _rsa_key_and_cert(workdir: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "halcfg test token signer")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    workdir.mkdir(parents=True, exist_ok=True)
    cert_file = workdir / f"token-signer-{secrets.token_hex(4)}.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, cert_file


class TokenServer:
    """Issues registry tokens to `users` (name -> password) within their `grants`.

    A grant is '*' (everything, catalog included), 'pull' or 'push' (that action on every
    repository), or 'type:name-glob:actions' such as 'repository:team/*:pull' or
    'registry:catalog:*'. A grant starting with '!' is a denial, applied after every grant:
    ['*', '!repository:org/*:pull'] lists the catalog but refuses pull on org/*, as a robot
    account that may list but not pull is refused (the token simply lacks the action). Users
    missing from `grants` get '*'; anonymous requests (allowed only with `anonymous=True`) get
    `grants[ANONYMOUS]`, default 'pull'.
    """

    def __init__(
        self,
        workdir: Path,
        users: dict[str, str],
        *,
        grants: dict[str, list[str]] | None = None,
        expires_in: int = 300,
        anonymous: bool = False,
        tls: bool = True,
    ) -> None:
        self.users = dict(users)
        self.grants = dict(grants or {})
        self.expires_in = expires_in
        self.anonymous = anonymous
        self.service = "halcfg-test-registry"
        self.issuer = "halcfg-test-token-server"
        self.requests: list[dict[str, Any]] = []
        self._key, cert, self.cert_file = _rsa_key_and_cert(workdir)
        self._tls = make_server_tls(workdir / "token-server-tls") if tls else None
        self.ca_file: Path | None = self._tls.ca_file if self._tls else None
        self._x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.realm = ""

    def start(self) -> TokenServer:
        """Listen on 127.0.0.1 and a kernel-chosen port; `realm` is set once this returns."""
        self._server = ThreadingHTTPServer((LOOPBACK, 0), self._handler_class())
        self._server.daemon_threads = True
        scheme = "http"
        if self._tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self._tls.cert_file, self._tls.key_file)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.realm = f"{scheme}://{LOOPBACK}:{self._server.server_address[1]}/token"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="token-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def allowed_actions(self, user: str | None, kind: str, name: str, wanted: list[str]) -> list[str]:
        """The subset of `wanted` that `user`'s grants cover for resource `kind:name`."""
        if user is None:
            grants = self.grants.get(ANONYMOUS, _ANONYMOUS_DEFAULT_GRANTS)
        else:
            grants = self.grants.get(user, _DEFAULT_GRANTS)
        granted = [_covers(g, kind, name, wanted) for g in grants if not g.startswith("!")]
        denied = [_covers(g[1:], kind, name, wanted) for g in grants if g.startswith("!")]
        allowed = set().union(*granted) - set().union(*denied)
        return [action for action in wanted if action in allowed]

    def make_token(self, user: str | None, scopes: list[str], *, expires_in: int | None = None) -> str:
        """A signed token for `user` carrying the granted part of `scopes` (used by tests directly too)."""
        access = []
        for scope in scopes:
            kind, name, wanted = parse_scope(scope)
            actions = self.allowed_actions(user, kind, name, wanted)
            if actions:
                access.append({"type": kind, "name": name, "actions": actions})
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": user or "",
            "aud": self.service,
            "iat": now,
            "nbf": now,
            "exp": now + (self.expires_in if expires_in is None else expires_in),
            "jti": secrets.token_hex(8),
            "access": access,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"x5c": self._x5c})

    def _authenticate(self, header: str | None) -> tuple[bool, str | None]:
        """(ok, user): no header is anonymous; a wrong or malformed one is refused."""
        if header is None:
            return self.anonymous, None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False, None
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False, None
        stored = self.users.get(user)
        ok = stored is not None and secrets.compare_digest(stored.encode(), password.encode())
        return ok, user

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the requests list is the log tests read."""

            def _reply(
                self, status: int, document: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path != "/token":
                    self._reply(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
                    return
                query = parse_qs(url.query)
                scopes = [part for value in query.get("scope", []) for part in value.split(" ") if part]
                ok, user = server._authenticate(self.headers.get("Authorization"))
                service = query.get("service", [None])[0]
                status = 200 if ok else 401
                if ok and service not in (None, server.service):
                    status = 400
                with server._lock:
                    server.requests.append({
                        "scope": scopes,
                        "user": user,
                        "service": service,
                        "account": query.get("account", [None])[0],
                        "offline_token": query.get("offline_token", [None])[0],
                        "status": status,
                    })
                if status == 401:
                    self._reply(
                        401,
                        {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                        {"WWW-Authenticate": 'Basic realm="halcfg-test-token-server"'},
                    )
                    return
                if status == 400:
                    message = f"unknown service {service!r}"
                    self._reply(400, {"errors": [{"code": "DENIED", "message": message}]})
                    return
                token = server.make_token(user, scopes)
                issued = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                self._reply(200, {
                    "token": token,
                    "access_token": token,
                    "expires_in": server.expires_in,
                    "issued_at": issued,
                })

        return Handler
