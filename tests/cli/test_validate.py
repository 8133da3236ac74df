"""`halcfg validate` through the real CLI: every rule, every bad input, exit codes and formats."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from tests.support.cli import EXAMPLE, REPO, run_cli


def write(tmp_path: Path, body: str, name: str = "halcfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def accounts_file(tmp_path: Path, accounts: str, provider: str = "") -> Path:
    """A file whose accounts block is `accounts` (indented by the caller as list items)."""
    body = "version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n"
    body += textwrap.indent(textwrap.dedent(provider), "    ")
    body += "    accounts:\n" + textwrap.indent(textwrap.dedent(accounts), "      ")
    path = tmp_path / "halcfg.yaml"
    path.write_text(body)
    return path


def findings(path: Path, *flags: str) -> tuple[int, list[dict]]:
    result = run_cli("validate", "--format", "json", *flags, path)
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)["findings"]


def test_example_is_valid_and_exits_zero() -> None:
    result = run_cli("validate", EXAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout


def test_secrets_open_to_others_warn_with_the_chmod_that_fixes_them(tmp_path: Path) -> None:
    """As git checks it out (0644 files, a 0755 folder), the example's secrets warn like ssh keys do
    where they are used (`--require-secrets`; probe, render); the fixes validate prints, run as
    printed, leave nothing to say."""
    example = tmp_path / "ex ample"
    shutil.copytree(EXAMPLE.parent, example)
    (example / "secrets").chmod(0o755)
    for secret in (example / "secrets").iterdir():
        secret.chmod(0o644)
    code, found = findings(example / "halcfg.yaml", "--require-secrets")
    assert code == 0 and {f["code"] for f in found} == {"file-permissions"}, found
    fixes = {f["remediation"].removeprefix("keep secrets to yourself: ") for f in found}
    assert f"chmod 700 '{example}/secrets'" in fixes
    assert f"chmod 600 '{example}/secrets/dockerhub.password'" in fixes
    import subprocess

    for fix in fixes:
        subprocess.run(fix, shell=True, check=True)
    assert findings(example / "halcfg.yaml", "--require-secrets") == (0, [])
    assert run_cli("validate", "--require-secrets", example / "halcfg.yaml").stdout.strip() == (
        f"{example}/halcfg.yaml: no problems")


def test_default_file_comes_from_config_flag_env_or_cwd(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE.parent, tmp_path / "ex")
    assert run_cli("validate", cwd=tmp_path / "ex").returncode == 0
    assert run_cli("validate", "-c", tmp_path / "ex" / "halcfg.yaml").returncode == 0
    assert run_cli("validate", env={"HALCFG_CONFIG": str(tmp_path / "ex" / "halcfg.yaml")}).returncode == 0
    missing = run_cli("validate", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip() == "halcfg: error: halcfg.yaml: no such file (create one with `halcfg init`)"


HUB = """\
- name: hub
  address: index.docker.io
  repositories: [library/nginx]
  username: bot
  passwordEnv: HUB_TOKEN
