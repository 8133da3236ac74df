"""Spinnaker secret references (kork-secrets): `encrypted:<engine>!k:v…` and `encryptedFile:…`.

Spinnaker resolves them itself (S3, GCS, Secrets Manager, …; FORMATS.md §1.4), so Spinnaker
targets keep them as they are; halcfg resolves the AWS engines where it needs the secret
(credentials/kork.py). This module is the pure part, fast enough for validate: the syntax and
each engine's required parameters, exactly as kork checks them (spinnaker/kork @a7b6fdea):

- kork-secrets/.../EncryptedSecret.java, `isEncryptedSecret` and `update`: a value is a reference
  only if it matches `encrypted:.+(![a-zA-Z0-9]+:.+)+` (or `encryptedFile:…`) as a whole, with
  Java's `.` (no line terminators) and case-sensitive prefixes; anything else is used literally.
  It is split on `!` (Java's `split`: trailing empty parts dropped), each part on its first `:`
  (values may hold `:`, never `!`: there is no escaping); the first part's value names the
  engine, a repeated parameter keeps its last value.
- each engine's `validate`: S3 (AbstractStorageSecretEngine) needs b, r, f; GCS
  (GcsSecretEngine) b, f; secrets-manager (SecretsManagerSecretEngine) s, r, and no k in an
  `encryptedFile:`; google-secrets-manager p, s, the same k rule. The messages are kork's.

Any property may be a reference, not only a password: kork-secrets' SecretAwarePropertySourceRegistrar
wraps every enumerable property source in a SecretAwarePropertySource, whose `getProperty` passes each
value through SecretPropertyProcessor.processPropertyValue, whatever the property's name. So an
account's `username` is one too (REFERENCE_KEYS). Halyard passes it through as written: it decrypts
only its `@Secret` fields itself, and halyard-config's DockerRegistryAccount marks `password`, not
`username`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeGuard

PREFIXES = ("encrypted:", "encryptedfile:")
STRING_PREFIX = "encrypted:"
FILE_PREFIX = "encryptedFile:"
_ANY = r"[^\n\r\u0085\u2028\u2029]"  # Java's `.`: any character but a line terminator
# kork's `.+(![a-zA-Z0-9]+:.+)+`, with the repetition dropped: the leading `.+` absorbs every group
# but the last, so one is the same language, without the nested quantifier's exponential backtracking
_TAGS = rf"{_ANY}+![a-zA-Z0-9]+:{_ANY}+"
_REFERENCE = re.compile(rf"(?:{re.escape(STRING_PREFIX)}|{re.escape(FILE_PREFIX)}){_TAGS}")

# engine -> (parameter, kork's message when it is missing), in kork's order of checking
_REQUIRED: dict[str, tuple[tuple[str, str], ...]] = {
    "s3": (("b", "Storage bucket parameter is missing (b=...)"),
           ("r", "Storage region parameter is missing (r=...)"),
           ("f", "Storage file parameter is missing (f=...)")),
    "gcs": (("b", "Storage bucket parameter is missing (b=...)"),
            ("f", "Storage file parameter is missing (f=...)")),
    "secrets-manager": (("s", "Secret name parameter is missing (s=...)"),
                        ("r", "Secret region parameter is missing (r=...)")),
    "google-secrets-manager": (("p", "Project number parameter is missing (p=...)"),
                               ("s", "Secret id parameter is missing (s=...)")),
    # FORMATS.md §1.4: OSS kork-secrets-k8s and the operator, `encrypted:k8s!n:NAME!k:KEY`
    "k8s": (("n", "Secret name parameter is missing (n=...)"), ("k", "Secret key parameter is missing (k=...)")),
    "noop": (),
}
_NO_KEY_IN_FILE = ("secrets-manager", "google-secrets-manager")


def is_secret_reference(value: Any) -> TypeGuard[str]:
    """Whether `value` is meant as a reference (any case of either prefix); `parse` says whether
    Spinnaker takes it as one."""
    return isinstance(value, str) and value[:14].lower().startswith(PREFIXES)


class MalformedReference(ValueError):
    """What kork would refuse, or would not see as a reference; the text is kork's when it has one."""


@dataclass(frozen=True)
class SecretReference:
    engine: str
    params: MappingProxyType[str, str]
    is_file: bool  # encryptedFile: (secrets-manager then returns a binary secret as it is)

    @property
    def prefix(self) -> str:
        return FILE_PREFIX if self.is_file else STRING_PREFIX


