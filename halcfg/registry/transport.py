"""One urllib3 pool manager per registry: keep-alive pools, TLS options, timeouts, bounded retries.

Every request is bounded twice: by the account's clientTimeoutMillis and by the probe's
overall deadline, so stopping a probe never waits on a socket longer than the deadline.
urllib3 directly, not requests: a probe makes hundreds of small GETs, and requests' per-call
work (settings merging, hooks, cookies, URL requoting) was half the client's CPU per request.
Redirects are followed here, so dropping Authorization on the way to another origin, and the
bound on what a redirect answer may send, are this module's own code.
"""

from __future__ import annotations

import email.utils
import random
import re
import threading
import time
import urllib.request
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import InsecureRequestWarning, NewConnectionError

from halcfg import __version__
from halcfg.registry.errors import Cancelled, DeadlinePassed, RegistryError, TimedOut, TlsFailed, TooLarge, Unreachable

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_ATTEMPTS = 3
BACKOFF = 0.25  # seconds before the first retry; doubles each time
MAX_WAIT = 10.0  # a Retry-After longer than this is reported, not waited out
MAX_CONNECTIONS_PER_HOST = 32  # what one account may hold open to its registry at once
# Body caps after decompression, per kind of answer. A page of 1,000 names of 255 characters is
# 260 kB, and registries that ignore `n` send every tag at once: 16 MiB leaves room for 60,000.
PAGE_LIMIT = 16 * 2**20
TOKEN_LIMIT = 2**20  # JWTs are a few kB
MANIFEST_LIMIT = 4 * 2**20  # distribution refuses to store a bigger one (handlers/manifests.go maxManifestBodySize)
ERROR_BODY_LIMIT = 64 * 2**10  # only a snippet of it is ever shown
_CHUNK = 64 * 2**10
_DEADLINE_SLACK = 0.05  # seconds: a wait that ended this close to the deadline was ended by it
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HEADERS = {"Accept-Encoding": "gzip, deflate", "User-Agent": f"halcfg/{__version__}"}


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
    """What to verify TLS with: nothing for insecureRegistry, the caCertFile bundle, else the system CAs."""
    if insecure:
        # The user asked for no verification; urllib3's per-request warning would only be noise.
        warnings.filterwarnings("ignore", category=InsecureRequestWarning)
        return False
    if ca_file is not None:
        if not ca_file.is_file():
            raise TlsFailed(f"caCertFile {ca_file} does not exist")
        return str(ca_file)
    return True