"""


# (accounts block, provider block, expected code, severity, line, col)
RULE_CASES = [
    pytest.param(HUB + HUB, "", "duplicate-name", "ERROR", 11, 9, id="duplicate-name"),
    pytest.param(HUB, "primaryAccount: nope\n", "primary-account", "ERROR", 5, 5, id="primary-account"),
    pytest.param(HUB + "  password: x\n", "", "password-sources", "ERROR", 10, 9, id="two-password-sources"),
    pytest.param(
        HUB.replace("  passwordEnv: HUB_TOKEN\n", ""),
        "",
        "username-without-password",
        "WARNING",
        9,
        9,
        id="username-without-password",
    ),
    pytest.param(
        HUB.replace("  username: bot\n", ""),
        "",
        "password-without-username",
        "WARNING",
        9,
        9,
        id="password-without-username",
    ),
    pytest.param(
        HUB.replace("passwordEnv: HUB_TOKEN", "password: hunter2-canary"),
        "",
        "plaintext-secret",
        "WARNING",
        10,
        9,
        id="plaintext-secret",
    ),
    pytest.param(
        HUB + "  repositoriesRegex: ^lib/\n", "", "repositories-exclusive", "ERROR", 11, 9, id="repositories-exclusive"
    ),
    pytest.param(
        HUB.replace("repositories: [library/nginx]", "repositoriesRegex: '(['"),
        "",
        "repositories-regex",
        "ERROR",
        8,
        9,
        id="regex-compiles",
    ),
    pytest.param(
        HUB.replace("index.docker.io", "https://quay.io/v2/team"), "", "address", "ERROR", 7, 9, id="address-has-path"
    ),
    pytest.param(HUB.replace("index.docker.io", "ftp://quay.io"), "", "address", "ERROR", 7, 9, id="address-scheme"),
    pytest.param(HUB.replace("index.docker.io", "quay.io:99999"), "", "address", "ERROR", 7, 9, id="address-port"),
    pytest.param(
        HUB.replace("  repositories: [library/nginx]\n", ""),
        "",
        "no-catalog",
        "WARNING",
        6,
        9,
        id="dockerhub-no-repositories",
    ),
    pytest.param(
        HUB.replace("index.docker.io", "ghcr.io").replace("  repositories: [library/nginx]\n", ""),
        "",
        "no-catalog",
        "WARNING",
        6,
        9,
        id="ghcr-no-repositories",
    ),
    pytest.param(
        HUB + HUB.replace("name: hub", "name: hub2").replace("index.docker.io", "index.docker.io:443"),
        "",
        "same-registry",
        "WARNING",
        12,
        9,
        id="same-registry-not-by-port",
    ),
    pytest.param(
        HUB + HUB.replace("name: hub", "name: hub2"), "", "same-registry", "WARNING", 12, 9, id="same-registry"
    ),
    pytest.param(
        "- name: ecr\n  address: 012345678910.dkr.ecr.us-east-1.amazonaws.com\n  registryType: harbor\n",
        "",
        "ecr-registry-type",
        "ERROR",
        8,
        9,
        id="ecr-registry-type",
    ),
    pytest.param(
        "- name: ecr\n  address: 012345678910.dkr.ecr.us-east-1.amazonaws.com\n  ecr: {region: eu-west-1}\n",
        "",
        "ecr-region",
        "ERROR",
        8,
        15,
        id="ecr-region",
    ),
    pytest.param(
        "- name: ecr\n  address: 012345678910.dkr.ecr.us-east-1.amazonaws.com\n  ecr: {registryId: '111111111111'}\n",
        "",
        "ecr-registry-id",
        "ERROR",
        8,
        15,
        id="ecr-registry-id",
    ),
    pytest.param(
        "- name: ecr\n  address: 012345678910.dkr.ecr.us-east-1.amazonaws.com\n  ecr: {accessKeyId: AKIAEXAMPLE}\n",
        "",
        "ecr-keys",
        "ERROR",
        8,
        9,
        id="ecr-keys",
    ),
    pytest.param(
        "- name: ecr\n  address: 012345678910.dkr.ecr.us-east-1.amazonaws.com\n  ecr: {}\n  paginateSize: 5000\n",
        "",
        "ecr-page-size",
        "WARNING",
        9,
        9,
        id="ecr-page-size",
    ),
    pytest.param(
        "- name: ecr\n  address: 012345678910.dkr.ecr.us-east-1.amazonaws.com\n  ecr: {}\n  username: me\n",
        "",
        "ecr-username",
        "WARNING",
        9,
        9,
        id="ecr-username",
    ),
    pytest.param(
        HUB.replace("passwordEnv: HUB_TOKEN", "passwordFile: nowhere.txt"),
        "",
        "file-missing",
        "ERROR",
        10,
        9,
        id="password-file-missing",
    ),
    pytest.param(
        HUB.replace("passwordEnv: HUB_TOKEN", "passwordFile: empty.txt"),
        "",
        "file-empty",
        "WARNING",
        10,
        9,
        id="password-file-empty",
    ),
    pytest.param(
        HUB.replace("passwordEnv: HUB_TOKEN", "passwordFile: newline.txt"),
        "",
        "file-trailing-whitespace",
        "WARNING",
        10,
        9,
        id="password-file-trailing-newline",
    ),
    pytest.param(HUB + "  caCertFile: no-ca.pem\n", "", "file-missing", "ERROR", 11, 9, id="ca-cert-missing"),
    # without --require-secrets, a file that is not on this machine is said, and passes (issue 17.1)
    pytest.param(
        HUB.replace("passwordEnv: HUB_TOKEN", "passwordFile: nowhere.txt"), "", "file-absent", "INFO", 10, 9,
        id="password-file-absent",
    ),
    pytest.param(HUB + "  caCertFile: no-ca.pem\n", "", "file-absent", "INFO", 11, 9, id="ca-cert-absent"),
    pytest.param(
        "- name: ecr\n  address: 012345678910.dkr.ecr.us-east-1.amazonaws.com\n"
        "  ecr: {accessKeyId: AKIA0000, secretAccessKeyFile: no-key.txt}\n",
        "", "file-absent", "INFO", 8, 38, id="ecr-key-file-absent",
    ),
    pytest.param(
        HUB + "  caCertFile: newline.txt\n  insecureRegistry: true\n",
        "",
        "ca-cert-ignored",
        "WARNING",
        11,
        9,
        id="ca-cert-ignored",
    ),
]


@pytest.mark.parametrize(("accounts", "provider", "code", "severity", "line", "col"), RULE_CASES)
def test_rule(tmp_path: Path, accounts: str, provider: str, code: str, severity: str, line: int, col: int) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "newline.txt").write_text("token\n")
    path = accounts_file(tmp_path, accounts, provider)
    code_out, found = findings(path, *(["--require-secrets"] if code == "file-missing" else []))
    hits = [f for f in found if f["code"] == code]
    assert hits, found
    hit = hits[0]
    assert (hit["severity"], hit["line"], hit["col"]) == (severity, line, col), hit
    assert hit["file"] == str(path) and hit["path"].startswith("$.providers.dockerRegistry")
    assert hit["message"] and hit["remediation"]
    assert code_out == (1 if severity == "ERROR" else 0)
    assert "hunter2-canary" not in json.dumps(found)


def test_text_report_points_at_file_line_col_and_says_how_to_fix(tmp_path: Path) -> None:
    path = accounts_file(tmp_path, HUB.replace("passwordEnv: HUB_TOKEN", "passwordFile: nowhere.txt"))
    result = run_cli("validate", "--require-secrets", path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{path}:10:9: error [file-missing] account 'hub': passwordFile 'nowhere.txt' does not exist "
        f"({tmp_path}/nowhere.txt)"
    )
    assert lines[1].startswith("    fix: create the file")
    assert lines[-1] == f"{path}: 1 error"


def test_password_file_whitespace_hint_strips_it(tmp_path: Path) -> None:
    secret = tmp_path / "it's a secret" / "newline.txt"  # the fix quotes the path
    secret.parent.mkdir()
    secret.write_text("token \r\n")
    secret.chmod(0o600)
    path = accounts_file(tmp_path, HUB.replace("passwordEnv: HUB_TOKEN", f'passwordFile: "{secret}"'))
    _, found = findings(path)
    fix = next(f["remediation"] for f in found if f["code"] == "file-trailing-whitespace")
    command = fix.removeprefix("strip it (the file keeps its mode): ")
    import subprocess

    subprocess.run(command, shell=True, cwd="/", check=True)
    assert secret.read_bytes() == b"token"
    assert secret.stat().st_mode & 0o777 == 0o600, "the fix must not loosen the secret's mode"
    assert findings(path) == (0, [])


def test_strict_fails_on_warnings_and_makes_plaintext_an_error(tmp_path: Path) -> None:
    path = accounts_file(tmp_path, HUB.replace("passwordEnv: HUB_TOKEN", "password: hunter2-canary"))
    assert findings(path)[0] == 0
    code, found = findings(path, "--strict")
    assert code == 1
    assert [f["severity"] for f in found if f["code"] == "plaintext-secret"] == ["ERROR"]
    warn_only = accounts_file(tmp_path, HUB.replace("  repositories: [library/nginx]\n", ""))
    assert run_cli("validate", warn_only).returncode == 0
    assert run_cli("validate", "--strict", warn_only).returncode == 1


def test_many_files_one_call_worst_exit_code_wins(tmp_path: Path) -> None:
    good = accounts_file(tmp_path, HUB)
    bad = write(tmp_path, "version: 1\nproviders: {dockerRegistry: {accounts: [{name: Bad}]}}\n", "bad.yaml")
    broken = write(tmp_path, "version: [\n", "broken.yaml")
    result = run_cli("validate", good, bad)
    assert result.returncode == 1
    assert f"{good}: no problems" in result.stdout and f"{bad}: 1 error" in result.stdout
    result = run_cli("validate", good, broken, bad)
    assert result.returncode == 2
    assert f"{bad}: 1 error" in result.stdout, "a broken file must not stop the others"
    assert result.stderr.startswith(f"halcfg: error: {broken}:2:1: ")
    data = json.loads(run_cli("validate", "--format", "json", good, bad).stdout)
    assert data["files"] == [str(good), str(bad)] and data["exit_code"] == 1
    assert data["summary"]["ERROR"] == 1


# Malformed YAML: exit 2, one line on stderr starting file:line:col, no traceback.
BAD_YAML = [
    pytest.param(b"version: 1\nproviders:\n\tdockerRegistry: {}\n", "3:1", "tab", id="tab"),
    pytest.param(
        b"version: 1\nproviders: {dockerRegistry: {primaryAccount: 'x}}\n", "3:1", "quoted scalar", id="unclosed-quote"
    ),
    pytest.param(b"version: 1\nversion: 1\n", "2:1", "duplicate key 'version' (first at line 1)", id="duplicate-key"),
    pytest.param(
        b"version: 1\nproviders:\n  dockerRegistry:\n    enabled: tru\xe9\n", "4:17", "not UTF-8", id="non-utf8"
    ),
    pytest.param(b"", None, "file is empty", id="empty"),
    pytest.param(b"# nothing but a comment\n", None, "file is empty", id="comment-only"),
    pytest.param(
        b"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + b"".join(b"%c: &%c [%s]\n" % (98 + i, 98 + i, b", ".join([b"*%c" % (97 + i)] * 10)) for i in range(7)),
        "6:36",
        "aliases expand past 1,000,000 nodes",
        id="alias-bomb",
    ),
    pytest.param(b"version: 1\n---\nversion: 1\n", "2:1", "second YAML document", id="two-documents"),
    pytest.param(b"version: !!python/object:os.system 1\n", "1:10", "not supported", id="python-tag"),
]


@pytest.mark.parametrize(("content", "where", "words"), BAD_YAML)
def test_malformed_yaml_is_one_line_exit_2(tmp_path: Path, content: bytes, where: str | None, words: str) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_bytes(content)
    result = run_cli("validate", path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    prefix = f"halcfg: error: {path}:" + (where or "")
    assert line.startswith(prefix if where else f"halcfg: error: {path}: "), line
    assert words in line
    assert path.read_bytes() == content


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    with path.open("wb") as handle:
        handle.write(b"version: 1\nproviders:\n  dockerRegistry:\n    accounts:\n")
        handle.write(b"      - {name: a, address: quay.io}\n" * (50 * 1024 * 1024 // 36))
    result = run_cli("validate", path)
    assert result.returncode == 2
    assert result.stderr == f"halcfg: error: {path}: file is over 8 MiB; accounts files are not this large\n"


def test_directory_and_unreadable_paths_are_usage_errors(tmp_path: Path) -> None:
    result = run_cli("validate", tmp_path)
    assert result.returncode == 2 and "is a directory" in result.stderr


ONE_ACCOUNT = "version: 1\nproviders:\n  dockerRegistry:\n    accounts:\n      - name: hub\n"


@pytest.mark.parametrize(
    ("body", "code", "words", "where"),
    [
        (
            ONE_ACCOUNT + "        passwrodFile: x\n",
            "schema-additionalProperties",
            "unknown key 'passwrodFile' in accounts[0] (did you mean passwordFile?)",
            (6, 9),
        ),
        ("version: 1\nprovider: {}\n", "schema-additionalProperties", "(did you mean providers?)", (2, 1)),
        (
            ONE_ACCOUNT + "        password_command: x\n",
            "schema-additionalProperties",
            "(did you mean passwordCommand?)",
            (6, 9),
        ),
        (
            ONE_ACCOUNT + "        cacheThreads: two\n",
            "schema-type",
            'cacheThreads must be an integer, not "two"',
            (6, 23),
        ),
        (
            "version: 1\nproviders:\n  dockerRegistry:\n    enabled: 'true'\n",
            "schema-type",
            "enabled must be true or false",
            (4, 14),
        ),
        (
            "version: 1\nproviders:\n  dockerRegistry:\n    accounts:\n      - address: quay.io\n",
            "schema-required",
            "missing required key 'name' in accounts[0]",
            (5, 9),
        ),
        (
            "version: 1\nproviders:\n  dockerRegistry:\n    accounts:\n      - name: Hub_1\n",
            "schema-pattern",
            'name "Hub_1" does not match',
            (5, 15),
        ),
        (
            ONE_ACCOUNT + "        repositories: [Library/Nginx]\n",
            "schema-pattern",
            'repositories[0] "Library/Nginx"',
            (6, 24),
        ),
        (
            ONE_ACCOUNT + "        repositories: [" + "a" * 256 + "]\n",
            "schema-maxLength",
            "at most 255 characters",
            (6, 24),
        ),
        (
            ONE_ACCOUNT + "        registryType: nexus\n",
            "schema-enum",
            'registryType "nexus" is not one of: dockerhub',
            (6, 23),
        ),
        ("version: 2\n", "schema-const", "version must be 1, not 2", (1, 10)),
        ("- 1\n", "schema-type", "the document must be a mapping", (1, 1)),
        ("providers: {}\n", "schema-required", "missing required key 'version' at the top level", (1, 1)),
    ],
)
def test_wrong_types_and_unknown_keys_exit_1(tmp_path: Path, body: str, code: str, words: str, where: tuple) -> None:
    path = write(tmp_path, body)
    exit_code, found = findings(path)
    assert exit_code == 1
    hit = next((f for f in found if f["code"] == code), None)
    assert hit is not None, found
    assert words in hit["message"] and (hit["line"], hit["col"]) == where, hit
    text = run_cli("validate", path)
    assert text.returncode == 1 and f"{path}:{where[0]}:{where[1]}: error [{code}]" in text.stdout


def test_rules_still_run_on_accounts_the_schema_accepted(tmp_path: Path) -> None:
    path = accounts_file(
        tmp_path, HUB + "  cacheThreads: two\n" + HUB.replace("name: hub", "name: two") + "  repositoriesRegex: x\n"
    )
    _, found = findings(path)
    codes = {f["code"] for f in found}
    assert {"schema-type", "repositories-exclusive"} <= codes
    assert not any(f["account"] == "hub" and not f["code"].startswith("schema") for f in found)


def test_schema_and_rule_findings_come_in_one_pass(tmp_path: Path) -> None:
    """Issue 17.2: the rules run beside the schema, skipping only the values it rejected. This file
    once showed its nine schema errors and hid the eight rule findings below them."""
    path = write(
        tmp_path,
        """\
        version: 1
        providers:
          dockerRegistry:
            primaryAccount: 7
            accounts:
              - name: hub
                address: index.docker.io
                cacheThreads: two
                repositories: [library/nginx]
                repositoriesRegex: x
                username: bot
                passwordEnv: HUB
                passwordCommand: cat hub
              - name: quay
                address: quay.io
                paginateSize: 0
                username: robot
                password: hunter2
                trackDigests: maybe
              - name: Bad_Name
                address: 5
                username: someone
                ecr: {region: 7, accessKeyId: AKIA}
              - name: reg
                address: registry.local:5000
                clientTimeoutMillis: -1
                repositoriesRegex: "("
                passwordFile: nowhere.txt
                passwrd: typo
        """,
    )
    code, found = findings(path)
    assert code == 1
    assert [(f["line"], f["code"], f["account"]) for f in found] == [
        (4, "schema-type", None),  # primaryAccount: only the primary-account rule cannot run
        (8, "schema-type", "hub"),
        (10, "repositories-exclusive", "hub"),
        (12, "password-sources", "hub"),
        (16, "schema-minimum", "quay"),
        (18, "plaintext-secret", "quay"),
        (19, "schema-type", "quay"),
        (20, "schema-pattern", "Bad_Name"),  # the name is still a string: findings can name the account
        (21, "schema-type", "Bad_Name"),  # address: no address, same-registry or no-catalog finding for it
        (22, "ecr-username", "Bad_Name"),
        (23, "ecr-keys", "Bad_Name"),  # the keys are read; the rejected region is not (no ecr-region)
        (23, "schema-type", "Bad_Name"),
        (26, "schema-minimum", "reg"),
        (27, "repositories-regex", "reg"),
        (28, "password-without-username", "reg"),
        (28, "file-absent", "reg"),
        (29, "schema-additionalProperties", "reg"),  # an unknown key hides nothing
    ]


def test_an_account_the_schema_cannot_name_gets_schema_findings_only(tmp_path: Path) -> None:
    path = accounts_file(tmp_path, "- address: quay.io\n  password: hunter2\n- name: 5\n  password: x\n- just text\n")
    _, found = findings(path)
    assert [(f["code"], f["line"]) for f in found] == [
        ("schema-required", 6), ("schema-type", 8), ("schema-type", 10)]


def test_yaml_anchors_and_merge_keys_are_understood(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        version: 1
        providers:
          dockerRegistry:
            accounts:
              - &base
                name: one
                address: quay.io
                username: bot
                passwordEnv: TOKEN
              - <<: *base
                name: two
                address: ghcr.io
                repositories: [org/app]
    """,
    )
    assert findings(path) == (0, [])


def test_help_and_usage_errors(tmp_path: Path) -> None:
    result = run_cli("validate", "--help")
    assert result.returncode == 0 and "--strict" in result.stdout
    bad = run_cli("validate", "--format", "xml", EXAMPLE)
    assert bad.returncode == 2 and "--format must be one of text, json, not 'xml'" in bad.stderr
    listed = run_cli("--help")
    assert listed.returncode == 0 and "validate" in listed.stdout


def test_validate_does_not_import_heavy_libraries() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from halcfg.main import main; main(['validate', '-q', sys.argv[1]]); "
        "print(sorted(m for m in ('typer', 'click', 'rich', 'requests', 'boto3', 'jinja2', 'jsonschema') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(EXAMPLE)], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


def test_a_secret_of_the_wrong_type_is_not_shown(tmp_path: Path) -> None:
    canary = "998877665544"
    path = accounts_file(tmp_path, f"- name: a\n  address: quay.io\n  username: u\n  password: {canary}\n")
    for fmt in ("text", "json"):
        result = run_cli("validate", "--format", fmt, path)
        assert result.returncode == 1
        assert "password must be a string, not an integer (****)" in result.stdout
        assert canary not in result.stdout + result.stderr
