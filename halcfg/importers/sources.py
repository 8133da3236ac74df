"""The table of sources `halcfg import --from` takes: name → the module's `read`."""

from __future__ import annotations

from halcfg.importers import docker_config, drone, halconfig, kubernetes_secret
from halcfg.importers.source import Source

SOURCES: dict[str, Source] = {
    "halconfig": halconfig.read,
    "drone": drone.read,
    "docker-config": docker_config.read,
    "kubernetes-secret": kubernetes_secret.read,
}
