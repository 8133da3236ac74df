"""Failures as findings: which code, severity, message and fix each registry error becomes.

Pure: takes exceptions from registry/ (and the account, for Halyard's whitespace hint).
"""

from __future__ import annotations

from pathlib import Path

from halcfg.config.model import Account, resolve_path
from halcfg.config.references import is_secret_reference
from halcfg.findings import Severity

AUTH_CODES = frozenset({"auth-refused", "repository-denied"})
_DENIED = frozenset({"DENIED", "UNAUTHORIZED", "FORBIDDEN"})
_CATALOG_UNAVAILABLE = frozenset({"UNSUPPORTED", "NOT_FOUND", "NAME_UNKNOWN", "UNAVAILABLE"}) | _DENIED
_LIST_EXPLICITLY = (
    "List the repositories explicitly (`repositories:`): Docker Hub, GHCR and many registries "
    "have no catalog, or grant it only to admins."
)


def classify(error: Exception, kind: str, repository: str | None, listed: bool) -> tuple[Severity, str, str, str]:
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
        # a warning (an error under --strict): accounts are often registered before the first push
        return (Severity.WARNING, "repository-unknown", f"repository {repository} does not exist (yet): {text}",
                "Push to it, or fix the name in `repositories:` (one-part Docker Hub names mean "
                "library/<name>); distribution also answers NAME_UNKNOWN for a repository holding only "
                "untagged images.")
    if kind == "repository" and (error.status in (401, 403) or error.code in _DENIED):
        where = "listed in `repositories:`" if listed else "from the catalog"
        return (Severity.ERROR, "repository-denied", f"access to {repository} ({where}) denied: {text}",
                "Grant the account pull access to the repository, or drop it from the account.")
    return Severity.ERROR, "registry-error", text, "Check the registry's health; the probe cannot tell more."


def whitespace_hint(password: str | None, account: Account, base_dir: Path) -> str | None:
    """Halyard's hint: invisible whitespace around a password is the usual cause of a refusal."""
    if not password:
        return None
    if account.password_file and password.endswith("\n") and not is_secret_reference(account.password_file):
        from halcfg.config.rules import strip_whitespace_fix

        path = resolve_path(account.password_file, base_dir)
        return ("Your password file has a trailing newline; many editors add one. "
                f"Strip it with: {strip_whitespace_fix(path)}")
    for where, char in (("trailing", password[-1]), ("leading", password[0])):
        if char.isspace():
            return (f"Your registry password has {where} whitespace; if this is unintentional, this may be "
                    "the cause of failed authentication.")
    return None
