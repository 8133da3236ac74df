"""`halcfg account add|edit|get|list|delete` through the real CLI: Halyard's flags and
meanings, secrets kept out of the file and out of every output, clear errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from halcfg.cli.account_flags import block_flag
from halcfg.config.fields import FIELDS
from tests.support import BASIC_PASSWORD, BASIC_USER
from tests.support.cli import run_cli
from tests.support.cli import run_ok as ok
from tests.support.terminal import on_a_terminal

CANARY = "CANARY-s3cr3t-7f3a"




def usage_error(*args: str | Path, input: str | None = None) -> str:
    """Exit 2, one line on stderr, no traceback; returns that line."""
    result = run_cli(*args, input=input)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith(("halcfg: error: ", "Error: ")), result.stderr
    return result.stderr.strip()


def account(path: Path, name: str) -> dict:
    return json.loads(ok("account", "get", name, "--format", "json", "-c", path))


# ---- add ----------------------------------------------------------------------------------------


def test_halyards_command_line_works_and_keeps_the_password_out_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    out = ok("account", "add", "my-account", "--address", "index.docker.io", "--repositories", "library/nginx",
             "--username", "u", "--password", "--no-validate", "-c", path, input=CANARY + "\n")
    assert out.strip() == "+ Added account my-account. Its password is in secrets/my-account.password (mode 0600)."
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=https://halcfg.dev/schemas/halcfg.schema.json\n")
    assert CANARY not in text
    assert text.endswith(
        "    accounts:\n"
        "      - name: my-account\n"
        "        address: index.docker.io\n"
        "        repositories: [library/nginx]\n"
        "        username: u\n"
        "        passwordFile: secrets/my-account.password\n"
    )
    secret = tmp_path / "secrets" / "my-account.password"
    assert secret.read_text() == CANARY  # the newline that ended stdin is not part of it
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(secret.parent.stat().st_mode) == 0o700
    assert run_cli("validate", path).returncode == 0


def test_bare_password_prompts_hidden_on_a_terminal(tmp_path: Path) -> None:
    code, seen = on_a_terminal("account", "add", "hub", "--address", "index.docker.io", "--password",
                               "--no-validate", cwd=tmp_path, answers={b"Password: ": CANARY.encode() + b"\n"})
    assert code == 0, seen
    assert b"+ Added account hub." in seen
    assert CANARY.encode() not in seen  # not echoed
    assert (tmp_path / "secrets" / "hub.password").read_text() == CANARY


def test_a_refused_add_on_a_terminal_offers_to_save_anyway(tmp_path: Path, free_port: int) -> None:
    code, seen = on_a_terminal("account", "add", "down", "--address", f"127.0.0.1:{free_port}", "--plain-http",
                               "--timeout", "5", cwd=tmp_path, answers={b"Save it anyway? [y/N]": b"y\n"})
    assert code == 0, seen
    assert b"probing account down at 127.0.0.1:" in seen and b"[registry-unreachable]" in seen
    assert b"+ Added account down." in seen
    assert "name: down" in (tmp_path / "halcfg.yaml").read_text()


@pytest.mark.parametrize("answer", [b"y", b"n"])
def test_the_save_anyway_prompt_says_one_thing_and_shows_each_finding_once(
        tmp_path: Path, free_port: int, answer: bytes) -> None:
    ok("account", "add", "first", "--address", f"127.0.0.1:{free_port}", "--plain-http", "--no-validate",
       "-c", tmp_path / "halcfg.yaml")  # so the refused one also gets a warning (same registry)
    code, seen = on_a_terminal("account", "add", "down", "--address", f"127.0.0.1:{free_port}", "--plain-http",
                               "--timeout", "5", cwd=tmp_path, env={"NO_COLOR": "1"},
                               answers={b"Save it anyway? [y/N]": answer + b"\n"})
    text = seen.decode().replace("\r\n", "\n")
    assert text.count("[registry-unreachable]") == 1 and text.count("[same-registry]") == 1, text
    assert "run the command again with --no-validate" not in text  # no second, different advice
    assert text.count("The registry refused it (above). Save it anyway? [y/N]:") == 1
    saved = "name: down" in (tmp_path / "halcfg.yaml").read_text()
    if answer == b"y":
        assert (code, saved) == (0, True) and text.rstrip().endswith("+ Added account down.")
    else:
        assert (code, saved) == (1, False) and text.rstrip().endswith("Not saved; the file is unchanged.")


@pytest.mark.parametrize(
    "spelling",
    [
        ["--repositories", "a/one", "b/two", "c/three"],  # Halyard's variable arity
        ["--repositories", "a/one,b/two", "--repositories", "c/three"],
        ["--repositories=a/one", "--repositories=b/two,c/three"],
    ],
)
def test_list_flags_take_every_spelling(tmp_path: Path, spelling: list[str]) -> None:
    path = tmp_path / "halcfg.yaml"
    ok("account", "add", "hub", *spelling, "--address", "index.docker.io", "--read-permissions", "dev", "ops",
       "--write-permissions", "ops", "--no-validate", "-c", path)
    got = account(path, "hub")
    assert got["repositories"] == ["a/one", "b/two", "c/three"]
    assert got["permissions"] == {"READ": ["dev", "ops"], "WRITE": ["ops"]}


def test_boolean_flags_take_halyards_true_false_or_nothing(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    ok("account", "add", "local", "--address", "localhost:5000", "--plain-http", "--track-digests", "true",
       "--sort-tags-by-date", "false", "--insecure-registry=false", "--no-validate", "-c", path)
    got = account(path, "local")
    assert (got["plainHttp"], got["trackDigests"], got["sortTagsByDate"], got["insecureRegistry"]) == (
        True, True, False, False)
    assert "--track-digests takes true or false" in usage_error(
        "account", "edit", "local", "--track-digests=maybe", "-c", path)


def test_every_halyard_and_halcfg_field(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    ok("account", "add", "full", "--address", "registry.internal:8443", "--repositories-regex", "^team/.*",
       "--username", "svc", "--password-command", "pass show registry", "--email", "svc@example.com",
       "--cache-interval-seconds", "60", "--client-timeout-millis", "5000", "--cache-threads", "2",
       "--paginate-size", "50", "--environment", "prod", "--registry-type", "harbor", "--ca-cert-file", "ca.pem",
       "--no-validate", "-c", path)
    assert account(path, "full") == {
        "name": "full", "address": "registry.internal:8443", "registryType": "harbor",
        "repositoriesRegex": "^team/.*", "username": "svc", "email": "svc@example.com",
        "passwordCommand": "pass show registry", "caCertFile": "ca.pem", "cacheIntervalSeconds": 60,
        "clientTimeoutMillis": 5000, "cacheThreads": 2, "paginateSize": 50, "environment": "prod",
    }


def test_ecr_region_is_the_password_source(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    ok("account", "add", "ecr", "--address", "012345678910.dkr.ecr.eu-west-1.amazonaws.com",
       "--password-env", "X", "--username", "AWS", "--no-validate", "-c", path)
    ok("account", "edit", "ecr", "--ecr-region", "eu-west-1", "--username", "", "--no-validate", "-c", path)
    assert account(path, "ecr") == {"name": "ecr", "address": "012345678910.dkr.ecr.eu-west-1.amazonaws.com",
                                    "ecr": {"region": "eu-west-1"}}


def test_password_file_is_stored_as_given(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    (tmp_path / "tokens").mkdir()
    (tmp_path / "tokens" / "hub.txt").write_text("token")
    ok("account", "add", "hub", "--address", "index.docker.io", "--repositories", "library/nginx",
       "--username", "u", "--password-file", "tokens/hub.txt", "--no-validate", "-c", path)
    assert account(path, "hub")["passwordFile"] == "tokens/hub.txt"


def test_add_errors(example: Path) -> None:
    before = example.read_bytes()
    assert "account 'gcr' already exists" in usage_error(
        "account", "add", "gcr", "--address", "gcr.io", "-c", example)
    assert "set one password source, not --password-file and --password-env" in usage_error(
        "account", "add", "x", "--address", "x.io", "--password-env", "A", "--password-file", "f", "-c", example)
    assert "--inline-password goes with --password" in usage_error(
        "account", "add", "x", "--address", "x.io", "--inline-password", "-c", example)
    assert "the password is empty" in usage_error(
        "account", "add", "x", "--address", "x.io", "--password-stdin", "-c", example, input="")
    assert "Missing option '--address'" in usage_error("account", "add", "x", "-c", example)
    assert "account name 'Bad_Name' must be lower-case" in usage_error(
        "account", "add", "Bad_Name", "--address", "x.io", "-c", example)
    assert "does not exist" in usage_error(
        "account", "add", "x", "--address", "x.io", "-c", example.parent / "nowhere" / "halcfg.yaml")
    assert example.read_bytes() == before


def test_existing_secret_file_is_never_overwritten_silently(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "hub.password").write_text("someone else's")
    error = usage_error("account", "add", "hub", "--address", "index.docker.io", "--password-stdin",
                        "--no-validate", "-c", path, input=CANARY)
    assert "secrets/hub.password already exists" in error
    assert (tmp_path / "secrets" / "hub.password").read_text() == "someone else's"
    assert not path.exists()


def test_refused_add_takes_its_password_file_back(tmp_path: Path, free_port: int) -> None:
    path = tmp_path / "halcfg.yaml"
    result = run_cli("account", "add", "down", "--address", f"127.0.0.1:{free_port}", "--plain-http",
                     "--username", "u", "--password-stdin", "--timeout", "5", "-c", path, input=CANARY)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[registry-unreachable]" in result.stdout
    assert "Not saved: the registry refused it" in result.stdout
    assert "the file is unchanged. To save it anyway, run the command again with --no-validate." in result.stdout
    assert f"probing account down at 127.0.0.1:{free_port} (up to 5 s; --no-validate skips this)" in result.stderr
    assert not path.exists()
    assert not (tmp_path / "secrets").exists()


def test_add_probes_the_new_account(tmp_path: Path, basic_registry) -> None:
    path = tmp_path / "halcfg.yaml"
    wrong = run_cli("account", "add", "basic", "--address", basic_registry.address, "--plain-http",
                    "--username", BASIC_USER, "--password-stdin", "-c", path, input="wrong-password")
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert not path.exists()
    out = ok("account", "add", "basic", "--address", basic_registry.address, "--plain-http",
             "--username", BASIC_USER, "--password-stdin", "-c", path, input=BASIC_PASSWORD)
    assert "+ Added account basic." in out
    assert (tmp_path / "secrets" / "basic.password").read_text() == BASIC_PASSWORD
    wrong = run_cli("account", "edit", "basic", "--password-stdin", "-c", path, input="wrong-password")
    assert wrong.returncode == 1
    assert (tmp_path / "secrets" / "basic.password").read_text() == BASIC_PASSWORD  # put back
    # a repository not pushed yet is a warning: the account is saved (probe --strict fails on it)
    out = ok("account", "edit", "basic", "--add-repository", "team/not-yet", "-c", path)
    assert "warning [repository-unknown] account 'basic': repository team/not-yet does not exist (yet)" in out
    assert out.endswith("+ Edited account basic: repositories.\n")
    assert run_cli("probe", "-c", path).returncode == 0
    assert run_cli("probe", "--strict", "-c", path).returncode == 1


# ---- edit ---------------------------------------------------------------------------------------


def test_edit_keeps_what_it_is_not_told_about(example: Path) -> None:
    ok("account", "edit", "quay", "--username", "payments+ci", "--no-validate", "-c", example)
    got = account(example, "quay")
    assert got["repositoriesRegex"] == "^payments/.*"  # Halyard would have wiped it
    assert (got["username"], got["passwordEnv"], got["trackDigests"]) == ("payments+ci", "QUAY_ROBOT_TOKEN", True)


def test_one_password_source_replaces_the_others(example: Path) -> None:
    out = ok("account", "edit", "harbor", "--password-env", "HARBOR_TOKEN", "--no-validate", "-c", example)
    assert out.strip() == "+ Edited account harbor: passwordCommand, passwordEnv."
    got = account(example, "harbor")
    assert got["passwordEnv"] == "HARBOR_TOKEN"
    assert "passwordCommand" not in got


def test_edit_password_replaces_the_accounts_own_secret_file(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    ok("account", "add", "hub", "--address", "index.docker.io", "--repositories", "library/nginx",
       "--username", "u", "--password-stdin", "--no-validate", "-c", path, input="first")
    before = path.read_bytes()
    out = ok("account", "edit", "hub", "--password-stdin", "--no-validate", "-c", path, input=CANARY)
    assert out.strip() == "+ Edited account hub: password. Its password is in secrets/hub.password (mode 0600)."
    assert path.read_bytes() == before
    assert (tmp_path / "secrets" / "hub.password").read_text() == CANARY


def test_edits_run_again_say_unchanged_and_exit_0(example: Path) -> None:
    before = example.read_bytes()
    out = ok("account", "edit", "quay", "--username", "payments+deployer", "--no-validate", "-c", example)
    assert out == "Account quay unchanged.\n"
    path = example.parent / "again.yaml"
    args = ("account", "add", "hub", "--address", "index.docker.io", "--repositories", "library/nginx",
            "--username", "u", "--password-env", "HUB_TOKEN", "--no-validate", "-c", path)
    ok(*args)
    written = path.read_bytes()
    assert ok(*args) == "Account hub unchanged.\n"
    assert path.read_bytes() == written
    assert "account 'hub' already exists" in usage_error(*args[:-2], "--email", "x@y.z", "-c", path)
    assert example.read_bytes() == before


def test_required_group_membership_is_halyards_list_flag(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    ok("account", "add", "hub", "--address", "index.docker.io", "--required-group-membership", "dev", "ops",
       "--no-validate", "-c", path)
    assert "requiredGroupMembership: [dev, ops]" in path.read_text()
    ok("account", "edit", "hub", "--remove-required-group-membership", "dev", "--no-validate", "-c", path)
    assert account(path, "hub")["requiredGroupMembership"] == ["ops"]
    assert "requiredGroupMembership: ops" in ok("account", "get", "hub", "-c", path)
    assert run_cli("validate", path).returncode == 0


def test_password_at_file_is_drones_spelling_of_password_file(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    (tmp_path / "token").write_text(CANARY)
    result = run_cli("account", "add", "hub", "--address", "index.docker.io", "--username", "u",
                     "--password", "@token", "--no-validate", "-c", path)
    assert result.returncode == 0, result.stderr
    assert "--password @token is taken as --password-file token" in result.stderr
    assert account(path, "hub")["passwordFile"] == "token"
    assert "@token" not in path.read_text() and CANARY not in result.stdout + result.stderr


def test_jfrog_io_is_artifactory(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    ok("account", "add", "jf", "--address", "acme.jfrog.io", "--no-validate", "-c", path)
    assert "  registryType: artifactory (from the address)" in ok("account", "get", "jf", "-c", path)
    assert "jf *  acme.jfrog.io  artifactory  anonymous" in ok("account", "list", "-c", path)


def test_the_same_error_reads_the_same_in_every_command(example: Path) -> None:
    for args in (("account", "get", "gcrr"), ("account", "edit", "gcrr", "--username", "x"),
                 ("account", "delete", "gcrr"), ("provider", "docker-registry", "edit", "--primary-account", "gcrr"),
                 ("probe", "gcrr")):
        error = usage_error(*args, "-c", example)
        assert error == f"halcfg: error: {example}: no account named 'gcrr'; did you mean 'gcr'?", args
    for args, formats in ((("account", "list"), "text, json, yaml"), (("account", "get", "gcr"), "text, json, yaml"),
                          (("validate",), "text, json"), (("probe",), "text, json"),
                          (("match", "nginx"), "text, json")):
        error = usage_error(*args, "--format", "xml", "-c", example)
        assert error == f"halcfg: error: --format must be one of {formats}, not 'xml'", args


def test_add_and_remove_items(example: Path) -> None:
    ok("account", "edit", "harbor", "--add-repository", "payments/api", "--add-read-permission", "qa",
       "--remove-read-permission", "payments-dev", "--remove-write-permission", "payments-ops",
       "--no-validate", "-c", example)
    got = account(example, "harbor")
    assert got["repositories"] == ["payments/api"]
    assert got["permissions"] == {"READ": ["payments-ops", "qa"]}


def test_edit_errors(example: Path) -> None:
    before = example.read_bytes()
    assert usage_error("account", "edit", "quay", "-c", example).endswith("No changes supplied.")
    assert "no account named 'dockerhb'; did you mean 'dockerhub'?" in usage_error(
        "account", "edit", "dockerhb", "--username", "x", "-c", example)
    assert "set either --repositories or --[add/remove]-repository" in usage_error(
        "account", "edit", "gcr", "--repositories", "a/b", "--add-repository", "c/d", "-c", example)
    assert example.read_bytes() == before


# ---- get, list, delete --------------------------------------------------------------------------


def test_get_formats(example: Path) -> None:
    text = ok("account", "get", "harbor", "-c", example)
    assert text.splitlines()[:4] == [
        "account harbor",
        "  address: https://harbor.payments.internal:8443",
        "  registryType: harbor",
        "  username: robot$spinnaker",
    ]
    assert "  permissions.READ: payments-dev, payments-ops" in text
    assert ok("account", "get", "dockerhub", "-c", example).splitlines()[0] == "account dockerhub (primary)"
    assert "  registryType: quay (from the address)" in ok("account", "get", "quay", "-c", example)
    assert json.loads(ok("account", "get", "gcr", "--format", "json", "-c", example))["kubernetes"] == {
        "secretName": "gcr-pull", "namespace": "payments"}
    assert ok("account", "get", "ecr-prod", "--format", "yaml", "-c", example).startswith(
        "name: ecr-prod\naddress: 012345678910.dkr.ecr.us-east-1.amazonaws.com\nrepositories:\n  - payments/api\n")


def test_list_formats(example: Path) -> None:
    table = ok("account", "list", "-c", example).splitlines()
    assert table[0].split() == ["NAME", "ADDRESS", "TYPE", "CREDENTIAL"]
    assert table[1].split() == ["dockerhub", "*", "index.docker.io", "dockerhub", "passwordFile",
                                "secrets/dockerhub.password"]
    assert table[3] == "ecr-prod     012345678910.dkr.ecr.us-east-1.amazonaws.com  ecr        ecr us-east-1"
    assert table[5].endswith("harbor     passwordCommand cat secrets/harbor.password")
    listed = json.loads(ok("account", "list", "--format", "json", "-c", example))
    assert [a["name"] for a in listed] == ["dockerhub", "gcr", "ecr-prod", "quay", "harbor"]
    assert ok("account", "list", "--format", "yaml", "-c", example).startswith("- name: dockerhub\n")
    assert "--format must be one of text, json, yaml" in usage_error("account", "list", "--format", "xml",
                                                                     "-c", example)


def test_get_list_delete_errors(example: Path, tmp_path: Path) -> None:
    assert "no account named 'qauy'; did you mean 'quay'?" in usage_error("account", "get", "qauy", "-c", example)
    assert "did you mean 'harbor'?" in usage_error("account", "delete", "harbour", "-c", example)
    assert "no account named 'zzz' (it has: dockerhub, gcr" in usage_error("account", "delete", "zzz", "-c", example)
    assert "no such file" in usage_error("account", "list", "-c", tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nproviders:\n  dockerRegistry:\n    accounts: [\n")
    assert f"{broken}:5:1:" in usage_error("account", "list", "-c", broken)
    assert f"{broken}:5:1:" in usage_error("account", "add", "x", "--address", "x.io", "-c", broken)
    assert broken.read_text() == "version: 1\nproviders:\n  dockerRegistry:\n    accounts: [\n"


def test_delete_everything_leaves_an_empty_list(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    ok("init", "-c", path)
    starter = path.read_text()
    ok("account", "add", "a", "--address", "a.io", "--no-validate", "-c", path)
    out = ok("account", "delete", "a", "-c", path)
    assert out.strip() == "- Deleted account a."
    assert path.read_text() == starter
    assert ok("account", "list", "-c", path).strip() == f"No accounts in {path}; add one with `halcfg account add`."
    assert ok("account", "list", "--format", "json", "-c", path).strip() == "[]"


def test_delete_removes_the_secret_file_it_made_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    ok("account", "add", "a", "--address", "a.io", "--password-stdin", "--no-validate", "-c", path, input="pw")
    out = ok("account", "delete", "a", "-c", path)
    assert "Removed secrets/a.password: no account uses it any more." in out
    assert not (tmp_path / "secrets" / "a.password").exists()


# ---- secrets never shown ------------------------------------------------------------------------


def test_the_canary_password_never_shows(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    outputs = []

    def run(*args: str | Path, input: str | None = None) -> None:
        result = run_cli(*args, "-c", path, input=input)
        outputs.append((args, result.returncode, result.stdout + result.stderr))

    run("account", "add", "stdin", "--address", "a.io", "--password-stdin", "--no-validate", input=CANARY)
    run("account", "add", "bare", "--address", "b.io", "--password", "--no-validate", input=CANARY + "\n")
    run("account", "add", "inline", "--address", "c.io", "--username", "u", "--password-stdin",
        "--inline-password", "--no-validate", input=CANARY)
    run("account", "add", "argv", "--address", "d.io", "--username", "u", "--password", CANARY,
        "--inline-password", "--no-validate")
    run("account", "add", "refused", "--address", "not a host", "--password", CANARY, "--inline-password",
        "--no-validate")
    run("account", "add", "Bad", "--address", "e.io", "--password", CANARY, "--no-validate")
    run("account", "add", "inline", "--address", "c.io", "--password", CANARY, "--no-validate")
    run("account", "edit", "inline", "--password", CANARY, "--inline-password", "--email", "x@y.z", "--no-validate")
    run("account", "edit", "stdin", "--password", CANARY, "--password-env", "X")
    run("account", "edit", "argv", "--password", CANARY, "--cache-threads", "x")
    run("account", "edit", "argv", "--password", CANARY, "--unknown-flag")
    for fmt in ("text", "json", "yaml"):
        run("account", "list", "--format", fmt)
        for name in ("stdin", "bare", "inline", "argv"):
            run("account", "get", name, "--format", fmt)
    run("validate")
    run("account", "delete", "inline")
    run("account", "delete", "argv")
    assert CANARY not in path.read_text()  # the two accounts asked to store it inline are gone
    leaks = [(args, code) for args, code, output in outputs if CANARY in output]
    assert not leaks
    codes = [code for _, code, _ in outputs]
    assert codes[:6] == [0, 0, 0, 0, 1, 2], outputs[:6]
    assert all("Traceback" not in output for _, _, output in outputs)


# ---- every field from the CLI (issue 17 item 3) -----------------------------------------------

SETTABLE = [f for f in FIELDS if f.kind != "block" and f.key != "name" and not f.secret]  # password: --password


def test_every_settable_field_has_a_flag() -> None:
    """From the field table: a flag for each field, --add/--remove for lists and mappings, --no-BLOCK."""
    add = " ".join(ok("account", "add", "-h").split())
    edit = " ".join(ok("account", "edit", "-h").split())
    for f in SETTABLE:
        assert f.flag, f"{f.key} has no flag in halcfg/config/fields.py"
        assert f" {f.flag} " in add and f" {f.flag} " in edit, f.flag
        if f.kind in ("list", "mapping"):
            assert f" --add-{f.item} " in edit and f" --remove-{f.item} " in edit, f.key
    for f in FIELDS:
        if f.kind == "block":
            assert f" {block_flag(f)} " in edit, f.key


ECR_AND_QUAY = """\
# team registries
version: 1
providers:
  dockerRegistry:
    enabled: true
    accounts:
      # the ECR one
      - name: ecr
        address: 012345678910.dkr.ecr.eu-west-1.amazonaws.com   # prod
        ecr:
          region: eu-west-1  # where it lives
      # Quay
      - name: quay
        address: quay.io
        username: bot
        passwordEnv: Q
