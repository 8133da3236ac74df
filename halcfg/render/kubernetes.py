"""Target `kubernetes`: Secrets of type kubernetes.io/dockerconfigjson, one per account or one for
all (`--combined`).

`.dockerconfigjson` holds the very bytes `kubectl create secret docker-registry` makes for the
same account (FORMATS.md §3.1): Go's compact JSON with its escaping, fields username, password,
email (only when set), auth, each left out when empty, no trailing newline; Docker Hub's key is
`https://index.docker.io/v1/`. A combined Secret's hosts are sorted, as Go sorts map keys.
"""

from __future__ import annotations

from collections import Counter
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
    options = job.options
    job.resolver.prefetch([a for a in job.accounts if a.password_sources])
    resolved: list[tuple[Account, str, dict[str, str]]] = []
    for account in job.accounts:
        key = account_key(account, "docker")
        credential = job.credential(account)
        if key is None or credential is None:
            continue
        resolved.append((account, key, docker_config_entry(credential, account.raw.get("email"))))
    labels = dict(sorted([MANAGED_BY, *options.labels]))
    if options.combined:
        auths: dict[str, dict[str, str]] = {}
        owners: dict[str, str] = {}
        for account, key, entry in resolved:
            if key in auths:
                job.finding(Severity.WARNING, "combined-host-taken", account,
                            f"{key} already has account {owners[key]!r}'s credentials; one Secret holds one per host",
                            "Render this account in a Secret of its own (without --combined).")
                continue
            auths[key], owners[key] = entry, account.name
        name = options.secret_name or DEFAULT_COMBINED_NAME
        secrets = [_secret(name, options.namespace, labels, auths)]
    else:
        secrets = [
            _secret(account.kubernetes_secret_name or account.name, account.kubernetes_namespace or options.namespace,
                    dict(sorted({**(account.kubernetes_labels or {}), **labels}.items())), {key: entry})
            for account, key, entry in resolved
        ]
    files = Counter(secret["file"] for secret in secrets)
    for file in sorted(name for name, count in files.items() if count > 1):
        job.finding(Severity.ERROR, "secret-name-taken", None, f"{files[file]} Secrets would be {file}",
                    "Give the accounts different kubernetes.secretName (or namespace).")
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
