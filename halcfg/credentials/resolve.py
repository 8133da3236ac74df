"""Resolve an account's (username, password) at the moment it is used, from whichever source
the account names: inline, a file, a command, an environment variable, ECR, or a kork secret
reference (`encrypted:s3!…`, credentials/kork.py).

Shared by the probe, render and the Drone extension. Failures are CredentialError with a
message already redacted and a remediation, so callers turn them into findings as they are.
Files are read as they are (a trailing newline stays, as clouddriver reads them), if they are
regular files of at most SECRET_FILE_MAX bytes; passwordCommand output is trimmed, capped,
and the command's whole process group is gone when it returns.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from halcfg.config.model import EMPTY_FILE_FIX, MISSING_FILE_FIX, Account, resolve_path
from halcfg.config.references import is_secret_reference
from halcfg.files import SECRET_FILE_MAX
from halcfg.findings import Severity
from halcfg.redact import credential_secrets, redact

_STDERR_LINES = 5
COMMAND_OUTPUT_MAX = 64 * 1024  # per stream: a passwordCommand that prints more is not printing a password
_EXIT_GRACE = 1.0  # seconds to drain pipes once the command exited and its group was killed


@dataclass(frozen=True)
class Credential:
    username: str | None
    password: str | None = field(repr=False)  # None: anonymous
    source: str = "none"  # the file key it came from: password, passwordFile, ..., ecr; or none
    expires_at: datetime | None = None  # ECR tokens only
    # The username was read from a secret store (a kork reference): not a secret in halcfg's model
    # (get/list show the reference), but its value is masked like one wherever it is printed.
    secret_username: bool = False


# How a kork reference is resolved: (value, key it is held in, timeout) -> the secret. The default
# is credentials.kork's; the helpers' cross-process cache passes its own (credentials.cache).
KorkResolver = Callable[[str, str, float], str]


class CredentialError(Exception):
    """The account's password source failed; `code` names the finding, text is redacted."""

    def __init__(self, code: str, message: str, remediation: str = "", severity: Severity = Severity.ERROR) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.remediation = remediation
        self.severity = severity


def resolve(
    account: Account, base_dir: Path, *, timeout: float = 30.0, kork: KorkResolver | None = None,
    username: bool = True,
) -> Credential:
    """The credential for `account`; relative paths and passwordCommand use `base_dir` (the
    accounts file's folder). `timeout` bounds passwordCommand and the ECR call. A kork reference
    in password, passwordFile or username is resolved by `kork` (default: credentials.kork's);
    `username` False leaves a username reference as written (a Spinnaker target keeps it)."""
    if account.ecr is not None:
        return _ecr(account, base_dir, timeout)  # the token's username (AWS); validate warns of one set
    reference, named = kork_reference(account), username_reference(account) if username else None
    if kork is None and (reference is not None or named is not None):
        from halcfg.credentials.kork import resolve_reference  # boto3 only when an account uses one

        kork = resolve_reference
    if reference is not None:
        assert kork is not None
        key, value = reference
        password, source = kork(value, key, timeout), key
    elif account.password is not None:
        password, source = account.password, "password"
    elif account.password_file:
        password, source = read_password_file(account.password_file, base_dir), "passwordFile"
    elif account.password_command:
        password, source = _run_password_command(account, base_dir, timeout), "passwordCommand"
    elif account.password_env:
        password, source = read_env(account.password_env), "passwordEnv"
    else:
        password, source = None, "none"
    if named is None:
        return Credential(account.username, password, source)
    if password is None:  # anonymous: the name is never sent, so it is not fetched (nor handed out as written)
        return Credential(None, None, source)
    assert kork is not None
    return Credential(kork(named, "username", timeout), password, source, secret_username=True)


def kork_reference(account: Account) -> tuple[str, str] | None:
    """(key, reference) when the account's password or passwordFile is a kork secret reference."""
    for key, value in (("password", account.password), ("passwordFile", account.password_file)):
        if value is not None and is_secret_reference(value):
            return key, value
    return None


def username_reference(account: Account) -> str | None:
    """The account's username when it is a kork secret reference, which Spinnaker resolves in any
    property (config/references.py); ECR accounts log in as AWS whatever their username says."""
    if account.ecr is None and account.username is not None and is_secret_reference(account.username):
        return account.username
    return None


