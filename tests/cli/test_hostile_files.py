"""Hostile files through the real CLI: FIFOs, devices, directories, crafted YAML, runaway
passwordCommands. Every command answers in bounded time with one line (or findings), exit 0, 1
or 2, never a traceback, and leaves the file as it was."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.support.cli import run_cli

COMMANDS = (
    ("validate",), ("account", "list"), ("account", "get", "hub"), ("account", "delete", "hub"),
    ("account", "add", "new", "--address", "new.example", "--no-validate"),
    ("account", "edit", "hub", "--email", "a@b.c", "--no-validate"),
    ("provider", "docker-registry", "enable"), ("provider", "docker-registry", "disable"),
    ("probe", "--timeout", "3"),
)
GOOD = """\
version: 1
providers:
  dockerRegistry:
    accounts:
      - name: hub
        address: 127.0.0.1:9
        plainHttp: true
"""


def run(*args: str | os.PathLike[str], config: Path, timeout: float = 30) -> tuple[int, str, str]:
    """Run one command on `config`; it must end within `timeout` and never print a traceback."""
    result = run_cli(*args, "-c", config, timeout=timeout)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode in (0, 1, 2), result
    return result.returncode, result.stdout, result.stderr


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("halcfg: error: "), stderr
    return lines[0]


NOT_REGULAR = [(kind, command) for kind in ("dev-zero", "directory", "dev-null") for command in COMMANDS[:5:4]]


@pytest.mark.parametrize(("kind", "command"), [*(("fifo", c) for c in COMMANDS), *NOT_REGULAR],
                         ids=lambda v: v if isinstance(v, str) else " ".join(v[:2]))
def test_accounts_file_that_is_not_a_regular_file(tmp_path: Path, kind: str, command: tuple[str, ...]) -> None:
    path = tmp_path / "halcfg.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to("/dev/zero" if kind == "dev-zero" else "/dev/null")
    code, _, stderr = run(*command, config=path)
    assert code == 2
    line = one_line_error(stderr)
    assert {"fifo": "is a FIFO", "dev-zero": "is a character device", "dev-null": "is a character device",
            "directory": "is a directory"}[kind] in line
    assert path.is_symlink() or path.is_dir() or path.is_fifo()  # nothing replaced it


@pytest.mark.parametrize("key", ["passwordFile", "caCertFile", "ecr.secretAccessKeyFile"])
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory", "huge"])
def test_referenced_files_that_are_not_small_regular_files(tmp_path: Path, key: str, kind: str) -> None:
    target = tmp_path / "target"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")
    else:
        target.write_bytes(b"x" * (2 * 1024 * 1024))
    account = {"name": "hub", "address": "127.0.0.1:9", "plainHttp": True, "username": "u"}
    if key == "ecr.secretAccessKeyFile":
        account = {"name": "hub", "address": "012345678910.dkr.ecr.us-east-1.amazonaws.com",
                   "ecr": {"accessKeyId": "AKIDEXAMPLE", "secretAccessKeyFile": str(target)}}
    else:
        account[key] = str(target)
    path = tmp_path / "halcfg.yaml"
    path.write_text(json.dumps({"version": 1, "providers": {"dockerRegistry": {"accounts": [account]}}}))
    probe = ("probe", "--timeout", "3", "--format", "json")
    for command in (("validate", "--format", "json"), *([probe] if kind == "fifo" else [])):
        started = time.monotonic()
        code, stdout, _ = run(*command, config=path)
        assert time.monotonic() - started < 20
        assert code == 1
        found = [f for f in json.loads(stdout)["findings"] if f["code"] == "file-unreadable"]
        assert len(found) == 1 and found[0]["line"] and found[0]["col"], stdout
        expected = {"fifo": "is a FIFO", "dev-zero": "is a character device", "directory": "is a directory",
                    "huge": "is larger than"}[kind]
        assert expected in found[0]["message"]


def _crafted(body: str) -> str:
    return "version: 1\nproviders:\n  dockerRegistry:\n    accounts:\n      - name: hub\n" + body


CRAFTED = {
    "deep-nesting": (_crafted("        environment: " + "[" * 5000 + "]" * 5000 + "\n"), 2, ":6:"),
    "deep-aliases": ("a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 40 + "*a" + "]" * 40 + "\n", 2, ":2:"),
    "huge-int": ("version: " + "9" * 5000 + "\n", 2, ":1:10:"),
    "huge-hex": (_crafted("        cacheThreads: 0x" + "f" * 5000 + "\n"), 2, ":6:23:"),
    "null-key": ("version: 1\nnull: 1\n", 2, ":2:1: key 'null' reads as null"),
    "int-key": ("version: 1\n1: a\n", 2, ":2:1: key '1' reads as a number"),
    "bool-keys": ("version: 1\n1: a\ntrue: b\n", 2, ":2:1: key '1' reads as a number"),
    "true-key": (_crafted("        true: b\n"), 2, ":6:9: key 'true' reads as true/false"),
    "tilde-key": ("version: 1\n~: x\n", 2, ":2:1: key '~' reads as null"),
    "nul-byte": ("version: 1\nproviders:\x00\n", 2, ":2:11: character U+0000"),
    "escape-byte": (_crafted("        address: \x1b[2Jx\n"), 2, ":6:18: character U+001B"),
    "merge-scalar": ("version: 1\nproviders:\n  <<: 1\n", 2, ":3:7: `<<` merges mappings only"),
    "merge-list-of-scalars": ("version: 1\nproviders:\n  <<: [1, 2]\n", 2, ":3:"),
    "merge-alias-scalar": ("x: &x 1\nversion: 1\nproviders:\n  <<: *x\n", 2, ":4:7: `<<` merges mappings only"),
    "cr-only": ("version: 1\rproviders:\r  dockerRegistry:\r    accounts: [{name: Bad}]\r", 1, ""),
}


@pytest.mark.parametrize("case", CRAFTED, ids=str)
def test_crafted_accounts_files_never_traceback(tmp_path: Path, case: str) -> None:
    body, expected_code, where = CRAFTED[case]
    path = tmp_path / "halcfg.yaml"
    path.write_bytes(body.encode("utf-8"))
    for command in (COMMANDS[0], COMMANDS[1], COMMANDS[4]):  # the property test runs them all
        code, stdout, stderr = run(*command, config=path)
        assert path.read_bytes() == body.encode("utf-8") or code == 0, (command, stdout)
        if command == ("validate",):
            assert code == expected_code, (stdout, stderr)
            if code == 2:
                line = one_line_error(stderr)
                assert f"{path}{where}" in line, line
                assert "\x1b" not in line and "\x00" not in line
            else:
                assert f"{path}:" in stdout  # findings point at file:line:col
        elif command[0] == "account" and command[1] in ("add", "edit", "delete") and code:
            assert path.read_bytes() == body.encode("utf-8")


def test_control_characters_are_escaped_in_every_text_output(tmp_path: Path) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(
        'version: 1\nproviders:\n  dockerRegistry:\n    accounts:\n'
        '      - name: "evil\\e]0;owned\\a\\u2028x"\n        address: "a.io\\e[2J"\n'
        '        passwordCommand: "printf \\e[31m"\n        username: "\\rbot"\n'
    )
    outputs = [run(*command, config=path) for command in (("validate",), ("account", "list"))]
    outputs.append(run("account", "get", "evil\x1b]0;owned\x07\u2028x", config=path))
    outputs.append(run("account", "get", "evil\x1b", config=path))
    for _, stdout, stderr in outputs:
        text = stdout + stderr
        assert not any(c in text for c in "\x1b\x07\r\u2028"), text
    assert "\\x1b]0;owned\\x07\\u2028x" in outputs[1][1]
    assert "\\x1b[2J" in outputs[2][1] and "\\rbot" in outputs[2][1]
    assert outputs[3][0] == 2 and "evil\\x1b" in outputs[3][2]


def _processes_running(marker: str) -> list[int]:
    """PIDs whose command line holds `marker` (to prove nothing a passwordCommand started survives)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("echo hunter2; sleep {marker} &", None),  # a background child keeps stdout open
        ("echo hunter2; sleep {marker}", ""),  # outlasts the probe's --timeout: halcfg ends first
        ("sleep {marker} & yes", "printed more than 64 KiB on stdout"),
        ("sleep {marker} & yes >&2", ""),
    ],
    ids=["background-child", "hangs", "floods-stdout", "floods-stderr"],
)
def test_password_command_is_bounded_and_leaves_nothing_running(tmp_path: Path, command: str, expected: str) -> None:
    marker = f"{os.getpid() % 1000 + 300}.{time.monotonic_ns() % 10**6}"  # a sleep length no one else uses
    path = tmp_path / "halcfg.yaml"
    account = {"name": "hub", "address": "127.0.0.1:9", "plainHttp": True, "username": "u",
               "passwordCommand": command.format(marker=marker)}
    path.write_text(json.dumps({"version": 1, "providers": {"dockerRegistry": {"accounts": [account]}}}))
    started = time.monotonic()
    code, stdout, _ = run("probe", "--timeout", "2", "--format", "json", config=path, timeout=30)
    elapsed = time.monotonic() - started
    left = _processes_running(f"sleep {marker}")
    for pid in left:  # clean up before failing: these are ours
        os.kill(pid, 9)
    assert not left, "a process passwordCommand started outlived halcfg"
    assert code == 1 and elapsed < 20
    found = json.loads(stdout)["findings"]
    if expected is None:
        assert "password-command-failed" not in {f["code"] for f in found}, found
    elif expected:
        (failure,) = [f for f in found if f["code"] == "password-command-failed"]
        assert expected in failure["message"]
    assert "hunter2" not in stdout


