"""`GET /metrics` of `halcfg serve drone`, in Prometheus text format (prometheus_client).

What an operator graphs and alerts on: requests by outcome (answered, none applicable, rejected
or failed, with the fixed reason), answer latency, the accounts offered, and credential
failures and ECR token refreshes by account name, connections refused by limit. Labels are account names, outcomes and
reasons from a fixed set: never a secret, a header value or anything else a client sent.

A request only adds to plain counters (on the event loop's thread; credential events, from the
answer threads, under a lock); prometheus_client turns them into metric families when scraped.
Its own Counter and Histogram cost a lock and a label lookup per call: on this server's fast path
that was over 5% of the requests per second (bench/drone). prometheus_client is imported here
only, by the server.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http import HTTPStatus

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
# seconds: most answers take a millisecond; a passwordCommand or ECR call up to the 60 s answer timeout
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
PREFIX = "halcfg_drone"


def outcome(status: int) -> str:
    if status == 200:
        return "answered"
    if status == 204:
        return "none-applicable"
    return "rejected" if status < 500 else "failed"


class Metrics:
    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str]] = Counter()  # (outcome, reason) -> count
        self.buckets = [0] * (len(BUCKETS) + 1)  # per bucket, not cumulative; the last is +Inf
        self.seconds = 0.0
        self.offered: Counter[str] = Counter()
        self.credential_failures: Counter[str] = Counter()
        self.ecr_refreshes: Counter[str] = Counter()
        self.connections_refused: Counter[str] = Counter()  # by limit: server-limit, client-limit
        self._lock = threading.Lock()
        self.accounts: Callable[[], float] = lambda: 0.0  # the gauges, read at scrape time
        self.replay_memory: Callable[[], float] = lambda: 0.0
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)
        ProcessCollector(registry=self.registry)  # memory and CPU of the server: the replay memory shows here

    def request(self, status: int, reason: str | None, seconds: float, offered: tuple[str, ...]) -> None:
        """One extension request answered; called on the event loop's thread only."""
        self.requests[outcome(status), reason or _phrase(status)] += 1
        self.buckets[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.seconds += seconds
        for name in offered:
            self.offered[name] += 1

    def refused(self, limit: str) -> None:
        """A connection closed at once for being over `limit`; on the event loop's thread."""
        self.connections_refused[limit] += 1

    def credential(self, event: str, account: str) -> None:
        """The credential cache's observer: a `failure` or an `ecr-refresh` of `account`."""
        with self._lock:
            (self.credential_failures if event == "failure" else self.ecr_refreshes)[account] += 1

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(f"{PREFIX}_requests", "Extension requests by outcome and reason.",
                                       labels=("outcome", "reason"))
        for labels, count in list(self.requests.items()):
            requests.add_metric(labels, count)
        yield requests
        cumulative, total = [], 0
        for bound, count in zip((*map(str, BUCKETS), "+Inf"), list(self.buckets), strict=True):
            total += count
            cumulative.append((bound, total))
        yield HistogramMetricFamily(f"{PREFIX}_request_duration_seconds", "Time from request to answer.",
                                    buckets=cumulative, sum_value=self.seconds)
        with self._lock:
            by_account = ((f"{PREFIX}_account_offered", "Times an account's credentials were in an answer.",
                           dict(self.offered)),
                          (f"{PREFIX}_credential_failures", "Credentials that could not be resolved, by account.",
                           dict(self.credential_failures)),
                          (f"{PREFIX}_ecr_refreshes", "ECR tokens fetched from AWS, by account.",
                           dict(self.ecr_refreshes)))
        for name, documentation, counts in by_account:
            family = CounterMetricFamily(name, documentation, labels=("account",))
            for account, count in sorted(counts.items()):
                family.add_metric((account,), count)
            yield family
        refused = CounterMetricFamily(f"{PREFIX}_connections_refused", "Connections closed at once, by limit.",
                                      labels=("limit",))
        for limit, count in sorted(self.connections_refused.items()):
            refused.add_metric((limit,), count)
        yield refused
        yield GaugeMetricFamily(f"{PREFIX}_accounts", "Accounts in the file being served.", value=self.accounts())
        yield GaugeMetricFamily(f"{PREFIX}_replay_signatures", "Signatures remembered against replay.",
                                value=self.replay_memory())

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _phrase(status: int) -> str:
    return "" if status in (200, 204) else HTTPStatus(status).phrase.lower()