def new_session(verify: bool | str, pool_size: int, base_url: str) -> urllib3.PoolManager:
    """Keep-alive pools holding at most `pool_size` connections per host (capped at
    MAX_CONNECTIONS_PER_HOST): a thread that finds them all busy waits for one to come back
    rather than opening another, so no registry sees more than that many from one account.
    The proxy (HTTPS_PROXY / HTTP_PROXY, minus NO_PROXY) is read from the environment once."""
    size = max(1, min(pool_size, MAX_CONNECTIONS_PER_HOST))
    options: dict[str, Any] = {"num_pools": 4, "maxsize": size, "block": True, "headers": _HEADERS}
    if verify is False:
        options |= {"cert_reqs": "CERT_NONE", "assert_hostname": False}
    else:
        options |= {"cert_reqs": "CERT_REQUIRED", "ca_certs": verify if isinstance(verify, str) else None}
    parts = urlsplit(base_url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        return urllib3.ProxyManager(proxy, **options)
    return urllib3.PoolManager(**options)


@dataclass(frozen=True)
class Reply:
    """An answer read whole, within its size cap and time bound."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive
    content: bytes
    url: str


class Transport:
    """GETs (and HEADs) with the account's timeout, retries on 429/502/503/504 and connection resets.

    Each GET is bounded in time (clientTimeoutMillis for the whole answer, body included, and
    the probe's deadline) and in size (the `limit` for its kind, counted after decompression).
    """

    def __init__(
        self,
        session: urllib3.PoolManager,
        *,
        timeout: float,
        deadline: float | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.session = session
        self.timeout = timeout
        self.deadline = deadline  # time.monotonic() value
        self.cancel = cancel or threading.Event()

    def get(self, url: str, headers: Mapping[str, str] | None = None, *, limit: int = PAGE_LIMIT) -> Reply:
        """The last answer (a 429 or 5xx when retries ran out); transport failures raise.
        A body over `limit` raises TooLarge; an error answer's body is cut at ERROR_BODY_LIMIT."""
        return self.request("GET", url, headers, limit=limit)

    def head(self, url: str, headers: Mapping[str, str] | None = None) -> Reply:
        """As `get`, without a body: what a puller asks first for a manifest."""
        return self.request("HEAD", url, headers, limit=0)

    def request(self, method: str, url: str, headers: Mapping[str, str] | None = None, *,
                limit: int = PAGE_LIMIT) -> Reply:
        """`get` or `head`, bounded and retried alike."""
        attempt = 1
        while True:
            final = attempt == MAX_ATTEMPTS
            try:
                reply = self._request_once(method, url, headers, limit)
            except urllib3.exceptions.SSLError as error:
                raise TlsFailed(f"TLS handshake with {_host(url)} failed: {_reason(error)}") from None
            except NewConnectionError as error:  # refused or unresolvable (urllib3 files it under timeouts)
                raise Unreachable(f"cannot connect to {_host(url)}: {_reason(error)}") from None
            except (urllib3.exceptions.TimeoutError, TimeoutError):
                if self._deadline_bound():
                    raise DeadlinePassed(f"{_host(url)} did not answer within the probe's overall timeout") from None
                raise TimedOut(f"{_host(url)} did not answer within {self.timeout:g} s (clientTimeoutMillis)") from None
            except urllib3.exceptions.DecodeError:
                raise RegistryError(f"{_host(url)} sent a body that does not decode (Content-Encoding)",
                                    code="MALFORMED") from None
            except urllib3.exceptions.LocationValueError as error:
                raise RegistryError(f"cannot request {_host(url)}: {error}", code="MALFORMED") from None
            except (urllib3.exceptions.HTTPError, OSError) as error:
                wait = backoff_seconds(attempt - 1, None)
                if final or _no_connection(error) or not self._time_left_for(wait):
                    raise Unreachable(f"cannot connect to {_host(url)}: {_reason(error)}") from None
            else:
                if reply.status_code not in RETRY_STATUSES or final:
                    return reply
                wait = backoff_seconds(attempt - 1, retry_after_seconds(reply.headers.get("Retry-After")))
                if wait > MAX_WAIT or not self._time_left_for(wait):
                    return reply
            self._sleep(wait)
            attempt += 1

    def _request_once(self, method: str, url: str, headers: Mapping[str, str] | None, limit: int) -> Reply:
        """One request and the redirects it leads to (at most MAX_REDIRECTS), all within one timeout.
        Authorization goes only to the origin it was meant for: a redirect elsewhere drops it."""
        timeout = self._timeout()
        ends = time.monotonic() + timeout
        sent = dict(headers or {})
        for _ in range(MAX_REDIRECTS + 1):
            remaining = max(0.001, ends - time.monotonic())
            response = self.session.urlopen(method, url, headers={**_HEADERS, **sent}, retries=False, redirect=False,
                                            preload_content=False, timeout=urllib3.Timeout(remaining, remaining))
            location = response.headers.get("Location")
            if response.status not in _REDIRECTS or not location:
                if method == "HEAD":  # no body follows, whatever Content-Length says
                    response.release_conn()
                    return Reply(response.status, response.headers, b"", url)
                return self._reply(response, url, limit, ends)
            if _drained(response):
                response.release_conn()
            else:
                response.close()
            following = urljoin(url, location)
            if urlsplit(following).scheme not in ("http", "https"):
                raise RegistryError(f"{_host(url)} redirects to a non-http URL", code="MALFORMED")
            if _origin(following) != _origin(url):
                sent = {k: v for k, v in sent.items() if k.lower() not in ("authorization", "cookie")}
            url = following
        raise RegistryError(f"{_host(url)}: more than {MAX_REDIRECTS} redirects", code="MALFORMED")

    @staticmethod
    def _reply(response: urllib3.BaseHTTPResponse, url: str, limit: int, ends: float) -> Reply:
        error = response.status >= 300  # only a snippet is shown: cut, not refused
        try:
            body, whole = _read_body(response, ERROR_BODY_LIMIT if error else limit, ends, cut=error)
        except TooLarge as too_large:
            response.close()
            raise TooLarge(f"{urlsplit(url).path}: {too_large.message}") from None
        except BaseException:
            response.close()  # half read: the connection cannot be reused
            raise
        if whole:
            response.release_conn()
        else:
            response.close()
        return Reply(response.status, response.headers, body, url)

    def _timeout(self) -> float:
        if self.cancel.is_set():
            raise Cancelled("the probe was stopped")
        if self.deadline is None:
            return self.timeout
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlinePassed("the probe's overall timeout passed")
        return min(self.timeout, remaining)

    def _deadline_bound(self) -> bool:
        """Whether the overall deadline, rather than clientTimeoutMillis, ended the last wait."""
        return self.deadline is not None and self.deadline - time.monotonic() < _DEADLINE_SLACK

    def _time_left_for(self, wait: float) -> bool:
        return self.deadline is None or time.monotonic() + wait < self.deadline

    def _sleep(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            raise Cancelled("the probe was stopped")


def _drained(response: urllib3.BaseHTTPResponse) -> bool:
    """Read what a redirect answer carries, if it is small, so its connection can be reused."""
    declared = response.headers.get("Content-Length", "")
    if declared != "0" and not (declared.isdigit() and int(declared) <= ERROR_BODY_LIMIT):
        return False
    response.read(ERROR_BODY_LIMIT)
    return True


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.rpartition("@")[2].lower()


def _read_body(raw: urllib3.BaseHTTPResponse, limit: int, ends: float, *, cut: bool) -> tuple[bytes, bool]:
    """(body, read to the end): the decoded body, one socket read at a time. Each read waits
    at most until `ends`, and urllib3 decodes with max_length, so decompression never yields
    more than one chunk past `limit`: neither a trickle nor a gzip bomb outlives the timeout or
    the cap. Past `limit` the body is cut there when `cut`, else TooLarge is raised."""
    declared = raw.headers.get("Content-Length", "")
    if not cut and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"an answer of {int(declared):,} bytes is over the {limit:,}-byte limit")
    parts: list[bytes] = []
    size = 0
    while True:
        remaining = ends - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock = getattr(raw.connection, "sock", None)  # an HTTPConnection's socket; BaseHTTPConnection does not say
        if sock is not None:
            sock.settimeout(remaining)
        chunk = raw.read1(_CHUNK, decode_content=True)
        if not chunk:
            return b"".join(parts), True
        size += len(chunk)
        if size > limit:
            if cut:
                parts.append(chunk[: len(chunk) - (size - limit)])
                return b"".join(parts), False
            raise TooLarge(f"the answer is over the {limit:,}-byte limit (after decompression)")
        parts.append(chunk)


def _no_connection(error: Exception) -> bool:
    """Refused or unresolvable: trying again at once would only repeat it. (A reset of a kept-alive
    connection, by contrast, is worth one more try on a fresh one.)"""
    if isinstance(error, urllib3.exceptions.MaxRetryError):
        error = error.reason or error
    if isinstance(error, urllib3.exceptions.ProxyError):
        error = error.original_error if isinstance(error.original_error, Exception) else error
    return isinstance(error, NewConnectionError)


def _host(url: str) -> str:
    """host[:port] of `url`, never its userinfo."""
    return urlsplit(url).netloc.rpartition("@")[2]


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
