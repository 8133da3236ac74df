"""A registry that attacks its client, one attack per mode, on 127.0.0.1.

Each mode answers `/v2/` (and what follows) the way a hostile or broken registry would; every
request is recorded in `requests` (path and headers) so tests can prove what was, and was not,
sent. The real client code meets it through the real CLI.

Modes:
  record          200 `{}` to everything (a bystander that counts who calls it)
  realm           Bearer challenge whose realm is `realm` (default: its own /token, same host and
                  port); /token grants TOKEN to the right Basic credentials
  echo            Basic auth; every error answer echoes the credentials back: the Authorization
                  header, user:password and the password in body and headers, base64 in all forms
  echo-token      Bearer auth on its own /token; error answers echo the bearer token
  gzip-bomb       the catalog is a gzip body of BOMB_SIZE zero bytes (a few hundred kB on the wire)
  flood           the catalog is an endless body, no Content-Length
  trickle         the catalog's body arrives one byte every TRICKLE_GAP seconds
  huge-link       the catalog carries a 60,000-character adversarial Link header
  huge-challenge  /v2/ answers 401 with a 60,000-character adversarial WWW-Authenticate
  redirect        the catalog redirects to `redirect_to` (another host)
  rate-limit      /v2/ answers 429 with Retry-After: 120, always
"""

from __future__ import annotations

import base64
import contextlib
import json
import ssl
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .ports import LOOPBACK
from .tls import make_server_tls

