"""kork secret references resolved as Spinnaker would: S3 objects and AWS Secrets Manager secrets.

The value is what kork's SecretManager.decryptAsBytes yields (spinnaker/kork @a7b6fdea), which for
`password` and `username` is the value itself and for `passwordFile` the contents of the temporary
file Spinnaker writes (SecretPropertyProcessor.processPropertyValue: names ending in "file" get a
file; halcfg needs only its bytes, so none is written):

- `s3` (kork-secrets-aws S3SecretEngine.downloadRemoteFile, AbstractStorageSecretEngine.decrypt):
  object `f` of bucket `b` in region `r`; without `k` its bytes, with `k` the document parsed as
  YAML (SnakeYAML: YAML 1.1, so JSON too) and walked by `k` split on `.` (getParsedValue).
- `secrets-manager` (SecretsManagerSecretEngine.decrypt, getSecretString): secret `s` in region
  `r`; `encryptedFile:` gives SecretBinary or SecretString as is, `encrypted:` the SecretString,
  or with `k` the value of that key of its JSON object (a map of strings).
- `noop` (NoopSecretEngine): its `v`.
Other engines (gcs, google-secrets-manager, k8s, plugins) are not resolved here: the error says
what to do instead, and `halcfg validate` names the command (config.references.unresolvable_fix).

AWS is asked as kork asks it: the default credential chain in the reference's region
(AWS_PROFILE, the environment, web identity, ...), through `AWS_ENDPOINT_URL_S3`,
`AWS_ENDPOINT_URL_SECRETS_MANAGER` or `AWS_ENDPOINT_URL` when set. Clients are ECR's shared
ones (credentials.ecr.aws_client): one per service and identity for the process.

Bounded: an object is read up to OBJECT_MAX (the declared length is checked first, then the stream
is capped); a secret beyond Secrets Manager's own 64 KiB limit is refused. Each object and secret
is fetched once per TTL seconds per process, however many accounts and threads ask (the
process's one credential cache, credentials.memo: one flight at a time per key, a failure
remembered for memo.FAILURE_TTL, so 100 accounts on one missing secret ask AWS once), and every
value read joins redaction (`redact.remember`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from halcfg.config.references import (
    INVALID_FIX,
    REFERENCE_KEYS,
    UNRESOLVED_HEAD,
    MalformedReference,
    SecretReference,
    file_as_value,
    parse,
)
from halcfg.credentials.memo import Memo
from halcfg.credentials.resolve import CredentialError
from halcfg.files import SECRET_FILE_MAX
from halcfg.findings import Severity
from halcfg.redact import redact, remember

OBJECT_MAX = 1024 * 1024  # an S3 secrets document: thousands of keys; more is not a secrets file
SECRET_MAX = 64 * 1024  # Secrets Manager's limit on SecretString and SecretBinary (65,536 bytes)
TTL = 300.0  # seconds a fetched object or secret is reused: a rotation takes effect within 5 minutes
_READ_CHUNK = 64 * 1024

ENDPOINT_ENV = {
    "s3": ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
    "secretsmanager": ("AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"),
}


def resolve_reference(value: str, key: str, timeout: float = 30.0) -> str:
    """The secret that `value`, held in the account's `key` (password, passwordFile or username),
    stands for. Raises CredentialError, redacted, naming what failed and how to fix it.

    Whatever the key, the value joins redaction: a username read from a secret store is masked in
    every log and report, as its owner chose to keep it there."""
    what = REFERENCE_KEYS[key]
    try:
        reference = parse(value)
    except MalformedReference as error:
        raise CredentialError("secret-reference-invalid", f"{key}: {error}", INVALID_FIX) from None
    if key != "passwordFile" and reference.is_file:  # no file property: kork hands over a path
        raise CredentialError(*file_as_value(key))
    fetch = _ENGINES.get(reference.engine)
    if fetch is None:
        how = ("write the username itself (`halcfg validate` names a command that reads it)" if what == "username"
               else "give the account a passwordCommand that reads it (`halcfg validate` names one)")
        raise CredentialError(
            "secret-reference",
            f"{key} is a Spinnaker secret reference ({reference.prefix}{reference.engine}!…); only Spinnaker "
            "resolves it, so halcfg cannot use the credential here",
            f"Spinnaker targets keep the reference as it is; {UNRESOLVED_HEAD}, {how}", Severity.WARNING,
        )
    data = fetch(reference, timeout)
    if len(data) > SECRET_FILE_MAX:  # the cap of a passwordFile: no registry password is longer
        raise _too_large(reference, SECRET_FILE_MAX)
    try:
        secret = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialError(
            "secret-reference-failed", f"{key}: {describe(reference)} is not UTF-8 text",
            f"Store the {what} as text (a binary secret is not a registry {what}).",
        ) from None
    if not secret:
        raise CredentialError("secret-reference-empty", f"{key}: {describe(reference)} is empty",
                              f"Put the {what} in it.")
    remember(secret)
    return secret


def describe(reference: SecretReference, *, with_key: bool = True) -> str:
    """Where the secret lives, fit to print: a reference names places, never a secret."""
    p = reference.params
    if reference.engine == "s3":
        where = f"S3 object s3://{p['b']}/{p['f']} ({p['r']})"
    elif reference.engine == "secrets-manager":
        where = f"Secrets Manager secret {p['s']!r} ({p['r']})"
    else:
        where = f"the {reference.engine} reference"
    return where + (f", key {p['k']!r}" if with_key and "k" in p else "")


# -- engines --------------------------------------------------------------------------------------


def _s3(reference: SecretReference, timeout: float) -> bytes:
    p = reference.params
    identity = _identity("s3", p["r"])
    where = (identity, p["b"], p["f"])
    if "k" not in p:
        return _memo.get(("s3", *where), lambda: _get_object(reference, identity, timeout))
    document = _memo.get(("s3-yaml", *where), lambda: _yaml(reference, _memo.get(
        ("s3", *where), lambda: _get_object(reference, identity, timeout))))
    return _walk(reference, document, p["k"])


def _get_object(reference: SecretReference, identity: Any, timeout: float) -> bytes:
    from halcfg.credentials.ecr import aws_client

    p = reference.params
    with _aws_errors(reference, "s3:GetObject"):
        answer = aws_client("s3", identity, timeout).get_object(Bucket=p["b"], Key=p["f"])
        body = answer["Body"]
        try:
            if answer.get("ContentLength", 0) > OBJECT_MAX:
                raise _too_large(reference, OBJECT_MAX)
            data = bytearray()
            while len(data) <= OBJECT_MAX and (chunk := body.read(_READ_CHUNK)):
                data += chunk
        finally:
            body.close()
    if len(data) > OBJECT_MAX:
        raise _too_large(reference, OBJECT_MAX)
    return bytes(data)


def _yaml(reference: SecretReference, data: bytes) -> Any:
    """The document as SnakeYAML's `new Yaml().load` reads it: YAML 1.1 types (`yes` is a boolean)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 1)
    try:
        return yaml.load(data)
    except (YAMLError, ValueError):  # the parser's text may quote the document: not repeated
        raise CredentialError(
            "secret-reference-failed", f"{describe(reference)}: the object is not YAML or JSON",
            "With k, the object must be a YAML or JSON document; without k it is the password itself.",
        ) from None


