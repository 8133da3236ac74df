"""Target `halconfig`: the `providers.dockerRegistry` block of one deployment in `~/.hal/config`
(FORMATS.md §1.6), for sites still on Halyard. Same account shape as clouddriver's."""

from __future__ import annotations

from typing import Any

from halcfg.render.spinnaker import clouddriver_accounts, inline_password, referenced_password
from halcfg.render.target import Job

DEFAULT_DEPLOYMENT = "default"
HALYARD_KEYS = ("providerVersion",)  # requiredGroupMembership is rendered as permissions (spinnaker.py)


def context(job: Job) -> dict[str, Any]:
    strategy = inline_password if job.options.inline_secrets else referenced_password
    accounts = clouddriver_accounts(job, strategy)
    raw = {account.name: account.raw for account in job.accounts}
    for entry in accounts:  # Halyard's own keys, which clouddriver does not read
        entry.update((key, raw[entry["name"]][key]) for key in HALYARD_KEYS if key in raw[entry["name"]])
    provider: dict[str, Any] = {"enabled": job.config.enabled, "accounts": accounts}
    if job.primary is not None:
        provider["primaryAccount"] = job.primary
    return {
        "deploymentConfigurations": [
            {"name": job.options.deployment or DEFAULT_DEPLOYMENT, "providers": {"dockerRegistry": provider}}
        ]
    }
