"""`halcfg serve drone` as Drone's runner meets it: a real server process, requests signed as
drone-go signs them (tests/support/drone_signer.py), hostile variants of them, live reloads,
and SIGTERM with requests in flight."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.serve.conftest import (
    ACCOUNTS,
    HUB_PASSWORD,
    SHARED_SECRET,
    TEAM_PASSWORD,
    StartServer,
    add_ecr_account,
)
from tests.support.drone_server import DroneServer, Response
from tests.support.drone_signer import (
    digest,
    drone_date,
    raw_request,
    registry_body,
    signature,
    signed_request,
)
from tests.support.ports import LOOPBACK

HUB = {"address": "docker.io", "username": "hub-bot", "password": HUB_PASSWORD}
TEAM = {"address": "registry.example.com:5000", "username": "team-bot", "password": TEAM_PASSWORD}


def ask(server: DroneServer, slug: str = "octocat/hello-world", event: str = "push", **kwargs: str) -> Response:
    body = registry_body(slug, event)
    return server.post(signed_request(SHARED_SECRET, body, **kwargs), body)


def test_signed_request_gets_the_allowed_credentials_in_drone_spelling(server: DroneServer) -> None:
    response = ask(server)
    assert response.status == 200
    assert response.json() == [HUB, TEAM]  # broken's failing command leaves only it out
    error = server.wait_for_log("credential-error")
    assert error["account"] == "broken" and error["code"] == "password-command-failed"
    assert "no token today" in str(error["reason"])
    access = server.wait_for_log("access", path="/")
    assert access["status"] == 200 and access["credentials"] == 2 and access["left_out"] == ["broken"]


def test_authorization_signature_header_is_accepted(server: DroneServer) -> None:
    body = registry_body()
    headers = signed_request(SHARED_SECRET, body)
    headers["authorization"] = "Signature " + headers.pop("signature")
    assert server.post(headers, body).json() == [HUB, TEAM]


@pytest.mark.parametrize(
    ("slug", "event", "expected"),
    [
        ("octocat/hello-world", "tag", [HUB, TEAM]),
        ("acme/api-1", "push", [HUB, TEAM]),  # `?` is one character
        ("acme/api-12", "push", [HUB]),
        ("other/repo", "push", [HUB]),  # not in team's repos
        ("octocat/hello-world", "pull_request", [HUB]),  # not in team's events
        ("Octocat/hello-world", "push", [HUB]),  # slugs match case-sensitively
    ],
)
def test_restricted_by_slug_and_event(server: DroneServer, slug: str, event: str, expected: list[dict]) -> None:
    assert ask(server, slug, event).json() == expected


def test_no_applicable_account_is_204(workdir: Path, start_server: StartServer) -> None:
    text = (workdir / "halcfg.yaml").read_text().replace(
        "passwordFile: hub.password\n", "passwordFile: hub.password\n        drone: {events: [cron]}\n")
    (workdir / "halcfg.yaml").write_text(text)
    server = start_server()
    response = ask(server, "other/repo", "push")
    assert (response.status, response.body) == (204, b"")
    assert ask(server, "other/repo", "cron").json() == [HUB]


def test_aesgcm_answer_decrypts_with_the_shared_secret(server: DroneServer) -> None:
    response = ask(server, encoding="aesgcm")
    assert response.status == 200
    assert response.headers["content-encoding"] == "aesgcm"
    assert response.headers["content-type"] == "application/octet-stream"
    key, nonce, sealed = SHARED_SECRET.encode()[:32], response.body[:12], response.body[12:]
    assert json.loads(AESGCM(key).decrypt(nonce, sealed, None)) == [HUB, TEAM]
    assert HUB_PASSWORD.encode() not in response.body
    assert ask(server, encoding="aesgcm").body[:12] != nonce  # a fresh nonce per answer


def _tampered_body() -> tuple[dict[str, str], bytes]:
    body = registry_body()
    return signed_request(SHARED_SECRET, body), body.replace(b"hello-world", b"hello-wurld")


def _tampered_header() -> tuple[dict[str, str], bytes]:
    body = registry_body()
    headers = signed_request(SHARED_SECRET, body)
    headers["accept"] = headers["accept"].replace("v1", "v2")
    return headers, body


def _wrong_secret() -> tuple[dict[str, str], bytes]:
    body = registry_body()
    return signed_request(SHARED_SECRET[:-1] + "X", body), body


def _stale_date() -> tuple[dict[str, str], bytes]:
    body = registry_body()
    return signed_request(SHARED_SECRET, body, date=drone_date(time.time() - 301)), body


def _future_date() -> tuple[dict[str, str], bytes]:
    body = registry_body()
    return signed_request(SHARED_SECRET, body, date=drone_date(time.time() + 400)), body


def _missing_digest() -> tuple[dict[str, str], bytes]:
    body = registry_body()
    headers = signed_request(SHARED_SECRET, body)
    del headers["digest"]
    names = ("accept", "accept-encoding", "content-type", "date")
    headers["signature"] = signature(SHARED_SECRET, headers, names)
    return headers, body


def _digest_not_signed() -> tuple[dict[str, str], bytes]:
    body = registry_body()
    headers = signed_request(SHARED_SECRET, body)
    headers["signature"] = signature(SHARED_SECRET, headers, ("accept", "accept-encoding", "content-type", "date"))
    return headers, body


def _missing_signature() -> tuple[dict[str, str], bytes]:
    body = registry_body()
    headers = signed_request(SHARED_SECRET, body)
    del headers["signature"]
    return headers, body


def _unknown_algorithm() -> tuple[dict[str, str], bytes]:
    body = registry_body()
    headers = signed_request(SHARED_SECRET, body)
    headers["signature"] = signature(SHARED_SECRET, headers, algorithm="hmac-sha512")
    return headers, body


def _sha1_algorithm() -> tuple[dict[str, str], bytes]:
    body = registry_body()
    headers = signed_request(SHARED_SECRET, body)
    headers["signature"] = signature(SHARED_SECRET, headers, algorithm="hmac-sha1")
    return headers, body


def _oversized_body() -> tuple[dict[str, str], bytes]:
    body = registry_body(padding="x" * (1 << 20))
    return signed_request(SHARED_SECRET, body), body


def _not_json() -> tuple[dict[str, str], bytes]:
    body = b"{not json"
    return signed_request(SHARED_SECRET, body), body


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (_tampered_body, 401), (_tampered_header, 401), (_wrong_secret, 401), (_stale_date, 401),
        (_future_date, 401), (_missing_digest, 400), (_digest_not_signed, 400), (_missing_signature, 400),
        (_unknown_algorithm, 400), (_sha1_algorithm, 400), (_oversized_body, 400), (_not_json, 400),
    ],
)
def test_hostile_requests_get_no_credential(server: DroneServer, make, status: int) -> None:
    headers, body = make()
    response = server.post(headers, body)
    assert response.status == status, response.body
    for secret in (HUB_PASSWORD, TEAM_PASSWORD):
        assert secret.encode() not in response.body
    assert server.wait_for_log("access", path="/")["status"] == status
    assert not [line for line in server.log_lines() if line.get("event") == "credential-error"]  # never resolved


def test_oversized_body_refused_by_length_before_it_is_read(server: DroneServer) -> None:
    body = registry_body()
    headers = signed_request(SHARED_SECRET, body)
    with socket.create_connection((LOOPBACK, server.port), timeout=10) as sock:
        head = raw_request(headers, b"").replace(b"Content-Length: 0", f"Content-Length: {(1 << 20) + 1}".encode())
        sock.sendall(head)  # and no body at all: the answer must not wait for it
        assert sock.recv(4096).startswith(b"HTTP/1.1 400 ")


def test_healthz_and_methods(server: DroneServer) -> None:
    health = server.request("GET", "/healthz")
    assert health.status == 200 and health.json() == {"status": "ok", "accounts": 3}
    assert server.request("GET", "/").status == 405


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def _until(predicate, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_reload_on_change_and_keep_last_good_file_on_a_broken_one(workdir: Path, server: DroneServer) -> None:
    config = workdir / "halcfg.yaml"
    added = config.read_text() + (
        "      - name: ghcr\n        address: ghcr.io\n        username: gh-bot\n        passwordEnv: TEAM_PASSWORD\n")
    _write_atomically(config, added)
    ghcr = {"address": "ghcr.io", "username": "gh-bot", "password": TEAM_PASSWORD}
    _until(lambda: ask(server).json() == [HUB, TEAM, ghcr])
    assert server.wait_for_log("reloaded")["accounts"] == 4

    config.write_text(added.replace("address: ghcr.io", "address: [ghcr.io"))  # not YAML any more
    rejected = server.wait_for_log("reload-rejected")
    assert rejected["kept"] == 4 and str(config) in str(rejected.get("reason"))
    assert ask(server).json() == [HUB, TEAM, ghcr]

    config.write_text(added.replace("name: ghcr", "name: Not_Valid"))  # YAML, but fails the schema
    _until(lambda: len([x for x in server.log_lines() if x["event"] == "reload-rejected"]) == 2)
    second = [x for x in server.log_lines() if x["event"] == "reload-rejected"][-1]
    assert second["kept"] == 4 and str(second["first"]).startswith(f"{config}:")
    assert ask(server).json() == [HUB, TEAM, ghcr]

    _write_atomically(config, ACCOUNTS)  # a good file again is taken at once
    _until(lambda: ask(server).json() == [HUB, TEAM])


def test_requests_during_reloads_are_all_answered(workdir: Path, server: DroneServer) -> None:
    config = workdir / "halcfg.yaml"
    original = config.read_text()
    stop = threading.Event()

    def churn() -> None:
        flip = False
        while not stop.is_set():
            _write_atomically(config, original.replace("quay.io", "quay.example") if flip else original)
            flip = not flip
            time.sleep(0.05)

    writer = threading.Thread(target=churn)
    writer.start()
    try:
        statuses = [ask(server).status for _ in range(60)]
    finally:
        stop.set()
        writer.join()
    assert statuses == [200] * 60


def _accepted(server: DroneServer) -> int:
    """Connections to the server's port that its process has accepted (established TCP sockets it
    holds a descriptor for), read from /proc."""
    inodes = set()
    for fd in os.listdir(f"/proc/{server.process.pid}/fd"):
        with contextlib.suppress(OSError):
            link = os.readlink(f"/proc/{server.process.pid}/fd/{fd}")
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    count = 0
    with open("/proc/net/tcp") as table:
        for row in table.read().splitlines()[1:]:
            fields = row.split()
            local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
            count += local_port == server.port and state == "01" and inode in inodes
    return count


def test_sigterm_lets_requests_in_flight_finish(workdir: Path, start_server: StartServer) -> None:
    config = workdir / "halcfg.yaml"
    config.write_text(config.read_text().replace(
        "echo no token today >&2; exit 3", "sleep 3; printf slow-password"))
    server = start_server()
    results: list[Response | BaseException] = []

    def one() -> None:
        try:
            results.append(ask(server))
        except BaseException as error:  # recorded, asserted below
            results.append(error)

    # Slow answers (the command) and a slow client (body still on its way) are both in flight.
    body = registry_body()
    half = raw_request(signed_request(SHARED_SECRET, body), body)
    slow_client = socket.create_connection((LOOPBACK, server.port), timeout=30)
    slow_client.sendall(half[:-10])
    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    _until(lambda: _accepted(server) >= 9)  # all nine accepted: in flight
    server.process.send_signal(15)
    time.sleep(0.3)
    slow_client.sendall(half[-10:])
    answer = b""
    while chunk := slow_client.recv(65536):  # the server closes it: it is shutting down
        answer += chunk
    slow_client.close()
    for thread in threads:
        thread.join(timeout=30)
    assert server.process.wait(timeout=30) == 0
    assert answer.startswith(b"HTTP/1.1 200 ") and b"slow-password" in answer
    assert len(results) == 8
    for result in results:
        assert isinstance(result, Response) and result.status == 200, result
        assert {"address": "quay.io", "username": "quay-bot", "password": "slow-password"} in result.json()
    with pytest.raises(OSError):
        socket.create_connection((LOOPBACK, server.port), timeout=2).close()
    assert server.wait_for_log("stop")


def test_ecr_account_through_moto(workdir: Path, start_server: StartServer, moto_ecr) -> None:
    host = add_ecr_account(workdir, moto_ecr)
    server = start_server()
    entries = ask(server).json()
    assert {"address": host, "username": moto_ecr.user, "password": moto_ecr.password} in entries


def test_digest_header_order_and_extra_algorithms(server: DroneServer) -> None:
    body = registry_body()
    headers = signed_request(SHARED_SECRET, body)
    headers["digest"] = "MD5=abc," + digest(body)  # RFC 3230 lists several; SHA-256 is what counts
    headers["signature"] = signature(SHARED_SECRET, headers)
    assert server.post(headers, body).status == 200
