"""Safe edits through the real CLI: untouched bytes stay, writes are atomic and locked,
and an edit that would not validate leaves the file exactly as it was."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import REPO, run_cli
from tests.support.cli import run_ok as ok


def test_edit_changes_only_its_own_lines(example: Path) -> None:
    before = example.read_bytes()
    ok("account", "edit", "quay", "--email", "ops@example.com", "--cache-threads", "2", "--no-validate", "-c", example)
    expected = before.replace(
        b"        passwordEnv: QUAY_ROBOT_TOKEN\n        trackDigests: true\n",
        b"        email: ops@example.com\n        passwordEnv: QUAY_ROBOT_TOKEN\n        cacheThreads: 2\n"
        b"        trackDigests: true\n",
    )
    assert example.read_bytes() == expected


def test_key_added_at_the_end_of_an_account_goes_above_the_next_accounts_comment(example: Path) -> None:
    before = example.read_bytes()
    ok("account", "edit", "dockerhub", "--environment", "prod", "--no-validate", "-c", example)
    line = b"        passwordFile: secrets/dockerhub.password   # an access token, not the account password\n"
    assert example.read_bytes() == before.replace(line, line + b"        environment: prod\n")


def test_replacing_a_password_source_keeps_the_comments_that_follow(example: Path) -> None:
    before = example.read_bytes()
    ok("account", "edit", "dockerhub", "--password-env", "HUB_TOKEN", "--no-validate", "-c", example)
    old = b"        passwordFile: secrets/dockerhub.password   # an access token, not the account password\n"
    assert example.read_bytes() == before.replace(old, b"        passwordEnv: HUB_TOKEN\n")


def test_list_edits_keep_the_list_style(example: Path) -> None:
    before = example.read_bytes()
    ok("account", "edit", "harbor", "--add-read-permission", "auditors", "--remove-write-permission",
       "payments-ops", "--add-write-permission", "payments-admin", "--no-validate", "-c", example)
    assert example.read_bytes() == before.replace(
        b"          READ: [payments-dev, payments-ops]\n          WRITE: [payments-ops]\n",
        b"          READ: [payments-dev, payments-ops, auditors]\n          WRITE: [payments-admin]\n",
    )
    ok("account", "edit", "dockerhub", "--add-repository", "payments/worker", "--no-validate", "-c", example)
    assert b"          - payments/api\n          - payments/worker\n        username: payments-bot\n" in (
        example.read_bytes()
    )


def test_add_appends_in_the_files_style(example: Path) -> None:
    before = example.read_bytes()
    ok("account", "add", "ghcr", "--address", "ghcr.io", "--repositories", "payments/api", "payments/web",
       "--username", "bot", "--password-env", "GHCR_TOKEN", "--no-validate", "-c", example)
    assert example.read_bytes() == before + (
        b"      - name: ghcr\n"
        b"        address: ghcr.io\n"
        b"        repositories: [payments/api, payments/web]\n"
        b"        username: bot\n"
        b"        passwordEnv: GHCR_TOKEN\n"
    )


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("dockerhub", "      # Docker Hub has no catalog", "      # GCR with"),
        ("gcr", "      # GCR with", "      # ECR:"),
        ("ecr-prod", "      # ECR:", "      # Quay robot"),
        ("harbor", "\n      # The in-house", None),
    ],
)
def test_delete_removes_the_account_and_its_heading_comment_only(
    example: Path, name: str, first: str, last: str | None
) -> None:
    text = example.read_text()
    ok("account", "delete", name, "-c", example)
    start = text.index(first)
    end = text.index(last, start) if last else len(text)
    expected = text[:start] + text[end:]
    if name == "dockerhub":  # it was primaryAccount, which now defaults to the first account
        expected = expected.replace("    primaryAccount: dockerhub\n", "")
    assert example.read_text() == expected


def test_unusual_formatting_survives_around_an_edit(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(
        "%YAML 1.2\n"
        "---\n"
        "version:   1     # odd spacing ruamel would normalise\n"
        "providers:\n"
        "    dockerRegistry:            # four-space indent\n"
        "        enabled: true\n"
        "        accounts:\n"
        "        -   name: a\n"
        "            address: 'x.io'\n"
        "            repositories: [ \"a/b\",   c/d ]\n"
        "            username: \"u\"\n"
        "            passwordEnv: A\n"
        "        - {name: b, address: y.io}\n"
        "...\n"
    )
    before = path.read_text()
    ok("account", "edit", "a", "--username", "v", "--no-validate", "-c", path)
    assert path.read_text() == before.replace('username: "u"', 'username: "v"')
    ok("account", "add", "c", "--address", "z.io", "--no-validate", "-c", path)
    assert path.read_text() == before.replace('username: "u"', 'username: "v"').replace(
        "...\n", "        -   name: c\n            address: z.io\n...\n"
    )


def test_crlf_and_a_missing_final_newline_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_bytes(
        b"# windows\r\nversion: 1\r\nproviders:\r\n  dockerRegistry:\r\n    enabled: true\r\n"
        b"    accounts:\r\n    - name: a\r\n      address: x.io"
    )
    ok("account", "add", "b", "--address", "y.io", "--no-validate", "-c", path)
    assert path.read_bytes() == (
        b"# windows\r\nversion: 1\r\nproviders:\r\n  dockerRegistry:\r\n    enabled: true\r\n"
        b"    accounts:\r\n    - name: a\r\n      address: x.io\r\n    - name: b\r\n      address: y.io"
    )


def test_json_files_stay_json(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.json"
    body = '{\n  "version": 1,\n  "providers": {\n    "dockerRegistry": {\n      "enabled": true\n    }\n  }\n}\n'
    path.write_text(body)
    ok("provider", "docker-registry", "disable", "-c", path)
    assert path.read_text() == body.replace('"enabled": true', '"enabled": false')


def test_write_keeps_mode_and_symlink(example: Path) -> None:
    example.chmod(0o640)
    link = example.parent / "link.yaml"
    link.symlink_to(example.name)
    ok("account", "edit", "quay", "--email", "a@b.c", "--no-validate", "-c", link)
    assert link.is_symlink()
    assert stat.S_IMODE(example.stat().st_mode) == 0o640
    assert b"email: a@b.c" in example.read_bytes()
    assert not [p for p in example.parent.iterdir() if p.name.endswith(".tmp")]


def test_refused_edit_leaves_every_byte(example: Path) -> None:
    before = example.read_bytes()
    mtime = example.stat().st_mtime_ns
    for args in (
        ["account", "edit", "quay", "--repositories", "payments/api"],  # also has repositoriesRegex
        ["account", "edit", "gcr", "--paginate-size", "0"],
        ["account", "add", "x", "--address", "x.io", "--cache-interval-seconds", "0"],
        ["account", "add", "x", "--address", "not a host"],
    ):
        result = run_cli(*args, "--no-validate", "-c", example)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert "Not saved" in result.stdout
        assert "Traceback" not in result.stderr
    # an edit that probes needs the password file here (issue 17.1; saved with --no-validate below)
    result = run_cli("account", "edit", "dockerhub", "--password-file", "secrets/missing.txt", "-c", example)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Not saved" in result.stdout and "error [file-missing] account 'dockerhub'" in result.stdout
    assert "probing" not in result.stderr  # refused offline: the registry was not asked
    assert example.read_bytes() == before
    assert example.stat().st_mtime_ns == mtime


def test_no_validate_saves_a_password_file_that_lives_elsewhere_and_says_so(example: Path) -> None:
    """render tells users to give absolute paths; the file may be on the deploy host only."""
    result = run_cli("account", "edit", "dockerhub", "--password-file", "/srv/deploy/hub.password", "--no-validate",
                     "-c", example)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert (
        "info [file-absent] account 'dockerhub': passwordFile '/srv/deploy/hub.password' is not on this machine"
    ) in result.stdout
    assert "+ Edited account dockerhub: passwordFile." in result.stdout
    assert "passwordFile: /srv/deploy/hub.password" in example.read_text()
    assert run_cli("validate", example).returncode == 0
    required = run_cli("validate", "--require-secrets", example)
    assert required.returncode == 1 and "'/srv/deploy/hub.password' does not exist" in required.stdout


def test_fifty_concurrent_adds_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    assert run_cli("init", "-c", path).returncode == 0
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("HALCFG_CONFIG", None)
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "halcfg", "account", "add", f"acct-{i}", "--address", f"r{i}.example.com",
             "--password-env", f"TOKEN_{i}", "--username", "bot", "--no-validate", "-c", str(path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        for i in range(50)
    ]
    failures = []
    for process in processes:
        _, err = process.communicate(timeout=180)
        if process.returncode:
            failures.append(err.decode())
    assert not failures, failures[:3]
    assert time.monotonic() - started < 180
    listed = run_cli("account", "list", "--format", "json", "-c", path)
    names = sorted(a["name"] for a in json.loads(listed.stdout))
    assert names == sorted(f"acct-{i}" for i in range(50))
    assert run_cli("validate", path).returncode == 0


# ---- secret files and the lock: never through a symlink, safe modes, nothing left behind --------


def halcfg(*args: str | os.PathLike[str], umask: int | None = None, input: str = "") -> subprocess.Popen[str]:
    """`python -m halcfg ARGS` started in the background (under `umask` if given)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("HALCFG_CONFIG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "halcfg", *map(str, args)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env, preexec_fn=None if umask is None else lambda: os.umask(umask),
    )
    assert process.stdin is not None
    process.stdin.write(input)
    process.stdin.close()
    process.stdin = None  # communicate() must not touch it again
    return process


