"""The one in-process credential cache: a value per key, kept for a time that may depend on the
value, computed by one thread at a time, with failures remembered briefly.

ECR tokens (credentials.ecr: until shortly before each token expires), kork secret references
(credentials.kork: 5 minutes) and the Drone extension's per-account credentials
(serve.drone.credentials: by password source) are each a `Memo` with their own lifetimes. The
cross-process file cache of the helpers (credentials.cache) is a different job: it outlives
the process.

- Single flight: while one thread computes a key, the others asking for it wait and take its
  result, so 100 accounts on one ECR identity or one S3 object ask AWS once.
- A `CredentialError` is remembered for `failure_ttl` and raised again to every caller in that
  time: one log line and one cloud call per failure window, not one per request.
- A value whose lifetime is not positive is returned but not kept (an already expired token).
- `version`: an entry made for another version of the question (an account whose definition
  changed on reload) is a miss; one made for an equal version is a hit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from halcfg.credentials.resolve import CredentialError

FAILURE_TTL = 10.0  # seconds a failure is reused: short, so a fix takes effect almost at once

V = TypeVar("V")
_NO_VERSION = object()


class _Entry:
    __slots__ = ("until", "until_wall", "value", "version")

    def __init__(self, ttl: float, value: Any, version: object) -> None:
        # A kept value expires when either clock says so: the monotonic one is immune to clock
        # steps, the wall one counts a suspended machine's sleep (a token's expiry is wall time).
        self.until = time.monotonic() + ttl
        self.until_wall = time.time() + ttl
        self.value = value  # the value, or the CredentialError to raise
        self.version = version



class Memo(Generic[V]):
    def __init__(self, ttl: float | Callable[[V], float], failure_ttl: float = FAILURE_TTL) -> None:
        self._ttl = ttl if callable(ttl) else (lambda value, seconds=float(ttl): seconds)
        self.failure_ttl = failure_ttl
        self._entries: dict[Any, _Entry] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Any, compute: Callable[[], V], *, version: object = _NO_VERSION) -> V:
        """The value for `key`: cached, or computed now by this thread or the one already at it.
        Raises the CredentialError `compute` raised, for as long as it is remembered."""
        entry = self._hit(key, version)  # the common case takes no lock
        if entry is None:
            with self._lock(key):
                entry = self._hit(key, version)
                if entry is None:
                    entry = self._compute(key, compute, version)
        if isinstance(entry.value, CredentialError):
            # the one remembered error, raised again: without its last traceback, which each raise
            # would otherwise lengthen (and which holds the frames, and their values, of the last)
            raise entry.value.with_traceback(None)
        return entry.value

    def _hit(self, key: Any, version: object) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None or entry.until <= time.monotonic() or entry.until_wall <= time.time():
            return None
        if entry.version is not version:
            if entry.version != version:
                return None
            entry.version = version  # equal: the next comparison is by identity
        return entry

    def _compute(self, key: Any, compute: Callable[[], V], version: object) -> _Entry:
        try:
            value: Any = compute()
            ttl = self._ttl(value)
        except CredentialError as error:
            value, ttl = error, self.failure_ttl
        entry = _Entry(ttl, value, version)
        with self._guard:
            if ttl > 0:
                self._entries[key] = entry
            else:
                self._entries.pop(key, None)
        return entry

    def _lock(self, key: Any) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def values(self) -> list[V]:
        """The values held now (not failures): what a log must redact."""
        with self._guard:
            entries = list(self._entries.values())
        return [e.value for e in entries if not isinstance(e.value, CredentialError)]

    def clear(self) -> None:
        with self._guard:
            self._entries.clear()
