"""Target `kubelet`: the CredentialProviderConfig that makes the kubelet ask
`halcfg kubelet-credential-provider` for every account's registry at pull time (FORMATS.md §3.3).

No secret is rendered: the plugin resolves credentials (fresh ECR tokens included) when the
kubelet pulls. matchImages are the accounts' hosts as the kubelet sees images (Docker Hub is
`docker.io`), ports included since the kubelet compares them.

With no account to serve there is no file at all, and an error: the kubelet's
validateCredentialProviderConfig (kubernetes pkg/credentialprovider/plugin/config.go) refuses an
empty `providers` ("at least 1 item in plugins is required") and the kubelet exits at start.
"""

from __future__ import annotations

from typing import Any

from halcfg.findings import Severity
from halcfg.registry.hosts import account_key
from halcfg.render.target import Job

PROVIDER = "halcfg"  # the executable's name in --image-credential-provider-bin-dir
NODE_CONFIG = "/etc/halcfg/halcfg.yaml"  # where the plugin finds the accounts file on a node
DEFAULT_CACHE = "5m"  # used only when a response names no cacheDuration


def context(job: Job) -> dict[str, Any]:
    hosts = sorted({host for account in job.accounts if (host := account_key(account, "kubelet"))})
    if not hosts:
        job.finding(Severity.ERROR, "kubelet-no-providers", None,
                    "no account to serve, and the kubelet refuses a CredentialProviderConfig without providers "
                    "(it exits at start); credential-provider-config.yaml is not rendered",
                    "Add an account (or drop --account filters), or leave --image-credential-provider-config "
                    "off the kubelet.")
        return {"configs": []}
    provider = {
        "name": PROVIDER,
        "matchImages": hosts,
        "defaultCacheDuration": DEFAULT_CACHE,
        "apiVersion": "credentialprovider.kubelet.k8s.io/v1",
        "args": ["kubelet-credential-provider"],
        "env": [{"name": "HALCFG_CONFIG", "value": NODE_CONFIG}],
    }
    config = {"apiVersion": "kubelet.config.k8s.io/v1", "kind": "CredentialProviderConfig", "providers": [provider]}
    return {"configs": [config], "config": config}
