"""The table of built-in targets: name → the module that builds its template context.

A target's files and templates are in `templates/<name>/` (manifest.yaml); `--template-dir`
may override them or add targets the table does not know, which get the shared context only.
"""

from __future__ import annotations

from halcfg.render import docker_config, drone, halconfig, kubelet, kubernetes, spinnaker, spinnaker_operator
from halcfg.render.target import Target

TARGETS: dict[str, Target] = {
    "spinnaker": spinnaker,
    "halconfig": halconfig,
    "spinnaker-operator": spinnaker_operator,
    "drone": drone,
    "kubernetes": kubernetes,
    "docker-config": docker_config,
    "kubelet": kubelet,
}
