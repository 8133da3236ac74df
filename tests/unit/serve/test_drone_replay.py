"""The replay memory: a signature once, refused again within its Date window, forgotten after,
and bounded: full means refuse the new, never forget a fresh one."""

from __future__ import annotations

from halcfg.serve.drone.replay import SeenSignatures
from halcfg.serve.drone.signature import MAX_SKEW


def test_a_signature_is_admitted_once_within_its_window() -> None:
    seen = SeenSignatures()
    assert seen.admit("a", sent=1000.0, now=1000.0) is True
    assert seen.admit("a", sent=1000.0, now=1000.0 + MAX_SKEW) is False  # still fresh: a replay
    assert seen.admit("b", sent=1000.0, now=1000.0) is True


def test_stale_signatures_are_forgotten() -> None:
    seen = SeenSignatures()
    for i in range(100):
        seen.admit(f"s{i}", sent=1000.0 + i, now=1000.0 + i)
    now = 1050.0 + MAX_SKEW  # s0..s49 (sent before 1050) are stale: the Date check refuses them now
    assert seen.admit("late", sent=now, now=now) is True
    assert len(seen) == 51  # s50..s99 and late
    assert seen.admit("s50", sent=1050.0, now=now) is False


def test_full_memory_refuses_new_signatures_and_keeps_the_fresh_ones() -> None:
    seen = SeenSignatures(limit=3)
    for name in ("a", "b", "c"):
        assert seen.admit(name, sent=1000.0, now=1000.0) is True
    assert seen.admit("d", sent=1000.0, now=1001.0) is None  # refused, not admitted
    assert seen.admit("a", sent=1000.0, now=1001.0) is False  # and "a" is still remembered
    assert len(seen) == 3
    assert seen.admit("d", sent=1000.0 + MAX_SKEW, now=1001.0 + MAX_SKEW) is True  # a..c went stale
    assert len(seen) == 1
