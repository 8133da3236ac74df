"""`halcfg import` through the real CLI on realistic foreign files (tests/data/import/).

Every run goes through `imp`, which also proves that no secret of the fixtures reaches stdout
or stderr, in plain or base64 form.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from halcfg.importers.names import address_of
from halcfg.registry.hosts import parse_address, registry_key
from tests.support.cli import REPO, run_cli

DATA = REPO / "tests" / "data" / "import"
HALCONFIG = DATA / "halconfig.yml"
DRONE = DATA / "drone-registries.yml"
DOCKER = DATA / "docker-config.json"
K8S_LIST = DATA / "k8s-secrets-list.yaml"
K8S_TWO = DATA / "k8s-secret-two-registries.yaml"
K8S_JSON = DATA / "k8s-secret-ghcr.json"

# Every secret in the fixtures, with the user it goes with (for the `user:secret` forms).
SECRETS = {
    "CANARY-halconfig-hub-7f3a": "payments-bot",
    "CANARY-halconfig-staging-91c2": "staging",
    "CANARY-drone-hub-5d1e": "octocat",
    "CANARY-drone-aws-secret-0c44": "AKIAIOSFODNN7EXAMPLE",
    "CANARY-drone-quay-a8f0": "payments+drone",
    "CANARY-docker-hub-3b9d": "payments-bot",
    "CANARY-docker-quay-77e1": "payments+robot",
    "CANARY-docker-acr-token-1f0b": "<token>",
    "CANARY-docker-local-c3d2": "ci",
    "CANARY-k8s-hub-4e21": "payments-bot",
    "CANARY-k8s-quay-90ad": "payments+robot",
    "CANARY-k8s-ghcr-<&>-55b0": "payments-ci",
}

ACCOUNTS_FILE = """\
# Our registries. Reviewed by the platform team.
version: 1
providers:
  dockerRegistry:
    enabled: true   # Spinnaker reads these
    accounts:
      # the in-house registry
      - name: internal
        address: registry.internal:5000   # behind the VPN
        username: ci
        passwordEnv: INTERNAL_TOKEN
"""


def _forms(secret: str, user: str) -> set[str]:
    forms = {secret}
    for raw in (secret, f"{user}:{secret}"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(raw.encode()).decode()
            forms |= {text, text.rstrip("=")}
    return forms


def imp(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`halcfg import ARGS`; fails the test if any fixture secret shows in the output."""
    result = run_cli("import", *args, cwd=cwd)
    out = result.stdout + result.stderr
    assert "Traceback" not in out
    assert "CANARY" not in out, out
    for secret, user in SECRETS.items():
        for form in _forms(secret, user):
            assert form not in out, (secret, out)
    return result


