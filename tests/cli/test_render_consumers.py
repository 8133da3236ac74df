"""Every target as its real consumer takes it (issue 15 items 2-10, issue 16 item 4), through the
CLI: kubectl and `kubectl kustomize` where they run here, SnakeYAML (clouddriver's parser) when its
jar is on disk, strict YAML readers, and the consumers' cited rules elsewhere."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml as pyyaml
from ruamel.yaml import YAML

from tests.support.cli import REPO, run_cli

safe = YAML(typ="safe")
# clouddriver reads its profiles with SnakeYAML (Spring Boot), drone-registry-plugin its file with
# gopkg.in/yaml.v2: Debian's libyaml-snake-java and golang-gopkg-yaml.v2-dev (.ci/run installs them).
SNAKEYAML = [p for p in (Path("/usr/share/java/snakeyaml.jar"),) if p.is_file()] or sorted(
    Path.home().glob(".m2/repository/org/yaml/snakeyaml/*/snakeyaml-*.jar"))
READER = REPO / "tests" / "support" / "SnakeYamlStrings.java"
YAMLV2 = REPO / "tests" / "support" / "yamlv2strings" / "main.go"
GOPATH = Path("/usr/share/gocode")
# Outside YAML's printable set, or line breaks to YAML 1.1, or a BOM: each must come back exactly.
HOSTILE = "p\x7fq\x80\x9f\x85r\u2028\u2029s\ufffe\uffff\ufefft\U0001fffe<&>\"\\\t"


def accounts(path: Path, body: str) -> Path:
    path.write_text("version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n    accounts:\n" + body)
    return path


def account(name: str, address: str, extra: str = "") -> str:
    return (f"      - name: {name}\n        address: {address}\n        username: u\n"
            f"        repositories: [a/b]\n{extra}")


def render(config: Path, *args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("render", *args, "-c", config, env=env)


@pytest.fixture(scope="module")
def yamlv2(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """The yaml.v2 reader, built offline against Debian's package; None where Go or it is missing."""
    if not shutil.which("go") or not (GOPATH / "src" / "gopkg.in" / "yaml.v2").is_dir():
        return None
    folder = tmp_path_factory.mktemp("yamlv2")
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": str(GOPATH), "GOCACHE": str(folder / "cache"),
           "GOFLAGS": "", "GOPROXY": "off"}
    subprocess.run(["go", "build", "-o", str(folder / "read"), str(YAMLV2)], check=True, env=env, timeout=300,
                   capture_output=True)
    return folder / "read"


def yamlv2_strings(reader: Path, path: Path) -> list[str]:
    found = subprocess.run([str(reader), str(path)], capture_output=True, text=True, check=True, timeout=60)
    return [bytes.fromhex(line).decode("utf-8") for line in found.stdout.split()]


def snakeyaml_strings(path: Path) -> list[str]:
    found = subprocess.run(["java", "-cp", str(SNAKEYAML[-1]), str(READER), str(path)], capture_output=True,
                           text=True, check=True, timeout=120)
    units = [bytes.fromhex(line) for line in found.stdout.split()]  # UTF-16 code units, big-endian
    return [raw.decode("utf-16-be") for raw in units]


