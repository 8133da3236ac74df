"""The table of built-in targets: name → the module that builds its template context, and what
each target's consumer has no place for.

A target's files and templates are in `templates/<name>/` (manifest.yaml); `--template-dir`
may override them or add targets the table does not know, which get the shared context only.

A setting a consumer cannot carry is never dropped silently: every account that sets one gets
a warning per field saying what the consumer's host needs instead (`CANNOT_CARRY`).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from halcfg.findings import Severity

if TYPE_CHECKING:
    from halcfg.render.target import Job, Target

# clouddriver's DockerRegistryConfigurationProperties.ManagedAccount has insecureRegistry but no
# CA field (FORMATS.md §1.2); the JVM's default truststore is all it verifies against.
_JVM_CA = ("clouddriver has no per-account CA certificate",
           "Add the CA to the truststore clouddriver's JVM uses: keytool -importcert -alias {host} -file {value} "
           "-keystore truststore.jks, and -Djavax.net.ssl.trustStore=truststore.jks in its JAVA_OPTS.")
# Whoever pulls with these credentials (dockerd, containerd under the kubelet, skopeo/podman)
# takes TLS settings from the host, never from config.json or a pull Secret.
_NODE = {
    "caCertFile": ("{consumer} cannot carry a CA certificate: the runtime that pulls reads it from the host",
                   "Install it as /etc/docker/certs.d/{host}/ca.crt (docker, podman, skopeo), or set "
                   "`ca = \"{value}\"` in containerd's /etc/containerd/certs.d/{host}/hosts.toml."),
    "insecureRegistry": ("{consumer} cannot turn TLS verification off: the runtime that pulls decides",
                         "List {host} under insecure-registries in /etc/docker/daemon.json (docker), or set "
                         "`skip_verify = true` in containerd's /etc/containerd/certs.d/{host}/hosts.toml."),
    "plainHttp": ("{consumer} cannot say plain HTTP: the runtime that pulls uses HTTPS unless told",
                  "List {host} under insecure-registries in /etc/docker/daemon.json (docker), or set "
                  "`server = \"http://{host}\"` in containerd's /etc/containerd/certs.d/{host}/hosts.toml."),
}
# drone-registry-plugin's defaultRefreshFunc (plugin/refresh.go) builds its ECR client from the
# address's region and static keys or the AWS SDK's default chain: no endpoint, no profile.
_DRONE_ECR = {
    "ecr.endpointUrl": ("drone-registry-plugin has no ECR endpoint setting: it calls AWS's own endpoint",
                        "Serve the credentials with `halcfg serve drone` instead, or let the plugin reach AWS."),
    "ecr.profile": ("drone-registry-plugin has no AWS profile setting: it uses static keys or the default chain",
                    "Set AWS_PROFILE={value} (and AWS_SDK_LOAD_CONFIG=1) in the plugin's environment."),
}

CANNOT_CARRY: dict[str, dict[str, tuple[str, str]]] = {
    "spinnaker": {"caCertFile": _JVM_CA},
    "halconfig": {"caCertFile": _JVM_CA},
    "spinnaker-operator": {"caCertFile": _JVM_CA},
    "drone": {**_DRONE_ECR, **_NODE},
    "kubernetes": _NODE,
    "docker-config": _NODE,
    "kubelet": _NODE,
}


@dataclass(frozen=True)
class Limited:
    """A target module behind the protocol, reporting the settings its consumer cannot carry."""

    name: str
    module: str  # under halcfg.render, imported when the target renders: a TAB on --target needs the names only

    def context(self, job: Job) -> dict[str, Any]:
        from halcfg.registry.hosts import account_key

        for account in job.accounts:
            for key, (message, fix) in CANNOT_CARRY.get(self.name, {}).items():
                value = _setting(account.raw, key)
                if value in (None, False):
                    continue
                words = {"consumer": self.name, "value": value, "host": account_key(account, "kubelet") or "HOST"}
                job.finding(Severity.WARNING, "target-cannot-carry", account,
                            f"{key} is not rendered: {message.format(**words)}", fix.format(**words))
        result: dict[str, Any] = import_module(f"halcfg.render.{self.module}").context(job)
        return result


def _setting(raw: dict[str, Any], key: str) -> Any:
    head, _, rest = key.partition(".")
    value = raw.get(head)
    return value.get(rest) if rest and isinstance(value, dict) else value


_MODULES: dict[str, str] = {
    "spinnaker": "spinnaker",
    "halconfig": "halconfig",
    "spinnaker-operator": "spinnaker_operator",
    "drone": "drone",
    "kubernetes": "kubernetes",
    "docker-config": "docker_config",
    "kubelet": "kubelet",
}
TARGETS: dict[str, Target] = {name: Limited(name, module) for name, module in _MODULES.items()}
