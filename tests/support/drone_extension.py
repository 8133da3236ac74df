"""A small registry extension for `halcfg serve drone-test`'s tests: in-process, on 127.0.0.1,
answering each path in its own (mostly wrong) way, and keeping the requests it received.

It checks signatures with tests/support/drone_signer.py (written from the protocol, not from
halcfg), so a request it accepts on `/strict` is signed as drone-go signs it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.support.drone_signer import SIGNED, digest, signature
from tests.support.ports import LOOPBACK

ANSWER = [{"address": "docker.io", "username": "bot", "password": "canary-extension-password-0c4e"}]


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class Extension:
    secret: str
    port: int = 0
    received: list[Received] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"


def _answers(extension: Extension, request: Received) -> tuple[int, dict[str, str], bytes]:
    signed = signature(extension.secret, request.headers)
    authentic = request.headers.get("signature") == signed and request.headers.get("digest") == digest(request.body)
    with_target = {**request.headers, "(request-target)": f"post {request.path}"}
    answers = {
        "/strict": (200, {"Content-Type": "application/json"}, json.dumps(ANSWER).encode()) if authentic
        else (400, {}, b"Invalid Signature\n"),
        # an extension that wants (request-target) signed too, which drone-go leaves out
        "/wants-target": (200, {}, json.dumps(ANSWER).encode())
        if request.headers.get("signature") == signature(extension.secret, with_target, ("(request-target)", *SIGNED))
        else (400, {}, b"Invalid Signature\n"),
        "/status-500": (500, {}, b"registry plugin: cannot list registries\n"),
        "/status-404-empty": (404, {}, b""),
        "/bad-json": (200, {}, b'[{"address": "docker.io", '),
        "/object": (200, {}, json.dumps(ANSWER[0]).encode()),
        "/null-entry": (200, {}, b"[null]"),
        "/number-password": (200, {}, b'[{"address": "docker.io", "username": "bot", "password": 1234}]'),
        "/empty-200": (200, {}, b""),
        "/empty-list": (200, {}, b"[]"),
        "/no-content": (204, {}, b""),
        "/redirect": (302, {"Location": "/strict"}, b""),
        "/echo-secret": (401, {}, f"bad secret {extension.secret}\n".encode()),
        "/aesgcm": (200, {"Content-Encoding": "aesgcm"},
                    b"\0" * 12 + AESGCM(extension.secret.encode()[:32]).encrypt(b"\0" * 12, json.dumps(ANSWER).encode(),
                                                                                None)),
        "/aesgcm-other-key": (200, {"Content-Encoding": "aesgcm"},
                              b"\0" * 12 + AESGCM(b"k" * 32).encrypt(b"\0" * 12, b"[]", None)),
    }
    return answers.get(request.path.split("?")[0], (404, {}, b"404 page not found\n"))


@contextmanager
def running_extension(secret: str) -> Iterator[Extension]:
    extension = Extension(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            extension.received.append(request)
            status, headers, answer = _answers(extension, request)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 204:
                self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    extension.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield extension
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