def finished(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    assert "Traceback" not in err, err
    return process.returncode, out, err


def add_with_password(path: Path, name: str = "hub", password: str = "CANARY-pw-1", *more: str) -> tuple[int, str, str]:
    return finished(halcfg("account", "add", name, "--address", "hub.example", "--username", "u", "--password-stdin",
                           "--no-validate", *more, "-c", path, input=password))


def scratch_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".undo"))) if folder.exists() else []


def test_umask_000_still_gives_safe_modes(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    assert finished(halcfg("init", "-c", path, umask=0))[0] == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o644, "anyone who can write it can set a passwordCommand"
    code, out, _ = finished(halcfg("account", "add", "hub", "--address", "hub.example", "--username", "u",
                                   "--password-stdin", "--no-validate", "-c", path, umask=0, input="CANARY-pw-1"))
    assert code == 0, out
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "secrets" / "hub.password").stat().st_mode) == 0o600
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert run_cli("validate", path).stdout.strip() == f"{path}: no problems"


@pytest.mark.parametrize("target", ["folder", "file", "dangling-file"])
def test_a_symlink_where_a_secret_goes_is_refused(tmp_path: Path, target: str) -> None:
    path = tmp_path / "halcfg.yaml"
    assert run_cli("init", "-c", path).returncode == 0
    elsewhere = tmp_path / "someone-elses"
    elsewhere.mkdir()
    (elsewhere / "hub.password").write_text("theirs")
    if target == "folder":
        (tmp_path / "secrets").symlink_to(elsewhere)
    else:
        (tmp_path / "secrets").mkdir(mode=0o700)
        goal = elsewhere / ("hub.password" if target == "file" else "not-yet")
        (tmp_path / "secrets" / "hub.password").symlink_to(goal)
    before = path.read_bytes()
    code, out, err = add_with_password(path)
    assert code == 2 and out == ""
    assert "is a symlink" in err and err.count("\n") == 1, err
    assert path.read_bytes() == before
    assert (elsewhere / "hub.password").read_text() == "theirs"
    assert not (elsewhere / "not-yet").exists()
    assert sorted(p.name for p in elsewhere.iterdir()) == ["hub.password"]


