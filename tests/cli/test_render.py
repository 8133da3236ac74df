"""`halcfg render`: every target from examples/ against golden files, parsed back and checked against
the accounts, and fed to the real consumers installed here (kubectl, skopeo, kubectl kustomize)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.support import BASIC_PASSWORD, BASIC_USER, SEEDED
from tests.support.cli import REPO, run_cli
from tests.support.moto_ecr import ACCESS_KEY_ID, SECRET_ACCESS_KEY, MotoECR
from tests.support.registry import Registry

GOLDEN = REPO / "tests" / "golden" / "render"
QUAY_TOKEN = "quay-robot-token<&>"
TARGETS = ("spinnaker", "halconfig", "spinnaker-operator", "drone", "kubernetes", "docker-config", "kubelet")
yaml = YAML(typ="safe")


def aws_env(moto: MotoECR) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": moto.endpoint_url, "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY, "QUAY_ROBOT_TOKEN": QUAY_TOKEN}


BOOKKEEPING = (".halcfg-rendered", ".gitignore")  # what render keeps beside the files: tests/cli/test_render_safety.py


def tree(folder: Path) -> dict[str, bytes]:
    """The rendered files under `folder` (render's own bookkeeping files left out)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in BOOKKEEPING}


def write_accounts(path: Path, accounts: str) -> Path:
    path.write_text("version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n    accounts:\n" + accounts)
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, moto_ecr: MotoECR) -> tuple[Path, Path]:
    """examples/ rendered for every target with ECR on moto: (accounts file, out folder)."""
    folder = tmp_path_factory.mktemp("render")
    shutil.copytree(REPO / "examples", folder / "ex")
    out = folder / "out"
    result = run_cli("render", "--target", "all", "--out", out, "-c", folder / "ex" / "halcfg.yaml",
                     env=aws_env(moto_ecr))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[render-short-lived-token]" in result.stdout and "expires at 2015-01-01" in result.stdout
    return folder / "ex" / "halcfg.yaml", out