def read_password_file(name: str, base_dir: Path) -> str:
    from halcfg.files import regular

    path = resolve_path(name, base_dir)
    try:
        text = regular.read(path, SECRET_FILE_MAX).decode("utf-8")  # as they are: no newline translation
    except FileNotFoundError:
        message = f"passwordFile {name!r} does not exist ({path})"
        raise CredentialError("file-missing", message, MISSING_FILE_FIX) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise CredentialError(
            "file-unreadable", f"passwordFile {name!r} cannot be read: {reason}",
            "Make the file readable by the user running halcfg (and keep it 0600).",
        ) from None
    if not text:
        raise CredentialError("file-empty", f"passwordFile {name!r} is empty", EMPTY_FILE_FIX)
    return text


def read_env(name: str, field: str = "passwordEnv") -> str:
    """The value of `name`, which the account names in `field`; an error when unset or empty."""
    value = os.environ.get(name)
    if not value:
        raise CredentialError(
            "password-env-unset", f"environment variable {name} ({field}) is not set or empty",
            f"Export {name} in the environment that runs halcfg.",
        )
    return value


def _run_password_command(account: Account, base_dir: Path, timeout: float) -> str:
    """Run passwordCommand with `sh -c` in the accounts file's folder, in a process group of its
    own: `timeout` bounds the whole run (a background child holding the pipes open included),
    each output stream is capped, and every process left in the group is killed when it ends."""
    command = account.password_command or ""
    try:
        process = subprocess.Popen(
            ["sh", "-c", command], cwd=base_dir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True,
        )
    except (OSError, ValueError) as error:  # ValueError: a NUL character in the command
        raise CredentialError(
            "password-command-failed", f"passwordCommand cannot start: {getattr(error, 'strerror', None) or error}",
            "Check that sh exists and the accounts file's folder is accessible.",
        ) from None
    _running.add(process)
    try:
        out, err, finished = _collect(process, timeout)
    finally:
        _kill_group(process)
        _running.discard(process)
    if len(out) > COMMAND_OUTPUT_MAX:
        raise CredentialError(
            "password-command-failed", f"passwordCommand printed more than {COMMAND_OUTPUT_MAX // 1024} KiB on stdout",
            "The command must print only the password on stdout.",
        )
    if not finished:
        raise CredentialError(
            "password-command-failed", f"passwordCommand did not finish within {timeout:g} s",
            "Make the command non-interactive (no prompts) and fast, or resolve the secret beforehand.",
        )
    password = out.decode("utf-8", "replace").strip()
    stderr = _tail(redact(err[:COMMAND_OUTPUT_MAX].decode("utf-8", "replace"),
                          [*credential_secrets(account.username, password), account.password]))
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


# Commands still running, so a halcfg that ends first (a probe past --timeout) kills them too.
_running: set[subprocess.Popen[bytes]] = set()


@atexit.register
def _kill_running() -> None:
    for process in list(_running):
        _signal_group(process)


def _collect(process: subprocess.Popen[bytes], timeout: float) -> tuple[bytes, bytes, bool]:
    """(stdout, stderr, whether sh exited in time), each stream read up to one byte past the cap.

    Reading stops at the deadline even when a child the command left in the background keeps
    the pipes open; once sh itself exits, its group is killed and the pipes get a short grace.
    """
    assert process.stdout is not None and process.stderr is not None
    deadline = time.monotonic() + timeout
    out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
    out, err = bytearray(), bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(out_fd, selectors.EVENT_READ, out)
        selector.register(err_fd, selectors.EVENT_READ, err)
        while selector.get_map() and len(out) <= COMMAND_OUTPUT_MAX:
            if process.poll() is not None and deadline > time.monotonic() + _EXIT_GRACE:
                _signal_group(process)  # sh is done: what it left running must not hold us
                deadline = time.monotonic() + _EXIT_GRACE
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in selector.select(min(left, 0.05)):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fd)
                elif len(key.data) <= COMMAND_OUTPUT_MAX:  # past the cap, stderr is drained and dropped
                    key.data.extend(chunk[: COMMAND_OUTPUT_MAX + 1 - len(key.data)])
    if len(out) > COMMAND_OUTPUT_MAX:
        return bytes(out), bytes(err), True  # no password is that long: no need to wait for the rest
    try:
        process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return bytes(out), bytes(err), False
    return bytes(out), bytes(err), True


def _signal_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL every process left in the command's group, reap sh, close our pipe ends."""
    _signal_group(process)
    if process.returncode is None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-_STDERR_LINES:])


def _ecr(account: Account, base_dir: Path, timeout: float) -> Credential:
    from halcfg.credentials.ecr import cached_token  # boto3 only when an account uses ECR

    token = cached_token(account, base_dir, timeout)
    return Credential(token.username, token.password, "ecr", token.expires_at)
