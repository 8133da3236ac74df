"""A registry-extension request signed exactly as Drone's runner signs it, and its answer read
the way the runner reads it — to test `serve drone` or any other registry extension.

Upstream facts, each from its source:
- runner-go registry/external.go `External`/`List`: the runner calls drone-go's
  `registry.Client(endpoint, token, skipverify)` with a one-minute timeout, and an empty list
  means "no credentials", not an error. drone-runner-docker command/daemon/config.go names the
  settings DRONE_REGISTRY_PLUGIN_ENDPOINT, DRONE_REGISTRY_PLUGIN_TOKEN, DRONE_REGISTRY_PLUGIN_SKIP_VERIFY;
  engine/compiler/compiler.go sends the build's `Repo` and `Build`.
- drone-go plugin/registry/client.go: Accept `application/vnd.drone.registry.v1+json`.
- drone-go plugin/internal/client/client.go `Do`: POST of json.Marshal(request) to the endpoint
  as given; headers Accept, Accept-Encoding `identity`, Content-Type `application/json`,
  Digest `SHA-256=<base64>`, Date (UTC, http.TimeFormat); signed by 99designs/httpsignatures-go
  (signer.go `SignRequest`: a `Signature` header, keyId `hmac-key`, hmac-sha256 over those five
  headers in that order); redirects are not followed; a status over 299 is an error whose text
  is the body (the status text when empty); 204 is "no content", body unread; a
  `Content-Encoding: aesgcm` body is decrypted with the secret's first 32 bytes (an error
  when the secret is shorter: plugin/internal/aesgcm `Key`); then json.Unmarshal into
  `[]*drone.Registry` (drone/types.go: address, username, password, email, token, policy).
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

from halcfg.serve.drone.aesgcm import KEY_BYTES, unseal
from halcfg.serve.drone.signature import ALGORITHM, body_digest, mac

REGISTRY_V1 = "application/vnd.drone.registry.v1+json"
SIGNED = ("accept", "accept-encoding", "content-type", "date", "digest")
TIMEOUT = 60.0  # runner-go registry/external.go: "The external service must return a request within one minute"
USER_AGENT = "Go-http-client/1.1"  # what Go's http.Client sends; an extension might look at it
ANSWER_LIMIT = 1 << 20  # bytes read of an answer


@dataclass
class Registry:
    """One entry of the answer (drone-go drone.Registry)."""

    address: str
    username: str
    password: str = field(repr=False)
    email: str = ""
    token: str = field(default="", repr=False)


@dataclass
class Outcome:
    """What the runner would make of the answer: credentials, or the error it would log."""

    status: int | None
    registries: list[Registry] = field(default_factory=list)
    error: str | None = None  # the runner's error (it then pulls without these credentials)
    encoding: str = "identity"


def request_body(slug: str, event: str, build: dict[str, Any] | None = None) -> bytes:
    """A registry.Request as Go's json.Marshal writes it: every drone.Repo and drone.Build field in
    declaration order (zero values included; omitempty ones left out), no spaces. Repo's
    `build,omitempty` is a struct, which omitempty never omits."""
    namespace, _, name = slug.rpartition("/")
    zero_build = _build("", 0)
    repo = {"id": 1, "uid": "", "user_id": 0, "namespace": namespace, "name": name, "slug": slug, "scm": "",
            "git_http_url": "", "git_ssh_url": "", "link": "", "default_branch": "", "private": False,
            "visibility": "", "active": True, "config_path": ".drone.yml", "trusted": False, "protected": False,
            "ignore_forks": False, "ignore_pull_requests": False, "auto_cancel_pull_requests": False,
            "auto_cancel_pushes": False, "auto_cancel_running": False, "throttle": 0, "timeout": 60,
            "counter": 0, "synced": 0, "created": 0, "updated": 0, "version": 0, "build": zero_build}
    return json.dumps({"repo": repo, "build": {**_build(event, 1), **(build or {})}},
                      separators=(",", ":"), ensure_ascii=False).encode()


def _build(event: str, number: int) -> dict[str, Any]:
    return {"id": number, "repo_id": 1 if number else 0, "trigger": "", "number": number, "status": "",
            "event": event, "action": "", "link": "", "timestamp": 0, "message": "", "before": "",
            "after": "", "ref": "", "source_repo": "", "source": "", "target": "", "author_login": "",
            "author_name": "", "author_email": "", "author_avatar": "", "sender": "", "debug": False,
            "started": 0, "finished": 0, "created": 0, "updated": 0, "version": 0}


def signed_headers(secret: str, body: bytes, encoding: str = "identity", now: float | None = None) -> dict[str, str]:
    headers = {"Accept": REGISTRY_V1, "Accept-Encoding": encoding, "Content-Type": "application/json",
               "Date": formatdate(now, usegmt=True),
               "Digest": "SHA-256=" + body_digest(body)}
    lowered = {k.lower(): v for k, v in headers.items()}
    signature = mac(secret.encode(), (f"{name}: {lowered[name]}" for name in SIGNED))
    headers["Signature"] = (f'keyId="hmac-key",algorithm="{ALGORITHM}",signature="{signature}",'
                            f'headers="{" ".join(SIGNED)}"')
    return headers


def ask(endpoint: str, secret: str, body: bytes, *, encoding: str = "identity", skip_verify: bool = False,
        timeout: float = TIMEOUT) -> Outcome:
    """POST the signed request to `endpoint` and read the answer as drone-go's client.Do does."""
    url = urlsplit(endpoint)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"endpoint {endpoint!r}: expected http://HOST[:PORT][/PATH] or https://…")
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    connection: http.client.HTTPConnection
    if url.scheme == "https":
        context = ssl._create_unverified_context() if skip_verify else ssl.create_default_context()
        connection = http.client.HTTPSConnection(url.hostname, url.port, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    headers = {**signed_headers(secret, body, encoding), "User-Agent": USER_AGENT}
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read(ANSWER_LIMIT + 1)
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, error=f"cannot reach the extension: {_reason(error)}")
    finally:
        connection.close()
    return read_answer(response.status, response.reason, response.getheader("Content-Encoding"), data, secret)


