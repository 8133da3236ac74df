"""The Drone extension as an ASGI application, with its access log.

The answer itself is synchronous and may wait on a passwordCommand or an ECR call, so it runs
in a worker thread; the event loop only parses HTTP and moves bytes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from halcfg.serve.drone.answer import HEALTH_PATH, MAX_BODY, Answer, DroneExtension, too_large
from halcfg.serve.drone.log import JsonLog
from halcfg.serve.drone.signature import Header

if TYPE_CHECKING:  # prometheus_client is imported only when /metrics is on
    from halcfg.serve.drone.metrics import Metrics

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


METRICS_PATH = "/metrics"
BODY_TIMEOUT = 10.0  # seconds a client may take to send its body: Drone sends a few kilobytes at once
ANSWER_TIMEOUT = 60.0  # Drone's runner gives up after a minute; so does this server


class DroneApp:
    def __init__(self, extension: DroneExtension, log: JsonLog, threads: int = 8,
                 body_timeout: float = BODY_TIMEOUT, answer_timeout: float = ANSWER_TIMEOUT,
                 metrics: Metrics | None = None, debug: bool = False) -> None:
        self.extension = extension
        self.metrics = metrics
        self.debug = debug  # access lines name the accounts offered
        self.log = log
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="drone-answer")
        self.body_timeout = body_timeout
        self.answer_timeout = answer_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        path = scope["path"]
        if self.metrics is not None and path == METRICS_PATH:
            await self._metrics(scope, receive, send, self.metrics)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        target = scope.get("raw_path", path.encode()).decode("latin-1") + (f"?{query}" if query else "")
        try:
            body = await asyncio.wait_for(_read_body(receive, headers.get("content-length")), self.body_timeout)
        except TimeoutError:
            answer = _timed_out(408, "request body not received in time")
        else:
            answer = too_large() if body is None else await self._answer_in_thread(
                scope["method"], path, target, headers.get, body)
        await _send(send, answer)
        seconds = time.perf_counter() - started
        client = scope.get("client") or ("", 0)
        self.log.access(remote=client[0], method=scope["method"], path=path, status=answer.status,
                        ms=round(seconds * 1000, 2), bytes=len(answer.body), **answer.log,
                        offered=list(answer.offered) if self.debug and answer.offered else None)
        if self.metrics is not None and path != HEALTH_PATH:
            self.metrics.request(answer.status, answer.reason, seconds, answer.offered)

    async def _metrics(self, scope: Scope, receive: Receive, send: Send, metrics: Metrics) -> None:
        """The scrape: GET or HEAD, body ignored; not counted among the extension's requests."""
        try:
            await asyncio.wait_for(_read_body(receive, None), self.body_timeout)
        except TimeoutError:
            return
        if scope["method"] not in ("GET", "HEAD"):
            answer = Answer(405, b"use GET\n", [("Content-Type", "text/plain; charset=utf-8"), ("Allow", "GET, HEAD")])
        else:
            from halcfg.serve.drone.metrics import CONTENT_TYPE

            answer = Answer(200, metrics.exposition(), [("Content-Type", CONTENT_TYPE)])
        await _send(send, answer)

    async def _answer_in_thread(self, method: str, path: str, target: str, header: Header, body: bytes) -> Answer:
        future = asyncio.get_running_loop().run_in_executor(self.pool, self._answer, method, path, target, header, body)
        try:
            return await asyncio.wait_for(future, self.answer_timeout)
        except TimeoutError:
            return _timed_out(503, "credentials not resolved in time")

    def _answer(self, method: str, path: str, target: str, header: Header, body: bytes) -> Answer:
        """The extension's answer; an unexpected error is a 500 logged by its type only (its text
        could quote a value), never a traceback on the console."""
        try:
            return self.extension.answer(method, path, target, header, body)
        except Exception as error:
            self.log("error", where="answer", type=type(error).__name__)
            return Answer(500, b"internal error\n", [("Content-Type", "text/plain; charset=utf-8")],
                          {"reason": "internal error"})

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def _timed_out(status: int, reason: str) -> Answer:
    return Answer(status, (reason + "\n").encode(), [("Content-Type", "text/plain; charset=utf-8")],
                  {"reason": reason})


async def _read_body(receive: Receive, length: str | None) -> bytes | None:
    """The request body, or None once it exceeds MAX_BODY (by Content-Length or by counting)."""
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        return None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Send, answer: Answer) -> None:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers]
    if answer.status != 204:  # a 204 carries no body and no Content-Length
        headers.append((b"content-length", str(len(answer.body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