def test_hostile_passwords_read_back_exactly_through_every_yaml_target(tmp_path: Path, yamlv2: Path | None) -> None:
    (tmp_path / "pw").write_text(HOSTILE, encoding="utf-8")
    config = accounts(tmp_path / "halcfg.yaml", account("odd", "quay.io", "        passwordFile: pw\n"))
    out = tmp_path / "out"
    for target, extra in (("spinnaker", ("--inline-secrets",)), ("halconfig", ("--inline-secrets",)),
                          ("drone", ()), ("kubernetes", ()), ("spinnaker-operator", ())):
        result = render(config, "--target", target, *extra, "--out", out)
        assert result.returncode == 0, result.stdout + result.stderr
    files = [p for p in sorted(out.rglob("*.y*ml"))]
    carriers = {"spinnaker/clouddriver-local.yml", "halconfig/halconfig.yml", "drone/registries.yml"}
    for path in files:
        text = path.read_text(encoding="utf-8")
        rel = str(path.relative_to(out))
        loaded = []
        for version in ((1, 1), (1, 2)):
            reader = YAML(typ="safe", pure=True)
            reader.version = version
            loaded.append(list(reader.load_all(io.StringIO(text))))
        loaded.append(list(pyyaml.safe_load_all(text)))  # PyYAML refuses any unprintable character raw
        assert loaded[0] == loaded[1] == loaded[2], rel
        if rel in carriers:
            assert HOSTILE in json.dumps(loaded[0], ensure_ascii=False) or _holds(loaded[0], HOSTILE), rel
        secret = next((d for d in loaded[0] if isinstance(d, dict) and d.get("kind") == "Secret"), None)
        if secret is not None:
            values = [base64.b64decode(v).decode() for v in secret["data"].values()]
            if ".dockerconfigjson" in secret["data"]:  # the password inside kubectl's JSON
                values = [e["password"] for e in json.loads(values[0])["auths"].values()]
            assert HOSTILE in values, rel
        if SNAKEYAML and shutil.which("java"):
            strings = snakeyaml_strings(path)  # clouddriver's own parser
            assert HOSTILE in strings or rel not in carriers, rel
        if yamlv2 is not None:
            strings = yamlv2_strings(yamlv2, path)  # drone-registry-plugin's
            assert HOSTILE in strings or rel not in carriers, rel


def _holds(data: object, wanted: str) -> bool:
    if isinstance(data, dict):
        return any(_holds(v, wanted) for v in data.values())
    if isinstance(data, list):
        return any(_holds(v, wanted) for v in data)
    return data == wanted


def test_an_accounts_file_name_cannot_add_lines_or_documents(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("pw")
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "pw").write_text("pw")
    config = accounts(folder / "x\n---\nkind: Evil\n#.yaml", account("a", "quay.io", "        passwordFile: pw\n"))
    for target in ("spinnaker", "halconfig", "spinnaker-operator", "drone", "kubernetes", "kubelet"):
        result = render(config, "--target", target, "--out", tmp_path / "out")
        assert result.returncode == 0, result.stdout + result.stderr
    for path in sorted((tmp_path / "out").rglob("*.y*ml")):
        text = path.read_text()
        assert "Evil" not in [d.get("kind") for d in safe.load_all(text) if isinstance(d, dict)], path
        assert text.splitlines()[0].startswith("# Rendered by halcfg from x\\n---\\nkind: Evil"), path


def test_validate_refuses_values_that_end_in_a_newline(tmp_path: Path) -> None:
    config = accounts(tmp_path / "halcfg.yaml", '      - name: a\n        address: "quay.io\\n:5000"\n'
                      '        kubernetes: {secretName: "pull\\n", namespace: "ci\\n"}\n')
    result = run_cli("validate", config)
    assert result.returncode == 1, result.stdout
    for field in ("address", "secretName", "namespace"):
        assert f"error [schema-pattern] account 'a': {field}" in result.stdout, result.stdout
    fine = accounts(tmp_path / "ok.yaml", '      - name: a\n        address: "quay.io:5000"\n'
                    '        kubernetes: {secretName: pull, namespace: ci}\n')
    assert run_cli("validate", fine).returncode == 0


def test_multi_line_password_file_is_an_error_for_spinnaker_and_kept_whole_elsewhere(tmp_path: Path) -> None:
    key = {"type": "service_account", "private_key": "-----BEGIN-----\nabc\n-----END-----\n", "client_id": "1"}
    (tmp_path / "key.json").write_text(json.dumps(key, indent=2) + "\n")
    config = accounts(tmp_path / "halcfg.yaml", account("gcr", "gcr.io", "        passwordFile: key.json\n"))
    for target in ("spinnaker", "halconfig"):
        result = render(config, "--target", target, "--out", "-")
        assert result.returncode == 1, result.stderr
        assert "error [password-file-lines] account 'gcr': passwordFile key.json has" in result.stderr
        fix = next(line for line in result.stderr.splitlines() if "fix: Point passwordFile" in line)
        command = fix.split("copy (the same JSON, compact, no trailing newline): ", 1)[1].rsplit(", or render", 1)[0]
        subprocess.run(command, shell=True, check=True, cwd=tmp_path)  # the fix, run as given
    compact = (tmp_path / "key-oneline.json").read_text()
    assert "\n" not in compact and json.loads(compact) == key
    fixed = accounts(tmp_path / "fixed.yaml", account("gcr", "gcr.io", "        passwordFile: key-oneline.json\n"))
    assert render(fixed, "--target", "spinnaker", "--out", "-").returncode == 0
    operator = render(config, "--target", "spinnaker-operator", "--out", "-")
    assert operator.returncode == 0, operator.stderr
    secret = next(d for d in safe.load_all(operator.stdout) if d and d["kind"] == "Secret")
    stored = base64.b64decode(secret["data"]["gcr-password-file"]).decode()
    assert "\n" not in stored and json.loads(stored) == key  # kork writes it to a file read line by line
    drone = safe.load(render(config, "--target", "drone", "--out", "-").stdout)
    assert drone[0]["password"] == (tmp_path / "key.json").read_text()  # the plugin sends it whole
    k8s = safe.load(render(config, "--target", "kubernetes", "--out", "-").stdout)
    entry = json.loads(base64.b64decode(k8s["data"][".dockerconfigjson"]))["auths"]["gcr.io"]
    assert entry["password"] == (tmp_path / "key.json").read_text()


