"""Target `drone`: the global registry file drone-registry-plugin loads (FORMATS.md §2.1-2.4).

A YAML list of {address, username, password}; Docker Hub is `docker.io` because the runner never
matches `https://index.docker.io/v1/`. ECR entries carry static AWS keys when the account has
them, else only the address, and the plugin fetches tokens through the default AWS chain.
"""

from __future__ import annotations

from typing import Any

from halcfg.credentials.resolve import CredentialError
from halcfg.findings import Severity
from halcfg.registry.hosts import account_key
from halcfg.render.target import Job


def context(job: Job) -> dict[str, Any]:
    job.resolver.prefetch([a for a in job.accounts if a.ecr is None and a.password_sources])
    registries: list[dict[str, Any]] = []
    for account in job.accounts:
        address = account_key(account, "drone")
        if address is None:
            if account.host is not None:  # it parses: an IPv6 registry, which the runner never matches
                job.finding(Severity.WARNING, "consumer-cannot-use", account,
                            f"Drone's runner never matches an IPv6 registry ({account.host}); left out",
                            "Give the registry a DNS name for Drone.")
            continue
        if account.drone_repos or account.drone_events:
            job.finding(
                Severity.INFO, "drone-policy-dropped", account,
                "drone.repos / drone.events cannot be said in the plugin's file: every repository gets it",
                "Serve credentials through halcfg's Drone extension to enforce them.",
            )
        entry: dict[str, Any] = {"address": address}
        if account.ecr is not None:
            if account.ecr.access_key_id:
                try:
                    secret = job.resolver.ecr_secret_access_key(account)
                except CredentialError as error:
                    job.finding(Severity.ERROR, error.code, account, f"{error.message}; not rendered",
                                error.remediation)
                    continue
                entry["aws_access_key_id"] = account.ecr.access_key_id
                entry["aws_secret_access_key"] = secret
        else:
            credential = job.credential(account) if account.password_sources else None
            if credential is None:
                continue
            entry["username"] = credential.username or ""
            entry["password"] = credential.password
        if "email" in account.raw:
            entry["email"] = account.raw["email"]
        registries.append(entry)
    return {"registries": registries}
