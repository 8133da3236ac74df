"""Structured log lines (one JSON object per line) for the servers: access, reload, credential
errors, start and stop. Fields are chosen by the caller and never include a header value, a
signature or a body; every line still passes through `redact` with the secrets the server holds."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from halcfg.credentials.redact import redact


class JsonLog:
    def __init__(self, stream: TextIO | None = None, secrets: Callable[[], Iterable[str | None]] = tuple) -> None:
        self._stream = stream or sys.stderr
        self.secrets = secrets  # called for every line: the secrets held right now
        self._lock = threading.Lock()

    def __call__(self, event: str, **fields: Any) -> None:
        record = {"ts": round(time.time(), 3), "event": event, **{k: v for k, v in fields.items() if v is not None}}
        line = redact(json.dumps(record, default=str), self.secrets())
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()
