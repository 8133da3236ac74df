"""One account's probe, as a state machine: credentials (and their lifetime), ping, login, then
the listed repositories or the catalog, each repository on the shared pool — its tags listed,
then its newest tag pulled (probe/pull.py) — with findings as they happen.

The account is done when its last work item settles, or frozen by `abandon` at the deadline.
"""

from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING

from halcfg.config.model import Account, Config, resolve_path
from halcfg.credentials import resolve as credentials
from halcfg.findings import Finding, Location, Severity
from halcfg.probe.classify import AUTH_CODES, classify, whitespace_hint
from halcfg.probe.lifetime import lifetime_finding
from halcfg.probe.pull import NewestTag, classify_pull, summary, unsupported_type
from halcfg.probe.result import AccountResult
from halcfg.probe.scheduler import Scheduler
from halcfg.redact import credential_secrets, hide_userinfo, redact
from halcfg.registry.hosts import AddressError

if TYPE_CHECKING:
    import urllib3

    from halcfg.registry.auth import Auth
    from halcfg.registry.client import Client


class AccountProbe:
    """One account's probe; its repositories finish on other threads, counted by `pending`."""

    def __init__(self, runner: Scheduler, config: Config, account: Account, pull_check: int | None = None) -> None:
        self.runner = runner
        self.pull_check = pull_check  # repositories whose pull is checked, in probe order (None: all)
        self.config = config
        self.account = account
        self.result = AccountResult(account.name, hide_userinfo(account.address))
        self.finished = threading.Event()
        self.secrets: list[str | None] = [account.password]
        self.session: urllib3.PoolManager | None = None
        self.auth: Auth | None = None  # its `issued` tokens are secrets too
        self.password: str | None = None
        self.started = time.monotonic()
        self.stage = "resolving credentials"
        self._lock = threading.Lock()
        self._pending = 1  # the account's own task, plus one per queued repository
        self._closed = False
        self._dispatched = 0
        self._pullable = 0
        self._pull_skipped = 0

    # -- the account's own task ------------------------------------------------------------

    def run(self) -> None:
        from halcfg.registry.errors import Cancelled, RegistryError

        try:
            self._probe()
        except AddressError as error:
            self.add(Severity.ERROR, "address-invalid", f"address {hide_userinfo(self.account.address)!r}: {error}",
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
        credential: credentials.Credential | None = None
        try:
            resolved = credentials.resolve(account, self.config.base_dir, timeout=run.remaining(30.0))
        except credentials.CredentialError as error:
            # Still find out whether the registry answers: two problems reported in one run.
            self.add(error.severity, error.code, error.message, error.remediation)
        else:
            credential, self.password = resolved, resolved.password
            self.secrets += credential_secrets(resolved.username, resolved.password)
            with self._lock:
                self.result.credential_source = resolved.source
            if (expiry := lifetime_finding(resolved)) is not None:
                self.add(*expiry)
        self.stage = "connecting"
        ca_file = resolve_path(account.ca_cert_file, self.config.base_dir) if account.ca_cert_file else None
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
            pull = self.pull_check is None or self._dispatched < self.pull_check
            self._dispatched += 1
        self.runner.counted(1, 0)
        self.runner.dispatch(lambda: self._probe_repository(client, repository, listed, pull))

    def _probe_repository(self, client: Client, repository: str, listed: bool, pull: bool) -> None:
        from halcfg.registry.errors import Cancelled, RegistryError

        try:
            if self.runner.cancel.is_set():
                return
            count, newest = 0, NewestTag()
            for page in client.tags(repository):
                count += len(page)
                newest.see(page)
            with self._lock:
                if not self._closed:
                    self.result.tags[repository] = count
            if count == 0:
                self._no_tags(repository)
            elif newest.tag is not None:
                if pull:
                    self._check_pull(client, repository, newest.tag, listed)
                else:
                    with self._lock:
                        self._pull_skipped += 1
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

    def _check_pull(self, client: Client, repository: str, tag: str, listed: bool) -> None:
        """One request, a HEAD of the tag's manifest with the listing's token: pullable or why not."""
        from halcfg.registry.client import PULL_MEDIA_TYPES
        from halcfg.registry.errors import Cancelled, DeadlinePassed, RegistryError

        try:
            manifest = client.pull(repository, tag)
        except (Cancelled, DeadlinePassed):
            raise
        except RegistryError as error:
            self.add(*classify_pull(error, repository, tag, listed))
            return
        with self._lock:
            self._pullable += 1
        if manifest.media_type not in PULL_MEDIA_TYPES:
            self.add(*unsupported_type(repository, tag, manifest.media_type))

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
        if (checked := summary(self._pullable, self._pull_skipped, self.pull_check)) is not None:
            result.findings.append(self._finding(*checked))
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
        location = Location(file=str(self.config.path), account=self.account.name, path=self.account.key_path)
        message = f"account {self.account.name!r}: {message}"
        secrets = [*self.secrets, *(self.auth.issued if self.auth else ())]
        return Finding(severity, code, redact(message, secrets), redact(remediation, secrets), location)

    def add_error(self, error: Exception, kind: str, repository: str | None = None, listed: bool = False) -> None:
        """A registry failure as a finding; `kind` is "account", "catalog" or "repository".
        A request the overall deadline cut short is left to `abandon`, which reports it once."""
        from halcfg.registry.errors import Cancelled, DeadlinePassed

        if isinstance(error, (Cancelled, DeadlinePassed)):
            return
        severity, code, message, remediation = classify(error, kind, repository, listed)
        if code in AUTH_CODES or getattr(error, "status", None) == 401:
            remediation = whitespace_hint(self.password, self.account, self.config.base_dir) or remediation
        self.add(severity, code, message, remediation)