def read_answer(status: int, reason: str, content_encoding: str | None, data: bytes, secret: str) -> Outcome:
    if len(data) > ANSWER_LIMIT:
        return Outcome(status, error=f"the answer is over {ANSWER_LIMIT} bytes")
    if status > 299:
        text = data.decode("utf-8", "replace").strip() or reason
        return Outcome(status, error=f"status {status}: {text}")
    if status == 204:
        return Outcome(status)
    encoding = "identity"
    if content_encoding == "aesgcm":
        encoding = "aesgcm"
        if len(secret.encode()) < KEY_BYTES:
            return Outcome(status, error="aesgcm: invalid key length (the secret is under 32 bytes)", encoding=encoding)
        from cryptography.exceptions import InvalidTag

        try:
            data = unseal(data, secret.encode())
        except ValueError as error:
            return Outcome(status, error=str(error), encoding=encoding)
        except InvalidTag:
            return Outcome(status, error="aesgcm: message authentication failed (another secret?)", encoding=encoding)
    try:
        entries = json.loads(data) if data.strip() else _empty_body()
    except ValueError as error:
        return Outcome(status, error=f"the answer is not JSON: {str(error).split(':')[0]}", encoding=encoding)
    if entries is None:  # Go unmarshals `null` into a nil slice: no credentials
        entries = []
    if not isinstance(entries, list):
        return Outcome(status, error="the answer is not a JSON list of registries", encoding=encoding)
    registries = []
    for index, entry in enumerate(entries):
        if entry is None:  # Go makes it a nil *Registry, and runner-go's List reads v.Address of it
            return Outcome(status, error=f"entry {index} is null: the runner would crash on it", encoding=encoding)
        if not isinstance(entry, dict):
            return Outcome(status, error=f"entry {index} is not an object", encoding=encoding)
        values = {}
        for key in ("address", "username", "password", "email", "token"):
            value = next((v for k, v in entry.items() if k.lower() == key), None)  # Go matches keys case-insensitively
            if value is not None and not isinstance(value, str):
                return Outcome(status, error=f"entry {index}: {key} is not a string", encoding=encoding)
            values[key] = value or ""
        registries.append(Registry(**values))
    return Outcome(status, registries, encoding=encoding)


def _empty_body() -> Any:
    raise ValueError("unexpected end of JSON input: the body is empty")


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