TOKEN = "hostile-bearer-token-7f3a9c2e5b1d"
BOMB_SIZE = 256 * 2**20  # bytes after decompression: 16x the client's page cap
TRICKLE_GAP = 0.25
HUGE = 60_000
HUGE_LINK = "<" * HUGE  # a regex like <([^>]*)> rescans the rest from every `<`: minutes
HUGE_CHALLENGE = 'Bearer realm="' + "\\" * (HUGE // 2) + ", a=" * (HUGE // 8) + " a" * (HUGE // 4)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-attack is the point; stay quiet."""


class HostileRegistry:
    """`with HostileRegistry("echo", username=..., password=...) as registry:` — `address`, `url`."""

    def __init__(
        self,
        mode: str,
        *,
        username: str = "",
        password: str = "",
        realm: str | None = None,
        redirect_to: str = "",
        tls_dir: Path | None = None,
    ) -> None:
        self.mode = mode
        self.username = username
        self.password = password
        self.realm = realm
        self.redirect_to = redirect_to
        self.tls = make_server_tls(tls_dir) if tls_dir is not None else None
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server = _Server((LOOPBACK, 0), self._handler_class())
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.tls.cert_file, self.tls.key_file)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.address = f"{LOOPBACK}:{self._server.server_address[1]}"
        self.url = f"{'https' if self.tls else 'http'}://{self.address}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> HostileRegistry:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def basic(self) -> str:
        return base64.b64encode(f"{self.username}:{self.password}".encode()).decode()

    def echoes(self) -> str:
        """Every form of the credentials a careless registry might send back."""
        pair = f"{self.username}:{self.password}".encode()
        return " | ".join([
            f"Authorization: Basic {self.basic}", f"user:password {pair.decode()}", f"password {self.password}",
            f"urlsafe {base64.urlsafe_b64encode(pair).decode().rstrip('=')}",
            f"password b64 {base64.b64encode(self.password.encode()).decode().rstrip('=')}",
            f"config {base64.b64encode(json.dumps({'auth': pair.decode()}).encode()).decode()}",
        ])

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        registry = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: `requests` is the log tests read."""

            def send(self, status: int, body: bytes = b"{}", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), **(headers or {})}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

            def do_GET(self) -> None:
                with registry._lock:
                    registry.requests.append((self.path, dict(self.headers.items())))
                path = urlsplit(self.path).path
                auth = self.headers.get("Authorization", "")
                handler = getattr(self, "mode_" + registry.mode.replace("-", "_"))
                handler(path, auth)

            # -- modes ------------------------------------------------------------------------

            def mode_record(self, path: str, auth: str) -> None:
                self.send(200)

            def _bearer(self, path: str, auth: str) -> bool:
                """The token dance on its own /token; True when the request may go on."""
                if path == "/token":
                    if auth == f"Basic {registry.basic}":
                        self.send(200, json.dumps({"token": TOKEN, "expires_in": 300}).encode())
                    else:
                        self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
                    return False
                if auth != f"Bearer {TOKEN}":
                    realm = registry.realm or f"{registry.url}/token"
                    self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                              {"WWW-Authenticate": f'Bearer realm="{realm}",service="hostile"'})
                    return False
                return True

            def mode_realm(self, path: str, auth: str) -> None:
                if self._bearer(path, auth):
                    self.send(200, b'{"repositories": ["a/b"], "tags": ["v1"], "name": "a/b"}')

            def mode_echo(self, path: str, auth: str) -> None:
                if auth != f"Basic {registry.basic}":
                    self.send(401, b"{}", {"WWW-Authenticate": 'Basic realm="hostile"'})
                elif path == "/v2/":
                    self.send(200)
                else:
                    echo = registry.echoes()
                    body = json.dumps({"errors": [{"code": "DENIED", "message": f"you sent {echo}"}]}).encode()
                    self.send(403, body, {"X-Echo": echo[:200]})

            def mode_echo_token(self, path: str, auth: str) -> None:
                if not self._bearer(path, auth):
                    return
                if path == "/v2/":
                    self.send(200)
                else:
                    body = json.dumps({"errors": [{"code": "DENIED", "message": f"token {auth} is no good"}]})
                    self.send(403, body.encode())

            def mode_gzip_bomb(self, path: str, auth: str) -> None:
                if path == "/v2/":
                    self.send(200)
                else:
                    self.send(200, _bomb(), {"Content-Encoding": "gzip"})

            def mode_flood(self, path: str, auth: str) -> None:
                if path == "/v2/":
                    self.send(200)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Connection", "close")
                self.end_headers()
                chunk = b'{"repositories": [' + b'"x",' * 16_000
                with contextlib.suppress(OSError):
                    for _ in range(10_000):  # 640 MB at most: bounded even if the client never stops
                        self.wfile.write(chunk)
                self.close_connection = True

            def mode_trickle(self, path: str, auth: str) -> None:
                if path == "/v2/":
                    self.send(200)
                    return
                body = b'{"repositories": []}' + b" " * 200
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(TRICKLE_GAP)

            def mode_huge_link(self, path: str, auth: str) -> None:
                if path == "/v2/":
                    self.send(200)
                else:
                    self.send(200, b'{"repositories": [], "tags": []}', {"Link": HUGE_LINK})

            def mode_huge_challenge(self, path: str, auth: str) -> None:
                self.send(401, b"{}", {"WWW-Authenticate": HUGE_CHALLENGE})

            def mode_redirect(self, path: str, auth: str) -> None:
                if auth != f"Basic {registry.basic}":
                    self.send(401, b"{}", {"WWW-Authenticate": 'Basic realm="hostile"'})
                elif path == "/v2/":
                    self.send(200)
                else:
                    self.send(302, b"", {"Location": registry.redirect_to + self.path})

            def mode_rate_limit(self, path: str, auth: str) -> None:
                self.send(429, b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
                          {"Retry-After": "120"})

        return Handler


_bomb_cache: list[bytes] = []


def _bomb() -> bytes:
    """BOMB_SIZE zero bytes, gzipped once per process (about 250 kB), a MiB at a time."""
    if not _bomb_cache:
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: the gzip format
        mebibyte = bytes(2**20)
        parts = [compressor.compress(mebibyte) for _ in range(BOMB_SIZE // 2**20)]
        _bomb_cache.append(b"".join(parts) + compressor.flush())
    return _bomb_cache[0]
