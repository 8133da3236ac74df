"""Passwords resolved where they are used — file, command, env, ECR, kork references (S3,
Secrets Manager); the cross-process token cache; credential lifetimes.

Imports `config.model` and `registry.hosts`; never prints a secret: every message that leaves
here has gone through `redact`.
"""
