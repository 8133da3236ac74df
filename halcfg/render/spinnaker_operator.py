"""Target `spinnaker-operator`: a kustomize component patching the SpinnakerService's
`spec.spinnakerConfig.config.providers.dockerRegistry`, with secrets as kork-secrets references
to one Opaque Secret (`encrypted:k8s!n:<secret>!k:<key>`, `encryptedFile:k8s!...` where clouddriver
expects a file — FORMATS.md §1.4) and that Secret's manifest.

passwordCommand and ECR stay commands clouddriver runs, kork references stay as they are (unless
--inline-secrets); every other source is resolved now and lands in the Secret, bytes as they are
(a password file keeps its exact content).
"""

from __future__ import annotations

from typing import Any

from halcfg.config.model import Account
from halcfg.credentials.resolve import kork_reference
from halcfg.render.encode import b64encode
from halcfg.render.spinnaker import clouddriver_accounts, ecr_command
from halcfg.render.target import Job

SECRET_NAME = "halcfg-docker-registry"
DEFAULT_SERVICE = "spinnaker"


def context(job: Job) -> dict[str, Any]:
    data: dict[str, str] = {}

    def password_fields(job: Job, account: Account) -> dict[str, Any]:
        if account.ecr is not None:
            return ecr_command(job, account)
        if account.password_command:
            return {"passwordCommand": account.password_command}
        reference = kork_reference(account)
        if reference is not None and not job.options.inline_secrets:  # the operator's kork resolves it itself
            return dict([reference])
        if not account.password_sources:
            return {}
        credential = job.credential(account)
        if credential is None or credential.password is None:
            return {}
        as_file = account.password_file is not None
        key = f"{account.name}-password-file" if as_file else f"{account.name}-password"
        data[key] = b64encode(credential.password)
        prefix = "encryptedFile" if as_file else "encrypted"
        return {"passwordFile" if as_file else "password": f"{prefix}:k8s!n:{SECRET_NAME}!k:{key}"}

    accounts = clouddriver_accounts(job, password_fields)
    provider: dict[str, Any] = {"enabled": job.config.enabled, "accounts": accounts}
    if job.primary is not None:
        provider["primaryAccount"] = job.primary
    patch = {
        "apiVersion": "spinnaker.io/v1alpha2",
        "kind": "SpinnakerService",
        "metadata": {"name": job.options.deployment or DEFAULT_SERVICE},
        "spec": {"spinnakerConfig": {"config": {"providers": {"dockerRegistry": provider}}}},
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": SECRET_NAME, "labels": {"app.kubernetes.io/managed-by": "halcfg"}},
        "type": "Opaque",
        "data": dict(sorted(data.items())),
    }
    return {"patch": patch, "secret": secret}
