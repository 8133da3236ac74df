"""uvicorn's httptools protocol with a deadline for each request head and a cap on connections.

uvicorn has no such deadline (0.55, protocols/http/httptools_impl.py and h11_impl.py): its only
timer, `timeout_keep_alive`, is armed in `on_response_complete` and cancelled by every
`data_received`, so a connection that has not finished a request head — a new one, or a kept-
alive one sending its next head a byte at a time — is held for ever (slowloris). Here a head
must be complete `head_timeout` seconds after the connection opens or its first byte arrives;
otherwise the client gets a 408 and the connection is closed. The body has its own deadline in
http.py (the app reads it); answering has the answer timeout.

The deadline bounds how long a connection is held, not how many are: a host opening thousands
would use up the process's file descriptors, after which nobody is served. So a connection
beyond `max_connections` in all, or beyond `max_client_connections` from one client address,
gets a 503 and is closed at once, before anything is read. (uvicorn's own `limit_concurrency`
counts connections too, but answers 503 only once a request head is complete, so idle
connections still pile up: httptools_impl.py, handle_request's limit check.) Drone's runner asks
once per stage over one connection, so one runner host never comes near the per-client cap.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_HEAD_TIMEOUT = 10.0  # seconds: Drone's runner sends its whole head in one write
DEFAULT_MAX_CONNECTIONS = 1000  # below the usual 1,024 open files, with room for the rest
DEFAULT_MAX_CLIENT_CONNECTIONS = 100  # from one address: one host cannot take them all


def _closing(status: bytes, reason: bytes) -> bytes:
    return (b"HTTP/1.1 %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (status, len(reason), reason))


_TIMED_OUT = _closing(b"408 Request Timeout", b"request head not received in time\n")
_TOO_MANY = _closing(b"503 Service Unavailable", b"too many connections\n")


def guarded(
    head_timeout: float, max_connections: int = DEFAULT_MAX_CONNECTIONS,
    max_client_connections: int = DEFAULT_MAX_CLIENT_CONNECTIONS,
    refused: Callable[[str], None] = lambda reason: None,
) -> type[asyncio.Protocol]:
    """The protocol class for uvicorn.Config(http=...): heads slower than `head_timeout` are cut,
    connections beyond the caps refused; `refused("server-limit" or "client-limit")` hears each."""
    per_client: Counter[str] = Counter()  # open connections by client address (one event loop)

    class GuardedProtocol(HttpToolsProtocol):
        _head_timer: asyncio.TimerHandle | None = None
        _address: str | None = None  # counted in per_client

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            address = self.client[0] if self.client else ""
            limit = ("server-limit" if len(self.connections) > max_connections
                     else "client-limit" if per_client[address] >= max_client_connections else None)
            if limit is not None:
                refused(limit)
                transport.write(_TOO_MANY)
                transport.close()
                return
            self._address = address
            per_client[address] += 1
            self._arm_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_head_timer()
            if self._address is not None:
                per_client[self._address] -= 1
                if per_client[self._address] <= 0:
                    del per_client[self._address]
                self._address = None
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._head_timer is None:  # a kept-alive connection's next request: its own deadline
                self._arm_head_timer()

        def on_headers_complete(self) -> None:
            self._cancel_head_timer()
            super().on_headers_complete()

        def _arm_head_timer(self) -> None:
            self._head_timer = self.loop.call_later(head_timeout, self._head_timed_out)

        def _cancel_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete:
                # the previous request is still being answered; the head queued behind it
                # (pipelined) gets a new deadline rather than cutting that answer off
                self._arm_head_timer()
                return
            self.transport.write(_TIMED_OUT)
            self.transport.close()

    return GuardedProtocol
