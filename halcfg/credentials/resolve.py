"""Resolve an account's (username, password) at the moment it is used, from whichever source
the account names: inline, a file, a command, an environment variable, or ECR.

Shared by the probe, render and the Drone extension. Failures are CredentialError with a
message already redacted and a remediation, so callers turn them into findings as they are.
Files are read as they are (a trailing newline stays, as clouddriver reads them);
passwordCommand output is trimmed.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from halcfg.config.model import Account, Ecr, resolve_path
from halcfg.credentials.redact import redact
from halcfg.registry.address import AddressError, ecr_parts

ECR_USERNAME = "AWS"
ECR_REFRESH_MARGIN = 300.0  # seconds before expiresAt at which a cached ECR token is renewed
_STDERR_LINES = 5


@dataclass(frozen=True)
class Credential:
    username: str | None
    password: str | None = field(repr=False)  # None: anonymous
    source: str = "none"  # the file key it came from: password, passwordFile, ..., ecr; or none
    expires_at: datetime | None = None  # ECR tokens only


class CredentialError(Exception):
    """The account's password source failed; `code` names the finding, text is redacted."""

    def __init__(self, code: str, message: str, remediation: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.remediation = remediation


def resolve(account: Account, base_dir: Path, *, timeout: float = 30.0) -> Credential:
    """The credential for `account`; relative paths and passwordCommand use `base_dir` (the
    accounts file's folder). `timeout` bounds passwordCommand and the ECR call."""
    if account.ecr is not None:
        return _ecr(account, base_dir, timeout)
    if account.password is not None:
        return Credential(account.username, account.password, "password")
    if account.password_file:
        return Credential(account.username, _read_password_file(account.password_file, base_dir), "passwordFile")
    if account.password_command:
        return Credential(account.username, _run_password_command(account, base_dir, timeout), "passwordCommand")
    if account.password_env:
        return Credential(account.username, _read_env(account.password_env), "passwordEnv")
    return Credential(account.username, None, "none")


def _read_password_file(name: str, base_dir: Path) -> str:
    path = resolve_path(name, base_dir)
    try:
        text = path.read_bytes().decode("utf-8")  # bytes as they are: no newline translation
    except FileNotFoundError:
        raise CredentialError(
            "password-file-missing", f"passwordFile {name} does not exist ({path})",
            "Create the file or fix the path; relative paths start at the accounts file's folder.",
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise CredentialError(
            "password-file-unreadable", f"passwordFile {name} cannot be read: {reason}",
            "Make the file readable by the user running halcfg (and keep it 0600).",
        ) from None
    if not text:
        raise CredentialError("password-file-empty", f"passwordFile {name} is empty", "Write the password into it.")
    return text


def _read_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise CredentialError(
            "password-env-unset", f"environment variable {name} (passwordEnv) is not set or empty",
            f"Export {name} in the environment that runs halcfg.",
        )
    return value


def _run_password_command(account: Account, base_dir: Path, timeout: float) -> str:
    """Run passwordCommand with `sh -c` in the accounts file's folder; its whole process group
    is killed on timeout so a hung helper cannot outlive the probe."""
    command = account.password_command or ""
    try:
        process = subprocess.Popen(
            ["sh", "-c", command], cwd=base_dir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True,
        )
    except OSError as error:
        raise CredentialError(
            "password-command-failed", f"passwordCommand cannot start: {error.strerror}",
            "Check that sh exists and the accounts file's folder is accessible.",
        ) from None
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise CredentialError(
            "password-command-failed", f"passwordCommand did not finish within {timeout:g} s",
            "Make the command non-interactive (no prompts) and fast, or resolve the secret beforehand.",
        ) from None
    password = out.decode("utf-8", "replace").strip()
    stderr = _tail(redact(err.decode("utf-8", "replace"), [password, account.password]))
    if process.returncode != 0:
        raise CredentialError(
            "password-command-failed",
            f"passwordCommand exited with status {process.returncode}" + (f": {stderr}" if stderr else ""),
            "Run the command by hand from the accounts file's folder and fix what it reports.",
        )
    if not password:
        raise CredentialError(
            "password-command-failed",
            "passwordCommand printed nothing on stdout" + (f" (stderr: {stderr})" if stderr else ""),
            "The command must print the password on stdout.",
        )
    return password


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-_STDERR_LINES:])


