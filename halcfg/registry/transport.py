"""One requests.Session per registry: keep-alive pools, TLS options, timeouts, bounded retries.

Every request is bounded twice: by the account's clientTimeoutMillis and by the probe's
overall deadline, so stopping a probe never waits on a socket longer than the deadline.
"""

from __future__ import annotations

import email.utils
import random
import re
import threading
import time
import warnings
from collections.abc import Mapping
from datetime import UTC
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InsecureRequestWarning, NewConnectionError

from halcfg.registry.errors import Cancelled, TimedOut, TlsFailed, Unreachable

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_ATTEMPTS = 3
BACKOFF = 0.25  # seconds before the first retry; doubles each time
MAX_WAIT = 10.0  # a Retry-After longer than this is reported, not waited out


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """The wait a Retry-After header asks for (delta-seconds or HTTP-date); None if absent or bad."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_seconds(attempt: int, retry_after: float | None) -> float:
    """Retry-After when the server gave one, else exponential backoff with jitter (attempt ≥ 0)."""
    if retry_after is not None:
        return retry_after
    return BACKOFF * 2**attempt * random.uniform(0.8, 1.2)


def tls_verify(insecure: bool, ca_file: Path | None) -> bool | str:
    """requests' `verify`: off for insecureRegistry, the caCertFile bundle, else the system CAs."""
    if insecure:
        # The user asked for no verification; urllib3's per-request warning would only be noise.
        warnings.filterwarnings("ignore", category=InsecureRequestWarning)
        return False
    if ca_file is not None:
        if not ca_file.is_file():
            raise TlsFailed(f"caCertFile {ca_file} does not exist")
        return str(ca_file)
    return True


def new_session(verify: bool | str, pool_size: int, base_url: str) -> requests.Session:
    """A keep-alive session whose pools hold `pool_size` connections per host.

    trust_env is off so requests does not re-read ~/.netrc and the proxy variables on every call
    (netrc would also override our Authorization); the proxies are taken from the environment once.
    """
    session = requests.Session()
    session.trust_env = False
    session.proxies = requests.utils.get_environ_proxies(base_url)
    session.verify = verify
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(pool_size, 1), max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class Transport:
    """GETs with the account's timeout, retries on 429/502/503/504 and connection resets."""

    def __init__(
        self,
        session: requests.Session,
        *,
        timeout: float,
        deadline: float | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.session = session
        self.timeout = timeout
        self.deadline = deadline  # time.monotonic() value
        self.cancel = cancel or threading.Event()

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> requests.Response:
        """The last response (a 429 or 5xx when retries ran out); transport failures raise."""
        attempt = 1
        while True:
            final = attempt == MAX_ATTEMPTS
            try:
                response = self.session.get(url, headers=headers, timeout=self._timeout())
            except requests.exceptions.SSLError as error:
                raise TlsFailed(f"TLS handshake with {_host(url)} failed: {_reason(error)}") from None
            except requests.exceptions.Timeout:
                raise TimedOut(f"{_host(url)} did not answer within {self._timeout_text()}") from None
            except requests.exceptions.RequestException as error:
                wait = backoff_seconds(attempt - 1, None)
                if final or _no_connection(error) or not self._time_left_for(wait):
                    raise Unreachable(f"cannot connect to {_host(url)}: {_reason(error)}") from None
            else:
                if response.status_code not in RETRY_STATUSES or final:
                    return response
                wait = backoff_seconds(attempt - 1, retry_after_seconds(response.headers.get("Retry-After")))
                if wait > MAX_WAIT or not self._time_left_for(wait):
                    return response
                response.close()
            self._sleep(wait)
            attempt += 1

    def _timeout(self) -> float:
        if self.cancel.is_set():
            raise Cancelled("the probe was stopped")
        if self.deadline is None:
            return self.timeout
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimedOut("the probe's overall timeout passed")
        return min(self.timeout, remaining)

    def _timeout_text(self) -> str:
        if self.deadline is not None and self.deadline - time.monotonic() <= self.timeout:
            return "the probe's overall timeout"
        return f"{self.timeout:g} s (clientTimeoutMillis)"

    def _time_left_for(self, wait: float) -> bool:
        return self.deadline is None or time.monotonic() + wait < self.deadline

    def _sleep(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            raise Cancelled("the probe was stopped")


def _no_connection(error: Exception) -> bool:
    """Refused or unresolvable: trying again at once would only repeat it. (A reset of a kept-alive
    connection, by contrast, is worth one more try on a fresh one.)"""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)


def _host(url: str) -> str:
    return urlsplit(url).netloc


_ERRNO = re.compile(r"\[Errno -?\d+\][^'\")]*")
_SSL = re.compile(r"\[SSL[^\]]*\][^'\"(]*")
_OBJECT = re.compile(r"<[^>]* at 0x[0-9a-f]+>:?\s*")


def _reason(error: Exception) -> str:
    """The useful words inside urllib3's nested wrapper text, e.g. `[Errno 111] Connection refused`."""
    text = str(error)
    match = _SSL.search(text) or _ERRNO.search(text)
    if match:
        return match.group().strip().rstrip(",")
    for inner in ("RemoteDisconnected", "ConnectionResetError", "IncompleteRead", "ProtocolError"):
        if inner in text:
            found = re.search(inner + r"\('([^']*)'", text)
            return found.group(1) if found else inner
    return _OBJECT.sub("", text)[:200]
