"""Target `kubelet`: the CredentialProviderConfig that makes the kubelet ask
`halcfg kubelet-credential-provider` for every account's registry at pull time (FORMATS.md §3.3).

No secret is rendered: the plugin resolves credentials (fresh ECR tokens included) when the
kubelet pulls. matchImages are the accounts' hosts as the kubelet sees images (Docker Hub is
`docker.io`), ports included since the kubelet compares them.
"""

from __future__ import annotations

from typing import Any

from halcfg.registry.hosts import account_key
from halcfg.render.target import Job

PROVIDER = "halcfg"  # the executable's name in --image-credential-provider-bin-dir
NODE_CONFIG = "/etc/halcfg/halcfg.yaml"  # where the plugin finds the accounts file on a node
DEFAULT_CACHE = "5m"  # used only when a response names no cacheDuration


def context(job: Job) -> dict[str, Any]:
    hosts = sorted({host for account in job.accounts if (host := account_key(account, "kubelet"))})
    provider = {
        "name": PROVIDER,
        "matchImages": hosts,
        "defaultCacheDuration": DEFAULT_CACHE,
        "apiVersion": "credentialprovider.kubelet.k8s.io/v1",
        "args": ["kubelet-credential-provider"],
        "env": [{"name": "HALCFG_CONFIG", "value": NODE_CONFIG}],
    }
    return {
        "config": {
            "apiVersion": "kubelet.config.k8s.io/v1",
            "kind": "CredentialProviderConfig",
            "providers": [provider] if hosts else [],
        }
    }
