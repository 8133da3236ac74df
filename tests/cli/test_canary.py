"""One canary secret through every command: it works where it is used (a real registry accepts
it) and never appears in anything halcfg prints, in any format, on success or failure. Render
(every target, preview, --out DIR, --check diffs, stderr of --out -) and import --dry-run (every
source) are checked for a long and a 3-character canary, plain, JSON-escaped and base64'd, and for
any base64 left visible that decodes to part of one."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

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
    put_secret(moto_aws, "canary/json", json.dumps({"password": CANARY, "other": f"{CANARY}-other", "user": USER}))
    base = {"address": canary_registry.address, "plainHttp": True, "username": USER}
    path = write_accounts(
        tmp_path / "halcfg.yaml",
        {"name": "s3", **base, "password": "encrypted:s3!r:us-east-1!b:canary-secrets!f:secrets.yml!k:reg.password"},
        {"name": "sm", **base, "password": "encrypted:secrets-manager!r:us-east-1!s:canary/json!k:password"},
        {"name": "sm-user", **base, "username": "encrypted:secrets-manager!r:us-east-1!s:canary/json!k:user",
         "password": "encrypted:secrets-manager!r:us-east-1!s:canary/json!k:password"},  # the name from the store too
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
    assert "sm-user: reachable, auth basic" in probed.stdout
    assert "[auth-refused] account 'wrong'" in probed.stdout and "[secret-reference-key-missing]" in probed.stdout
    forms = {CANARY, base64.b64encode(CANARY.encode()).decode(), base64.b64encode(f"{USER}:{CANARY}".encode()).decode()}
    leaks = [args for args, result in outputs for form in forms if form in result.stdout + result.stderr]
    assert leaks == []


# ---- render and import: every target, every source, a long and a 3-character canary ------------

SHORT = "Zq&"  # three characters, one that Go's JSON escapes (\u0026)
TARGETS = ("spinnaker", "halconfig", "spinnaker-operator", "drone", "kubernetes", "docker-config", "kubelet")
_RUN = re.compile(r"[A-Za-z0-9+/_-]{2,}=*")


def encodings(secret: str, user: str) -> set[str]:
    """The secret as is, JSON-escaped (Python's and Go's), percent-encoded, and base64 (standard and
    URL-safe, padded or not) of it and of user:secret."""
    escaped = json.dumps(secret)[1:-1]
    forms = {secret, escaped, escaped.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"),
             quote(secret, safe="")}
    for raw in (secret, f"{user}:{secret}"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(raw.encode()).decode()
            forms |= {text, text.rstrip("=")}
    return forms


def decoded_runs(text: str, depth: int = 2) -> list[bytes]:
    """Every base64 run of `text` decoded from each alignment (and again inside what it decodes to):
    what is left visible of a masked base64 value must not decode to any part of the secret."""
    found: list[bytes] = []
    for run in _RUN.findall(text):
        run = run.rstrip("=").replace("-", "+").replace("_", "/")
        for offset in range(4):
            part = run[offset:]
            part = part[: len(part) - (len(part) % 4 == 1)]
            if len(part) >= 2:
                data = base64.b64decode(part + "=" * (-len(part) % 4))
                found.append(data)
                if depth > 1:
                    found += decoded_runs(data.decode("latin-1"), depth - 1)
    return found


def assert_hidden(text: str, secret: str, user: str, what: object) -> None:
    for form in encodings(secret, user):
        assert form not in text, (what, secret, form, text[:2000])
    needles = [form.encode() for form in (secret, json.dumps(secret)[1:-1], secret.replace("&", "\\u0026"))]
    for data in decoded_runs(text):
        assert not any(needle in data for needle in needles), (what, secret, data)


def test_canary_never_shown_by_render_or_import(tmp_path: Path) -> None:
    (tmp_path / "long.pw").write_text(CANARY)
    (tmp_path / "short.pw").write_text(SHORT)
    accounts = tmp_path / "halcfg.yaml"
    accounts.write_text(
        "version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n    accounts:\n"
        f"      - name: long\n        address: docker.io\n        username: {USER}\n"
        "        repositories: [a/b]\n        passwordFile: long.pw\n"
        f"      - name: tiny\n        address: quay.io\n        username: {USER}\n        passwordFile: short.pw\n")
    templates = tmp_path / "templates" / "custom"
    templates.mkdir(parents=True)
    (templates / "manifest.yaml").write_text("credentials: true\nfiles:\n  - name: creds.env\n    template: t.j2\n")
    (templates / "t.j2").write_text("{% for a in accounts %}{{ a.name }}={{ a.credential.password }} "
                                    "{{ a.credential.username | docker_auth(a.credential.password) }} "
                                    "{{ a.credential.password | to_json | b64encode }}\n{% endfor %}")
    outputs: list[tuple[object, str]] = []

    def run(*args: str | Path, expect: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        result = run_cli(*args, env={"HALCFG_CONFIG": str(accounts)})
        assert result.returncode in expect and "Traceback" not in result.stderr, (args, result.stdout, result.stderr)
        outputs.append((args, result.stdout + result.stderr))
        return result

    common = ("--template-dir", tmp_path / "templates")
    for target in (*TARGETS, "custom"):
        for extra in ((), ("--inline-secrets",)):
            run("render", "--target", target, *common, *extra)  # the masked preview
            run("render", "--target", target, *common, *extra, "--out", tmp_path / "out")
            shown = run_cli("render", "--target", target, *common, *extra, "--out", "-", "-c", accounts)
            outputs.append((("--out -", target, "stderr"), shown.stderr))
            if target in ("drone", "custom"):
                assert CANARY in shown.stdout and SHORT in shown.stdout  # the real bytes, asked for
    everything = ("--target", "all", *common, "--inline-secrets")
    run("render", *everything, "--out", tmp_path / "all")
    (tmp_path / "long.pw").write_text(CANARY + "-new")
    (tmp_path / "short.pw").write_text(SHORT[::-1])
    run("render", *everything, "--out", tmp_path / "all", "--check", expect=(1,))  # a diff, old and new masked
    (tmp_path / "long.pw").write_text(CANARY)
    (tmp_path / "short.pw").write_text(SHORT)

    # import --dry-run from every source, into a file whose existing account has an inline password
    existing = tmp_path / "existing.yaml"
    existing.write_text("version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n    accounts:\n"
                        f"      - name: inline\n        address: quay.io\n        username: {USER}\n"
                        f"        password: '{SHORT}'\n")
    entry = {"username": USER, "password": CANARY, "auth": base64.b64encode(f"{USER}:{CANARY}".encode()).decode()}
    config_json = json.dumps({"auths": {"ghcr.io": entry}})
    sources = {
        "drone": f"- address: ghcr.io\n  username: {USER}\n  password: {CANARY}\n",
        "docker-config": config_json,
        "kubernetes-secret": json.dumps({
            "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
            "metadata": {"name": "pull"},
            "data": {".dockerconfigjson": base64.b64encode(config_json.encode()).decode()}}),
        "halconfig": "currentDeployment: default\ndeploymentConfigurations:\n- name: default\n  providers:\n"
                     "    dockerRegistry:\n      enabled: true\n      accounts:\n      - name: gh\n"
                     f"        address: ghcr.io\n        username: {USER}\n        password: {CANARY}\n",
    }
    for source, text in sources.items():
        path = tmp_path / f"{source}.src"
        path.write_text(text)
        dry = run("import", "--from", source, path, "--dry-run", "-c", existing)
        assert "+ " in dry.stdout and "password: '****'" in dry.stdout, dry.stdout  # the context line, masked
        run("import", "--from", source, path, "--dry-run", "--overwrite", "-c", existing)
    assert existing.read_text().endswith(f"password: '{SHORT}'\n")  # dry runs wrote nothing

    for what, text in outputs:
        assert_hidden(text, CANARY, USER, what)
        assert_hidden(text, CANARY + "-new", USER, what)
        assert_hidden(text, SHORT, USER, what)
        assert_hidden(text, SHORT[::-1], USER, what)
