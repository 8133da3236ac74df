"""The Drone extension's credential cache with real password sources: passwordCommand re-run
only after its TTL, failures remembered briefly and logged once, a changed account re-resolved."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from halcfg.config.model import Account
from halcfg.serve.drone.credentials import CredentialCache


class Log:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict]] = []

    def __call__(self, event: str, **fields: object) -> None:
        self.lines.append((event, fields))


def counting_command(tmp_path: Path, password: str = "pw") -> str:
    """A command that appends a line to runs.txt each time it runs, then prints the password."""
    return f"echo run >> {tmp_path / 'runs.txt'}; printf {password}"


def runs(tmp_path: Path) -> int:
    path = tmp_path / "runs.txt"
    return len(path.read_text().splitlines()) if path.exists() else 0


def account(**fields: object) -> Account:
    return Account(index=0, name="acct", address="registry.example", username="robot", **fields)  # type: ignore[arg-type]


def test_password_command_reused_within_its_ttl(tmp_path: Path) -> None:
    cache = CredentialCache(Log(), command_ttl=60)
    acct = account(password_command=counting_command(tmp_path))
    assert [cache.get(acct, tmp_path).password for _ in range(3)] == ["pw"] * 3
    assert runs(tmp_path) == 1


def test_password_command_rerun_after_its_ttl(tmp_path: Path) -> None:
    cache = CredentialCache(Log(), command_ttl=0)
    acct = account(password_command=counting_command(tmp_path))
    for _ in range(3):
        cache.get(acct, tmp_path)
    assert runs(tmp_path) == 3


def test_concurrent_requests_run_the_command_once(tmp_path: Path) -> None:
    cache = CredentialCache(Log(), command_ttl=60)
    acct = account(password_command="sleep 0.3; " + counting_command(tmp_path))
    got: list[str | None] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(acct, tmp_path).password)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == ["pw"] * 8 and runs(tmp_path) == 1


def test_changed_account_is_resolved_again(tmp_path: Path) -> None:
    cache = CredentialCache(Log(), command_ttl=60)
    acct = account(password_command=counting_command(tmp_path, "one"))
    assert cache.get(acct, tmp_path).password == "one"
    same = dataclasses.replace(acct)  # a reload of an unchanged file: a new, equal object
    assert cache.get(same, tmp_path).password == "one" and runs(tmp_path) == 1
    changed = dataclasses.replace(acct, password_command=counting_command(tmp_path, "two"))
    assert cache.get(changed, tmp_path).password == "two" and runs(tmp_path) == 2


def test_failure_is_logged_once_and_remembered(tmp_path: Path) -> None:
    log = Log()
    cache = CredentialCache(log, failure_ttl=60)
    acct = account(password_command=f"echo run >> {tmp_path / 'runs.txt'}; echo denied >&2; exit 4")
    assert cache.get(acct, tmp_path) is None and cache.get(acct, tmp_path) is None
    assert runs(tmp_path) == 1
    [(event, fields)] = log.lines
    assert event == "credential-error" and fields["account"] == "acct" and "denied" in str(fields["reason"])


def test_password_file_reread_after_a_second(tmp_path: Path) -> None:
    cache = CredentialCache(Log(), fast_ttl=0.3)
    (tmp_path / "pw").write_text("first")
    acct = account(password_file="pw")
    assert cache.get(acct, tmp_path).password == "first"
    (tmp_path / "pw").write_text("rotated")
    assert cache.get(acct, tmp_path).password == "first"
    assert cache.known_secrets() == ["first"]  # what the log redacts
    time.sleep(0.35)
    assert cache.get(acct, tmp_path).password == "rotated"


def test_ecr_token_kept_until_shortly_before_it_expires(tmp_path: Path) -> None:
    from halcfg.credentials.ecr import REFRESH_MARGIN
    from halcfg.credentials.resolve import Credential

    cache = CredentialCache(Log())
    now = datetime.now(UTC)
    assert cache._ttl(Credential("AWS", "t", "ecr", now + timedelta(hours=12))) == pytest.approx(
        12 * 3600 - REFRESH_MARGIN, abs=5)
    assert cache._ttl(Credential("AWS", "t", "ecr", now + timedelta(seconds=REFRESH_MARGIN - 1))) == 0
    assert cache._ttl(Credential("AWS", "t", "ecr", None)) == 0
