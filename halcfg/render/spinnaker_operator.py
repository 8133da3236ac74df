"""Target `spinnaker-operator`: a kustomize component patching the SpinnakerService's
`spec.spinnakerConfig.config.providers.dockerRegistry`, with secrets as kork-secrets references
to one Opaque Secret (`encrypted:k8s!n:<secret>!k:<key>`, `encryptedFile:k8s!...` where clouddriver
expects a file — FORMATS.md §1.4) and that Secret's manifest.

passwordCommand and ECR stay commands clouddriver runs, kork references (a username's too) stay as
they are (unless --inline-secrets); every other source is resolved now and lands in the Secret. A
password file's content goes in as clouddriver will read it: kork writes an `encryptedFile:` secret
to a temporary file, and kork-docker reads only that file's first line
(DockerBearerTokenService.resolvePasswordFromFile), so a multi-line JSON key is stored compact
(the same JSON on one line) and any other multi-line password as a plain `password` reference,
which clouddriver uses whole.

The patch names the SpinnakerService's namespace: kustomize finds a patch's target by its whole
id, namespace included (kubernetes-sigs/kustomize api/resmap/reswrangler.go, resWrangler.GetById:
demandOneMatch(GetMatchingResourcesByAnyId, id.Equals)), so a patch without one matches no
namespaced base ("failed to find unique target for patch"). The operator's docker validator
(armory/spinnaker-operator pkg/validate/docker_validator.go, dockerRegistryValidator.Validate)
is on for every SpinnakerService unless `spec.validation.providers.docker.enabled: false`
(interfaces/validation.go IsProviderValidationEnabled) and fatal unless failOnError is false
(IsFatal); it runs each passwordCommand with `bash -c` and GETs `/v2/` from the operator's pod.
"""

from __future__ import annotations

import re
from typing import Any

from halcfg.config.model import Account
from halcfg.credentials.resolve import kork_reference
from halcfg.errors import UsageError
from halcfg.findings import Severity
from halcfg.registry.json_key import compact_json
from halcfg.render.encode import b64encode
from halcfg.render.spinnaker import clouddriver_accounts, ecr_command, relative_command_paths
from halcfg.render.target import Job

SECRET_NAME = "halcfg-docker-registry"
DEFAULT_SERVICE = "spinnaker"
DEFAULT_NAMESPACE = "spinnaker"  # the operator's documented install namespace
# A Kubernetes namespace is an RFC 1123 label; anything else would also break a kork reference,
# whose parameters `!` separates and `:` splits (kork-secrets EncryptedSecret).
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")


def namespace_option(job: Job, default: str | None) -> str | None:
    """--namespace, checked; `default` when it is not given."""
    namespace = job.options.namespace or default
    if namespace is not None and not _NAMESPACE.match(namespace):
        raise UsageError(f"--namespace {namespace!r} is not a Kubernetes namespace (lower-case letters, digits, "
                         "dashes; at most 63)")
    return namespace


def context(job: Job) -> dict[str, Any]:
    data: dict[str, str] = {}
    namespace = namespace_option(job, DEFAULT_NAMESPACE)

    def password_fields(job: Job, account: Account) -> dict[str, Any]:
        return secret_reference(job, account, data, "")

    accounts = clouddriver_accounts(job, password_fields)
    provider: dict[str, Any] = {"enabled": job.config.enabled, "accounts": accounts}
    if job.primary is not None:
        provider["primaryAccount"] = job.primary
    spec: dict[str, Any] = {"spinnakerConfig": {"config": {"providers": {"dockerRegistry": provider}}}}
    if not job.options.operator_validation:
        spec["validation"] = {"providers": {"docker": {"enabled": False}}}
    elif accounts:
        job.finding(
            Severity.INFO, "operator-docker-validation", None,
            "the Spinnaker Operator validates every docker account before it deploys, and fails the "
            "SpinnakerService on any error: it runs each passwordCommand and requests /v2/ from the operator's pod",
            "Give the operator's pod what the commands need and a route to each registry, or render with "
            "--no-operator-validation (writes spec.validation.providers.docker.enabled: false).",
        )
    patch = {
        "apiVersion": "spinnaker.io/v1alpha2",
        "kind": "SpinnakerService",
        "metadata": {"name": job.options.deployment or DEFAULT_SERVICE, "namespace": namespace},
        "spec": spec,
    }
    return {"patch": patch, "secret": secret_manifest(namespace, data)}


def secret_reference(job: Job, account: Account, data: dict[str, str], tail: str) -> dict[str, Any]:
    """The account's password keys as `encrypted:k8s` references into the Secret whose `data` this
    fills (`tail` adds parameters: `!ns:NAMESPACE` for OSS kork-secrets-k8s); passwordCommand and
    ECR stay commands."""
    if account.ecr is not None:
        return ecr_command(job, account)
    if account.password_command:
        relative_command_paths(job, account)
        return {"passwordCommand": account.password_command}
    reference = kork_reference(account)
    if reference is not None and not job.options.inline_secrets:  # the operator's kork resolves it itself
        return dict([reference])
    if not account.password_sources:
        return {}
    credential = job.credential(account, username=job.options.inline_secrets)
    if credential is None or credential.password is None:
        return {}
    password, as_file = credential.password, account.password_file is not None
    if as_file and "\n" in password.strip():
        password, as_file = one_line(password)
    key = f"{account.name}-password-file" if as_file else f"{account.name}-password"
    data[key] = b64encode(password)
    prefix = "encryptedFile" if as_file else "encrypted"
    fields = {"passwordFile" if as_file else "password": f"{prefix}:k8s!n:{SECRET_NAME}!k:{key}{tail}"}
    if credential.secret_username and credential.username:
        # --inline-secrets: a username read from a secret store goes where its password goes, the
        # Secret, not the patch; kork resolves an encrypted:k8s username as it does any property
        # (kork-secrets SecretPropertyProcessor.processPropertyValue). Without the flag the
        # reference was kept as written (clouddriver_accounts).
        data[f"{account.name}-username"] = b64encode(credential.username)
        fields["username"] = f"encrypted:k8s!n:{SECRET_NAME}!k:{account.name}-username{tail}"
    return fields


def secret_manifest(namespace: str | None, data: dict[str, str]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": SECRET_NAME}
    if namespace:
        metadata["namespace"] = namespace
    metadata["labels"] = {"app.kubernetes.io/managed-by": "halcfg"}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque",
            "data": dict(sorted(data.items()))}


def one_line(password: str) -> tuple[str, bool]:
    """(password, still a file): a JSON key compacted onto one line, kept as a file; any other
    multi-line text kept whole as a plain password, since a file would lose all but its first line."""
    compact = compact_json(password)
    return (password, False) if compact is None else (compact, True)