def _walk(reference: SecretReference, document: Any, path: str) -> bytes:
    """kork's getParsedValue: each `.`-part looks up a mapping key; a list is indexed by that same
    part (as kork does); the first non-mapping reached is the value, and it must be a string."""
    node = document
    for part in path.split("."):
        if not isinstance(node, dict):
            raise _key_missing(reference, "the document is not a mapping there")
        value = node.get(part)
        if isinstance(value, dict):
            node = value
        elif isinstance(value, list):
            try:
                node = value[int(part)]
            except (ValueError, IndexError):
                raise _key_missing(reference, f"{part!r} is a list, which kork indexes by the key itself") from None
        elif value is None:
            raise _key_missing(reference, f"there is no {part!r}")
        elif isinstance(value, str):
            return value.encode("utf-8")
        else:
            kind = type(value).__name__
            raise _key_missing(reference, f"{part!r} is not a string (YAML reads it as {kind}): quote it")
    raise _key_missing(reference, "it names a mapping, not a value")


def _secrets_manager(reference: SecretReference, timeout: float) -> bytes:
    p = reference.params
    identity = _identity("secretsmanager", p["r"])
    string, binary = _memo.get(("sm", identity, p["s"]), lambda: _get_secret_value(reference, identity, timeout))
    if reference.is_file:
        return binary if binary is not None else (string or "").encode("utf-8")
    if string is None:
        raise CredentialError(
            "secret-reference-failed", f"{describe(reference)} is a binary secret; kork reads only "
            "SecretString for encrypted:", "Store the password as a secret string, or use encryptedFile:.",
        )
    if "k" not in p:
        return string.encode("utf-8")
    values = _memo.get(("sm-json", identity, p["s"]), lambda: _string_map(reference, string))
    if p["k"] not in values:
        raise _key_missing(reference, "its JSON object has no such key")
    return values[p["k"]].encode("utf-8")


