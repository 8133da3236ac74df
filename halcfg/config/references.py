"""Spinnaker secret references (kork-secrets): `encrypted:<engine>!k:v…` and `encryptedFile:…`.

Spinnaker resolves them itself (S3, GCS, Secrets Manager, …; FORMATS.md §1.4). halcfg keeps
them as they are in `password` and `passwordFile` and passes them through to Spinnaker
targets; it cannot resolve them, so they are neither plaintext secrets nor paths.
"""

from __future__ import annotations

from typing import Any

PREFIXES = ("encrypted:", "encryptedfile:")  # kork matches the prefix case-insensitively


def is_secret_reference(value: Any) -> bool:
    return isinstance(value, str) and value[:14].lower().startswith(PREFIXES)
