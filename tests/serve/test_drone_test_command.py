"""`halcfg serve drone-test` (issue 17.4): a request signed as Drone's runner signs it, sent to
`serve drone` and to a small extension that answers wrongly; what the runner would make of each
answer, passwords never shown."""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from tests.serve.conftest import CANARIES, SHARED_SECRET, secret_forms
from tests.support.cli import run_cli
from tests.support.drone_extension import ANSWER, running_extension
from tests.support.drone_server import DroneServer

EXTENSION_PASSWORD = ANSWER[0]["password"]


def drone_test(*args: str, env: dict[str, str] | None = None):
    result = run_cli("serve", "drone-test", *args, env=env, timeout=60)
    for canary in (*CANARIES, EXTENSION_PASSWORD):
        for form in secret_forms(canary, ("hub-bot", "team-bot", "bot")):
            assert form not in result.stdout + result.stderr, f"a secret was shown: {form[:6]}…"
    assert "Traceback" not in result.stderr
    return result


def test_against_serve_drone(workdir: Path, server: DroneServer) -> None:
    endpoint = f"http://127.0.0.1:{server.port}/"
    result = drone_test("--endpoint", endpoint, "--secret-file", str(workdir / "secret"), "--repo",
                        "octocat/hello-world", "--event", "push", "--image", "registry.example.com:5000/app:1",
                        "--image", "alpine:3", "--image", "ghcr.io/x/y")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"POST {endpoint} signed as Drone's runner: repo octocat/hello-world, event push, " \
                       "Accept-Encoding identity"
    assert lines[1:4] == ["200: 2 credential(s)",
                          "  docker.io  username hub-bot  password ********",
                          "  registry.example.com:5000  username team-bot  password ********"]
    assert lines[4] == "image registry.example.com:5000/app:1: pulled with registry.example.com:5000's credential " \
                       "(username team-bot)"
    assert lines[5] == "image alpine:3: pulled with docker.io's credential (username hub-bot)"
    assert lines[6] == "image ghcr.io/x/y: no credential matches its registry: the runner pulls it anonymously"
    access = server.wait_for_log("access", path="/")
    assert (access["status"], access["repo"], access["build_event"]) == (200, "octocat/hello-world", "push")

    other = drone_test("--endpoint", endpoint, "--secret-file", str(workdir / "secret"), "--repo", "other/repo",
                       "--event", "pull_request", "--encoding", "aesgcm")
    assert other.returncode == 0
    assert other.stdout.splitlines()[1:] == ["200: 1 credential(s), aesgcm-encrypted",
                                             "  docker.io  username hub-bot  password ********"]


def test_secret_and_endpoint_from_the_runners_environment(server: DroneServer) -> None:
    env = {"DRONE_REGISTRY_PLUGIN_ENDPOINT": f"http://127.0.0.1:{server.port}",
           "DRONE_REGISTRY_PLUGIN_TOKEN": SHARED_SECRET}
    result = drone_test("--repo", "acme/api-1", "--event", "tag", env=env)
    assert result.returncode == 0 and "200: 2 credential(s)" in result.stdout
    wrong = drone_test("--repo", "acme/api-1", env={**env, "DRONE_REGISTRY_PLUGIN_TOKEN": SHARED_SECRET + "x"})
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == "halcfg: error: the runner would get no credentials: status 401: " \
                                   "signature does not verify"


