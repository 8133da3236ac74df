"""`halcfg serve drone` under attack (issue 16.5), each through the real server process:
slow request heads, replayed requests, and an accounts file caught half-written."""

from __future__ import annotations

import select
import socket
import threading
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.serve.conftest import ACCOUNTS, SHARED_SECRET, TEAM_PASSWORD, StartServer
from tests.serve.test_drone import HUB, TEAM, _until, ask
from tests.support.drone_signer import raw_request, registry_body, signed_request
from tests.support.ports import LOOPBACK

THREADS = 8  # the server's answer threads (server.Options.threads)
SLOW = 3 * THREADS  # more slow clients than the server has threads


def _response(sock: socket.socket) -> bytes:
    """One whole response (head and Content-Length body) from a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536) or b"!"  # a closed connection ends the wait with a mark
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += sock.recv(65536) or b"!"
    return data


def _slow_client(port: int, kept_alive: bool) -> socket.socket:
    """A connection that starts a request head and never finishes it; `kept_alive` first gets a
    whole request answered on it (uvicorn's keep-alive timer is then cancelled by each byte sent)."""
    sock = socket.create_connection((LOOPBACK, port), timeout=10)
    if kept_alive:
        body = registry_body("other/repo")
        sock.sendall(raw_request(signed_request(SHARED_SECRET, body), body))
        assert _response(sock).startswith(b"HTTP/1.1 200 ")
    sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return sock


def test_slow_request_heads_are_cut_and_do_not_stall_others(start_server: StartServer) -> None:
    server = start_server("--head-timeout", "1.5")
    slow = [_slow_client(server.port, kept_alive=i % 2 == 0) for i in range(SLOW)]
    closed: dict[socket.socket, tuple[float, bytes]] = {}
    started = time.monotonic()
    stop = threading.Event()

    def dribble() -> None:
        """One header line every 0.2 s on each slow connection (what beats an idle timeout),
        until the server answers or closes it; bounded to 6 s."""
        while not stop.is_set() and len(closed) < len(slow) and time.monotonic() - started < 6:
            open_ones = [s for s in slow if s not in closed]
            for sock in open_ones:
                try:
                    sock.send(b"X-Slow: 1\r\n")
                except OSError:
                    closed.setdefault(sock, (time.monotonic() - started, b""))
            readable, _, _ = select.select([s for s in open_ones if s not in closed], [], [], 0.2)
            for sock in readable:
                try:
                    data = sock.recv(4096)
                except OSError:
                    data = b""
                closed.setdefault(sock, (time.monotonic() - started, data))

    dribbler = threading.Thread(target=dribble)
    dribbler.start()
    try:
        time.sleep(0.5)  # every slow head is in progress
        for slug, expected in (("other/repo", [HUB]), ("octocat/x", [HUB, TEAM])):
            asked = time.monotonic()
            assert ask(server, slug).json() == expected
            assert time.monotonic() - asked < 1.0, "a normal client waited behind the slow ones"
        dribbler.join(timeout=10)
    finally:
        stop.set()
        dribbler.join()
        for sock in slow:
            sock.close()
    assert len(closed) == SLOW, f"{SLOW - len(closed)} slow heads were still held after 6 s"
    for after, data in closed.values():
        assert 1.0 < after < 4.0  # cut at the deadline (1.5 s), not before, not much after
        assert data == b"" or data.startswith(b"HTTP/1.1 408 ")
    assert any(data.startswith(b"HTTP/1.1 408 ") for _, data in closed.values())
    assert ask(server, "other/repo").json() == [HUB]  # and the server is still fine


def test_a_whole_head_sent_at_once_is_not_cut(start_server: StartServer) -> None:
    server = start_server("--head-timeout", "0.5")
    with socket.create_connection((LOOPBACK, server.port), timeout=10) as sock:
        for _ in range(3):  # keep-alive: each request gets its own head deadline
            body = registry_body("other/repo")
            sock.sendall(raw_request(signed_request(SHARED_SECRET, body), body))
            assert _response(sock).startswith(b"HTTP/1.1 200 ")
            time.sleep(0.7)  # idle between requests is the keep-alive timer's business (5 s)


def test_a_captured_request_is_answered_once(start_server: StartServer) -> None:
    """Issue 16.5: a request captured on the wire was answered again for 5 minutes."""
    server = start_server()
    body = registry_body("octocat/hello-world")
    headers = signed_request(SHARED_SECRET, body)
    assert server.post(headers, body).json() == [HUB, TEAM]
    for variant in (dict(headers), {**headers, "authorization": "Signature " + headers["signature"]}):
        replayed = server.post(variant, body)
        assert (replayed.status, replayed.body) == (401, b"request replayed\n")
    assert server.wait_for_log("access", reason="request replayed")["status"] == 401
    assert ask(server, "octocat/hello-world").json() == [HUB, TEAM]  # a new request (another build) is fine


def test_a_file_caught_half_written_is_never_served(workdir: Path, start_server: StartServer) -> None:
    """Issue 16.5: an editor rewriting the file in place, in two halves with a pause. The first
    half is a valid file in which team's `drone:` restriction is not written yet: served, it would
    hand team's password to every repository. The server must keep the old file until the whole
    new one has settled, then take it."""
    config = workdir / "halcfg.yaml"
    new = ACCOUNTS + "      - name: ghcr\n        address: ghcr.io\n        username: gh-bot\n" \
                     "        passwordEnv: TEAM_PASSWORD\n"
    cut = new.index("        drone: {repos:")
    server = start_server("--reload-interval", "0.1")  # looks 5 times during the pause
    seen: list[list] = []
    stop = threading.Event()

    def ask_all_the_time() -> None:
        while not stop.is_set():
            seen.append(ask(server, "other/repo").json())

    asker = threading.Thread(target=ask_all_the_time)
    asker.start()
    try:
        with open(config, "r+") as editor:  # in place: same inode, as `:set backupcopy=yes` writes
            editor.truncate(0)
            editor.write(new[:cut])
            editor.flush()
            time.sleep(0.5)
            editor.write(new[cut:])
        server.wait_for_log("reloaded", timeout=10, accounts=4)
        ghcr = {"address": "ghcr.io", "username": "gh-bot", "password": TEAM_PASSWORD}
        _until(lambda: seen[-1] == [HUB, ghcr])
    finally:
        stop.set()
        asker.join()
    assert [HUB] in seen  # the old file was answered throughout the write
    assert not [answer for answer in seen if TEAM in answer], "the half-written file was served"
    assert len([x for x in server.log_lines() if x["event"] == "reloaded"]) == 1


def _idle_from(port: int, source: str) -> socket.socket:
    """A connection from `source` (another loopback address) that sends nothing."""
    return socket.create_connection((LOOPBACK, port), timeout=10, source_address=(source, 0))


def _refused_at_once(sock: socket.socket) -> bool:
    """The server answered 503 and closed without waiting for a request."""
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data.startswith(b"HTTP/1.1 503 ") and b"too many connections" in data


def test_idle_connections_beyond_the_caps_are_refused_at_once(start_server: StartServer) -> None:
    """Issue 16.5's limit: the head deadline bounds how long a connection is held, not how many. A
    host holding its share gets a 503 for the next one; other hosts are served until the server's
    own cap; closing frees the places."""
    server = start_server("--max-connections", "6", "--max-client-connections", "4", "--head-timeout", "30")
    hog = [_idle_from(server.port, "127.0.0.2") for _ in range(4)]
    held: list[socket.socket] = []
    try:
        time.sleep(0.2)  # the server has counted them
        assert _refused_at_once(_idle_from(server.port, "127.0.0.2"))
        assert ask(server, "other/repo").json() == [HUB]  # another address: its own share
        held += [_idle_from(server.port, "127.0.0.3"), _idle_from(server.port, "127.0.0.4")]  # 6 in all
        time.sleep(0.2)
        assert _refused_at_once(_idle_from(server.port, "127.0.0.5"))
        scraped = server.request("GET", "/metrics")
        assert scraped.status == 503  # the seventh connection, whatever it asks
        for sock in hog:
            sock.close()
        _until(lambda: ask(server, "other/repo").status == 200)
        again = _idle_from(server.port, "127.0.0.2")  # the hog's share is free again
        held.append(again)
        body = registry_body("other/repo")
        again.sendall(raw_request(signed_request(SHARED_SECRET, body), body))
        assert _response(again).startswith(b"HTTP/1.1 200 ")
    finally:
        for sock in hog + held:
            sock.close()
    refused = {sample.labels["limit"]: sample.value
               for family in text_string_to_metric_families(server.request("GET", "/metrics").body.decode())
               if family.name == "halcfg_drone_connections_refused" for sample in family.samples}
    # the asks right after the hog's close may still find 6 open: a server-limit refusal or more
    assert refused["client-limit"] == 1 and refused["server-limit"] >= 2
