"""The one in-process credential cache: lifetimes, single flight, remembered failures, versions."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from halcfg.credentials import ecr as ecr_tokens
from halcfg.credentials.ecr import EcrToken, cached_token, keep_for
from halcfg.credentials.memo import FAILURE_TTL, Memo
from halcfg.credentials.resolve import CredentialError
from tests.unit.credentials.test_ecr import ecr_account


class Counter:
    def __init__(self, value: str = "v", delay: float = 0.0) -> None:
        self.calls = 0
        self.value = value
        self.delay = delay

    def __call__(self) -> str:
        self.calls += 1
        time.sleep(self.delay)
        return f"{self.value}-{self.calls}"


def test_a_value_is_kept_for_its_ttl_then_computed_again() -> None:
    memo: Memo[str] = Memo(0.2)
    compute = Counter()
    assert [memo.get("k", compute) for _ in range(3)] == ["v-1"] * 3
    time.sleep(0.25)
    assert memo.get("k", compute) == "v-2" and compute.calls == 2


def test_keys_are_kept_apart() -> None:
    memo: Memo[str] = Memo(60)
    assert memo.get("a", Counter("a")) == "a-1"
    assert memo.get("b", Counter("b")) == "b-1"
    assert sorted(memo.values()) == ["a-1", "b-1"]


def test_the_lifetime_may_depend_on_the_value() -> None:
    memo: Memo[str] = Memo(lambda value: 60.0 if value.startswith("keep") else 0.0)
    keep, drop = Counter("keep"), Counter("drop")
    assert memo.get("k", keep) == memo.get("k", keep) == "keep-1"
    assert memo.get("d", drop) == "drop-1" and memo.get("d", drop) == "drop-2"  # not positive: not kept
    assert memo.values() == ["keep-1"]


def test_one_thread_computes_while_the_others_wait_for_its_value() -> None:
    memo: Memo[str] = Memo(60)
    compute = Counter(delay=0.3)
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(memo.get("k", compute))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == ["v-1"] * 8 and compute.calls == 1


def test_a_failure_is_raised_again_for_its_ttl_without_computing() -> None:
    memo: Memo[str] = Memo(60, failure_ttl=0.2)
    calls: list[int] = []

    def fail() -> str:
        calls.append(1)
        raise CredentialError("ecr-token-failed", "denied", "fix it")

    for _ in range(3):
        with pytest.raises(CredentialError, match="denied"):
            memo.get("k", fail)
    assert len(calls) == 1 and memo.values() == []
    time.sleep(0.25)
    assert memo.get("k", Counter()) == "v-1"
    assert FAILURE_TTL == 10.0


def test_other_exceptions_are_not_remembered() -> None:
    memo: Memo[str] = Memo(60)
    with pytest.raises(ZeroDivisionError):
        memo.get("k", lambda: str(1 / 0))
    assert memo.get("k", Counter()) == "v-1"


def test_an_entry_for_another_version_is_a_miss_an_equal_one_a_hit() -> None:
    memo: Memo[str] = Memo(60)
    compute = Counter()
    assert memo.get("k", compute, version=("address", 1)) == "v-1"
    assert memo.get("k", compute, version=("address", 1)) == "v-1"  # equal, not identical
    assert memo.get("k", compute, version=("address", 2)) == "v-2"
    assert compute.calls == 2


def test_a_kept_value_expires_by_the_wall_clock_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine that slept past a token's expiry: the monotonic clock did not move, the wall one did."""
    memo: Memo[str] = Memo(3600)
    compute = Counter()
    assert memo.get("k", compute) == "v-1"
    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)
    assert memo.get("k", compute) == "v-2"


def test_ecr_tokens_on_one_identity_are_fetched_once_for_many_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    ecr_tokens._tokens.clear()
    calls: list[str | None] = []
    expires = datetime.now(UTC) + timedelta(hours=12)

    def fetch(identity: ecr_tokens.Identity, registry_id: str | None, timeout: float) -> EcrToken:
        calls.append(registry_id)
        time.sleep(0.2)
        return EcrToken("AWS", "token", expires)

    monkeypatch.setattr(ecr_tokens, "_get_authorization_token", fetch)
    account = ecr_account(address="012345678910.dkr.ecr.eu-west-1.amazonaws.com")
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(cached_token(account, tmp_path).password))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == ["token"] * 8 and calls == ["012345678910"]
    ecr_tokens._tokens.clear()


def test_keep_for_ends_the_margin_before_expiry() -> None:
    expires = datetime.now(UTC) + timedelta(hours=12)
    assert keep_for(expires) == pytest.approx(12 * 3600 - ecr_tokens.REFRESH_MARGIN, abs=5)
    assert keep_for(None) == 0.0
    assert keep_for(datetime.now(UTC)) < 0


def test_a_remembered_failure_does_not_pile_up_tracebacks() -> None:
    memo: Memo[str] = Memo(60, failure_ttl=60)

    def fail() -> str:
        raise CredentialError("ecr-token-failed", "denied", "fix it")

    depths = []
    for _ in range(50):
        try:
            memo.get("k", fail)
        except CredentialError as error:
            depth, tb = 0, error.__traceback__
            while tb is not None:
                depth, tb = depth + 1, tb.tb_next
            depths.append(depth)
    assert len(set(depths[1:])) == 1 and depths[-1] <= depths[0]
