"""uvicorn's httptools protocol with a deadline for each request head.

uvicorn has no such deadline (0.55, protocols/http/httptools_impl.py and h11_impl.py): its only
timer, `timeout_keep_alive`, is armed in `on_response_complete` and cancelled by every
`data_received`, so a connection that has not finished a request head — a new one, or a kept-
alive one sending its next head a byte at a time — is held for ever (slowloris). Here a head
must be complete `head_timeout` seconds after the connection opens or its first byte arrives;
otherwise the client gets a 408 and the connection is closed. The body has its own deadline in
http.py (the app reads it); answering has the answer timeout.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_HEAD_TIMEOUT = 10.0  # seconds: Drone's runner sends its whole head in one write
_REASON = b"request head not received in time\n"
_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
              b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_REASON), _REASON))


def with_head_timeout(head_timeout: float) -> type[asyncio.Protocol]:
    """The protocol class for uvicorn.Config(http=...), closing heads slower than `head_timeout`."""

    class HeadTimeoutProtocol(HttpToolsProtocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_head_timer()
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

    return HeadTimeoutProtocol