@pytest.mark.parametrize("accounts", [
    "[{name: a, address: a.io}]",
    "[{name: a, address: a.io},\n      {name: c, address: c.io}]  # two",
    "[\n      # first\n      {name: a, address: a.io},  # x\n    ]",
])
def test_add_to_a_flow_style_accounts_list_extends_it_validly(tmp_path: Path, accounts: str) -> None:
    path = tmp_path / "halcfg.yaml"
    path.write_text(f"version: 1\nproviders:\n  dockerRegistry:\n    accounts: {accounts}\n    enabled: true\n")
    code, stdout, stderr = run("account", "add", "b", "--address", "b.io", "--repositories", "x", "y",
                               "--no-validate", config=path)
    assert code == 0, stdout + stderr
    assert run("validate", config=path)[0] == 0
    listed = json.loads(run("account", "list", "--format", "json", config=path)[1])
    assert [a["name"] for a in listed][-1] == "b" and listed[-1]["repositories"] == ["x", "y"]
    assert "enabled: true" in path.read_text()


@pytest.mark.parametrize("field", ["passwordFile", "caCertFile", "passwordCommand", "passwordEnv", "address",
                                   "ecr.profile", "ecr.endpointUrl", "ecr.secretAccessKeyFile"])
def test_a_nul_escape_in_any_path_or_command_is_a_finding(tmp_path: Path, field: str) -> None:
    """`"\\0"` in double quotes is valid YAML: as a file name, a command or a URL it must be reported,
    not reach os.open or subprocess (which raise ValueError)."""
    account: dict[str, object] = {"name": "hub", "address": "127.0.0.1:9", "plainHttp": True, "username": "u"}
    if field.startswith("ecr."):
        account = {"name": "hub", "address": "012345678910.dkr.ecr.us-east-1.amazonaws.com",
                   "ecr": {"region": "us-east-1", "accessKeyId": "AKIDEXAMPLE", "secretAccessKeyEnv": "NOPE"}}
        account["ecr"][field[4:]] = "x\0y"  # type: ignore[index]
        if field == "ecr.secretAccessKeyFile":
            del account["ecr"]["secretAccessKeyEnv"]  # type: ignore[attr-defined]
    else:
        account[field] = "x\0y"
    path = tmp_path / "halcfg.yaml"
    path.write_text(json.dumps({"version": 1, "providers": {"dockerRegistry": {"accounts": [account]}}}))
    for command in (("validate",), ("probe", "--timeout", "3"), ("account", "list")):
        code, stdout, stderr = run(*command, config=path)  # no traceback, exit 0, 1 or 2
        assert "\0" not in stdout + stderr
        assert code == 1 or command[0] != "probe", (command, stdout, stderr)
