"""`halcfg serve drone-test`: the runner's request to a registry extension, and its answer, masked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from halcfg.errors import UsageError
from halcfg.findings import EXIT_FINDINGS

if TYPE_CHECKING:
    from halcfg.match.reference import Reference
    from halcfg.serve.drone.client import Registry

ENDPOINT_ENV = "DRONE_REGISTRY_PLUGIN_ENDPOINT"  # drone-runner-docker command/daemon/config.go
TOKEN_ENVS = ("DRONE_REGISTRY_PLUGIN_TOKEN", "DRONE_SECRET")  # the runner's name, then the extension's
MASK = "********"  # every password and token, whatever its length
SECRET_FILE_LIMIT = 4096
ENCODINGS = ("identity", "aesgcm")


def run(endpoint: str | None, secret_file: Path | None, repo: str, event: str, images: list[str],
        encoding: str, skip_verify: bool, timeout: float) -> int:
    from halcfg.redact import redact
    from halcfg.serve.drone.client import ask, request_body

    endpoint = endpoint or os.environ.get(ENDPOINT_ENV)
    if not endpoint:
        raise UsageError(f"no endpoint: give --endpoint or set {ENDPOINT_ENV}")
    if encoding not in ENCODINGS:
        raise UsageError(f"--encoding {encoding!r}: expected one of {', '.join(ENCODINGS)}")
    if "/" not in repo.strip("/"):
        raise UsageError(f"--repo {repo!r}: expected owner/name")
    references = _references(images)
    secret = _secret(secret_file)
    try:
        outcome = ask(endpoint, secret, request_body(repo, event), encoding=encoding, skip_verify=skip_verify,
                      timeout=timeout)
    except ValueError as error:
        raise UsageError(str(error)) from None
    typer.echo(f"POST {endpoint} signed as Drone's runner: repo {repo}, event {event}, Accept-Encoding {encoding}")
    if outcome.error is not None:
        known = [secret, *(r.password for r in outcome.registries)]
        typer.echo(f"halcfg: error: the runner would get no credentials: {redact(outcome.error, known)}", err=True)
        return EXIT_FINDINGS
    if not outcome.registries:
        typer.echo(f"{outcome.status}: no credentials for this repository and event"
                   f"{' (204 No Content)' if outcome.status == 204 else ' (an empty list)'}")
    else:
        typer.echo(f"{outcome.status}: {len(outcome.registries)} credential(s)"
                   f"{', aesgcm-encrypted' if outcome.encoding == 'aesgcm' else ''}")
        for registry in outcome.registries:
            password = MASK if registry.password else "(empty)"
            extra = f"  email {registry.email}" if registry.email else ""
            typer.echo(f"  {registry.address or '(no address)'}  username {registry.username or '(empty)'}"
                       f"  password {password}{extra}{'  token ' + MASK if registry.token else ''}")
    for text, reference in references:
        typer.echo(f"image {text}: {_pick(reference, outcome.registries)}")
    return 0


def _secret(secret_file: Path | None) -> str:
    if secret_file is not None:
        from halcfg.files import regular

        try:
            raw = regular.read_with_stat(secret_file, SECRET_FILE_LIMIT)[0]
        except OSError as error:
            raise UsageError(f"{secret_file}: {error.strerror or 'cannot read'}") from None
        value = raw.decode("utf-8", "replace").strip()
        if not value:
            raise UsageError(f"{secret_file}: the secret file is empty")
        return value
    value = next((os.environ[name] for name in TOKEN_ENVS if os.environ.get(name)), "")
    if not value:
        raise UsageError(f"no shared secret: give --secret-file or set {' or '.join(TOKEN_ENVS)}")
    return value


def _references(images: list[str]) -> list[tuple[str, Reference]]:
    from halcfg.match.reference import ReferenceError, parse_reference

    out: list[tuple[str, Reference]] = []
    for text in images:
        try:
            out.append((text, parse_reference(text)))
        except ReferenceError as error:
            raise UsageError(f"--image {text!r}: {error}") from None
    return out


def _pick(reference: Reference, registries: list[Registry]) -> str:
    """The runner's choice (match/drone.py: the first credential whose host equals the image's)."""
    from halcfg.match.drone import matches

    for registry in registries:
        if matches(reference, registry.address):
            return f"pulled with {registry.address}'s credential (username {registry.username or '(empty)'})"
    return "no credential matches its registry: the runner pulls it anonymously"