"""
HEAD, QUAY = ECR_AND_QUAY.split("      # Quay\n")
HEAD = HEAD.removesuffix("        ecr:\n          region: eu-west-1  # where it lives\n")  # up to the ecr block
QUAY = "      # Quay\n" + QUAY


def _edit(path: Path, *args: str) -> str:
    ok("account", "edit", *args, "--no-validate", "-c", path)
    return path.read_text()


def test_ecr_fields_are_set_changed_and_unset_with_comments_kept(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(ECR_AND_QUAY)
    (tmp_path / "keys").mkdir(mode=0o700)
    (tmp_path / "keys" / "ecr.key").write_text("k")
    (tmp_path / "keys" / "ecr.key").chmod(0o600)
    region = "        ecr:\n          region: eu-west-1  # where it lives\n"
    assert _edit(path, "ecr", "--ecr-profile", "prod", "--ecr-registry-id", "012345678910", "--ecr-access-key-id",
                 "AKIA1", "--ecr-secret-access-key-env", "AWS_SK") == HEAD + region + (
        "          registryId: '012345678910'\n"  # quoted: a string of digits stays a string
        "          profile: prod\n"
        "          accessKeyId: AKIA1\n"
        "          secretAccessKeyEnv: AWS_SK\n") + QUAY
    assert _edit(path, "ecr", "--ecr-profile", "staging", "--ecr-secret-access-key-env", "",
                 "--ecr-secret-access-key-file", "keys/ecr.key") == HEAD + region + (
        "          registryId: '012345678910'\n"
        "          profile: staging\n"
        "          accessKeyId: AKIA1\n"
        "          secretAccessKeyFile: keys/ecr.key\n") + QUAY
    assert _edit(path, "ecr", "--ecr-profile", "", "--ecr-registry-id", "", "--ecr-access-key-id", "",
                 "--ecr-secret-access-key-file", "", "--ecr-endpoint-url", "http://127.0.0.1:9") == HEAD + region + (
        "          endpointUrl: http://127.0.0.1:9\n") + QUAY
    emptied = _edit(path, "ecr", "--ecr-endpoint-url", "", "--ecr-region", "")
    assert emptied == HEAD + "        ecr: {}\n" + QUAY  # still ECR: ask AWS
    # the whole block, and with it the password source: another takes its place
    assert _edit(path, "ecr", "--no-ecr", "--password-env", "E") == HEAD + "        passwordEnv: E\n" + QUAY


def test_every_kind_of_field_is_set_changed_and_unset_with_comments_kept(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(ECR_AND_QUAY)
    # set: string, integer, boolean, list, mapping, in the drone, kubernetes and permissions blocks
    assert _edit(path, "quay", "--drone-repos", "org/*", "--drone-events", "push,tag", "--secret-name", "quay-pull",
                 "--namespace", "ci", "--label", "team=ci", "--label", "tier=1", "--cache-threads", "4",
                 "--plain-http", "--environment", "prod", "--read-permissions", "dev") == ECR_AND_QUAY + (
        "        plainHttp: true\n"
        "        cacheThreads: 4\n"
        "        permissions:\n"
        "          READ: [dev]\n"
        "        environment: prod\n"
        "        drone:\n"
        "          repos: [org/*]\n"
        "          events: [push, tag]\n"
        "        kubernetes:\n"
        "          secretName: quay-pull\n"
        "          namespace: ci\n"
        "          labels:\n"
        "            team: ci\n"
        "            tier: '1'\n")
    # change: items added and removed, keys of a mapping added and removed, values replaced
    assert _edit(path, "quay", "--add-drone-repo", "org2/app", "--remove-drone-event", "tag", "--add-label",
                 "owner=me", "--remove-label", "tier", "--cache-threads", "5", "--plain-http", "false",
                 "--environment", "staging", "--add-read-permission", "ops") == ECR_AND_QUAY + (
        "        plainHttp: false\n"
        "        cacheThreads: 5\n"
        "        permissions:\n"
        "          READ: [dev, ops]\n"
        "        environment: staging\n"
        "        drone:\n"
        "          repos: [org/*, org2/app]\n"
        "          events: [push]\n"
        "        kubernetes:\n"
        "          secretName: quay-pull\n"
        "          namespace: ci\n"
        "          labels:\n"
        "            team: ci\n"
        "            owner: me\n")
    # unset: '' for every kind, the last item removed; emptied blocks go
    assert _edit(path, "quay", "--drone-repos", "", "--remove-drone-event", "push", "--secret-name", "",
                 "--namespace", "", "--label", "", "--cache-threads", "", "--plain-http", "", "--environment", "",
                 "--remove-read-permission", "dev", "--remove-read-permission", "ops") == ECR_AND_QUAY
    # a whole block at once
    _edit(path, "quay", "--drone-events", "push", "--label", "a=b", "--write-permissions", "ops")
    assert _edit(path, "quay", "--no-drone", "--no-kubernetes", "--no-permissions") == ECR_AND_QUAY


@pytest.mark.parametrize(("args", "message"), [
    (("--label", "team"), "--label takes KEY=VALUE, not 'team'"),
    (("--cache-threads", "four"), "--cache-threads takes a whole number, not 'four'"),
    (("--no-drone", "--drone-repos", "a/b"), "set either --drone-repos or --no-drone"),
    (("--label", "a=b", "--add-label", "c=d"), "set either --label or --[add/remove]-label"),
    (("--ecr-profile", "p", "--password-env", "X"), "set one password source, not --password-env and --ecr-profile"),
])
def test_field_flag_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(ECR_AND_QUAY)
    assert message in usage_error("account", "edit", "quay", *args, "--no-validate", "-c", path)
    assert path.read_text() == ECR_AND_QUAY


def test_add_takes_every_block_too(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    ok("account", "add", "hub", "--address", "index.docker.io", "--drone-repos", "org/*", "--drone-events", "push",
       "--secret-name", "hub-pull", "--namespace", "ci", "--label", "team=ci", "--password-env", "H",
       "--no-validate", "-c", path)
    assert account(path, "hub") == {
        "name": "hub", "address": "index.docker.io", "passwordEnv": "H",
        "drone": {"repos": ["org/*"], "events": ["push"]},
        "kubernetes": {"secretName": "hub-pull", "namespace": "ci", "labels": {"team": "ci"}}}


FLOW_ACCOUNTS = ("version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n"
                 "    accounts: [{name: a, address: a.io, username: u, passwordEnv: A}]  # one\n")


def test_add_extends_a_flow_style_accounts_list(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(FLOW_ACCOUNTS)
    ok("account", "add", "b", "--address", "b.io", "--username", "v", "--password-env", "B", "--no-validate",
       "-c", path)
    assert path.read_text() == FLOW_ACCOUNTS.replace(
        "passwordEnv: A}]  # one", "passwordEnv: A}, {name: b, address: b.io, username: v, passwordEnv: B}] # one")
    assert [a["name"] for a in json.loads(ok("account", "list", "--format", "json", "-c", path))] == ["a", "b"]


def test_a_refused_add_to_a_flow_list_cites_a_place_in_the_users_file(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(FLOW_ACCOUNTS)
    # a regex that does not compile: refused even with --no-validate (a missing password file no
    # longer is: it may live on the deploy host, issue 17 item 1)
    result = run_cli("account", "add", "b", "--address", "b.io", "--username", "v", "--password-env", "B",
                     "--repositories-regex", "(", "--no-validate", "-c", path)
    assert result.returncode == 1
    where = result.stdout.split(": error ")[0]
    line, col = map(int, where.rsplit(":", 2)[1:])
    assert where == f"{path}:5:{col}" and FLOW_ACCOUNTS.splitlines()[line - 1][col - 1] == "]"  # where b would go
    assert path.read_text() == FLOW_ACCOUNTS


# ---- flow collections written over several lines (issue 14 follow-up: edits keep them) ---------

WRAPPED = ("version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n    accounts:\n"
           "      - name: one\n"
           "        address: quay.io\n"
           "        repositories: [team/a,\n"
           "            team/b]   # the two we use\n"
           "        username: u\n"
           "        passwordEnv: ONE\n"
           "      - name: two\n"
           "        address: ghcr.io\n")


def test_an_edit_beside_a_wrapped_flow_list_keeps_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(WRAPPED)
    ok("account", "edit", "one", "--username", "v", "--no-validate", "-c", path)
    assert path.read_text() == WRAPPED.replace("username: u", "username: v")
    ok("account", "edit", "one", "--address", "docker.io", "--no-validate", "-c", path)
    assert path.read_text() == WRAPPED.replace("username: u", "username: v").replace("quay.io", "docker.io")


def test_an_add_after_a_wrapped_flow_list_keeps_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(WRAPPED.removesuffix("      - name: two\n        address: ghcr.io\n"))
    ok("account", "add", "three", "--address", "gcr.io", "--no-validate", "-c", path)
    assert path.read_text() == WRAPPED.replace("name: two\n        address: ghcr.io",
                                               "name: three\n        address: gcr.io")


FLOW_OVER_LINES = ("version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n"
                   "    accounts: [\n"
                   "      {name: one, address: quay.io},   # first\n"
                   "      {name: two, address: ghcr.io,\n"
                   "       repositories: [a/b, c/d]},\n"
                   "    ]\n")


def test_a_multi_line_flow_accounts_list_keeps_the_items_an_edit_does_not_change(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(FLOW_OVER_LINES)
    ok("account", "edit", "two", "--email", "t@example.com", "--no-validate", "-c", path)
    # the new key follows the last one, on a line of its own as that one is
    assert path.read_text() == FLOW_OVER_LINES.replace(
        "repositories: [a/b, c/d]},\n", "repositories: [a/b, c/d],\n       email: t@example.com},\n")
    assert account(path, "two")["email"] == "t@example.com"
    assert account(path, "one") == {"name": "one", "address": "quay.io"}


def test_add_and_delete_keep_a_multi_line_flow_accounts_lists_layout(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(FLOW_OVER_LINES)
    ok("account", "add", "three", "--address", "gcr.io", "--no-validate", "-c", path)
    added = FLOW_OVER_LINES.replace("    ]\n", "      {name: three, address: gcr.io},\n    ]\n")
    assert path.read_text() == added
    ok("account", "delete", "one", "-c", path)  # its line goes, its comment with it
    assert path.read_text() == added.replace("      {name: one, address: quay.io},   # first\n", "")
    ok("account", "delete", "three", "-c", path)
    assert path.read_text() == FLOW_OVER_LINES.replace("      {name: one, address: quay.io},   # first\n", "")


def test_changing_a_wrapped_flow_list_keeps_its_wrapping(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(WRAPPED)
    ok("account", "edit", "one", "--add-repository", "team/c", "--no-validate", "-c", path)
    assert path.read_text() == WRAPPED.replace("team/b]", "team/b,\n            team/c]")
    ok("account", "edit", "one", "--remove-repository", "team/a", "--no-validate", "-c", path)
    assert path.read_text() == WRAPPED.replace("[team/a,\n            team/b]", "[team/b,\n            team/c]")
    ok("account", "edit", "one", "--remove-repository", "team/c", "--no-validate", "-c", path)
    assert path.read_text() == WRAPPED.replace("[team/a,\n            team/b]", "[team/b]")


ONE_PER_LINE = ("version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n    accounts:\n"
                "      - name: one\n"
                "        address: quay.io\n"
                "        repositories: [\n"
                "          team/a,   # the web app\n"
                "          'team/b',\n"
                "        ]\n"
                "        passwordEnv: ONE\n")


def test_changing_a_one_item_per_line_flow_list_keeps_that_layout(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(ONE_PER_LINE)
    ok("account", "edit", "one", "--add-repository", "team/c", "--add-repository", "team/d", "--no-validate",
       "-c", path)
    assert path.read_text() == ONE_PER_LINE.replace("'team/b',\n", "'team/b',\n          team/c,\n          team/d,\n")
    ok("account", "edit", "one", "--remove-repository", "team/a", "--remove-repository", "team/d", "--no-validate",
       "-c", path)  # a removed item's line goes with its comment; the trailing comma stays
    assert path.read_text() == ONE_PER_LINE.replace("          team/a,   # the web app\n", "").replace(
        "'team/b',\n", "'team/b',\n          team/c,\n")
    assert account(path, "one")["repositories"] == ["team/b", "team/c"]
