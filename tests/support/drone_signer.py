"""Sign requests as Drone's clients do (drone-go plugin/internal/client with 99designs'
httpsignatures), written from the protocol description, not from halcfg's verifier.

`signed_request` gives the headers and body of one registry-extension request; `raw_request`
the exact bytes on the wire, for load generators and hostile tests that bend one byte.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from email.utils import formatdate
from typing import Any

REGISTRY_V1 = "application/vnd.drone.registry.v1+json"
SIGNED = ("accept", "accept-encoding", "content-type", "date", "digest")
_BUILD_IDS = itertools.count(1)  # each body is another build: the server refuses a repeated request


def drone_date(when: float | None = None) -> str:
    """`Mon, 02 Jan 2006 15:04:05 GMT`: Go's http.TimeFormat, always GMT."""
    return formatdate(when, usegmt=True)


def digest(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def signature(secret: str, headers: dict[str, str], names: tuple[str, ...] = SIGNED,
              algorithm: str = "hmac-sha256") -> str:
    """The Signature header value over `headers` (lower-case names) in the order of `names`."""
    signing_string = "\n".join(f"{name}: {headers[name]}" for name in names)
    mac = base64.b64encode(hmac.new(secret.encode(), signing_string.encode(), hashlib.sha256).digest()).decode()
    return f'keyId="hmac-key",algorithm="{algorithm}",signature="{mac}",headers="{" ".join(names)}"'


def registry_body(slug: str = "octocat/hello-world", event: str = "push", **build: Any) -> bytes:
    """A drone-go `registry.Request`: `{"repo": {...}, "build": {...}}` as Go's json.Marshal writes it."""
    repo = {"id": 42, "namespace": slug.split("/")[0], "name": slug.split("/")[-1], "slug": slug,
            "scm": "git", "private": True, "visibility": "private"}
    return json.dumps({"repo": repo, "build": {"id": next(_BUILD_IDS), "number": 3, "event": event, **build}},
                      separators=(",", ":")).encode()


def signed_request(secret: str, body: bytes, *, date: str | None = None, encoding: str = "identity",
                   accept: str = REGISTRY_V1) -> dict[str, str]:
    """Headers (lower-case names) of a request signed as drone-go signs it."""
    headers = {"accept": accept, "accept-encoding": encoding, "content-type": "application/json",
               "date": date or drone_date(), "digest": digest(body)}
    headers["signature"] = signature(secret, headers)
    return headers


def raw_request(headers: dict[str, str], body: bytes, path: str = "/", host: str = "127.0.0.1") -> bytes:
    """The HTTP/1.1 request bytes, keep-alive, headers in the order given."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items()),
             f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