def test_every_target_matches_its_golden_files(rendered: tuple[Path, Path]) -> None:
    _, out = rendered
    if os.environ.get("HALCFG_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
    assert sorted({name.split("/")[0] for name in tree(out)}) == sorted(TARGETS)
    assert tree(out) == tree(GOLDEN)


def test_files_with_secrets_are_0600_and_the_rest_are_not(rendered: tuple[Path, Path]) -> None:
    _, out = rendered
    modes = {name: stat.S_IMODE((out / name).stat().st_mode) for name in tree(out)}
    secret = {name for name, mode in modes.items() if mode == 0o600}
    assert secret == {"spinnaker/clouddriver-local.yml", "halconfig/halconfig.yml", "spinnaker-operator/secret.yml",
                      "drone/registries.yml", "docker-config/config.json",
                      *(n for n in modes if n.startswith("kubernetes/"))}
    assert all(modes[n] & 0o044 for n in modes if n not in secret)


def test_spinnaker_binds_like_clouddriver(rendered: tuple[Path, Path]) -> None:
    accounts_file, out = rendered
    source = yaml.load(accounts_file)["providers"]["dockerRegistry"]["accounts"]
    bound = yaml.load(out / "spinnaker/clouddriver-local.yml")["dockerRegistry"]
    assert bound["enabled"] is True
    assert [a["name"] for a in bound["accounts"]] == [a["name"] for a in source]
    by_name = {a["name"]: a for a in bound["accounts"]}
    for account in source:
        got = by_name[account["name"]]
        assert got["address"].startswith("https://")
        assert "" not in got.values() and None not in got.values()  # unset keys are left out
        assert got.get("repositories") == account.get("repositories")
        assert sum(k in got for k in ("password", "passwordFile", "passwordCommand")) <= 1
    assert by_name["dockerhub"]["address"] == "https://index.docker.io"
    assert by_name["dockerhub"]["passwordFile"] == "secrets/dockerhub.password"
    assert by_name["harbor"]["address"] == "https://harbor.payments.internal:8443"
    assert by_name["harbor"]["permissions"] == {"READ": ["payments-dev", "payments-ops"], "WRITE": ["payments-ops"]}
    assert by_name["quay"]["password"] == "${QUAY_ROBOT_TOKEN}"
    assert by_name["ecr-prod"]["passwordCommand"] == "aws ecr get-login-password --region us-east-1"
    assert yaml.load(out / "spinnaker/igor-local.yml") == {"dockerRegistry": {"enabled": True}}
    hal = yaml.load(out / "halconfig/halconfig.yml")["deploymentConfigurations"]
    assert hal[0]["name"] == "default" and hal[0]["providers"]["dockerRegistry"]["accounts"] == bound["accounts"]


def test_operator_references_resolve_to_the_secret(rendered: tuple[Path, Path]) -> None:
    accounts_file, out = rendered
    patch = yaml.load(out / "spinnaker-operator/spinnakerservice-patch.yml")
    secret = yaml.load(out / "spinnaker-operator/secret.yml")
    data = {key: base64.b64decode(value) for key, value in secret["data"].items()}
    accounts = patch["spec"]["spinnakerConfig"]["config"]["providers"]["dockerRegistry"]["accounts"]
    refs = {a["name"]: a.get("password") or a.get("passwordFile") or a.get("passwordCommand") for a in accounts}
    assert refs["dockerhub"] == "encryptedFile:k8s!n:halcfg-docker-registry!k:dockerhub-password-file"
    assert refs["quay"] == "encrypted:k8s!n:halcfg-docker-registry!k:quay-password"
    assert data["dockerhub-password-file"] == (accounts_file.parent / "secrets/dockerhub.password").read_bytes()
    assert data["gcr-password-file"] == (accounts_file.parent / "secrets/gcr-key.json").read_bytes()
    assert data["quay-password"] == QUAY_TOKEN.encode()
    for ref in refs.values():
        if ref.startswith("encrypted"):
            assert ref.split("!k:")[1] in data


def kustomize_version() -> tuple[int, ...]:
    """kubectl's built-in kustomize version; (0,) when kubectl does not say."""
    found = subprocess.run(["kubectl", "version", "--client", "-o", "json"], capture_output=True, text=True)
    text = json.loads(found.stdout or "{}").get("kustomizeVersion", "v0").lstrip("v")
    return tuple(int(part) for part in text.split(".") if part.isdigit()) or (0,)


def test_operator_component_builds_with_kubectl_kustomize(rendered: tuple[Path, Path], tmp_path: Path) -> None:
    if kustomize_version() < (3, 7):  # Debian's kubectl 1.20 embeds kustomize 2.0.3, before components
        pytest.skip("kubectl's kustomize predates components (v3.7)")
    _, out = rendered
    shutil.copytree(out / "spinnaker-operator", tmp_path / "halcfg")
    (tmp_path / "spinnakerservice.yml").write_text(
        "apiVersion: spinnaker.io/v1alpha2\nkind: SpinnakerService\nmetadata: {name: spinnaker, namespace: spinnaker}\n"
        "spec: {spinnakerConfig: {config: {version: 1.33.0}}}\n")
    (tmp_path / "kustomization.yml").write_text("resources: [spinnakerservice.yml]\ncomponents: [halcfg]\n")
    built = subprocess.run(["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True, check=True)
    docs = {d["kind"]: d for d in yaml.load_all(built.stdout)}
    config = docs["SpinnakerService"]["spec"]["spinnakerConfig"]["config"]
    assert config["version"] == "1.33.0" and len(config["providers"]["dockerRegistry"]["accounts"]) == 5
    assert docs["Secret"]["metadata"]["name"] == "halcfg-docker-registry"


def test_drone_file_as_the_plugin_reads_it(rendered: tuple[Path, Path], moto_ecr: MotoECR) -> None:
    accounts_file, out = rendered
    registries = yaml.load(out / "drone/registries.yml")
    by_address = {r["address"]: r for r in registries}
    assert "docker.io" in by_address and "https://index.docker.io/v1/" not in by_address
    hub = by_address["docker.io"]
    assert (hub["username"], hub["password"]) == (
        "payments-bot", (accounts_file.parent / "secrets/dockerhub.password").read_text())
    assert by_address["012345678910.dkr.ecr.us-east-1.amazonaws.com"] == {
        "address": "012345678910.dkr.ecr.us-east-1.amazonaws.com"}  # no static keys: the plugin's default chain
    assert by_address["quay.io"]["password"] == QUAY_TOKEN
    assert by_address["harbor.payments.internal:8443"]["password"] == "fake-harbor-robot-secret"


def test_kubernetes_secrets_and_kubelet_config_cover_every_account(rendered: tuple[Path, Path]) -> None:
    _, out = rendered
    auths = {}
    for path in sorted(p for p in (out / "kubernetes").iterdir() if p.name not in BOOKKEEPING):
        secret = yaml.load(path)
        assert secret["type"] == "kubernetes.io/dockerconfigjson"
        assert secret["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "halcfg"}
        auths.update(json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))["auths"])
    assert yaml.load(out / "kubernetes/payments.gcr-pull.yaml")["metadata"]["namespace"] == "payments"
    assert sorted(auths) == ["012345678910.dkr.ecr.us-east-1.amazonaws.com", "gcr.io",
                             "harbor.payments.internal:8443", "https://index.docker.io/v1/", "quay.io"]
    assert auths["012345678910.dkr.ecr.us-east-1.amazonaws.com"]["username"] == "AWS"
    for entry in auths.values():
        assert base64.b64decode(entry["auth"]).decode() == f"{entry['username']}:{entry['password']}"
        assert "email" not in entry  # the example sets none
    config = yaml.load(out / "kubelet/credential-provider-config.yaml")
    assert config["kind"] == "CredentialProviderConfig" and config["apiVersion"] == "kubelet.config.k8s.io/v1"
    (provider,) = config["providers"]
    assert provider["name"] == "halcfg" and provider["args"] == ["kubelet-credential-provider"]
    assert provider["apiVersion"] == "credentialprovider.kubelet.k8s.io/v1" and provider["defaultCacheDuration"]
    assert sorted(provider["matchImages"]) == sorted(
        ["docker.io" if k.startswith("https://index.docker.io") else k for k in auths])


def test_docker_config_keys_ecr_as_a_helper(rendered: tuple[Path, Path]) -> None:
    _, out = rendered
    config = json.loads((out / "docker-config/config.json").read_bytes())
    assert config["credHelpers"] == {"012345678910.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"}
    assert sorted(config["auths"]) == ["gcr.io", "harbor.payments.internal:8443", "https://index.docker.io/v1/",
                                       "quay.io"]
    assert base64.b64decode(config["auths"]["quay.io"]["auth"]).decode() == f"payments+deployer:{QUAY_TOKEN}"


@pytest.mark.parametrize(("address", "server", "email", "password"), [
    ("index.docker.io", "https://index.docker.io/v1/", None, "p<&>ss\"word\\"),
    ("registry.example.com:5000", "registry.example.com:5000", "ops@example.com", "tab\there\u2028<>"),
    ("ghcr.io", "ghcr.io", "a&b@example.com", "plain"),
])
def test_dockerconfigjson_is_byte_identical_to_kubectl(
    tmp_path: Path, address: str, server: str, email: str | None, password: str
) -> None:
    (tmp_path / "pw").write_text(password)
    write_accounts(tmp_path / "halcfg.yaml",
                   f"      - name: acct\n        address: {address}\n        username: bot\n"
                   f"        repositories: [a/b]\n        passwordFile: pw\n"
                   + (f"        email: {email}\n" if email else ""))
    ours = run_cli("render", "--target", "kubernetes", "--out", "-", "-c", tmp_path / "halcfg.yaml")
    assert ours.returncode == 0, ours.stderr
    kubectl = ["kubectl", "create", "secret", "docker-registry", "acct", f"--docker-server={server}",
               "--docker-username=bot", f"--docker-password={password}", "--dry-run=client", "-o", "json"]
    if email:
        kubectl.append(f"--docker-email={email}")
    theirs = json.loads(subprocess.run(kubectl, capture_output=True, text=True, check=True).stdout)
    ours_data = yaml.load(ours.stdout)["data"][".dockerconfigjson"]
    assert base64.b64decode(ours_data) == base64.b64decode(theirs["data"][".dockerconfigjson"])
    assert ours_data == theirs["data"][".dockerconfigjson"]
    assert theirs["type"] == yaml.load(ours.stdout)["type"]


def test_combined_secret_holds_every_host_sorted(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("pw")
    write_accounts(tmp_path / "halcfg.yaml", "".join(
        f"      - name: {name}\n        address: {address}\n        username: u\n        repositories: [a/b]\n"
        f"        passwordFile: pw\n" for name, address in (("z", "quay.io"), ("a", "gcr.io"), ("hub", "docker.io"))))
    result = run_cli("render", "--target", "kubernetes", "--combined", "--namespace", "ci", "--label", "team=pay",
                     "--secret-name", "pull", "--out", "-", "-c", tmp_path / "halcfg.yaml")
    assert result.returncode == 0, result.stderr
    secret = yaml.load(result.stdout)
    assert secret["metadata"] == {"name": "pull", "namespace": "ci",
                                  "labels": {"app.kubernetes.io/managed-by": "halcfg", "team": "pay"}}
    data = base64.b64decode(secret["data"][".dockerconfigjson"]).decode()
    assert list(json.loads(data)["auths"]) == ["gcr.io", "https://index.docker.io/v1/", "quay.io"]
    each = run_cli("render", "--target", "kubernetes", "--out", "-", "-c", tmp_path / "halcfg.yaml")
    assert [s["metadata"]["name"] for s in yaml.load_all(each.stdout)] == ["z", "a", "hub"]  # one stream for kubectl


def test_account_labels_go_on_its_secret_and_a_label_flag_wins(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("pw")
    write_accounts(tmp_path / "halcfg.yaml",
                   "      - name: q\n        address: quay.io\n        username: u\n        passwordFile: pw\n"
                   "        kubernetes: {namespace: ci, labels: {team: pay, tier: build}}\n")
    result = run_cli("render", "--target", "kubernetes", "--label", "tier=prod", "--out", "-",
                     "-c", tmp_path / "halcfg.yaml")
    assert result.returncode == 0, result.stderr
    assert yaml.load(result.stdout)["metadata"] == {
        "name": "q", "namespace": "ci",
        "labels": {"app.kubernetes.io/managed-by": "halcfg", "team": "pay", "tier": "prod"}}
    bad = tmp_path / "bad.yaml"
    bad.write_text((tmp_path / "halcfg.yaml").read_text().replace("tier: build", "tier: [x]"))
    assert run_cli("validate", bad).returncode == 1  # label values are strings


def test_docker_config_lets_skopeo_list_tags(tmp_path: Path, basic_registry: Registry) -> None:
    (tmp_path / "pw").write_text(BASIC_PASSWORD)
    write_accounts(tmp_path / "halcfg.yaml",
                   f"      - name: local\n        address: {basic_registry.address}\n        plainHttp: true\n"
                   f"        username: {BASIC_USER}\n        passwordFile: pw\n")
    result = run_cli("render", "--target", "docker-config", "--out", tmp_path / "out", "-c", tmp_path / "halcfg.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    authfile = tmp_path / "out" / "docker-config" / "config.json"

    def list_tags(auth: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["skopeo", "list-tags", "--tls-verify=false", "--authfile", str(auth),
                               f"docker://{basic_registry.address}/team/api"],
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    listed = list_tags(authfile)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["Tags"] == SEEDED["team/api"]
    (tmp_path / "empty.json").write_text('{"auths": {}}')
    assert list_tags(tmp_path / "empty.json").returncode != 0  # the registry really wants the login


def test_docker_config_helper_and_inline_ecr(tmp_path: Path, moto_ecr: MotoECR) -> None:
    ecr_host = f"{moto_ecr.registry_id}.dkr.ecr.{moto_ecr.region}.amazonaws.com"
    write_accounts(tmp_path / "halcfg.yaml",
                   "      - name: hub\n        address: docker.io\n        username: u\n        repositories: [a/b]\n"
                   f"        passwordEnv: NEVER_SET_HALCFG\n      - name: ecr\n        address: {ecr_host}\n"
                   "        ecr: {}\n")
    helper = run_cli("render", "--target", "docker-config", "--helper", "halcfg", "--out", "-",
                     "-c", tmp_path / "halcfg.yaml")
    assert helper.returncode == 0, helper.stderr  # no credential is resolved: the unset env does not matter
    # Hub twice: docker and crane look the helper up by the v1 key, containers/image by docker.io (issue 15.1)
    assert json.loads(helper.stdout) == {"auths": {}, "credHelpers": {
        ecr_host: "halcfg", "docker.io": "halcfg", "https://index.docker.io/v1/": "halcfg"}}
    inline = run_cli("render", "--target", "docker-config", "--inline-ecr", "--account", "ecr", "--out", "-",
                     "-c", tmp_path / "halcfg.yaml", env=aws_env(moto_ecr))
    assert inline.returncode == 0, inline.stderr
    auth = json.loads(inline.stdout)["auths"][ecr_host]["auth"]
    assert base64.b64decode(auth).decode() == f"{moto_ecr.user}:{moto_ecr.password}"
    assert "[render-short-lived-token]" in inline.stderr and "docker-credential-halcfg" in inline.stderr


def test_ecr_without_aws_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "ex")
    env = {"QUAY_ROBOT_TOKEN": QUAY_TOKEN, "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    result = run_cli("render", "--target", "all", "--out", tmp_path / "out", "-c", tmp_path / "ex" / "halcfg.yaml",
                     env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "[ecr-token-failed] account 'ecr-prod'" in result.stdout
    assert (tmp_path / "out" / "kubernetes" / "dockerhub.yaml").is_file()
    assert not (tmp_path / "out" / "kubernetes" / "ecr-prod.yaml").exists()


def test_docker_hub_without_repositories_is_an_error_for_spinnaker_only(tmp_path: Path) -> None:
    write_accounts(tmp_path / "halcfg.yaml", "      - name: gh\n        address: ghcr.io\n        username: u\n"
                   "        password: inline-pw\n")
    spinnaker = run_cli("render", "--target", "spinnaker", "--out", "-", "-c", tmp_path / "halcfg.yaml")
    assert spinnaker.returncode == 1 and "error [no-catalog]" in spinnaker.stderr
    docker = run_cli("render", "--target", "docker-config", "--out", "-", "-c", tmp_path / "halcfg.yaml")
    assert docker.returncode == 0, docker.stderr


def test_check_is_fresh_then_stale_with_a_masked_diff(tmp_path: Path) -> None:
    canary = "CANARY-render-7f3a<&>"
    (tmp_path / "pw").write_text(canary)
    accounts = tmp_path / "halcfg.yaml"
    acct = "      - name: acct\n        address: quay.io\n        username: bot\n        passwordFile: pw\n"
    write_accounts(accounts, acct + "      - name: extra\n        address: ghcr.io\n        username: bot\n"
                   "        passwordFile: pw\n")
    args = ("render", "--target", "drone,kubernetes,docker-config", "--out", tmp_path / "out", "-c", accounts)
    assert run_cli(*args).returncode == 0
    write_accounts(accounts, acct)  # kubernetes/extra.yaml, which halcfg wrote, is no longer rendered
    (tmp_path / "out" / "kubernetes" / "kustomization.yaml").write_text("resources: [acct.yaml]\n")  # the user's
    assert run_cli(*args).returncode == 0
    assert not (tmp_path / "out" / "kubernetes" / "extra.yaml").exists()
    assert (tmp_path / "out" / "kubernetes" / "kustomization.yaml").read_text() == "resources: [acct.yaml]\n"
    mtime = (tmp_path / "out" / "drone" / "registries.yml").stat().st_mtime_ns
    again = run_cli(*args)
    assert again.returncode == 0 and "wrote" not in again.stdout and "3 file(s) unchanged" in again.stdout
    assert (tmp_path / "out" / "drone" / "registries.yml").stat().st_mtime_ns == mtime
    fresh = run_cli(*args, "--check")
    assert fresh.returncode == 0 and "up to date" in fresh.stdout, fresh.stdout + fresh.stderr
    (tmp_path / "pw").write_text(canary + "-rotated")
    write_accounts(accounts, acct + "      - name: extra\n        address: ghcr.io\n        username: bot\n"
                   "        passwordFile: pw\n")
    assert run_cli(*args).returncode == 0  # extra.yaml is halcfg's again
    (tmp_path / "pw").write_text(canary)
    write_accounts(accounts, acct)
    stale = run_cli(*args, "--check")
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "--- a/drone/registries.yml" in stale.stdout and "+++ b/kubernetes/acct.yaml" in stale.stdout
    assert "kubernetes/extra.yaml: no longer rendered" in stale.stdout
    assert "kustomization.yaml" not in stale.stdout  # not halcfg's: neither compared nor removed
    assert_no_secret(stale.stdout + stale.stderr, [canary, canary + "-rotated"], "bot")
    assert (tmp_path / "out" / "kubernetes" / "extra.yaml").exists()  # --check writes nothing
    os.chmod(tmp_path / "out" / "drone" / "registries.yml", 0o644)
    assert run_cli(*args).returncode == 0
    assert not (tmp_path / "out" / "kubernetes" / "extra.yaml").exists()
    assert stat.S_IMODE((tmp_path / "out" / "drone" / "registries.yml").stat().st_mode) == 0o600
    assert run_cli(*args, "--check").returncode == 0


def test_canary_only_on_stdout_with_out_dash(tmp_path: Path) -> None:
    canary = "CANARY-9c1e-s3cr3t"
    (tmp_path / "pw").write_text(canary)
    accounts = write_accounts(tmp_path / "halcfg.yaml", "      - name: acct\n        address: docker.io\n"
                              "        username: canary-user\n        repositories: [a/b]\n        passwordFile: pw\n")
    for target in TARGETS:
        for extra in ((), ("--inline-secrets",)):
            preview = run_cli("render", "--target", target, *extra, "-c", accounts)
            assert preview.returncode == 0, preview.stderr
            assert_no_secret(preview.stdout + preview.stderr, [canary], "canary-user")
            written = run_cli("render", "--target", target, *extra, "--out", tmp_path / "out", "-c", accounts)
            assert_no_secret(written.stdout + written.stderr, [canary], "canary-user")
    shown = run_cli("render", "--target", "drone", "--out", "-", "-c", accounts)
    assert canary in shown.stdout and canary not in shown.stderr


def test_symlinked_output_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("pw")
    accounts = write_accounts(tmp_path / "halcfg.yaml", "      - name: acct\n        address: quay.io\n"
                              "        username: u\n        passwordFile: pw\n")
    (tmp_path / "out" / "drone").mkdir(parents=True)
    (tmp_path / "elsewhere").write_text("untouched")
    (tmp_path / "out" / "drone" / "registries.yml").symlink_to(tmp_path / "elsewhere")
    result = run_cli("render", "--target", "drone", "--out", tmp_path / "out", "-c", accounts)
    assert result.returncode == 2 and "symbolic link" in result.stderr
    assert (tmp_path / "elsewhere").read_text() == "untouched"


def assert_no_secret(text: str, secrets: list[str], user: str) -> None:
    for secret in secrets:
        forms = [secret, base64.b64encode(secret.encode()).decode().rstrip("="),
                 base64.b64encode(f"{user}:{secret}".encode()).decode().rstrip("="),
                 json.dumps(secret)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")]
        for form in forms:
            assert form not in text, form
        for shift in range(3):  # inside a longer base64 text, at any alignment
            inner = base64.b64encode(b"\0" * shift + secret.encode()).decode()[4:-4]
            assert inner not in text


def custom_templates(folder: Path, target: str, manifest: str, **templates: str) -> Path:
    (folder / target).mkdir(parents=True, exist_ok=True)
    (folder / target / "manifest.yaml").write_text(manifest)
    for name, text in templates.items():
        (folder / target / name.replace("_", ".")).write_text(text)
    return folder


def test_template_dir_adds_and_overrides_targets(tmp_path: Path, example: Path) -> None:
    templates = custom_templates(
        tmp_path / "t", "registry-list",
        "files:\n  - name: hosts.txt\n    template: hosts.j2\n  - name: '{{ item.name }}.env'\n"
        "    template: env.j2\n    each: accounts\n    secrets: true\ncredentials: true\n",
        hosts_j2="{% for a in accounts %}{{ a.name }} {{ a.hosts.docker }} {{ a.address | registry_host('drone') }}\n"
                 "{% endfor %}",
        env_j2="{% if item.credential %}AUTH={{ item.credential.username | docker_auth(item.credential.password) }}\n"
               "{% endif %}",
    )
    custom_templates(templates, "kubelet", "files:\n  - name: providers.json\n    template: p.j2\n",
                     p_j2="{{ config.providers[0].matchImages | to_json }}")
    result = run_cli("render", "--target", "registry-list,kubelet", "--template-dir", templates, "--account", "gcr",
                     "--account", "dockerhub", "--out", tmp_path / "out", "-c", example)
    assert result.returncode == 0, result.stdout + result.stderr
    out = tmp_path / "out"
    assert (out / "registry-list/hosts.txt").read_text() == (
        "dockerhub https://index.docker.io/v1/ docker.io\ngcr gcr.io gcr.io\n")
    auth = (out / "registry-list/gcr.env").read_text().strip().removeprefix("AUTH=")
    assert base64.b64decode(auth) == b"_json_key:" + (example.parent / "secrets/gcr-key.json").read_bytes()
    assert stat.S_IMODE((out / "registry-list/gcr.env").stat().st_mode) == 0o600
    assert json.loads((out / "kubelet/providers.json").read_text()) == ["docker.io", "gcr.io"]
    listed = run_cli("render", "--target", "all", "--template-dir", templates, "-c", example,
                     env={"QUAY_ROBOT_TOKEN": "x", "AWS_EC2_METADATA_DISABLED": "true"})
    assert "==> registry-list/hosts.txt <==" in listed.stdout and "==> drone/registries.yml <==" in listed.stdout


@pytest.mark.parametrize(("template", "expected"), [
    ("line one\n{% for a in accounts %}\n{{ a.name }\n{% endfor %}\n", "t.j2:3: unexpected '}'"),
    ("ok\n{{ accounts[0].no_such_key }}\n", "t.j2:2: UndefinedError"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}\n", "t.j2:1: SecurityError"),
    ("{% include '/etc/passwd' %}\n", "template /etc/passwd not found"),
    ("{{ accounts | to_json(indent=cycler) }}\n", "t.j2:1"),
])
def test_broken_template_names_its_file_and_line(tmp_path: Path, example: Path, template: str, expected: str) -> None:
    templates = custom_templates(tmp_path / "t", "bad", "files:\n  - name: out.txt\n    template: t.j2\n")
    (templates / "bad" / "t.j2").write_text(template)
    result = run_cli("render", "--target", "bad", "--template-dir", templates, "--out", tmp_path / "out", "-c", example)
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "out").exists()


def test_usage_errors(tmp_path: Path, example: Path) -> None:
    listed = run_cli("--help")
    assert listed.returncode == 0 and "render" in listed.stdout
    for args, message in [
        (("--target", "nope"), "unknown target nope"),
        (("--target", "drone", "--check"), "--check compares with files on disk"),
        (("--target", "drone", "--account", "ghost"), "no account named ghost"),
        (("--target", "kubernetes", "--label", "novalue"), "not KEY=VALUE"),
        (("--target", "drone", "--template-dir", tmp_path / "missing"), "not a folder"),
    ]:
        result = run_cli("render", *args, "-c", example)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_inline_secrets_deployment_and_drone_static_ecr_keys(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("hub-token")
    (tmp_path / "aws-secret").write_text("aws-secret-key\n")
    accounts = write_accounts(
        tmp_path / "halcfg.yaml",
        "      - name: hub\n        address: docker.io\n        username: u\n        repositories: [a/b]\n"
        "        passwordFile: pw\n      - name: ecr\n        address: 123456789012.dkr.ecr.eu-west-1.amazonaws.com\n"
        "        repositories: [a/b]\n"
        "        ecr: {accessKeyId: AKIDEXAMPLE, secretAccessKeyFile: aws-secret, profile: ci}\n")
    spinnaker = run_cli("render", "--target", "halconfig", "--inline-secrets", "--account", "hub",
                        "--deployment", "prod", "--out", "-", "-c", accounts)
    assert spinnaker.returncode == 0, spinnaker.stderr
    (deployment,) = yaml.load(spinnaker.stdout)["deploymentConfigurations"]
    (hub,) = deployment["providers"]["dockerRegistry"]["accounts"]
    assert deployment["name"] == "prod" and (hub["username"], hub["password"]) == ("u", "hub-token")
    assert "passwordFile" not in hub
    operator = run_cli("render", "--target", "spinnaker-operator", "--deployment", "prod", "--account", "ecr",
                       "--out", "-", "-c", accounts)
    patch = next(d for d in yaml.load_all(operator.stdout) if d and d["kind"] == "SpinnakerService")
    (ecr,) = patch["spec"]["spinnakerConfig"]["config"]["providers"]["dockerRegistry"]["accounts"]
    assert patch["metadata"]["name"] == "prod"
    assert "primaryAccount" not in patch["spec"]["spinnakerConfig"]["config"]["providers"]["dockerRegistry"]
    assert deployment["providers"]["dockerRegistry"]["primaryAccount"] == "hub"  # the first, as Halyard has it
    assert ecr["passwordCommand"] == "aws ecr get-login-password --region eu-west-1 --profile ci"
    drone = run_cli("render", "--target", "drone", "--out", "-", "-c", accounts)
    assert drone.returncode == 0, drone.stderr
    assert yaml.load(drone.stdout)[1] == {"address": "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
                                          "aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "aws-secret-key"}
    preview = run_cli("render", "--target", "drone", "-c", accounts)
    assert "aws-secret-key" not in preview.stdout + preview.stderr and "hub-token" not in preview.stdout


def test_two_accounts_sharing_a_secret_name_share_one_secret_file(tmp_path: Path) -> None:
    # Issue 15 item 8: one Secret per secretName and namespace (it was an error, writing one file twice).
    (tmp_path / "pw").write_text("pw")
    accounts = write_accounts(tmp_path / "halcfg.yaml", "".join(
        f"      - name: {name}\n        address: {name}.example.com\n        username: u\n        passwordFile: pw\n"
        "        kubernetes: {secretName: pull, namespace: ci}\n" for name in ("one", "two")))
    result = run_cli("render", "--target", "kubernetes", "--out", tmp_path / "out", "-c", accounts)
    assert result.returncode == 0 and "[secret-name-taken]" not in result.stdout, result.stdout
    assert sorted(p.name for p in (tmp_path / "out" / "kubernetes").iterdir()) == [
        ".gitignore", ".halcfg-rendered", "ci.pull.yaml"]  # one Secret file, and what render owns beside it
    secret = yaml.load(tmp_path / "out" / "kubernetes" / "ci.pull.yaml")
    assert sorted(json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))["auths"]) == [
        "one.example.com", "two.example.com"]


def test_rendered_helper_config_lets_skopeo_pull_through_docker_credential_halcfg(
    tmp_path: Path, basic_registry: Registry
) -> None:
    from tests.support.credential_helper import helper_env, install_shim

    (tmp_path / "pw").write_text(BASIC_PASSWORD)
    accounts = write_accounts(tmp_path / "halcfg.yaml",
                              f"      - name: local\n        address: {basic_registry.address}\n"
                              f"        plainHttp: true\n        username: {BASIC_USER}\n        passwordFile: pw\n")
    result = run_cli("render", "--target", "docker-config", "--helper", "halcfg", "--out", tmp_path / "out",
                     "-c", accounts)
    assert result.returncode == 0, result.stdout + result.stderr
    authfile = tmp_path / "out" / "docker-config" / "config.json"
    assert json.loads(authfile.read_text()) == {"auths": {}, "credHelpers": {basic_registry.address: "halcfg"}}
    install_shim(tmp_path / "bin")
    listed = subprocess.run(["skopeo", "list-tags", "--tls-verify=false", "--authfile", str(authfile),
                             f"docker://{basic_registry.address}/team/api"], capture_output=True, text=True,
                            env=helper_env(tmp_path, accounts, tmp_path / "bin"), timeout=120)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["Tags"] == SEEDED["team/api"]


def test_kubelet_config_has_only_the_published_fields(rendered: tuple[Path, Path]) -> None:
    _, out = rendered
    config = yaml.load(out / "kubelet/credential-provider-config.yaml")
    # k8s.io/kubelet/config/v1 CredentialProviderConfig and CredentialProvider: the kubelet decodes strictly.
    assert set(config) == {"apiVersion", "kind", "providers"}
    for provider in config["providers"]:
        assert set(provider) <= {"name", "matchImages", "defaultCacheDuration", "apiVersion", "args", "env",
                                 "tokenAttributes"}
        assert provider["matchImages"] and all("/" not in image and "://" not in image
                                               for image in provider["matchImages"])
        assert all(set(item) == {"name", "value"} for item in provider["env"])
        assert re.fullmatch(r"(\d+(\.\d+)?(ns|us|ms|s|m|h))+", provider["defaultCacheDuration"])