def parse(value: str) -> SecretReference:
    """The reference as kork's EncryptedSecret reads it, checked by its engine's `validate`."""
    if not _REFERENCE.fullmatch(value):
        if value[:14].lower().startswith(PREFIXES) and not value.startswith((STRING_PREFIX, FILE_PREFIX)):
            raise MalformedReference(
                f"kork's prefixes are case-sensitive ({STRING_PREFIX} or {FILE_PREFIX}), so Spinnaker "
                "would use this value literally"
            )
        raise MalformedReference(
            "not a kork secret reference, so Spinnaker would use it literally: it needs an engine and "
            "at least one !name:value parameter (name: letters and digits), on one line"
        )
    parts = value.split("!")
    while parts and not parts[-1]:  # Java's String.split drops trailing empty strings
        parts.pop()
    engine = parts[0].split(":", 1)[1]
    params: dict[str, str] = {}
    for part in parts[1:]:
        name, colon, param = part.partition(":")
        if not colon:
            raise MalformedReference(
                f"Invalid encrypted secret format, keys and values must be delimited by ':' (in {part!r})"
            )
        params[name] = param
    reference = SecretReference(engine, MappingProxyType(params), value.startswith(FILE_PREFIX))
    _validate(reference)
    return reference


def _validate(reference: SecretReference) -> None:
    required = _REQUIRED.get(reference.engine)
    if required is None:
        return  # an engine kork does not ship; resolution says so (SecretManager: no such engine)
    for name, message in required:
        if name not in reference.params:
            raise MalformedReference(message)
    if reference.is_file and reference.engine in _NO_KEY_IN_FILE and "k" in reference.params:
        raise MalformedReference("Encrypted file should not specify key")


INVALID_FIX = ("write it as kork does: encrypted:<engine>!<name>:<value>!… "
               "(e.g. encrypted:s3!r:REGION!b:BUCKET!f:FILE!k:KEY)")
# The account keys whose value may be a reference halcfg resolves where it uses the credential:
# the key -> what its value is, for messages.
REFERENCE_KEYS = {"username": "username", "password": "password", "passwordFile": "password"}
RESOLVED_HERE = ("s3", "secrets-manager", "noop")  # the engines credentials/kork.py resolves


def file_as_value(key: str) -> tuple[str, str, str]:
    """(code, message, fix) for an `encryptedFile:` reference in `key` (password or username), which
    is no file property: SecretPropertyProcessor.processPropertyValue sends every `encryptedFile:`
    value to SecretManager.decryptAsFile, so the property becomes the path of a temporary file
    (createTempFile: `tmp<digits>.secret` under java.io.tmpdir) and Spinnaker would log in with that path."""
    message = (f"{key} is an encryptedFile: reference; Spinnaker puts the path of a temporary file holding "
               f"the secret in {key}, not the secret")
    fix = ("use passwordFile: encryptedFile:… (or password: encrypted:…) for the same secret" if key == "password"
           else f"use {key}: encrypted:… (the same engine and parameters) for the same secret")
    return f"secret-reference-file-as-{key}", message, fix


def unresolvable_fix(reference: SecretReference, key: str = "password") -> str:
    """What to do about an engine halcfg does not resolve in `key`: where the value can come from
    instead. Spelled with the engine's parameter names, not their values: reports do not echo references."""
    spinnaker = "Spinnaker targets keep the reference as it is"
    if reference.engine == "gcs":
        command = "gsutil cat gs://<b>/<f>"
    elif reference.engine == "google-secrets-manager":
        command = "gcloud secrets versions access <v or latest> --secret=<s> --project=<p>"
    elif reference.engine == "k8s":
        command = "kubectl get secret <n> -o jsonpath={.data.<k>} | base64 -d"
    else:
        spinnaker = (f"{reference.engine!r} is not an engine of OSS kork: Spinnaker resolves it only with a plugin "
                     "that provides it")
        command = None
    if REFERENCE_KEYS.get(key) == "username":  # there is no usernameCommand: the user writes the name
        read = f"read it once with '{command}' and write it as username" if command else "write the username itself"
        return f"{spinnaker}; {UNRESOLVED_HEAD}, {read} (a username is not a secret to halcfg)"
    if command is None:
        how = "a passwordFile, passwordCommand or passwordEnv"
    else:
        how = f"a passwordCommand such as '{command}'" + (
            " (halcfg does not reach the cluster itself)" if reference.engine == "k8s" else "")
    return f"{spinnaker}; {UNRESOLVED_HEAD}, give the account {how}"


UNRESOLVED_HEAD = "to probe it or render it for Drone, Kubernetes or docker from here"


def known_engine(engine: str) -> bool:
    """One of OSS kork's engines (else a plugin's, or a typo)."""
    return engine in _REQUIRED
