"""Target `kubernetes`: Secrets of type kubernetes.io/dockerconfigjson, one per account, per shared
`kubernetes.secretName`, or one for all (`--combined`).

`.dockerconfigjson` holds the very bytes `kubectl create secret docker-registry` makes for the
same account (FORMATS.md §3.1): Go's compact JSON with its escaping, fields username, password,
email (only when set), auth, each left out when empty, no trailing newline; Docker Hub's key is
`https://index.docker.io/v1/`. A combined Secret's hosts are sorted, as Go sorts map keys.
"""

from __future__ import annotations

from typing import Any

from halcfg.config.model import Account
from halcfg.credentials.resolve import Credential
from halcfg.findings import Severity
from halcfg.registry.hosts import account_key
from halcfg.render.encode import b64encode, docker_auth, go_json
from halcfg.render.target import Job

SECRET_TYPE = "kubernetes.io/dockerconfigjson"
MANAGED_BY = ("app.kubernetes.io/managed-by", "halcfg")
DEFAULT_COMBINED_NAME = "registry-credentials"


def docker_config_entry(credential: Credential, email: str | None) -> dict[str, str]:
    """kubectl's DockerConfigEntry: username, password, email, auth, each `omitempty`."""
    entry = {"username": credential.username or "", "password": credential.password or "", "email": email or "",
             "auth": docker_auth(credential.username, credential.password)}
    return {key: value for key, value in entry.items() if value}


def dockerconfigjson(auths: dict[str, dict[str, str]]) -> str:
    return go_json({"auths": dict(sorted(auths.items()))})


def context(job: Job) -> dict[str, Any]:
    """One Secret per (namespace, name): accounts that share `kubernetes.secretName` and namespace
    share a Secret, as the pull Secret they were imported from did; `--combined` names one for
    every account that names none (an account with its own secretName keeps it)."""
    options = job.options
    job.resolver.prefetch([a for a in job.accounts if a.password_sources])
    groups: dict[tuple[str | None, str], list[tuple[Account, str, dict[str, str]]]] = {}
    for account in job.accounts:
        key = account_key(account, "docker")
        credential = job.credential(account)
        if key is None or credential is None:
            continue
        named = account.kubernetes_secret_name
        name = named or ((options.secret_name or DEFAULT_COMBINED_NAME) if options.combined else account.name)
        namespace = account.kubernetes_namespace or options.namespace
        groups.setdefault((namespace, name), []).append(
            (account, key, docker_config_entry(credential, account.raw.get("email"))))
    flags = dict([MANAGED_BY, *options.labels])
    secrets = []
    for (namespace, name), members in groups.items():
        auths: dict[str, dict[str, str]] = {}
        owners: dict[str, str] = {}
        labels: dict[str, str] = {}
        for account, key, entry in members:
            labels.update(account.kubernetes_labels or {})
            if key in auths:
                job.finding(Severity.WARNING, "combined-host-taken", account,
                            f"{key} already has account {owners[key]!r}'s credentials in Secret {name}; "
                            "a Secret holds one per host", "Give this account a kubernetes.secretName of its own.")
                continue
            auths[key], owners[key] = entry, account.name
        secrets.append(_secret(name, namespace, dict(sorted({**labels, **flags}.items())), auths))
    return {"secrets": secrets}


def _secret(name: str, namespace: str | None, labels: dict[str, str], auths: dict[str, dict[str, str]]) -> dict:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    metadata["labels"] = labels
    return {
        "file": f"{namespace}.{name}.yaml" if namespace else f"{name}.yaml",
        "manifest": {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": metadata,
            "type": SECRET_TYPE,
            "data": {".dockerconfigjson": b64encode(dockerconfigjson(auths))},
        },
    }