def test_the_request_is_the_runners() -> None:
    """What the extension receives: drone-go's headers, a signature an independent verifier
    accepts, and a body with the repo slug and event in drone-go's field names."""
    with running_extension(SHARED_SECRET) as extension:
        result = drone_test("--endpoint", extension.url("/strict"), "--repo", "octocat/hello", "--event", "cron",
                            env={"DRONE_SECRET": SHARED_SECRET})
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[1:] == ["200: 1 credential(s)",
                                                  "  docker.io  username bot  password ********"]
    (request,) = extension.received
    headers = request.headers
    assert headers["accept"] == "application/vnd.drone.registry.v1+json"
    assert headers["accept-encoding"] == "identity" and headers["content-type"] == "application/json"
    assert parsedate_to_datetime(headers["date"]).utcoffset().total_seconds() == 0
    assert headers["signature"].startswith('keyId="hmac-key",algorithm="hmac-sha256",signature="')
    assert headers["signature"].endswith('",headers="accept accept-encoding content-type date digest"')
    body = json.loads(request.body)
    assert body["repo"]["slug"] == "octocat/hello" and body["repo"]["namespace"] == "octocat"
    assert body["repo"]["name"] == "hello" and body["build"]["event"] == "cron"
    assert b" " not in request.body  # Go's json.Marshal: no spaces


@pytest.mark.parametrize(
    ("path", "code", "says"),
    [
        ("/status-500", 1, "status 500: registry plugin: cannot list registries"),
        ("/status-404-empty", 1, "status 404: Not Found"),  # an empty body: the status text, as drone-go
        ("/bad-json", 1, "the answer is not JSON"),
        ("/object", 1, "the answer is not a JSON list of registries"),
        ("/null-entry", 1, "entry 0 is null: the runner would crash on it"),
        ("/number-password", 1, "entry 0: password is not a string"),
        ("/empty-200", 1, "the answer is not JSON"),
        ("/redirect", 1, "status 302"),  # drone-go does not follow redirects
        ("/wants-target", 1, "status 400: Invalid Signature"),  # expects (request-target): drone-go never signs it
        ("/echo-secret", 1, "status 401: bad secret ****"),
        ("/aesgcm-other-key", 1, "aesgcm: message authentication failed"),
        ("/no-content", 0, "204: no credentials for this repository and event (204 No Content)"),
        ("/empty-list", 0, "200: no credentials for this repository and event (an empty list)"),
        ("/aesgcm", 0, "200: 1 credential(s), aesgcm-encrypted"),
    ],
)
def test_against_an_extension_that_answers_wrongly(path: str, code: int, says: str) -> None:
    with running_extension(SHARED_SECRET) as extension:
        result = drone_test("--endpoint", extension.url(path), "--repo", "o/r", env={"DRONE_SECRET": SHARED_SECRET})
    assert result.returncode == code, result.stderr
    out = result.stdout if code == 0 else result.stderr
    assert says in out, out
    if code:
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("halcfg: error: the runner would get no credentials: ")
    assert SHARED_SECRET not in result.stderr
    assert [r.path for r in extension.received] == [path]  # one request, no redirect followed


def test_unreachable_and_usage_errors(tmp_path: Path) -> None:
    env = {"DRONE_SECRET": SHARED_SECRET}
    down = drone_test("--endpoint", "http://127.0.0.1:1/", "--repo", "o/r", env=env)
    assert down.returncode == 1 and "cannot reach the extension" in down.stderr
    down_url = "http://127.0.0.1:1/"
    for args, says in ((("--repo", "o/r"), "no endpoint"),
                       (("--endpoint", "ftp://x/", "--repo", "o/r"), "expected http://"),
                       (("--endpoint", "http://127.0.0.1:1/", "--repo", "justname"), "expected owner/name"),
                       (("--endpoint", down_url, "--repo", "o/r", "--encoding", "gzip"), "identity, aesgcm"),
                       (("--endpoint", "http://127.0.0.1:1/", "--repo", "o/r", "--secret-file", str(tmp_path / "x")),
                        "No such file")):
        result = drone_test(*args, env=env)
        assert result.returncode == 2 and result.stderr.startswith("halcfg: error:") and says in result.stderr, args
    nosecret = run_cli("serve", "drone-test", "--endpoint", "http://127.0.0.1:1/", "--repo", "o/r", timeout=30,
                       env={"DRONE_SECRET": "", "DRONE_REGISTRY_PLUGIN_TOKEN": ""})
    assert nosecret.returncode == 2 and "no shared secret" in nosecret.stderr