# ECR tokens last 12 hours: one GetAuthorizationToken per (registry, identity) per process.
_ecr_cache: dict[tuple[str | None, ...], Credential] = {}
_ecr_lock = threading.Lock()


def _ecr(account: Account, base_dir: Path, timeout: float) -> Credential:
    ecr = account.ecr or Ecr()
    try:
        parts = ecr_parts(account.parsed_address.host)
    except AddressError:
        parts = None
    region = ecr.region or (parts[1] if parts else None)
    registry_id = ecr.registry_id or (parts[0] if parts else None)
    secret = _secret_access_key(ecr, base_dir)
    endpoint = ecr.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_ECR") or os.environ.get("AWS_ENDPOINT_URL")
    key = (region, registry_id, ecr.profile, endpoint, ecr.access_key_id)
    with _ecr_lock:
        cached = _ecr_cache.get(key)
    if cached is not None and cached.expires_at and cached.expires_at.timestamp() - ECR_REFRESH_MARGIN > time.time():
        return cached
    credential = _fetch_ecr_token(ecr, region, registry_id, endpoint, secret, timeout)
    if credential.expires_at and credential.expires_at.timestamp() - ECR_REFRESH_MARGIN > time.time():
        with _ecr_lock:
            _ecr_cache[key] = credential
    return credential


def _secret_access_key(ecr: Ecr, base_dir: Path) -> str | None:
    if ecr.access_key_id is None:
        return None
    if ecr.secret_access_key_file:
        return _read_password_file(ecr.secret_access_key_file, base_dir).strip()
    if ecr.secret_access_key_env:
        return _read_env(ecr.secret_access_key_env)
    raise CredentialError(
        "ecr-token-failed", "ecr.accessKeyId is set without a secret access key",
        "Add ecr.secretAccessKeyFile or ecr.secretAccessKeyEnv, or drop accessKeyId to use the default chain.",
    )


def _fetch_ecr_token(
    ecr: Ecr, region: str | None, registry_id: str | None, endpoint: str | None, secret: str | None, timeout: float
) -> Credential:
    import boto3
    import botocore.config
    import botocore.exceptions

    try:
        session = boto3.Session(profile_name=ecr.profile, region_name=region)
        client = session.client(
            "ecr",
            endpoint_url=endpoint,
            aws_access_key_id=ecr.access_key_id,
            aws_secret_access_key=secret,
            config=botocore.config.Config(
                connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 2}
            ),
        )
        kwargs = {"registryIds": [registry_id]} if registry_id else {}
        data = client.get_authorization_token(**kwargs)["authorizationData"][0]
        username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    except botocore.exceptions.NoRegionError:
        raise CredentialError(
            "ecr-token-failed", "ECR needs a region and none is known",
            "Set ecr.region (or use an address like <id>.dkr.ecr.<region>.amazonaws.com).",
        ) from None
    except botocore.exceptions.ProfileNotFound as error:
        raise CredentialError("ecr-token-failed", f"ECR: {error}", "Fix ecr.profile or ~/.aws/config.") from None
    except botocore.exceptions.NoCredentialsError:
        raise CredentialError(
            "ecr-token-failed", "ECR GetAuthorizationToken: no AWS credentials found",
            "Configure AWS credentials (ecr.profile, ecr.accessKeyId, or the default chain).",
        ) from None
    except botocore.exceptions.EndpointConnectionError as error:
        raise CredentialError(
            "ecr-token-failed", f"cannot reach the ECR API: {error}",
            "Check the network path to AWS (proxy, VPC endpoint), or ecr.endpointUrl / AWS_ENDPOINT_URL.",
        ) from None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        raise CredentialError(
            "ecr-token-failed", redact(f"ECR GetAuthorizationToken failed: {error}", [secret]),
            "Check the AWS identity has ecr:GetAuthorizationToken, and ecr.region / ecr.registryId.",
        ) from None
    except (KeyError, IndexError, ValueError):
        raise CredentialError(
            "ecr-token-failed", "ECR GetAuthorizationToken answered without a usable token",
            "Check ecr.endpointUrl points at the ECR API.",
        ) from None
    expires = data.get("expiresAt")
    return Credential(username or ECR_USERNAME, password, "ecr", expires if isinstance(expires, datetime) else None)
