"""Passwords resolved where they are used — file, command, env, ECR — and redaction.

Imports `config.model` and `registry.hosts`; never prints a secret: every message that leaves
here has gone through `redact`.
"""
