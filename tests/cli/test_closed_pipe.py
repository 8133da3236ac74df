"""A reader that leaves early (`halcfg validate | true`, `halcfg account list | head -1`) costs
only the output: no traceback, no "Broken pipe" message, and the command's own exit code — for
every kind of command: argparse fast paths, typer commands, the kubelet plugin's binary answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import REPO


def _env() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "HALCFG_CONFIG"}, "PYTHONPATH": str(REPO), "Q": "tok"}


def _accounts(path: Path, count: int, port: int) -> Path:
    """`count` accounts (passwordEnv Q), so listings are larger than a pipe's buffer."""
    accounts = [{"name": f"a{i}", "address": f"127.0.0.1:{port}", "plainHttp": True, "username": "u",
                 "passwordEnv": "Q", "repositories": ["lib/app"], "clientTimeoutMillis": 2000} for i in range(count)]
    path.write_text(json.dumps({"version": 1, "providers": {"dockerRegistry": {"enabled": True,
                                                                               "accounts": accounts}}}))
    return path


def _closed_early(args: list[str], lines: int, stdin: bytes = b"") -> tuple[int, str]:
    """(exit code, stderr) of halcfg whose stdout is a real pipe, closed after `lines` lines."""
    with subprocess.Popen([sys.executable, "-m", "halcfg", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=_env()) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(stdin)
        proc.stdin.close()
        for _ in range(lines):
            proc.stdout.readline()
        proc.stdout.close()  # `| head -N` exits
        err = proc.stderr.read().decode()
        return proc.wait(timeout=120), err


def _to_the_end(args: list[str], lines: int, stdin: bytes = b"") -> tuple[int, str]:
    """(exit code, stderr) when the reader reads it all; checks the output is long enough that a
    reader leaving after `lines` lines (0: before the first write) makes a write fail."""
    done = subprocess.run([sys.executable, "-m", "halcfg", *args], input=stdin, capture_output=True, env=_env(),
                          timeout=120)
    assert done.stdout and (not lines or len(done.stdout) > 128 * 1024), "no write would fail: test means nothing"
    return done.returncode, done.stderr.decode()


COMMANDS = {  # one of each kind: argparse fast path, typer command, typer group member, binary answer
    "validate": (["validate", "{file}"], 0),  # `| true`
    "account list": (["account", "list", "-c", "{file}"], 1),  # `| head -1`
    "account get": (["account", "get", "a7", "--format", "json", "-c", "{file}"], 0),
    "render --out -": (["render", "-t", "docker-config", "-t", "kubernetes", "--out", "-", "-c", "{file}"], 1),
    "match": (["match", *(f"127.0.0.1:{{port}}/lib/app:{i}" for i in range(4000)), "-c", "{file}"], 1),
    "probe": (["probe", "a1", "a2", "--timeout", "10", "-c", "{file}"], 0),
    "schema": (["schema"], 0),
    "completion": (["completion", "bash"], 0),
    "help": (["account", "add", "-h"], 0),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_no_traceback_when_the_reader_leaves(tmp_path: Path, name: str, free_port: int) -> None:
    template, lines = COMMANDS[name]
    count = {"probe": 3, "match": 3, "account list": 5000}.get(name, 1500)
    file = _accounts(tmp_path / "halcfg.yaml", count, free_port)
    args = [arg.format(file=file, port=free_port) for arg in template]
    code, err = _closed_early(args, lines)
    assert "Traceback" not in err and "Broken pipe" not in err and "BrokenPipe" not in err, err
    assert (code, err) == _to_the_end(args, lines)  # the same ending as a reader that read it all


def test_the_kubelet_plugin_too(tmp_path: Path, free_port: int) -> None:
    file = _accounts(tmp_path / "halcfg.yaml", 2, free_port)
    request = json.dumps({"apiVersion": "credentialprovider.kubelet.k8s.io/v1", "kind": "CredentialProviderRequest",
                          "image": f"127.0.0.1:{free_port}/lib/app:1"}).encode()
    args = ["kubelet-credential-provider", "-c", str(file)]
    code, err = _closed_early(args, 0, request)
    assert (code, err) == (0, "")
    assert _to_the_end(args, 0, request) == (0, "")


def test_validate_into_true_keeps_its_exit_code(tmp_path: Path, free_port: int) -> None:
    """`set -o pipefail; halcfg validate | true` still fails for a file with errors."""
    file = _accounts(tmp_path / "halcfg.yaml", 1500, free_port)
    file.write_text(file.read_text().replace('"passwordEnv": "Q"', '"passwordEnv": "Q", "password": "p"', 1))
    shell = subprocess.run(["bash", "-c", f'set -o pipefail; "{sys.executable}" -m halcfg validate "{file}" | true'],
                           capture_output=True, text=True, env=_env(), timeout=120)
    assert (shell.returncode, shell.stderr) == (1, "")
