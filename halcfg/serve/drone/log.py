"""Structured log lines (one JSON object per line) for the servers: access, reload, credential
errors, start and stop. Fields are chosen by the caller and never include a header value, a
signature or a body; every line that can hold free text passes through `redact` with the secrets
the server holds."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from halcfg.redact import redact


class JsonLog:
    def __init__(self, stream: TextIO | None = None, secrets: Callable[[], Iterable[str | None]] = tuple) -> None:
        self._stream = stream or sys.stderr
        self.secrets = secrets  # called for every line: the secrets held right now
        self._lock = threading.Lock()

    def __call__(self, event: str, **fields: Any) -> None:
        """A line that may carry free text (an error's message, a file name): redacted."""
        self._write(redact(self._line(event, fields), self.secrets()))

    def access(self, **fields: Any) -> None:
        """The access line, written without redaction (about a fifth of a request's CPU): its
        fields are numbers, fixed reasons, account names, and the method, path (without its
        query) and repository the client itself sent."""
        self._write(self._line("access", fields))

    @staticmethod
    def _line(event: str, fields: dict[str, Any]) -> str:
        record = {"ts": round(time.time(), 3), "event": event, **{k: v for k, v in fields.items() if v is not None}}
        return json.dumps(record, default=str)

    def _write(self, line: str) -> None:
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()