def imported(*args: str | Path) -> str:
    result = imp(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def usage_error(*args: str | Path) -> str:
    """Exit 2 with one line on stderr; returns it."""
    result = imp(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("halcfg: error: "), result.stderr
    return lines[0]


def accounts(path: Path) -> list[dict]:
    result = run_cli("account", "list", "--format", "json", "-c", path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def by_name(path: Path) -> dict[str, dict]:
    return {a["name"]: a for a in accounts(path)}


def secret_file(path: Path, ref: str, *, new_folder: bool = True) -> str:
    """The content of a secret file the import wrote, after checking it is 0600 (in a 0700 folder
    when the import made the folder)."""
    file = path.parent / ref
    assert stat.S_IMODE(file.stat().st_mode) == 0o600, ref
    if new_folder:
        assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    return file.read_text()


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("validate", path)


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    path = tmp_path / "halcfg.yaml"
    path.write_text(ACCOUNTS_FILE)
    return path


# ---- halconfig ----------------------------------------------------------------------------------


def test_halconfig_merges_the_current_deployment_keeping_comments(existing: Path) -> None:
    result = imp("--from", "halconfig", HALCONFIG, "-c", existing)
    text = existing.read_text()
    assert text.startswith(ACCOUNTS_FILE)  # every line of the file as it was, comments included
    found = by_name(existing)
    assert list(found) == ["internal", "dockerhub", "gcr", "quay-s3", "ecr-prod", "harbor"]  # not staging's
    hub = found["dockerhub"]
    assert hub["address"] == "https://index.docker.io"
    assert hub["repositories"] == ["library/nginx", "payments/api"]
    assert hub["username"] == "payments-bot" and hub["trackDigests"] is True
    assert hub["passwordFile"] == "secrets/dockerhub.password"
    assert secret_file(existing, "secrets/dockerhub.password") == "CANARY-halconfig-hub-7f3a"
    assert found["gcr"]["permissions"] == {"READ": ["payments"], "WRITE": ["payments-admins"]}
    assert found["gcr"]["repositoriesRegex"] == "payments-prod/.*"
    assert found["ecr-prod"]["passwordCommand"].startswith("aws --region us-east-1 ecr get-authorization-token")
    # kork-secrets references pass through untouched, with a note saying what that means
    assert "password: encrypted:s3!r:us-west-2!b:payments-secrets!f:spinnaker.yml!k:quay.password\n" in text
    assert "passwordFile: encryptedFile:gcs!b:payments-secrets!f:harbor-robot.txt\n" in text
    assert "passes it through to Spinnaker targets but cannot resolve it" in result.stdout
    assert "dockerconfigFile is not imported: clouddriver accepts dockerconfigFile but never reads it" in result.stdout
    assert "CANARY" not in text
    # Halyard's absolute passwordFile is on the Halyard host: imported, and said to be elsewhere (issue
    # 17.1: a file that is not on this machine is an error only where the secrets are needed)
    assert found["gcr"]["passwordFile"] == "/home/spinnaker/.hal/secrets/gcr-key.json"
    assert result.returncode == 0, result.stdout
    assert f"{existing}:" in result.stdout and "info [file-absent] account 'gcr'" in result.stdout
    assert "Secret files written (mode 0600): secrets/dockerhub.password" in result.stdout
    assert "Imported 5 accounts" in result.stdout
    checked = validate(existing)
    assert checked.returncode == 0 and "info [file-absent] account 'gcr': passwordFile" in checked.stdout
    required = run_cli("validate", "--require-secrets", existing)
    assert required.returncode == 1 and "error [file-missing] account 'gcr': passwordFile" in required.stdout
    assert "quay-s3" not in checked.stdout  # references accepted; one halcfg cannot resolve is named, no more
    named = [line for line in checked.stdout.splitlines() if "harbor" in line]
    assert named == [f"{existing}:83:9: info [secret-reference-unresolved] account 'harbor': passwordFile: "
                     "halcfg does not resolve kork's 'gcs' engine, so probe and the targets that need the password "
                     "itself skip this account"]
    assert ("fix: Spinnaker targets keep the reference as it is; to probe it or render it for Drone, Kubernetes or "
            "docker from here, give the account a passwordCommand such as 'gsutil cat gs://<b>/<f>'") in checked.stdout


def test_halconfig_keeps_every_halyard_field(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    imp("--from", "halconfig", HALCONFIG, "-c", path)
    gcr = by_name(path)["gcr"]
    for key, value in {
        "requiredGroupMembership": ["payments-admins"], "providerVersion": "V1", "email": "fake.email@spinnaker.io",
        "cacheIntervalSeconds": 30, "clientTimeoutMillis": 60000, "cacheThreads": 1, "paginateSize": 100,
        "sortTagsByDate": False, "trackDigests": False, "insecureRegistry": False,
    }.items():
        assert gcr[key] == value, key
    text = path.read_text()
    assert "primaryAccount: dockerhub\n" in text  # from the halconfig, into a new file


def test_halconfig_other_deployment(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    out = imported("--from", "halconfig", HALCONFIG, "--deployment", "staging", "-c", path)
    found = by_name(path)
    assert list(found) == ["staging-registry"]
    staging = found["staging-registry"]
    assert staging["address"] == "http://registry.staging.internal:5000"
    assert staging["insecureRegistry"] is True and staging["cacheThreads"] == 2
    assert secret_file(path, staging["passwordFile"]) == "CANARY-halconfig-staging-91c2"
    assert "+ staging-registry" in out


def test_halconfig_deployment_errors(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    line = usage_error("--from", "halconfig", HALCONFIG, "--deployment", "stagign", "-c", path)
    assert line == f"halcfg: error: {HALCONFIG}:1:1: no deployment named 'stagign'; did you mean 'staging'?"
    no_current = tmp_path / "config"
    no_current.write_text(HALCONFIG.read_text().replace("currentDeployment: default\n", ""))
    line = usage_error("--from", "halconfig", no_current, "-c", path)
    assert "several deployments (default, staging) and no currentDeployment; pick one with --deployment" in line
    assert line.startswith(f"halcfg: error: {no_current}:3:1: ")
    assert not path.exists()
    line = usage_error("--from", "drone", DRONE, "--deployment", "default", "-c", path)
    assert line == "halcfg: error: --deployment goes with --from halconfig"


# ---- drone --------------------------------------------------------------------------------------


def test_drone_registry_file(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    out = imported("--from", "drone", DRONE, "-c", path)
    found = by_name(path)
    assert list(found) == ["dockerhub", "gcr", "ecr-us-east-1", "ecr-eu-west-1", "quay"]
    assert found["dockerhub"]["address"] == "index.docker.io"
    assert secret_file(path, found["dockerhub"]["passwordFile"]) == "CANARY-drone-hub-5d1e"
    # GCR's JSON key: the same JSON, on one line (newer clouddriver reads a password file's first line)
    key = secret_file(path, found["gcr"]["passwordFile"])
    assert "\n" not in key and found["gcr"]["username"] == "_json_key"
    source = next(entry for entry in _yaml(DRONE) if entry["address"] == "gcr.io")["password"]
    assert json.loads(key) == json.loads(source)
    # ECR: static keys become ecr.accessKeyId and a 0600 secret-key file; no keys means the default chain
    ecr = found["ecr-us-east-1"]
    assert ecr["ecr"] == {"accessKeyId": "AKIAIOSFODNN7EXAMPLE",
                          "secretAccessKeyFile": "secrets/ecr-us-east-1.secret-access-key"}
    assert "username" not in ecr and "passwordFile" not in ecr
    assert secret_file(path, ecr["ecr"]["secretAccessKeyFile"]) == "CANARY-drone-aws-secret-0c44"
    assert found["ecr-eu-west-1"]["ecr"] == {}
    assert found["quay"] == {"name": "quay", "address": "quay.io", "username": "payments+drone",
                             "email": "drone@example.com", "passwordFile": "secrets/quay.password"}
    assert ("Secret files written (mode 0600): secrets/dockerhub.password, secrets/gcr.password, "
            "secrets/ecr-us-east-1.secret-access-key, secrets/quay.password") in out
    assert validate(path).returncode == 0


def test_deleting_an_imported_ecr_account_removes_its_secret_key_file(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    imported("--from", "drone", DRONE, "-c", path)
    key_file = tmp_path / "secrets" / "ecr-us-east-1.secret-access-key"
    assert key_file.is_file()
    result = run_cli("account", "delete", "ecr-us-east-1", "-c", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Removed secrets/ecr-us-east-1.secret-access-key: no account uses it any more." in result.stdout
    assert not key_file.exists()
    assert (tmp_path / "secrets" / "quay.password").is_file()  # other accounts' files stay


def _yaml(path: Path) -> object:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(path.read_text())


# ---- docker config.json -------------------------------------------------------------------------


def test_docker_config(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    out = imported("--from", "docker-config", DOCKER, "-c", path)
    found = by_name(path)
    assert list(found) == ["dockerhub", "quay", "myregistry-azurecr", "registry-example-5000", "ecr-us-east-1"]
    hub = found["dockerhub"]  # keyed https://index.docker.io/v1/, `auth` decoded
    assert (hub["address"], hub["username"]) == ("index.docker.io", "payments-bot")
    assert secret_file(path, hub["passwordFile"]) == "CANARY-docker-hub-3b9d"
    assert secret_file(path, found["quay"]["passwordFile"]) == "CANARY-docker-quay-77e1"
    acr = found["myregistry-azurecr"]
    assert acr["username"] == "<token>"
    assert secret_file(path, acr["passwordFile"]) == "CANARY-docker-acr-token-1f0b"
    assert found["registry-example-5000"]["address"] == "registry.example.com:5000"
    assert found["ecr-us-east-1"] == {"name": "ecr-us-east-1",
                                      "address": "012345678910.dkr.ecr.us-east-1.amazonaws.com", "ecr": {}}
    assert "gcr.io: its credentials live in docker-credential-gcloud, not in this file; not importable" in out
    assert "gcr" not in found
    assert validate(path).returncode == 0


# ---- Kubernetes Secrets -------------------------------------------------------------------------


def test_kubectl_get_secret_list(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    out = imported("--from", "kubernetes-secret", K8S_LIST, "-c", path)
    found = by_name(path)
    assert list(found) == ["dockerhub", "quay", "ghcr"]
    assert found["dockerhub"]["kubernetes"] == {"secretName": "regcred", "namespace": "payments"}
    assert found["quay"]["kubernetes"] == {"secretName": "regcred", "namespace": "payments"}
    assert found["quay"]["email"] == "robot@example.com"
    assert found["ghcr"]["kubernetes"] == {"secretName": "ghcr-pull", "namespace": "ci"}
    assert secret_file(path, found["ghcr"]["passwordFile"]) == "CANARY-k8s-ghcr-<&>-55b0"  # Go's \\u003c decoded
    assert f"{K8S_LIST}:28:9: info [import-not-pull-secret] Secret default-token-x7k2p" in out


def test_one_secret_yaml_and_json(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    imported("--from", "kubernetes-secret", K8S_TWO, "-c", path)
    assert list(by_name(path)) == ["dockerhub", "quay"]
    imported("--from", "kubernetes-secret", K8S_JSON, "-c", path)
    assert list(by_name(path)) == ["dockerhub", "quay", "ghcr"]


# ---- conflicts, --overwrite, --dry-run ----------------------------------------------------------


def test_conflicts_are_reported_and_left_alone(example: Path) -> None:
    before = example.read_bytes()
    hub_password = (example.parent / "secrets" / "dockerhub.password").read_bytes()
    out = imported("--from", "docker-config", DOCKER, "-c", example)
    # Docker Hub is account 'dockerhub', ECR's host is 'ecr-prod': same registry, so left as they are
    assert "! dockerhub (index.docker.io): conflict, left as it is: account 'dockerhub' already uses docker.io" in out
    assert "! ecr-us-east-1 (012345678910.dkr.ecr.us-east-1.amazonaws.com): conflict" in out
    # quay.io is account 'quay': conflict; the others are new
    assert "! quay (quay.io): conflict" in out
    assert "+ myregistry-azurecr (myregistry.azurecr.io): add" in out
    after = example.read_text()
    assert after.startswith(before.decode())  # appended; nothing before touched
    assert (example.parent / "secrets" / "dockerhub.password").read_bytes() == hub_password
    # the same import again changes nothing at all
    again = example.read_bytes()
    out = imported("--from", "docker-config", DOCKER, "-c", example)
    assert "Nothing to change." in out and "+ " not in out
    assert example.read_bytes() == again


def test_halconfig_name_conflict(existing: Path) -> None:
    existing.write_text(ACCOUNTS_FILE.replace("name: internal", "name: gcr"))
    out = imp("--from", "halconfig", HALCONFIG, "-c", existing).stdout
    assert "! gcr (https://gcr.io): conflict, left as it is: an account named 'gcr' exists" in out
    assert by_name(existing)["gcr"]["address"] == "registry.internal:5000"


def test_overwrite_replaces_in_place_keeping_name_and_comments(example: Path) -> None:
    before = example.read_text()
    out = imported("--from", "docker-config", DOCKER, "--overwrite", "-c", example)
    assert "~ dockerhub (index.docker.io): replace (account 'dockerhub' already uses docker.io)" in out
    found = by_name(example)
    assert list(found)[:2] == ["dockerhub", "gcr"]  # same place
    hub = found["dockerhub"]
    assert hub == {"name": "dockerhub", "address": "index.docker.io", "username": "payments-bot",
                   "passwordFile": "secrets/dockerhub.password"}
    assert secret_file(example, "secrets/dockerhub.password", new_folder=False) == "CANARY-docker-hub-3b9d"
    after = example.read_text()
    assert "# Docker Hub has no catalog: list every repository Spinnaker should index.\n" in after
    assert "# GCR with a service-account key (username is literally _json_key).\n" in after
    assert after.splitlines()[:10] == before.splitlines()[:10]
    ecr = found["ecr-prod"]  # the ECR account keeps its name; the helper's account has no drone block
    assert ecr["ecr"] == {} and "drone" not in ecr


def test_dry_run_writes_nothing(tmp_path: Path, existing: Path) -> None:
    before = existing.read_bytes()
    out = imported("--from", "drone", DRONE, "--dry-run", "-c", existing)
    assert out.startswith(f"Dry run: drone {DRONE} → {existing}\n")
    assert "+ dockerhub (index.docker.io): would add" in out
    assert "Secret files that would be written (mode 0600): secrets/dockerhub.password" in out
    assert f"--- {existing}\n+++ {existing}\n" in out and "+      - name: dockerhub\n" in out
    assert out.rstrip().endswith("Nothing written (--dry-run).")
    assert existing.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["halcfg.yaml"]  # no secrets/, no lock
    fresh = tmp_path / "new.yaml"
    imported("--from", "drone", DRONE, "--dry-run", "-c", fresh)
    assert not fresh.exists()


# ---- bad input ----------------------------------------------------------------------------------


def _bad(tmp_path: Path, source: str, name: str, content: str | bytes) -> tuple[str, Path]:
    """Import a bad file into an existing accounts file: exit 2, one line, nothing changed."""
    accounts_file = tmp_path / "halcfg.yaml"
    accounts_file.write_text(ACCOUNTS_FILE)
    bad = tmp_path / name
    bad.write_bytes(content.encode() if isinstance(content, str) else content)
    line = usage_error("--from", source, bad, "-c", accounts_file)
    assert accounts_file.read_text() == ACCOUNTS_FILE
    assert not (tmp_path / "secrets").exists()
    return line, bad


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _secret(config: str, kind: str = "kubernetes.io/dockerconfigjson") -> str:
    return (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\ntype: {kind}\n"
            f"data:\n  .dockerconfigjson: {_b64(config)}\n")


BAD = [
    ("halconfig", "config", "currentDeployment: default\ndeploymentConfigurations:\n- name: default\n  providers: [\n",
     ":5:1: "),
    ("halconfig", "config", "- address: docker.io\n", ":1:1: not a halconfig"),
    ("halconfig", "config", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
     "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n", "alias bomb"),
    ("halconfig", "config", "deploymentConfigurations:\n- name: default\n  providers:\n    dockerRegistry:\n"
     "      accounts:\n      - address: quay.io\n", ":6:9: an account must be a mapping with a name"),
    ("drone", "registries.yml", "address: docker.io\n", ":1:1: not a Drone registry file"),
    ("drone", "registries.yml", "- username: octocat\n  password: CANARY-drone-hub-5d1e\n",
     ":1:3: the registry has no address"),
    ("drone", "registries.yml", "- address: docker.io\n  username: [a]\n", ":2:13: username must be a string"),
    ("drone", "registries.yml", "- address: 012345678910.dkr.ecr.us-east-1.amazonaws.com\n"
     "  aws_access_key_id: AKIA\n", ":1:3: aws_access_key_id and aws_secret_access_key go together"),
    ("drone", "registries.yml", "- address: 'docker.io\n", ":2:1: "),
    ("docker-config", "config.json", '{\n\t"auths": {\n\t\t"quay.io": {"auth": "x"},\n\t}\n}',
     ":4:2: not valid JSON"),
    ("docker-config", "config.json", '{"auths": {"quay.io": {"auth": "bm90LWJhc2U2NA%%"}}}',
     ': auths["quay.io"].auth: auth does not decode'),
    ("docker-config", "config.json", '{"auths": {"quay.io": {"auth": "' + _b64("no-colon") + '"}}}',
     ': auths["quay.io"].auth: auth does not decode to user:password'),
    ("docker-config", "config.json", '{"proxies": {}}', ": not a docker config.json"),
    ("docker-config", "config.json", '{"auths": {"https://u:CANARY-docker-quay-77e1@quay.io": {}}}',
     ": auths: a registry key holds credentials (user:password@)"),
    ("drone", "registries.yml", "- address: https://u:CANARY-drone-quay-a8f0@quay.io\n",
     ":1:12: address: holds credentials (user:password@)"),
    ("docker-config", "config.json", "auths:\n  quay.io: {}\n", ":1:1: not valid JSON"),
    ("kubernetes-secret", "secret.yaml", _secret("{}", "Opaque"),
     ":5:7: Secret regcred is of type Opaque, not kubernetes.io/dockerconfigjson"),
    ("kubernetes-secret", "secret.yaml", "apiVersion: v1\nkind: ConfigMap\n", ":2:7: not a Kubernetes Secret or List"),
    ("kubernetes-secret", "secret.yaml", _secret('{"auths": {"quay.io": {"auth": "' + _b64("u") + '"}}}'),
     ':7:22: data[".dockerconfigjson"] → auths["quay.io"].auth: auth does not decode to user:password'),
    ("kubernetes-secret", "secret.yaml", _secret("{not json"),
     ':7:22: data[".dockerconfigjson"]: line 1 column 2: not valid JSON'),
    ("kubernetes-secret", "secret.yaml", _secret("{}").replace(_b64("{}"), "not*base64"),
     ':7:22: data[".dockerconfigjson"] is not base64'),
    ("kubernetes-secret", "secret.json", json.dumps({"kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                                                     "data": {}}), ": data: the Secret has no data"),
    ("kubernetes-secret", "secret.yaml", b"kind: Secret\nname: \xff\n", ":2:7: byte 0xff is not UTF-8"),
]


@pytest.mark.parametrize(("source", "name", "content", "expected"), BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input(tmp_path: Path, source: str, name: str, content: str, expected: str) -> None:
    line, bad = _bad(tmp_path, source, name, content)
    assert line.startswith(f"halcfg: error: {bad}"), line
    assert expected in line, line


def test_not_a_regular_file_or_too_big(tmp_path: Path, existing: Path) -> None:
    line = usage_error("--from", "drone", tmp_path, "-c", existing)
    assert line == f"halcfg: error: {tmp_path}: is a directory, not a regular file"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    line = usage_error("--from", "drone", fifo, "-c", existing)
    assert line == f"halcfg: error: {fifo}: is a FIFO, not a regular file"
    big = tmp_path / "big.yml"
    big.write_text("- address: docker.io\n" + "#" * (5 * 2**20))
    assert usage_error("--from", "drone", big, "-c", existing) == (
        f"halcfg: error: {big}: is larger than 4 MiB, the most halcfg reads")
    missing = tmp_path / "missing.yml"
    assert usage_error("--from", "drone", missing, "-c", existing) == f"halcfg: error: {missing}: no such file"
    empty = tmp_path / "empty.yml"
    empty.write_text("\n")
    assert usage_error("--from", "drone", empty, "-c", existing) == f"halcfg: error: {empty}: file is empty"
    line = usage_error("--from", "quay", DRONE, "-c", existing)
    assert line == ("halcfg: error: --from must be one of halconfig, drone, docker-config, kubernetes-secret, "
                    "not 'quay'")
    assert existing.read_text() == ACCOUNTS_FILE


def test_a_secret_file_left_by_someone_else_is_never_taken_over(existing: Path) -> None:
    folder = existing.parent / "secrets"
    folder.mkdir(mode=0o700)
    (folder / "dockerhub.password").write_text("someone else's")
    imported("--from", "drone", DRONE, "-c", existing)
    assert (folder / "dockerhub.password").read_text() == "someone else's"
    assert by_name(existing)["dockerhub"]["passwordFile"] == "secrets/dockerhub-2.password"
    assert secret_file(existing, "secrets/dockerhub-2.password") == "CANARY-drone-hub-5d1e"


def test_import_then_every_source_into_one_file(example: Path) -> None:
    """Three sources one after another: names stay unique."""
    path = example
    for source, file in (("drone", DRONE), ("docker-config", DOCKER), ("kubernetes-secret", K8S_LIST)):
        assert imp("--from", source, file, "-c", path).returncode == 0
    names = [a["name"] for a in accounts(path)]
    assert len(names) == len(set(names))


# ---- kork-secrets references after the import -------------------------------------------------


def test_secret_references_validate_and_probe_says_what_it_cannot_do(tmp_path: Path, anon_registry) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(
        "version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n    accounts:\n"
        # s3 and secrets-manager references are resolved now (tests/cli/test_kork.py); these two are not
        f"      - name: gsm\n        address: http://{anon_registry.address}\n        username: u\n"
        "        password: encrypted:google-secrets-manager!p:123!s:bucket!k:docker.password\n"
        f"      - name: gcs\n        address: http://{anon_registry.address}\n        username: u\n"
        "        passwordFile: encryptedFile:gcs!b:bucket!f:docker-password.txt\n"
    )
    checked = run_cli("validate", path)
    assert checked.returncode == 0, checked.stdout
    assert "plaintext" not in checked.stdout and "file-missing" not in checked.stdout, checked.stdout
    probed = run_cli("probe", "-c", path)
    assert probed.returncode == 0, probed.stdout + probed.stderr
    for name, key, engine in (("gsm", "password", "encrypted:google-secrets-manager"),
                              ("gcs", "passwordFile", "encryptedFile:gcs")):
        assert (f"warning [secret-reference] account '{name}': {key} is a Spinnaker secret reference ({engine}!…); "
                "only Spinnaker resolves it, so halcfg cannot use the credential here") in probed.stdout
    assert "docker.password" not in probed.stdout and "bucket" not in probed.stdout


# ---- round trip: import, then render to the same target -----------------------------------------


def render(path: Path, target: str, *extra: str) -> str:
    """`halcfg render --out -`: the real bytes (secrets included, so never printed by a test)."""
    result = run_cli("render", "-t", target, "-c", path, "--out", "-", *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _docs(text: str) -> list:
    from ruamel.yaml import YAML

    return [doc for doc in YAML(typ="safe").load_all(text) if doc is not None]


def _registry(key: str) -> str:
    return registry_key(parse_address(address_of(key)[0]))


def test_round_trip_halconfig(tmp_path: Path) -> None:
    """Every field of every account of the deployment comes back; the plaintext password comes back
    as a passwordFile holding it, and dockerconfigFile (never read by clouddriver) stays out."""
    key_file = tmp_path / "gcr-key.json"
    key_file.write_text('{"type": "service_account"}')
    source_file = tmp_path / "config"
    source_file.write_text(HALCONFIG.read_text().replace("/home/spinnaker/.hal/secrets/gcr-key.json", str(key_file)))
    path = tmp_path / "halcfg.yaml"
    imported("--from", "halconfig", source_file, "-c", path)
    source = _yaml(source_file)["deploymentConfigurations"][0]["providers"]["dockerRegistry"]
    (rendered,) = _docs(render(path, "halconfig"))
    back = rendered["deploymentConfigurations"][0]["providers"]["dockerRegistry"]
    assert (back["enabled"], back["primaryAccount"]) == (source["enabled"], source["primaryAccount"])
    expected = []
    for account in source["accounts"]:
        account = dict(account)
        account.pop("dockerconfigFile", None)
        roles = account.pop("requiredGroupMembership", [])  # clouddriver reads only permissions (issue 15 item 3)
        if roles and "permissions" not in account:
            account["permissions"] = {"READ": roles, "WRITE": roles}
        if "password" in account and not account["password"].startswith("encrypted:"):
            account["passwordFile"] = f"secrets/{account['name']}.password"
            assert secret_file(path, account["passwordFile"]) == account.pop("password")
        expected.append(account)
    assert back["accounts"] == expected


def test_round_trip_drone(tmp_path: Path) -> None:
    def normal(entry: dict) -> dict:
        out = {key: value for key, value in entry.items() if value}
        out["address"] = _registry(out["address"])  # docker.io either way; https://quay.io is quay.io
        if out.get("username") == "_json_key":
            out["password"] = json.loads(out["password"])  # the same key, on one line
        return out

    path = tmp_path / "halcfg.yaml"
    imported("--from", "drone", DRONE, "-c", path)
    (rendered,) = _docs(render(path, "drone"))
    assert [normal(e) for e in rendered] == [normal(e) for e in _yaml(DRONE)]


def _docker_credentials(config: dict) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """({registry: (user, password)} from auths, {registry: helper}) as docker reads them."""
    auths = {}
    for key, entry in config.get("auths", {}).items():
        if entry.get("auth"):
            user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            auths[_registry(key)] = (user, password)
        elif entry.get("username"):
            auths[_registry(key)] = (entry["username"], entry["password"])
    return auths, {_registry(key): helper for key, helper in config.get("credHelpers", {}).items()}


def test_round_trip_docker_config(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    imported("--from", "docker-config", DOCKER, "-c", path)
    source = json.loads(DOCKER.read_text())
    rendered = json.loads(render(path, "docker-config"))
    auths, helpers = _docker_credentials(source)
    back_auths, back_helpers = _docker_credentials(rendered)
    # what docker would use comes back: every inline credential, and the ecr-login helper ...
    assert back_helpers == {host: h for host, h in helpers.items() if h == "ecr-login"}
    assert {host: cred for host, cred in back_auths.items() if host not in helpers} == {
        host: cred for host, cred in auths.items() if host not in helpers
    } | {"myregistry.azurecr.io": ("<token>", "CANARY-docker-acr-token-1f0b")}
    # ... except the identity token, which comes back as Basic credentials (user <token>), and the
    # gcloud helper's registry, which this file never held credentials for
    assert "identitytoken" not in json.dumps(rendered) and "gcr.io" not in rendered["auths"]


def test_round_trip_kubernetes_secret(tmp_path: Path) -> None:
    """Each pull Secret comes back with the very .dockerconfigjson bytes it held (the one with two
    registries through --combined, since render makes one Secret per account otherwise)."""
    path = tmp_path / "halcfg.yaml"
    imported("--from", "kubernetes-secret", K8S_LIST, "-c", path)
    found = by_name(path)
    for secret in _yaml(K8S_LIST)["items"]:
        if secret["type"] != "kubernetes.io/dockerconfigjson":
            continue
        meta = secret["metadata"]
        names = [n for n, a in found.items() if a["kubernetes"] == {"secretName": meta["name"],
                                                                    "namespace": meta["namespace"]}]
        accounts = [arg for name in names for arg in ("--account", name)]
        (back,) = _docs(render(path, "kubernetes", "--combined", "--secret-name", meta["name"],
                               "--namespace", meta["namespace"], *accounts))
        assert (back["metadata"]["name"], back["metadata"]["namespace"]) == (meta["name"], meta["namespace"])
        assert back["type"] == secret["type"]
        assert base64.b64decode(back["data"][".dockerconfigjson"]) == base64.b64decode(
            secret["data"][".dockerconfigjson"])


# ---- round trips: every source renders back to its own format with the same credentials ---------


def _render_out(config: Path, *args: str) -> str:
    result = run_cli("render", *args, "--out", "-", "-c", config)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _yaml_docs(text: str) -> list:
    from ruamel.yaml import YAML

    return [d for d in YAML(typ="safe").load_all(text) if d is not None]


def test_halconfig_round_trip_keeps_every_credential(tmp_path: Path) -> None:
    (tmp_path / "q.pw").write_text("quay-pw")
    source = tmp_path / "config"
    source.write_text(
        "deploymentConfigurations:\n- name: default\n  providers:\n    dockerRegistry:\n      enabled: true\n"
        "      accounts:\n"
        "      - {name: hub, address: 'https://index.docker.io', username: bot, password: 'hub-pw<&>',"
        " repositories: [library/nginx], requiredGroupMembership: [ops]}\n"
        f"      - {{name: quay, address: 'https://quay.io', username: robot, passwordFile: '{tmp_path / 'q.pw'}'}}\n")
    config = tmp_path / "halcfg.yaml"
    imported("--from", "halconfig", source, "-c", config)
    (deployment,) = _yaml_docs(_render_out(config, "--target", "halconfig", "--inline-secrets"))[0][
        "deploymentConfigurations"]
    got = {a["name"]: (a["address"], a["username"], a["password"]) for a in
           deployment["providers"]["dockerRegistry"]["accounts"]}
    assert got == {"hub": ("https://index.docker.io", "bot", "hub-pw<&>"),
                   "quay": ("https://quay.io", "robot", "quay-pw")}
    hub = deployment["providers"]["dockerRegistry"]["accounts"][0]
    assert hub["permissions"] == {"READ": ["ops"], "WRITE": ["ops"]}  # what Halyard's old field meant


def test_drone_round_trip_keeps_credentials_and_plain_http(tmp_path: Path) -> None:
    key = {"type": "service_account", "private_key": "-----BEGIN-----\nk\n-----END-----\n"}
    source = tmp_path / "registries.yml"
    source.write_text(
        "- {address: docker.io, username: octo, password: 'hub-pw'}\n"
        "- {address: 'http://registry.lab:5000', username: ci, password: 'lab-pw'}\n"
        "- address: gcr.io\n  username: _json_key\n  password: |\n"
        + "".join(f"    {line}\n" for line in json.dumps(key, indent=2).splitlines()))
    config = tmp_path / "halcfg.yaml"
    imported("--from", "drone", source, "-c", config)
    lab = by_name(config)["registry-lab-5000"]
    assert lab["plainHttp"] is True  # Drone's http:// address
    rendered = _yaml_docs(_render_out(config, "--target", "drone"))[0]
    got = {r["address"]: (r["username"], r["password"]) for r in rendered}
    assert got["docker.io"] == ("octo", "hub-pw") and got["registry.lab:5000"] == ("ci", "lab-pw")
    assert got["gcr.io"][0] == "_json_key" and json.loads(got["gcr.io"][1]) == key
    assert len(got) == 3


def test_docker_config_round_trip_keeps_every_auth(tmp_path: Path) -> None:
    auths = {"https://index.docker.io/v1/": {"auth": base64.b64encode(b"bot:hub-pw").decode()},
             "quay.io": {"username": "robot", "password": "quay<&>pw"},
             "registry.lab:5000": {"auth": base64.b64encode(b"ci:lab:pw").decode()}}
    source = tmp_path / "config.json"
    source.write_text(json.dumps({"auths": auths}))
    config = tmp_path / "halcfg.yaml"
    imported("--from", "docker-config", source, "-c", config)
    rendered = json.loads(_render_out(config, "--target", "docker-config"))["auths"]
    decoded = {k: base64.b64decode(v["auth"]).decode() for k, v in rendered.items()}
    assert decoded == {"https://index.docker.io/v1/": "bot:hub-pw", "quay.io": "robot:quay<&>pw",
                       "registry.lab:5000": "ci:lab:pw"}


def _pull_secret(name: str, namespace: str, auths: dict[str, tuple[str, str]]) -> str:
    config = {"auths": {host: {"username": u, "password": p, "auth": base64.b64encode(f"{u}:{p}".encode()).decode()}
                        for host, (u, p) in auths.items()}}
    data = base64.b64encode(json.dumps(config).encode()).decode()
    return (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
            f"type: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {data}\n")


def _secrets(text: str) -> dict[tuple[str, str], dict[str, tuple[str, str]]]:
    found = {}
    for doc in _yaml_docs(text):
        auths = json.loads(base64.b64decode(doc["data"][".dockerconfigjson"]))["auths"]
        found[(doc["metadata"].get("namespace"), doc["metadata"]["name"])] = {
            host: (e["username"], e["password"]) for host, e in auths.items()}
    return found


def test_kubernetes_stream_round_trip_and_halcfgs_own_output_import(tmp_path: Path) -> None:
    regcred = {"https://index.docker.io/v1/": ("bot", "hub-pw"), "quay.io": ("robot", "quay-pw")}
    ghcr = {"ghcr.io": ("ci", "gh-pw<&>")}
    source = tmp_path / "secrets.yaml"
    source.write_text("# two pull Secrets and something else, as kubectl applies them\n"
                      + _pull_secret("regcred", "payments", regcred) + "---\n"
                      + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n---\n"
                      + _pull_secret("ghcr", "ci", ghcr) + "---\n")
    config = tmp_path / "halcfg.yaml"
    imported("--from", "kubernetes-secret", source, "-c", config)
    rendered = _render_out(config, "--target", "kubernetes")
    assert _secrets(rendered) == {("payments", "regcred"): regcred, ("ci", "ghcr"): ghcr}  # one Secret each, as before
    own = tmp_path / "rendered.yaml"
    own.write_text(rendered)  # halcfg's `render -t kubernetes --out -`: a `--- # kubernetes/...` stream
    again = tmp_path / "again" / "halcfg.yaml"  # the same name: it is in the header comment
    again.parent.mkdir()
    imported("--from", "kubernetes-secret", own, "-c", again)
    assert _render_out(again, "--target", "kubernetes") == rendered
    single = tmp_path / "single.yaml"
    single.write_text(_render_out(config, "--target", "kubernetes", "--account", "ghcr"))  # one document, no ---
    third = tmp_path / "third.yaml"
    imported("--from", "kubernetes-secret", single, "-c", third)
    assert _secrets(_render_out(third, "--target", "kubernetes")) == {("ci", "ghcr"): ghcr}
