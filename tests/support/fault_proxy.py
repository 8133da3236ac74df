"""A reverse proxy that adds latency and injects faults in front of a real registry.

Tests use it for what a real registry will not do on demand (429, 5xx, slow or malformed
answers, Link loops, dropped connections); the bench uses it as a WAN with a fixed delay per
response. It is thread-per-connection with keep-alive both ways and TCP_NODELAY both ways, so
at 32+ concurrent clients the delay, not the proxy, sets the pace. Request bodies must carry a
Content-Length (requests sends one for bytes bodies); upstreams are plain HTTP.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .ports import LOOPBACK

UPSTREAM_TIMEOUT = 30.0
IDLE_TIMEOUT = 30.0
"""A keep-alive client connection idle this long is closed, so no handler thread lives forever."""

_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
})


@dataclass
class _Rule:
    pattern: re.Pattern[str]
    status: int | None
    headers: dict[str, str]
    body: bytes | None
    delay: float
    remaining: int | None
    close: bool
    rewrite: Callable[[bytes], bytes] | None = None

    @property
    def synthetic(self) -> bool:
        """A rule with a status or a body answers by itself; otherwise it decorates upstream's answer."""
        return self.status is not None or self.body is not None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 drops SYNs when 32+ clients connect at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout, close) is part of the tests; anything else is a bug to show."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FaultProxy:
    """HTTP/1.1 reverse proxy on 127.0.0.1 to `upstream`, adding `delay` seconds to every response."""

    def __init__(self, upstream: str, *, delay: float = 0.0) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"upstream must be http://host:port, not {upstream!r}")
        self.upstream = upstream.rstrip("/")
        self._upstream_host = parts.hostname
        self._upstream_port = parts.port or 80
        self.delay = delay
        self.hits: list[tuple[str, str]] = []
        self.url = ""
        self.address = ""
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self.peak_connections = 0  # most client connections open at once
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def add_rule(
        self,
        path_regex: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        delay: float = 0.0,
        times: int | None = None,
        close: bool = False,
        rewrite: Callable[[bytes], bytes] | None = None,
    ) -> None:
        """Match `path_regex` (re.search on path+query); the first live matching rule wins.

        With `status` or `body` the proxy answers itself (status defaults to 200, body to empty);
        otherwise upstream answers and `headers` are laid over its headers. `close` drops the
        connection without an answer. `delay` adds to the proxy's delay. After `times` uses the
        rule is spent and requests fall through to later rules or upstream. `rewrite` turns
        upstream's body into the one the client gets (an answer a real service would give).
        """
        rule = _Rule(re.compile(path_regex), status, dict(headers or {}), body, delay, times, close, rewrite)
        with self._lock:
            self._rules.append(rule)

    def clear_rules(self) -> None:
        with self._lock:
            self._rules.clear()

    def start(self) -> FaultProxy:
        """Listen on 127.0.0.1 and a kernel-chosen port; `url` and `address` are set once this returns."""
        self._server = _Server((LOOPBACK, 0), self._handler_class())
        port = self._server.server_address[1]
        self.address = f"{LOOPBACK}:{port}"
        self.url = f"http://{self.address}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fault-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, then cut open keep-alive connections so their threads end too."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _take_rule(self, target: str) -> _Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.remaining != 0 and rule.pattern.search(target):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return rule
        return None

    def _track(self, connection: socket.socket, *, opened: bool) -> None:
        with self._lock:
            if opened:
                self._connections.add(connection)
                self.peak_connections = max(self.peak_connections, len(self._connections))
            else:
                self._connections.discard(connection)

    def _hit(self, method: str, target: str) -> None:
        with self._lock:
            self.hits.append((method, target))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True
            timeout = IDLE_TIMEOUT
            upstream: http.client.HTTPConnection | None = None

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: `hits` is the log tests read."""

            def setup(self) -> None:
                super().setup()
                proxy._track(self.connection, opened=True)

            def finish(self) -> None:
                proxy._track(self.connection, opened=False)
                if self.upstream is not None:
                    self.upstream.close()
                super().finish()

            def _forward(self, body: bytes | None) -> tuple[int, str, list[tuple[str, str]], bytes]:
                """Send the request upstream on this client connection's own keep-alive connection."""
                headers = {name: value for name, value in self.headers.items()
                           if name.lower() not in _HOP_BY_HOP}
                reused = self.upstream is not None
                try:
                    return self._exchange(body, headers)
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    if not reused:
                        raise
                    return self._exchange(body, headers)  # a stale keep-alive connection: once more

            def _exchange(
                self, body: bytes | None, headers: dict[str, str]
            ) -> tuple[int, str, list[tuple[str, str]], bytes]:
                if self.upstream is None:
                    self.upstream = http.client.HTTPConnection(
                        proxy._upstream_host, proxy._upstream_port, timeout=UPSTREAM_TIMEOUT
                    )
                try:
                    self.upstream.request(self.command, self.path, body=body, headers=headers)
                    response = self.upstream.getresponse()
                    return response.status, response.reason, response.getheaders(), response.read()
                except (OSError, http.client.HTTPException):
                    self.upstream.close()
                    self.upstream = None
                    raise

            def _proxy(self) -> None:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    self.close_connection = True  # the unread body would be taken for the next request
                    body = b'{"errors":[{"code":"UNSUPPORTED","message":"send a Content-Length"}]}'
                    self._reply(411, "", [("Content-Type", "application/json")], body, 0.0)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy._hit(self.command, self.path)
                rule = proxy._take_rule(self.path)
                delay = proxy.delay + (rule.delay if rule else 0.0)

                if rule is not None and rule.close:
                    time.sleep(delay)
                    self.close_connection = True
                    return
                if rule is not None and rule.synthetic:
                    status, reason = rule.status or 200, ""
                    headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
                    data = rule.body or b""
                else:
                    try:
                        status, reason, headers, data = self._forward(body)
                    except (OSError, http.client.HTTPException) as error:
                        status, reason, headers = 502, "Bad Gateway", [("Content-Type", "application/json")]
                        failure = {"code": "UNAVAILABLE", "message": f"upstream: {error}"}
                        data = json.dumps({"errors": [failure]}).encode()
                    headers = [(name, value) for name, value in headers
                               if name.lower() not in _HOP_BY_HOP]
                    if rule is not None and rule.rewrite is not None:
                        data = rule.rewrite(data)
                if rule is not None and rule.headers:
                    overridden = {name.lower() for name in rule.headers}
                    headers = [(n, v) for n, v in headers if n.lower() not in overridden]
                    headers += list(rule.headers.items())
                self._reply(status, reason, headers, data, delay)

            def _reply(
                self, status: int, reason: str, headers: list[tuple[str, str]], data: bytes, delay: float
            ) -> None:
                """Write status, headers and body in one send, after the delay."""
                head_request = self.command == "HEAD"
                lines = [f"HTTP/1.1 {status} {reason or self.responses.get(status, ('',))[0]}"]
                for name, value in headers:
                    lower = name.lower()
                    if lower == "content-length" and not head_request:
                        continue
                    if lower == "location" and value.startswith(proxy.upstream):
                        value = proxy.url + value[len(proxy.upstream):]
                    lines.append(f"{name}: {value}")
                if not head_request:
                    lines.append(f"Content-Length: {len(data)}")
                if self.close_connection:
                    lines.append("Connection: close")
                payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
                if not head_request:
                    payload += data
                if delay > 0:
                    time.sleep(delay)
                self.wfile.write(payload)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _proxy

        return Handler


ProxyFactory = Callable[..., FaultProxy]
"""The `fault_proxy` fixture: `make(upstream_url, delay=0.0) -> FaultProxy`, started."""