def _get_secret_value(reference: SecretReference, identity: Any, timeout: float) -> tuple[str | None, bytes | None]:
    from halcfg.credentials.ecr import aws_client

    with _aws_errors(reference, "secretsmanager:GetSecretValue"):
        answer = aws_client("secretsmanager", identity, timeout).get_secret_value(SecretId=reference.params["s"])
    string, binary = answer.get("SecretString"), answer.get("SecretBinary")
    size = len(binary) if isinstance(binary, bytes) else len((string or "").encode("utf-8"))
    if size > SECRET_MAX:
        raise _too_large(reference, SECRET_MAX)
    return (string if isinstance(string, str) else None), (binary if isinstance(binary, bytes) else None)


def _string_map(reference: SecretReference, string: str) -> dict[str, str]:
    """Jackson's readerForMapOf(String.class): a JSON object whose values are scalars, read as
    their text (numbers as written, true/false); a nested object or list fails the whole secret."""
    try:
        data = json.loads(string, parse_int=str, parse_float=str, parse_constant=str)
    except ValueError:
        data = None
    if not isinstance(data, dict) or any(isinstance(v, dict | list) for v in data.values()):
        raise CredentialError(
            "secret-reference-failed", f"{describe(reference)}: the secret is not a JSON object of strings",
            "With k, the secret string must be a flat JSON object; without k it is the password itself.",
        )
    return {k: ("true" if v is True else "false" if v is False else v) for k, v in data.items() if v is not None}


def _noop(reference: SecretReference, timeout: float) -> bytes:
    value = reference.params.get("v")
    if value is None:
        raise _key_missing(reference, "the noop engine's value parameter v is missing")
    return value.encode("utf-8")


_ENGINES: dict[str, Callable[[SecretReference, float], bytes]] = {
    "s3": _s3, "secrets-manager": _secrets_manager, "noop": _noop,
}


# -- AWS ------------------------------------------------------------------------------------------


def _identity(service: str, region: str) -> Any:
    from halcfg.credentials.ecr import Identity

    endpoint = next((os.environ[name] for name in ENDPOINT_ENV[service] if os.environ.get(name)), None)
    return Identity(region, None, endpoint, None, None)


@contextmanager
def _aws_errors(reference: SecretReference, action: str) -> Iterator[None]:
    """boto3's failures as one CredentialError each, redacted, in kork's terms (S3SecretEngine's
    403/404 split)."""
    import botocore.exceptions as boto

    where = describe(reference, with_key=False)
    try:
        yield
    except boto.ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("NoSuchBucket", "NoSuchKey", "ResourceNotFoundException") or status == 404:
            what = "bucket does not exist" if code == "NoSuchBucket" else "does not exist"
            raise CredentialError(
                "secret-reference-not-found", f"{where}: {what} ({code or status})",
                "Check the reference's bucket, file or secret name, and its region r.",
            ) from None
        if code in ("AccessDenied", "AccessDeniedException", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                    "UnrecognizedClientException", "ExpiredToken") or status == 403:
            raise CredentialError(
                "secret-reference-denied", f"{where}: AWS refused {action} ({code or status})",
                f"Give the AWS identity running halcfg {action} on it (and kms:Decrypt for its key), "
                "or pick the identity with AWS_PROFILE.",
            ) from None
        raise _failed(where, action, error) from None
    except boto.NoCredentialsError:
        raise CredentialError(
            "secret-reference-denied", f"{where}: no AWS credentials found",
            "Configure AWS credentials for the default chain (AWS_PROFILE, environment, instance role).",
        ) from None
    except boto.BotoCoreError as error:
        raise _failed(where, action, error) from None


def _failed(where: str, action: str, error: Exception) -> CredentialError:
    return CredentialError(
        "secret-reference-failed", redact(f"{where}: {action} failed: {error}", []),
        "Check the network path to AWS (proxy, VPC endpoint) or AWS_ENDPOINT_URL, and the reference.",
    )


def _too_large(reference: SecretReference, limit: int) -> CredentialError:
    return CredentialError(
        "secret-reference-too-large", f"{describe(reference, with_key=False)} is larger than {limit // 1024} KiB",
        "Point the reference at a small secrets document or the password itself.",
    )


def _key_missing(reference: SecretReference, why: str) -> CredentialError:
    return CredentialError(
        "secret-reference-key-missing", f"{describe(reference)} not found: {why}",
        "Fix k (a dotted path into the document, e.g. k:dockerhub.password), or add the key.",
    )


_memo: Memo[Any] = Memo(TTL)  # the raw answers and parsed documents, by what identifies them
