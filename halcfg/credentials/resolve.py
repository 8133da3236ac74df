"""Resolve an account's (username, password) at the moment it is used, from whichever source
the account names: inline, a file, a command, an environment variable, or ECR.

Shared by the probe, render and the Drone extension. Failures are CredentialError with a
message already redacted and a remediation, so callers turn them into findings as they are.
Files are read as they are (a trailing newline stays, as clouddriver reads them);
passwordCommand output is trimmed.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from halcfg.config.model import Account, resolve_path
from halcfg.credentials.redact import redact

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
        return Credential(account.username, read_password_file(account.password_file, base_dir), "passwordFile")
    if account.password_command:
        return Credential(account.username, _run_password_command(account, base_dir, timeout), "passwordCommand")
    if account.password_env:
        return Credential(account.username, read_env(account.password_env), "passwordEnv")
    return Credential(account.username, None, "none")


def read_password_file(name: str, base_dir: Path) -> str:
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


def read_env(name: str) -> str:
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


def _ecr(account: Account, base_dir: Path, timeout: float) -> Credential:
    from halcfg.credentials.ecr import cached_token  # boto3 only when an account uses ECR

    token = cached_token(account, base_dir, timeout)
    return Credential(token.username, token.password, "ecr", token.expires_at)
