"""Replay protection within the Date window: a signature the server has accepted is refused
if it comes again before its Date goes stale (after that the Date check refuses it anyway).

Only requests that passed the signature, Date and Digest checks are remembered, so a client
without the secret cannot fill the memory; it is bounded by `limit` all the same, and when that
many signatures are still fresh a new one is refused (503) rather than an old one forgotten,
which would let that one be replayed.
"""

from __future__ import annotations

import heapq
import threading

from halcfg.serve.drone.signature import MAX_SKEW

DEFAULT_LIMIT = 200_000  # ~60 MB at most; 330 requests a second for the whole 10-minute window


class SeenSignatures:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._until: dict[str, float] = {}  # signature -> when its Date goes stale
        self._expiry: list[tuple[float, str]] = []  # the same, as a heap by time
        self._lock = threading.Lock()

    def admit(self, signature: str, sent: float, now: float) -> bool | None:
        """True the first time `signature` (of a request whose Date is `sent`) is seen, False for a
        replay, None when `limit` fresh signatures are already held."""
        with self._lock:
            while self._expiry and self._expiry[0][0] < now:
                _, old = heapq.heappop(self._expiry)
                del self._until[old]
            if signature in self._until:
                return False
            if len(self._until) >= self.limit:
                return None
            until = sent + MAX_SKEW
            self._until[signature] = until
            heapq.heappush(self._expiry, (until, signature))
            return True

    def __len__(self) -> int:
        return len(self._until)
