"""One canary secret through every command: it works where it is used (a real registry accepts
it) and never appears in anything halcfg prints, in any format, on success or failure."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.registry import Registry, start_registry

CANARY = "CANARY-9c1e-s3cr3t"
USER = "canary-user"


@pytest.fixture(scope="module")
def canary_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with start_registry(tmp_path_factory.mktemp("canary-registry"), htpasswd={USER: CANARY}) as registry:
        yield registry


def test_canary_never_printed_by_any_command(tmp_path: Path, canary_registry: Registry) -> None:
    path = tmp_path / "halcfg.yaml"
    env = {"CANARY_ENV": CANARY, "HALCFG_CONFIG": str(path)}
    address = canary_registry.address
    outputs: list[tuple[tuple[str, ...], subprocess.CompletedProcess[str]]] = []

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        result = run_cli(*args, input=stdin, env=env)
        outputs.append((args, result))
        assert "Traceback" not in result.stderr, (args, result.stderr)
        return result

    assert run("init").returncode == 0
    assert run("provider", "docker-registry", "enable").returncode == 0
    # The probe during add proves the canary is really used: the registry accepts only it.
    added = run("account", "add", "piped", "--address", address, "--plain-http", "--username", USER,
                "--password-stdin", stdin=CANARY + "\n")  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    refused = run("account", "add", "wrong", "--address", address, "--plain-http", "--username", USER,
                  "--password-stdin", stdin=f" {CANARY}-x \n")  # fmt: skip
    assert refused.returncode == 1 and "[auth-refused]" in refused.stdout
    assert run("account", "add", "env", "--address", address, "--plain-http", "--username", USER,
               "--password-env", "CANARY_ENV").returncode == 0  # fmt: skip
    assert run("account", "add", "inline", "--address", address, "--plain-http", "--username", USER,
               "--password", CANARY, "--inline-password").returncode == 0  # fmt: skip
    # A helper that prints the secret, then fails loudly repeating it on stderr.
    (tmp_path / "vault.txt").write_text(CANARY)
    failing = 'printf %s "$(cat vault.txt)"; echo "vault: token $(cat vault.txt) expired" >&2; exit 3'
    assert run("account", "add", "cmd", "--address", address, "--plain-http", "--username", USER,
               "--password-command", failing, "--no-validate").returncode == 0  # fmt: skip
    assert run("account", "edit", "inline", "--email", "ops@example.com").returncode == 0
    # A typo turns `password` into a key the schema does not know; its value is still a secret.
    typo = tmp_path / "typo.yaml"
    typo.write_text(f"version: 1\nproviders:\n  dockerRegistry:\n    accounts:\n      - name: typo\n"
                    f"        address: quay.io\n        passwrd: {CANARY}\n        ecr: {{secretAccesKey: {CANARY}}}\n")
    for fmt in ("text", "json", "yaml"):
        assert run("account", "get", "typo", "-c", str(typo), "--format", fmt).returncode == 0
        assert run("account", "list", "-c", str(typo), "--format", fmt).returncode == 0
    assert run("validate", str(typo)).returncode == 1

    for fmt in ("text", "json", "yaml"):
        assert run("account", "get", "inline", "--format", fmt).returncode == 0
        assert run("account", "list", "--format", fmt).returncode == 0
    assert run("validate").returncode == 0
    assert run("validate", "--format", "json").returncode == 0
    assert run("validate", "--strict").returncode == 1  # the inline password is an error under --strict
    probe = run("probe")
    assert probe.returncode == 1 and "[password-command-failed]" in probe.stdout and "vault: token" in probe.stdout
    assert "piped: reachable, auth basic" in probe.stdout and "env: reachable, auth basic" in probe.stdout
    assert run("probe", "--format", "json").returncode == 1
    assert run("probe", "nope").returncode == 2
    assert run("account", "delete", "inline").returncode == 0
    assert run("schema").returncode == 0

    leaks = [args for args, result in outputs if CANARY in result.stdout + result.stderr]
    assert leaks == []
    stored = tmp_path / "secrets" / "piped.password"
    assert stored.read_text() == CANARY and stored.stat().st_mode & 0o777 == 0o600
    assert CANARY not in path.read_text()  # the only inline copy went with `delete inline`
    assert not (tmp_path / "secrets" / "wrong.password").exists()  # a refused add leaves nothing behind
    assert os.stat(tmp_path / "secrets").st_mode & 0o777 == 0o700


def test_canary_resolved_from_kork_references_never_printed(
    tmp_path: Path, canary_registry: Registry, moto_aws: str
) -> None:
    """The canary lives in S3 YAML and Secrets Manager; halcfg resolves it (the registry accepts
    only it), and no command prints it, whatever fails around it."""
    import base64
    import json

    from tests.support.credential_helper import write_accounts
    from tests.support.moto_aws import aws_env, put_s3_object, put_secret

    put_s3_object(moto_aws, "canary-secrets", "secrets.yml", f"reg: {{password: {CANARY}}}\n".encode())
    put_secret(moto_aws, "canary/json", json.dumps({"password": CANARY, "other": f"{CANARY}-other"}))
    base = {"address": canary_registry.address, "plainHttp": True, "username": USER}
    path = write_accounts(
        tmp_path / "halcfg.yaml",
        {"name": "s3", **base, "password": "encrypted:s3!r:us-east-1!b:canary-secrets!f:secrets.yml!k:reg.password"},
        {"name": "sm", **base, "password": "encrypted:secrets-manager!r:us-east-1!s:canary/json!k:password"},
        {"name": "wrong", **base, "password": "encrypted:secrets-manager!r:us-east-1!s:canary/json!k:other"},
        {"name": "missing", **base, "password": "encrypted:s3!r:us-east-1!b:canary-secrets!f:secrets.yml!k:reg.pw"},
    )
    env = aws_env(moto_aws)
    outputs = []
    for args in (("validate", str(path)), ("probe", "-c", str(path)), ("probe", "-c", str(path), "--format", "json"),
                 ("probe", "-c", str(path), "--format", "yaml"), ("render", "-c", str(path), "--target", "all"),
                 ("render", "-c", str(path), "--target", "spinnaker,spinnaker-operator", "--out", "-"),
                 ("account", "get", "sm", "-c", str(path), "--format", "json")):
        result = run_cli(*args, env=env)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        outputs.append((args, result))
    probed = outputs[1][1]
    assert "s3: reachable, auth basic" in probed.stdout and "sm: reachable, auth basic" in probed.stdout
    assert "[auth-refused] account 'wrong'" in probed.stdout and "[secret-reference-key-missing]" in probed.stdout
    forms = {CANARY, base64.b64encode(CANARY.encode()).decode(), base64.b64encode(f"{USER}:{CANARY}".encode()).decode()}
    leaks = [args for args, result in outputs for form in forms if form in result.stdout + result.stderr]
    assert leaks == []