def test_a_secrets_folder_others_control_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    assert run_cli("init", "-c", path).returncode == 0
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets").chmod(0o777)
    code, _, err = add_with_password(path)
    assert code == 2 and "can be written by others" in err and "chmod 700" in err
    if os.geteuid() == 0:  # only root can hand a folder to another user
        (tmp_path / "secrets").chmod(0o700)
        os.chown(tmp_path / "secrets", 65534, 65534)
        code, _, err = add_with_password(path)
        assert code == 2 and "is owned by uid 65534, not by you" in err
    assert not (tmp_path / "secrets" / "hub.password").exists()


def test_git_add_never_stages_a_password(tmp_path: Path) -> None:
    """The accounts file is meant to be committed; secrets/ ignores itself and there is no lock file."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    path = tmp_path / "halcfg.yaml"
    assert run_cli("init", "-c", path).returncode == 0
    assert add_with_password(path)[0] == 0
    assert add_with_password(path, "quay", "CANARY-pw-2")[0] == 0
    subprocess.run([*git, "add", "."], check=True)
    staged = subprocess.run([*git, "diff", "--cached", "--name-only"], check=True, capture_output=True,
                            text=True).stdout.split()
    assert sorted(staged) == ["halcfg.yaml", "secrets/.gitignore"]
    shown = subprocess.run([*git, "diff", "--cached"], check=True, capture_output=True, text=True).stdout
    assert "CANARY" not in shown
    assert sorted(p.name for p in tmp_path.iterdir()) == [".git", "halcfg.yaml", "secrets"]


def test_deleting_or_switching_source_removes_the_secret_file_it_made(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    assert add_with_password(path)[0] == 0
    assert add_with_password(path, "quay", "CANARY-pw-2")[0] == 0
    out = ok("account", "edit", "hub", "--password-env", "HUB_TOKEN", "--no-validate", "-c", path)
    assert "Removed secrets/hub.password: no account uses it any more." in out
    assert not (tmp_path / "secrets" / "hub.password").exists()
    out = ok("account", "delete", "quay", "-c", path)
    assert "Removed secrets/quay.password" in out
    assert sorted(p.name for p in (tmp_path / "secrets").iterdir()) == [".gitignore"]


def _hanging_registry() -> tuple[object, int]:
    """A socket that accepts connections and never answers: a probe against it waits."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    return server, server.getsockname()[1]


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP", "SIGKILL"])
def test_an_interrupted_add_neither_keeps_its_password_nor_blocks_the_next(tmp_path: Path, sig: str) -> None:
    path = tmp_path / "halcfg.yaml"
    assert run_cli("init", "-c", path).returncode == 0
    before = path.read_bytes()
    server, port = _hanging_registry()
    secret = tmp_path / "secrets" / "hub.password"
    try:
        process = halcfg("account", "add", "hub", "--address", f"127.0.0.1:{port}", "--plain-http", "--username",
                         "u", "--password-stdin", "--timeout", "60", "-c", path, input="CANARY-first")
        deadline = time.monotonic() + 60
        while not secret.exists():  # in place while the probe runs: the probe reads it
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.05)
        process.send_signal(getattr(__import__("signal"), sig))
        code, _, err = finished(process)
    finally:
        server.close()  # type: ignore[attr-defined]
    assert code != 0 and path.read_bytes() == before
    if sig != "SIGKILL":  # a catchable signal undoes at once
        assert not secret.exists() and scratch_files(secret.parent) == []
    code, out, err = add_with_password(path, "hub", "CANARY-second")  # the next attempt is not blocked
    assert code == 0, out + err
    assert secret.read_text() == "CANARY-second"
    assert scratch_files(secret.parent) == []


