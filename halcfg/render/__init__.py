"""Render: compile the accounts into the files Spinnaker, the Spinnaker Operator, Drone, Kubernetes,
the kubelet and docker read.

One module per target (spinnaker, halconfig, spinnaker_operator, drone, kubernetes, docker_config,
kubelet) turns the accounts into a plain-data context behind one small protocol (`target.py`), listed
in one table (`targets.py`); jinja2 templates under `templates/<target>/` with a manifest each turn
the context into bytes (`engine.py`, the only importer of jinja2). `run.py` is the stage's entry:
it checks the accounts file, renders, and writes, prints or compares (`output.py`).

May import: config, credentials, registry.hosts, files.atomic, findings, errors, resources.
Never writes the accounts file; secrets are resolved only for targets that need plaintext.
"""
