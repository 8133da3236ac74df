"""The cross-process token cache on a real filesystem: lifetimes, permissions, symlinks, junk."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from halcfg.credentials.cache import Token, TokenCache, cache_folder, cache_key

HOUR = 3600.0


def token(requested_ago: float = 0.0, life: float = 12 * HOUR, password: str = "tok") -> Token:
    now = time.time()
    return Token("AWS", password, now - requested_ago, now - requested_ago + life)


def test_round_trip_in_a_private_file(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "halcfg")
    cache.put("k", token())
    assert TokenCache(tmp_path / "halcfg").get("k") == cache.get("k") and cache.get("k") is not None
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.folder.stat().st_mode) == 0o700
    assert cache.problem is None and cache.get("other") is None


def test_served_only_in_the_first_half_of_its_life(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.put("k", token(requested_ago=5 * HOUR))
    assert cache.get("k") is not None
    assert cache.get("k", now=time.time() + 1.1 * HOUR) is None  # past 6 of 12 hours: refresh
    assert cache.get("k", now=time.time() + 12 * HOUR) is None  # expired: never


def test_tokens_past_half_life_or_expired_are_not_stored(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.put("late", token(requested_ago=7 * HOUR))
    cache.put("expired", Token("AWS", "tok", time.time(), time.time() - 10))  # moto's kind
    assert not cache.path.exists()


def test_stale_entries_are_dropped_when_writing(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.put("old", token())
    data = json.loads(cache.path.read_text())
    data["tokens"]["old"]["expiresAt"] = time.time() - 1
    cache.path.write_text(json.dumps(data))
    cache.put("new", token())
    assert set(json.loads(cache.path.read_text())["tokens"]) == {"new"}


def test_never_read_or_written_through_a_symlink(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    planted = TokenCache(tmp_path / "planted")
    planted.put("k", token(password="planted"))
    os.replace(planted.path, elsewhere)
    cache = TokenCache(tmp_path / "planted")
    cache.path.symlink_to(elsewhere)
    assert cache.get("k") is None and "ignoring" in (cache.problem or "")
    cache.put("k", token(password="mine"))
    assert not cache.path.is_symlink() and cache.get("k").password == "mine"  # type: ignore[union-attr]
    assert "planted" in elsewhere.read_text()  # the link's target is untouched


def test_a_file_others_may_read_or_not_ours_is_ignored(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.put("k", token())
    cache.path.chmod(0o644)
    assert cache.get("k") is None and "0600" in (cache.problem or "")
    for junk in ("not json", '{"version": 99, "tokens": {}}', '{"version": 1, "tokens": []}', "[]"):
        cache.path.write_text(junk)
        cache.path.chmod(0o600)
        assert TokenCache(tmp_path).get("k") is None, junk
    cache.put("k", token())  # and replaced by a good one
    assert TokenCache(tmp_path).get("k") is not None


def test_a_folder_others_may_write_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    cache = TokenCache(shared)
    cache.put("k", token())
    assert not cache.path.exists() and "others may write" in (cache.problem or "")


def test_cache_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder() == tmp_path / "xdg" / "halcfg"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # invalid per the spec: ignored
    assert cache_folder() == tmp_path / "home" / ".cache" / "halcfg"


def test_keys_name_no_identity() -> None:
    key = cache_key("ecr", "us-east-1", "123456789012", None, "AKIAEXAMPLE")
    assert "AKIAEXAMPLE" not in key and len(key) == 64
    assert key != cache_key("ecr", "us-east-1", "123456789012", None, "AKIAOTHER")