def test_a_refused_edit_puts_the_old_password_back(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    assert add_with_password(path)[0] == 0
    secret = tmp_path / "secrets" / "hub.password"
    code, out, _ = finished(halcfg("account", "edit", "hub", "--password-stdin", "--cache-threads", "0",
                                   "--no-validate", "-c", path, input="CANARY-new"))
    assert code == 1 and "Not saved" in out
    assert secret.read_text() == "CANARY-pw-1" and scratch_files(secret.parent) == []
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_the_next_edit_sweeps_what_a_killed_one_left(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    assert add_with_password(path)[0] == 0
    leftovers = [tmp_path / ".halcfg.yaml.k1ll3d00.tmp", tmp_path / "secrets" / ".hub.password.0123456789abcdef.tmp"]
    for leftover in leftovers:
        leftover.write_text("CANARY-half-written")
    unrelated = tmp_path / ".other.yaml.k1ll3d00.tmp"
    unrelated.write_text("not ours")
    ok("account", "edit", "hub", "--email", "a@b.c", "--no-validate", "-c", path)
    assert not any(p.exists() for p in leftovers) and unrelated.exists()


# ---- a refused edit changes nothing on disk, secrets/ included -----------------------------------


def tree(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every path under `root`: its mode and, for a file, its bytes (None for a folder)."""
    return {str(p.relative_to(root)): (p.lstat().st_mode, None if p.is_dir() else p.read_bytes())
            for p in sorted(root.rglob("*"))}


ONE_ACCOUNT = ("version: 1\nproviders:\n  dockerRegistry:\n    enabled: true\n    accounts:\n"
               "      - name: hub\n        address: hub.example\n        username: u\n        passwordEnv: HUB\n")


@pytest.mark.parametrize("folder", ["none", "no .gitignore", "another account's password"])
@pytest.mark.parametrize(("refusal", "code"), [
    (("two", "--address", "http://bad address"), 1),  # the result fails validation
    (("two", "--address", "quay.io", "--repositories-regex", "("), 1),
    (("hub", "--address", "gcr.io"), 2),  # a name that is taken: a usage error, after the password was stored
])
@pytest.mark.parametrize("password", [("--password-stdin",), ("--password", "CANARY-pw-flag")])
def test_a_refused_add_leaves_the_folder_tree_as_it_was(tmp_path: Path, folder: str, refusal: tuple[str, ...],
                                                        code: int, password: tuple[str, ...]) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(ONE_ACCOUNT)
    secrets = tmp_path / "secrets"
    if folder != "none":
        secrets.mkdir(mode=0o700)
    if folder == "another account's password":
        (secrets / ".gitignore").write_text("# mine\n*\n")
        (secrets / "old.password").write_text("CANARY-old")
    before = tree(tmp_path)
    result = finished(halcfg("account", "add", *refusal, "--username", "u", *password, "--no-validate", "-c", path,
                             input="CANARY-pw-stdin"))
    assert result[0] == code, result
    assert code == 2 or "Not saved" in result[1]
    assert tree(tmp_path) == before


def test_a_refused_add_to_a_file_not_there_yet_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    code, out, _ = add_with_password(path, "hub", "CANARY-pw-1", "--repositories-regex", "(")
    assert code == 1 and "Not saved" in out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("folder", ["none", "no .gitignore"])
def test_a_dry_run_import_with_secrets_leaves_the_folder_tree_as_it_was(tmp_path: Path, folder: str) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(ONE_ACCOUNT)
    if folder != "none":
        (tmp_path / "secrets").mkdir(mode=0o700)
    before = tree(tmp_path)
    source = REPO / "tests" / "data" / "import" / "drone-registries.yml"
    code, out, _ = finished(halcfg("import", "--from", "drone", source, "--dry-run", "-c", path))
    assert code == 0 and "Secret files that would be written (mode 0600): secrets/" in out
    assert tree(tmp_path) == before
