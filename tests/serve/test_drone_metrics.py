"""`GET /metrics` of a real `halcfg serve drone` (issue 19.3), scraped and read with
prometheus_client's own text parser: exact counts after known requests, and no secret."""

from __future__ import annotations

import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.serve.conftest import CANARIES, SHARED_SECRET, StartServer, add_ecr_account, secret_forms
from tests.serve.test_drone import HUB, TEAM, ask
from tests.support.drone_server import DroneServer
from tests.support.drone_signer import SIGNED, drone_date, registry_body, signature, signed_request


def scrape(server: DroneServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics as {(name, sorted labels): value}, through prometheus_client's parser."""
    response = server.request("GET", "/metrics")
    assert response.status == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.body.decode()
    for canary in CANARIES:
        for form in secret_forms(canary):
            assert form not in text, "a secret reached /metrics"
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def requests(samples: dict, outcome: str, reason: str) -> float:
    return samples.get(("halcfg_drone_requests_total", (("outcome", outcome), ("reason", reason))), 0.0)


def test_metrics_count_known_requests(server: DroneServer) -> None:
    assert ask(server).json() == [HUB, TEAM]
    assert ask(server).json() == [HUB, TEAM]  # broken's failure is remembered: not resolved (or counted) again
    assert ask(server, "other/repo").json() == [HUB]
    body = registry_body()
    replayed = signed_request(SHARED_SECRET, body)
    assert server.post(replayed, body).status == 200
    assert server.post(replayed, body).status == 401
    wrong = registry_body()
    assert server.post(signed_request(SHARED_SECRET[::-1], wrong), wrong).status == 401
    stale = registry_body()
    assert server.post(signed_request(SHARED_SECRET, stale, date=drone_date(time.time() - 400)), stale).status == 401
    assert server.request("GET", "/").status == 405
    odd = registry_body()
    headers = signed_request(SHARED_SECRET, odd)
    headers["signature"] = signature(SHARED_SECRET, {**headers, "x-chosen-by-client": "1"},
                                     (*SIGNED, "x-chosen-by-client"))
    assert server.post(headers, odd).status == 400  # its reason names the header; its label does not
    assert server.request("GET", "/healthz").status == 200  # not an extension request: not counted

    samples = scrape(server)
    assert requests(samples, "answered", "") == 4
    assert requests(samples, "rejected", "request replayed") == 1
    assert requests(samples, "rejected", "signature does not verify") == 1
    assert requests(samples, "rejected", "Date is more than 300 s off") == 1
    assert requests(samples, "rejected", "method not allowed") == 1
    assert requests(samples, "rejected", "signed header missing") == 1
    assert sum(v for (name, _), v in samples.items() if name == "halcfg_drone_requests_total") == 9
    assert samples[("halcfg_drone_request_duration_seconds_count", ())] == 9
    assert samples[("halcfg_drone_request_duration_seconds_bucket", (("le", "+Inf"),))] == 9
    assert samples[("halcfg_drone_account_offered_total", (("account", "hub"),))] == 4
    assert samples[("halcfg_drone_account_offered_total", (("account", "team"),))] == 3
    assert ("halcfg_drone_account_offered_total", (("account", "broken"),)) not in samples
    assert samples[("halcfg_drone_credential_failures_total", (("account", "broken"),))] == 1
    assert samples[("halcfg_drone_accounts", ())] == 3
    assert samples[("halcfg_drone_replay_signatures", ())] == 4  # the four requests that verified
    assert scrape(server)[("halcfg_drone_request_duration_seconds_count", ())] == 9  # a scrape is no request


def test_ecr_refreshes_by_account(workdir: Path, start_server: StartServer, moto_ecr) -> None:
    host = add_ecr_account(workdir, moto_ecr)
    server = start_server()
    for _ in range(3):
        assert {"address": host, "username": moto_ecr.user, "password": moto_ecr.password} in ask(server).json()
    samples = scrape(server)
    # moto's tokens say they expired in 2015 (moto/ecr/responses.py), so each request fetches one
    assert samples[("halcfg_drone_ecr_refreshes_total", (("account", "ecr"),))] == 3
    assert samples[("halcfg_drone_account_offered_total", (("account", "ecr"),))] == 3
    assert moto_ecr.password not in server.request("GET", "/metrics").body.decode()


def test_metrics_can_be_turned_off(start_server: StartServer) -> None:
    server = start_server("--no-metrics")
    assert ask(server, "other/repo").json() == [HUB]
    assert server.request("GET", "/metrics").status == 405  # an extension path like any other: POST only