def test_required_group_membership_warns_and_renders_as_permissions(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("pw")
    config = accounts(tmp_path / "halcfg.yaml",
                      account("old", "quay.io",
                              "        passwordFile: pw\n        requiredGroupMembership: [ops, dev]\n")
                      + account("both", "gcr.io", "        passwordFile: pw\n        requiredGroupMembership: [x]\n"
                                "        permissions: {READ: [r], WRITE: [w]}\n"))
    validated = run_cli("validate", config)
    assert validated.returncode == 0
    # Halyard's AccountValidator wording
    assert validated.stdout.count("warning [required-group-membership]") == 2
    assert "requiredGroupMembership has been deprecated" in validated.stdout
    for target, path in (("spinnaker", ["dockerRegistry"]),
                         ("halconfig", ["deploymentConfigurations", 0, "providers", "dockerRegistry"])):
        data = next(safe.load_all(render(config, "--target", target, "--out", "-").stdout))
        for part in path:
            data = data[part]
        by_name = {a["name"]: a for a in data["accounts"]}
        assert by_name["old"]["permissions"] == {"READ": ["ops", "dev"], "WRITE": ["ops", "dev"]}
        assert by_name["both"]["permissions"] == {"READ": ["r"], "WRITE": ["w"]}
        assert all("requiredGroupMembership" not in a for a in data["accounts"])


def test_settings_a_target_cannot_carry_are_reported_per_account_and_field(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("pw")
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    config = accounts(tmp_path / "halcfg.yaml",
                      account("tls", "reg.example.com:5000", "        passwordFile: pw\n        caCertFile: ca.pem\n")
                      + account("lab", "lab.example.com", "        passwordFile: pw\n        plainHttp: true\n"
                                "        insecureRegistry: true\n")
                      + "      - name: ecr\n        address: 123456789012.dkr.ecr.eu-west-1.amazonaws.com\n"
                        "        repositories: [a/b]\n        ecr: {profile: ci, endpointUrl: 'http://127.0.0.1:1'}\n")
    expected = {
        "spinnaker": {("tls", "caCertFile")},
        "spinnaker-operator": {("tls", "caCertFile")},
        "drone": {("ecr", "ecr.endpointUrl"), ("ecr", "ecr.profile"), ("tls", "caCertFile"), ("lab", "plainHttp"),
                  ("lab", "insecureRegistry")},
        "kubernetes": {("tls", "caCertFile"), ("lab", "plainHttp"), ("lab", "insecureRegistry")},
        "docker-config": {("tls", "caCertFile"), ("lab", "plainHttp"), ("lab", "insecureRegistry")},
    }
    for target, pairs in expected.items():
        result = render(config, "--target", target, "--account", "tls", "--account", "lab", "--account", "ecr",
                        *(("--helper", "halcfg") if target == "docker-config" else ()), "--out", "-",
                        env={"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"})
        lines = [line for line in result.stderr.splitlines() if "[target-cannot-carry]" in line]
        got = {(line.split("account '")[1].split("'")[0], line.split("': ")[1].split(" is not rendered")[0])
               for line in lines}
        assert got == pairs, (target, result.stderr)
    stderr = render(config, "--target", "kubernetes", "--account", "tls", "--out", "-").stderr
    assert "/etc/docker/certs.d/reg.example.com:5000/ca.crt" in stderr and "hosts.toml" in stderr
    assert "JVM" in render(config, "--target", "spinnaker", "--account", "tls", "--out", "-").stderr


def test_relative_paths_in_a_password_command_warn_for_spinnaker_targets(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "token").write_text("tok")
    config = accounts(tmp_path / "halcfg.yaml", account(
        "cmd", "quay.io", "        passwordCommand: cat secrets/token --opt=./x https://a.example/b /abs/ok\n"))
    for target in ("spinnaker", "halconfig", "spinnaker-operator"):
        result = render(config, "--target", target, "--out", "-")
        assert result.returncode == 0, result.stderr
        warned = [line for line in result.stderr.splitlines() if "warning [relative-password-command]" in line]
        assert [line.split("relative path ")[1].split(";")[0] for line in warned] == ["secrets/token", "./x"]


def test_operator_patch_matches_a_namespaced_base_and_can_turn_validation_off(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("pw")
    config = accounts(tmp_path / "halcfg.yaml", account("q", "quay.io", "        passwordFile: pw\n"))
    out = tmp_path / "out"
    result = render(config, "--target", "spinnaker-operator", "--namespace", "cd", "--deployment", "spin",
                    "--out", out)
    assert result.returncode == 0 and "info [operator-docker-validation]" in result.stdout, result.stdout
    assert "--no-operator-validation" in result.stdout
    base = tmp_path / "base"
    shutil.copytree(out / "spinnaker-operator", base / "halcfg")
    (base / "spinnakerservice.yml").write_text(
        "apiVersion: spinnaker.io/v1alpha2\nkind: SpinnakerService\nmetadata: {name: spin, namespace: cd}\n"
        "spec: {spinnakerConfig: {config: {version: 1.33.0}}}\n")
    (base / "kustomization.yml").write_text("resources: [spinnakerservice.yml]\ncomponents: [halcfg]\n")
    built = subprocess.run(["kubectl", "kustomize", str(base)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr  # kustomize v5 matches the patch by namespace too
    docs = {d["kind"]: d for d in safe.load_all(built.stdout)}
    assert docs["SpinnakerService"]["spec"]["spinnakerConfig"]["config"]["providers"]["dockerRegistry"]["accounts"]
    assert docs["Secret"]["metadata"]["namespace"] == "cd"
    off = render(config, "--target", "spinnaker-operator", "--no-operator-validation", "--out", "-")
    patch = next(d for d in safe.load_all(off.stdout) if d and d["kind"] == "SpinnakerService")
    assert patch["spec"]["validation"] == {"providers": {"docker": {"enabled": False}}}
    assert patch["metadata"]["namespace"] == "spinnaker" and "operator-docker-validation" not in off.stderr


def test_kubelet_config_with_no_account_is_an_error_and_no_file(tmp_path: Path) -> None:
    config = tmp_path / "halcfg.yaml"
    config.write_text("version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n    accounts: []\n")
    result = render(config, "--target", "kubelet", "--out", tmp_path / "out")
    assert result.returncode == 1 and "error [kubelet-no-providers]" in result.stdout, result.stdout
    assert not (tmp_path / "out" / "kubelet" / "credential-provider-config.yaml").exists()


def _kubectl_entry(name: str, server: str, user: str, password: str) -> str:
    """kubectl's bytes for one server's auths entry: `"<server>":{...}`."""
    made = subprocess.run(["kubectl", "create", "secret", "docker-registry", name, f"--docker-server={server}",
                           f"--docker-username={user}", f"--docker-password={password}", "--dry-run=client",
                           "-o", "json"], capture_output=True, text=True, check=True, timeout=60)
    raw = base64.b64decode(json.loads(made.stdout)["data"][".dockerconfigjson"]).decode()
    return raw.removeprefix('{"auths":{').removesuffix("}}")


def test_accounts_sharing_a_secret_name_render_one_secret_as_kubectl_makes_it(tmp_path: Path) -> None:
    for name in ("one", "two", "three"):
        (tmp_path / name).write_text(f"pw-{name}<&>")
    config = accounts(tmp_path / "halcfg.yaml", "".join(
        account(name, address,
                f"        passwordFile: {name}\n        kubernetes: {{secretName: pull, namespace: ci}}\n")
        for name, address in (("one", "quay.io"), ("two", "docker.io"), ("three", "ghcr.io")))
        + account("solo", "gcr.io", "        passwordFile: one\n"))
    out = tmp_path / "out"
    result = render(config, "--target", "kubernetes", "--out", out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in (out / "kubernetes").iterdir()) == [
        ".gitignore", ".halcfg-rendered", "ci.pull.yaml", "solo.yaml"]  # render also owns its record and .gitignore
    secret = safe.load(out / "kubernetes" / "ci.pull.yaml")
    ours = base64.b64decode(secret["data"][".dockerconfigjson"]).decode()
    entries = [_kubectl_entry("pull", server, "u", f"pw-{name}<&>") for server, name in
               sorted([("quay.io", "one"), ("https://index.docker.io/v1/", "two"), ("ghcr.io", "three")])]
    assert ours == '{"auths":{' + ",".join(entries) + "}}"  # kubectl's bytes, hosts in Go's map order
    (tmp_path / "config.json").write_text(ours)
    from_file = subprocess.run(["kubectl", "create", "secret", "docker-registry", "pull", "-n", "ci",
                                f"--from-file=.dockerconfigjson={tmp_path / 'config.json'}", "--dry-run=client",
                                "-o", "json"], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(from_file.stdout)["data"] == secret["data"]
    # --combined gathers the accounts that name no Secret; the shared one stays: one --out for both
    combined = render(config, "--target", "kubernetes", "--combined", "--secret-name", "all", "--out", out)
    assert combined.returncode == 0, combined.stdout + combined.stderr
    assert sorted(p.name for p in (out / "kubernetes").iterdir()) == [
        ".gitignore", ".halcfg-rendered", "all.yaml", "ci.pull.yaml"]
    names = {safe.load(p)["metadata"]["name"]: p.name for p in (out / "kubernetes").glob("*.yaml")}
    assert names == {"all": "all.yaml", "pull": "ci.pull.yaml"}
    combined = safe.load(out / "kubernetes" / "all.yaml")["data"][".dockerconfigjson"]
    assert list(json.loads(base64.b64decode(combined))["auths"]) == ["gcr.io"]


def test_spinnaker_k8s_secrets_reference_oss_kork_secrets_k8s(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("file-pw")
    config = accounts(tmp_path / "halcfg.yaml", account("q", "quay.io", "        passwordFile: pw\n")
                      + account("g", "ghcr.io", "        password: inline-pw\n"))
    out = tmp_path / "out"
    result = render(config, "--target", "spinnaker", "--k8s-secrets", "--namespace", "spin", "--out", out)
    assert result.returncode == 0 and "info [kork-secrets-k8s]" in result.stdout, result.stdout
    bound = {a["name"]: a for a in safe.load(out / "spinnaker" / "clouddriver-local.yml")["dockerRegistry"]["accounts"]}
    assert bound["q"]["passwordFile"] == "encryptedFile:k8s!n:halcfg-docker-registry!k:q-password-file!ns:spin"
    assert bound["g"]["password"] == "encrypted:k8s!n:halcfg-docker-registry!k:g-password!ns:spin"
    secret = safe.load(out / "spinnaker" / "secret.yml")
    assert secret["metadata"]["namespace"] == "spin"
    assert {k: base64.b64decode(v).decode() for k, v in secret["data"].items()} == {
        "q-password-file": "file-pw", "g-password": "inline-pw"}
    plain = render(config, "--target", "spinnaker", "--out", out)
    assert plain.returncode == 0 and "removed" in plain.stdout and not (out / "spinnaker" / "secret.yml").exists()


def test_a_namespace_that_would_break_a_kork_reference_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("pw")
    config = accounts(tmp_path / "halcfg.yaml", account("q", "quay.io", "        passwordFile: pw\n"))
    for target, extra in (("spinnaker", ("--k8s-secrets",)), ("spinnaker-operator", ())):
        result = render(config, "--target", target, *extra, "--namespace", "spin!k:other", "--out", "-")
        assert result.returncode == 2 and "is not a Kubernetes namespace" in result.stderr, result.stderr
        assert result.stdout == "" and result.stderr.count("\n") == 1
