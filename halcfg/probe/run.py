"""The probe stage: check every account against its live v2 registry, concurrently.

Work items are accounts (credentials, ping, catalog) and repositories (tag listing). They share
one bounded thread pool; an account's catalog is read page by page and each page's repositories
are queued as they arrive, with at most 2 x concurrency queued at once (beyond that the thread
reading the catalog probes the repository itself), so memory stays flat however large the
catalog. No worker ever waits on another, so the pool cannot deadlock; the caller waits for the
accounts to finish or the overall timeout to pass, whichever comes first. Pure of printing.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from halcfg.config.model import Account, Config, resolve_path
from halcfg.credentials import resolve as credentials
from halcfg.credentials.redact import credential_secrets, redact
from halcfg.errors import UsageError
from halcfg.findings import Finding, Location, Severity
from halcfg.registry.address import AddressError
from halcfg.report import finding_dict

if TYPE_CHECKING:
    import requests

    from halcfg.registry.auth import Auth
    from halcfg.registry.client import Client

DEFAULT_CONCURRENCY = 16
QUEUE_FACTOR = 2  # repositories queued per worker before the catalog reader probes inline

Progress = Callable[[int, int], None]  # (work items done, work items known so far)


@dataclass
class AccountResult:
    """What the probe learnt about one account; `complete` is False when the timeout cut it short."""

    name: str
    address: str
    endpoint: str | None = None
    credential_source: str | None = None
    reachable: bool = False
    auth_scheme: str | None = None  # "none", "basic" or "bearer" once /v2/ answered
    catalog_size: int | None = None  # None when the catalog was not read
    tags: dict[str, int | None] = field(default_factory=dict)  # repository -> tag count (None: failed)
    duration: float = 0.0
    complete: bool = False
    findings: list[Finding] = field(default_factory=list)

    @property
    def repositories_probed(self) -> int:
        return len(self.tags)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": self.address,
            "endpoint": self.endpoint,
            "credentialSource": self.credential_source,
            "reachable": self.reachable,
            "authScheme": self.auth_scheme,
            "catalogSize": self.catalog_size,
            "repositoriesProbed": self.repositories_probed,
            "tags": dict(self.tags),
            "durationMs": round(self.duration * 1000),
            "complete": self.complete,
            "findings": [finding_dict(f) for f in self.findings],
        }


@dataclass
class ProbeReport:
    accounts: list[AccountResult]
    duration: float = 0.0

    @property
    def findings(self) -> list[Finding]:
        return [finding for account in self.accounts for finding in account.findings]

    def to_json(self) -> dict[str, Any]:
        return {
            "accounts": [account.to_json() for account in self.accounts],
            "durationMs": round(self.duration * 1000),
            "findings": [finding_dict(f) for f in self.findings],
        }


def run_probe(
    config: Config,
    names: Sequence[str] | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> ProbeReport:
    """Probe the named accounts (all when `names` is empty or None) and return what was found.

    `timeout` bounds the whole probe: what has not finished by then is reported as a `timeout`
    finding and abandoned. Raises UsageError for names the file does not define.
    """
    accounts = select_accounts(config, names)
    if concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    return _Run(config, concurrency, timeout, progress).execute(accounts)


def probe_checked(
    config: Config,
    offline: list[Finding],
    names: Sequence[str] | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> tuple[list[Finding], ProbeReport]:
    """The probe after the offline check: the offline findings about the named accounts (plus a
    `probe-skipped` for each account they fail), and the probe of the others.

    An account the offline check fails would only fail again, less clearly, against its registry.
    """
    wanted = {account.name for account in select_accounts(config, names)} if names else None
    if wanted is not None:
        offline = [f for f in offline if f.location.account is None or f.location.account in wanted]
    blocked = {f.location.account for f in offline if f.severity >= Severity.ERROR and f.location.account}
    chosen = [a.name for a in config.accounts if (wanted is None or a.name in wanted) and a.name not in blocked]
    skipped = [
        Finding(Severity.INFO, "probe-skipped", f"account {name!r}: not probed, the offline check found errors",
                "Fix those errors, then probe again.", Location(file=str(config.path), account=name))
        for name in dict.fromkeys(config.names) if (wanted is None or name in wanted) and name not in chosen
    ]
    if not chosen:
        return offline + skipped, ProbeReport([])
    return offline + skipped, run_probe(config, chosen, concurrency=concurrency, timeout=timeout, progress=progress)


def select_accounts(config: Config, names: Sequence[str] | None) -> list[Account]:
    """The accounts to probe, in file order; UsageError for names the file does not define.
    A name the file defines but whose account the schema rejected selects nothing."""
    if not names:
        return list(config.accounts)
    known = config.names or tuple(a.name for a in config.accounts)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(
            f"no account named {', '.join(unknown)} in {config.path} (accounts: {', '.join(known) or 'none'})"
        )
    wanted = set(names)
    return [account for account in config.accounts if account.name in wanted]


class _Run:
    """One probe run: the pool, the deadline, the stop signal and the progress counters."""

    def __init__(self, config: Config, concurrency: int, timeout: float | None, progress: Progress | None):
        self.config = config
        self.concurrency = concurrency
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.cancel = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="halcfg-probe")
        self.queue_slots = threading.BoundedSemaphore(concurrency * QUEUE_FACTOR)
        self.progress = progress
        self._lock = threading.Lock()
        self._done = 0
        self._total = 0

    def execute(self, accounts: list[Account]) -> ProbeReport:
        started = time.monotonic()
        probes = [_AccountProbe(self, account) for account in accounts]
        self.counted(len(probes), 0)
        try:
            for probe in probes:
                self.pool.submit(probe.run)
            for probe in probes:
                remaining = None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
                if not probe.finished.wait(remaining):
                    break
        finally:
            self.cancel.set()  # nothing new starts; requests in flight end by the deadline
            for probe in probes:
                probe.abandon()
            self.pool.shutdown(wait=False, cancel_futures=True)
            for probe in probes:
                if probe.session is not None:
                    probe.session.close()  # idle keep-alive connections; busy ones close when released
        return ProbeReport([probe.result for probe in probes], time.monotonic() - started)

    def dispatch(self, work: Callable[[], None]) -> None:
        """Queue `work` if a slot is free, else run it here: the queue stays bounded."""
        if self.cancel.is_set():
            work()  # it sees the stop signal at once and only settles its bookkeeping
            return
        if not self.queue_slots.acquire(blocking=False):
            work()
            return

        def queued() -> None:
            try:
                work()
            finally:
                self.queue_slots.release()

        try:
            self.pool.submit(queued)
        except RuntimeError:  # the pool shut down between the check and the submit
            self.queue_slots.release()
            work()

    def counted(self, new: int, done: int) -> None:
        with self._lock:
            self._total += new
            self._done += done
            if self.progress is not None:
                self.progress(self._done, self._total)

    def remaining(self, cap: float) -> float:
        if self.deadline is None:
            return cap
        return max(0.001, min(cap, self.deadline - time.monotonic()))


class _AccountProbe:
    """One account's probe; its repositories finish on other threads, counted by `pending`."""

    def __init__(self, run: _Run, account: Account) -> None:
        self.runner = run
        self.account = account
        self.result = AccountResult(account.name, account.address)
        self.finished = threading.Event()
        self.secrets: list[str | None] = [account.password]
        self.session: requests.Session | None = None
        self.auth: Auth | None = None  # its `issued` tokens are secrets too
        self.password: str | None = None
        self.started = time.monotonic()
        self.stage = "resolving credentials"
        self._lock = threading.Lock()
        self._pending = 1  # the account's own task, plus one per queued repository
        self._closed = False

    # -- the account's own task ------------------------------------------------------------

    def run(self) -> None:
        from halcfg.registry.errors import Cancelled, RegistryError

        try:
            self._probe()
        except AddressError as error:
            self.add(Severity.ERROR, "address-invalid", f"address {self.account.address!r}: {error}",
                     "Write the address as host[:port], optionally with https:// or http://.")
        except Cancelled:
            pass
        except RegistryError as error:
            self.add_error(error, "account")
        except Exception as error:  # a bug must become a finding, never a hung or silent probe
            self.add(Severity.ERROR, "probe-failed", f"unexpected {type(error).__name__} while {self.stage}: "
                     f"{error}", "Please report this as a halcfg bug.")
        finally:
            self._settle(1)

    def _probe(self) -> None:
        from halcfg.registry.auth import Auth
        from halcfg.registry.client import Client
        from halcfg.registry.names import endpoint_for, repository_name
        from halcfg.registry.transport import Transport, new_session, tls_verify

        account, run = self.account, self.runner
        endpoint = endpoint_for(account.parsed_address, account.plain_http)
        self.result.endpoint = endpoint.base_url
        try:
            credential = credentials.resolve(account, run.config.base_dir, timeout=run.remaining(30.0))
        except credentials.CredentialError as error:
            # Still find out whether the registry answers: two problems reported in one run.
            self.add(Severity.ERROR, error.code, error.message, error.remediation)
            credential = None
        else:
            self.password = credential.password
            self.secrets += credential_secrets(credential.username, credential.password)
            with self._lock:
                self.result.credential_source = credential.source
        self.stage = "connecting"
        ca_file = resolve_path(account.ca_cert_file, run.config.base_dir) if account.ca_cert_file else None
        self.session = new_session(tls_verify(account.insecure_registry, ca_file), run.concurrency, endpoint.base_url)
        transport = Transport(self.session, timeout=account.client_timeout_millis / 1000,
                              deadline=run.deadline, cancel=run.cancel)
        login = (credential.username, credential.password) if credential else (None, None)
        auth = self.auth = Auth(transport, endpoint.base_url, *login)
        client = Client(endpoint, transport, auth, account.paginate_size)
        client.ping()
        with self._lock:
            self.result.reachable, self.result.auth_scheme = True, auth.scheme
        if credential is None:
            return
        self.stage = "logging in"
        client.login()
        if account.repositories:
            self.stage = "listing tags"
            for name in account.repositories:
                self._dispatch(client, repository_name(endpoint, name), listed=True)
            return
        self.stage = "reading the catalog"
        self._walk_catalog(client)

    def _walk_catalog(self, client: Client) -> None:
        from halcfg.registry.errors import RegistryError

        regex = self.account.repositories_regex
        pattern = re.compile(regex) if regex else None
        size = matched = 0
        try:
            for page in client.catalog():
                size += len(page)
                with self._lock:
                    self.result.catalog_size = size
                for name in page:
                    if pattern is None or pattern.fullmatch(name):
                        matched += 1
                        self._dispatch(client, name, listed=False)
        except RegistryError as error:
            self.add_error(error, "catalog")
            return
        if size == 0:
            self.add(Severity.WARNING, "catalog-empty", "the registry's catalog is empty: there is nothing to index",
                     "Push an image, or list the repositories explicitly (`repositories:`) if the "
                     "registry hides them from its catalog.")
        elif matched == 0 and pattern is not None:
            self.add(Severity.WARNING, "regex-matches-nothing",
                     f"repositoriesRegex {regex!r} matches none of the {size} repositories in the catalog",
                     "Fix repositoriesRegex (it must match the whole repository name).")

    # -- repositories ------------------------------------------------------------------------

    def _dispatch(self, client: Client, repository: str, *, listed: bool) -> None:
        with self._lock:
            if self._closed:
                return
            self._pending += 1
            self.result.tags.setdefault(repository, None)
        self.runner.counted(1, 0)
        self.runner.dispatch(lambda: self._probe_repository(client, repository, listed))

    def _probe_repository(self, client: Client, repository: str, listed: bool) -> None:
        from halcfg.registry.errors import Cancelled, RegistryError

        try:
            if self.runner.cancel.is_set():
                return
            count = sum(len(page) for page in client.tags(repository))
            with self._lock:
                if not self._closed:
                    self.result.tags[repository] = count
            if count == 0:
                self._no_tags(repository)
        except Cancelled:
            pass
        except RegistryError as error:
            if error.code == "NAME_UNKNOWN" and not listed:
                self._no_tags(repository)  # in the catalog, yet no tags: distribution says NAME_UNKNOWN
                with self._lock:
                    if not self._closed:
                        self.result.tags[repository] = 0
            else:
                self.add_error(error, "repository", repository, listed)
        except Exception as error:
            self.add(Severity.ERROR, "probe-failed", f"unexpected {type(error).__name__} while listing tags of "
                     f"{repository}: {error}", "Please report this as a halcfg bug.")
        finally:
            self._settle(1)

    def _no_tags(self, repository: str) -> None:
        self.add(Severity.WARNING, "repository-no-tags", f"repository {repository} has no tags",
                 "Push a tagged image, or drop the repository from the account.")

    # -- bookkeeping -------------------------------------------------------------------------

    def _settle(self, items: int) -> None:
        with self._lock:
            self._pending -= items
            last = self._pending == 0 and not self._closed
            if last:
                self._finish()
        self.runner.counted(0, items)

    def _finish(self) -> None:
        """Called under the lock when the last work item ends."""
        result = self.result
        counts = list(result.tags.values())
        if counts and all(count == 0 for count in counts):
            result.findings.append(self._finding(
                Severity.WARNING, "no-tags",
                f"none of the {len(counts)} repositories probed has a tag: Spinnaker will find no images",
                "Push some images to the registry.",
            ))
        result.duration = time.monotonic() - self.started
        result.complete = True
        self._closed = True
        self.finished.set()

    def abandon(self) -> None:
        """At the overall deadline: freeze the result and report what did not finish."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            unfinished = sum(1 for count in self.result.tags.values() if count is None)
            detail = f"; {unfinished} repositories unfinished" if unfinished else ""
            limit = "was stopped" if self.runner.timeout is None else f"did not finish within {self.runner.timeout:g} s"
            self.result.findings.append(self._finding(
                Severity.ERROR, "timeout", f"the probe {limit} (stopped while {self.stage}{detail})",
                "Raise --timeout, or check why the registry is slow (clientTimeoutMillis bounds each request).",
            ))
            self.result.duration = time.monotonic() - self.started
            self.finished.set()

    def add(self, severity: Severity, code: str, message: str, remediation: str = "") -> None:
        with self._lock:
            if not self._closed:
                self.result.findings.append(self._finding(severity, code, message, remediation))

    def _finding(self, severity: Severity, code: str, message: str, remediation: str) -> Finding:
        location = Location(file=str(self.runner.config.path), account=self.account.name, path=self.account.json_path)
        message = f"account {self.account.name!r}: {message}"
        secrets = [*self.secrets, *(self.auth.issued if self.auth else ())]
        return Finding(severity, code, redact(message, secrets), redact(remediation, secrets), location)

    def add_error(self, error: Exception, kind: str, repository: str | None = None, listed: bool = False) -> None:
        """A registry failure as a finding; `kind` is "account", "catalog" or "repository"."""
        severity, code, message, remediation = _classify(error, kind, repository, listed)
        if code in _AUTH_CODES or getattr(error, "status", None) == 401:
            remediation = _whitespace_hint(self.password, self.account, self.runner.config.base_dir) or remediation
        self.add(severity, code, message, remediation)


_AUTH_CODES = frozenset({"auth-refused", "repository-denied"})
_DENIED = frozenset({"DENIED", "UNAUTHORIZED", "FORBIDDEN"})
_CATALOG_UNAVAILABLE = frozenset({"UNSUPPORTED", "NOT_FOUND", "NAME_UNKNOWN", "UNAVAILABLE"}) | _DENIED
_LIST_EXPLICITLY = (
    "List the repositories explicitly (`repositories:`): Docker Hub, GHCR and many registries "
    "have no catalog, or grant it only to admins."
)


def _classify(error: Exception, kind: str, repository: str | None, listed: bool) -> tuple[Severity, str, str, str]:
    """(severity, code, message, remediation) for an exception from the registry layer."""
    from halcfg.registry.errors import (
        AuthRefused,
        CredentialsWithheld,
        NotV2,
        RateLimited,
        RegistryError,
        TimedOut,
        TlsFailed,
        TooLarge,
        Unreachable,
    )

    text = str(error)
    if repository is not None and not text.startswith(f"/v2/{repository}"):
        text = f"{repository}: {text}"
    if isinstance(error, Unreachable):
        return (Severity.ERROR, "registry-unreachable", text,
                "Check the address, and that the registry runs and is reachable from here (DNS, firewall, "
                "VPN, proxy).")
    if isinstance(error, TlsFailed):
        return (Severity.ERROR, "tls-failed", text,
                "For a private CA set caCertFile to its PEM bundle; for a registry without TLS set "
                "plainHttp: true; insecureRegistry: true skips verification (last resort).")
    if isinstance(error, TimedOut):
        return (Severity.ERROR, "timeout", text,
                "Raise clientTimeoutMillis (or --timeout), or find out why the registry is slow.")
    if isinstance(error, NotV2):
        return (Severity.ERROR, "not-v2", text,
                "Point address at the registry itself (host[:port]); its API must answer at /v2/.")
    if isinstance(error, CredentialsWithheld):
        return (Severity.ERROR, "realm-insecure", text,
                "Ask the registry's operators to serve the token realm over https; if the registry is "
                "yours, configure its auth.token.realm as an https URL.")
    if isinstance(error, RateLimited):
        return (Severity.WARNING, "rate-limited", text,
                "Probe again later (or with a lower --concurrency); until then this account is unchecked.")
    if isinstance(error, TooLarge):
        return (Severity.ERROR, "response-too-large", text,
                "The registry sent far more than a v2 answer holds; check what answers at the address.")
    if isinstance(error, AuthRefused):
        return (Severity.ERROR, "auth-refused", f"authentication refused: {text}",
                "Check username and the password source; for ECR check the AWS identity.")
    if not isinstance(error, RegistryError):
        return Severity.ERROR, "probe-failed", text, "Please report this as a halcfg bug."
    if error.status == 429:
        return (Severity.WARNING, "rate-limited", f"rate limited: {text}",
                "Probe again later or with a lower --concurrency.")
    if error.code in ("LINK_LOOP", "LINK_FOREIGN"):
        return (Severity.ERROR, "pagination-broken", text,
                "The registry's Link headers are broken; report it to its operators (clouddriver would "
                "loop or stop here too).")
    if error.code == "MALFORMED":
        return Severity.ERROR, "registry-error", text, "The registry answers outside the v2 API; check its health."
    if kind == "catalog" and (error.status in (401, 403, 404, 405) or error.code in _CATALOG_UNAVAILABLE):
        return Severity.ERROR, "catalog-unavailable", f"catalog unsupported or forbidden: {text}", _LIST_EXPLICITLY
    if kind == "repository" and (error.code == "NAME_UNKNOWN" or error.status == 404):
        return (Severity.ERROR, "repository-unknown", f"repository {repository} does not exist: {text}",
                "Fix the name in `repositories:` (one-part Docker Hub names mean library/<name>); "
                "distribution also answers NAME_UNKNOWN for a repository holding only untagged images.")
    if kind == "repository" and (error.status in (401, 403) or error.code in _DENIED):
        where = "listed in `repositories:`" if listed else "from the catalog"
        return (Severity.ERROR, "repository-denied", f"access to {repository} ({where}) denied: {text}",
                "Grant the account pull access to the repository, or drop it from the account.")
    return Severity.ERROR, "registry-error", text, "Check the registry's health; the probe cannot tell more."


def _whitespace_hint(password: str | None, account: Account, base_dir: Path) -> str | None:
    """Halyard's hint: invisible whitespace around a password is the usual cause of a refusal."""
    if not password:
        return None
    if account.password_file and password.endswith("\n"):
        from halcfg.config.rules import strip_whitespace_fix

        path = resolve_path(account.password_file, base_dir)
        return ("Your password file has a trailing newline; many editors add one. "
                f"Strip it with: {strip_whitespace_fix(path)}")
    for where, char in (("trailing", password[-1]), ("leading", password[0])):
        if char.isspace():
            return (f"Your registry password has {where} whitespace; if this is unintentional, this may be "
                    "the cause of failed authentication.")
    return None
