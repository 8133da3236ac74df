"""Property: whatever a file looks like, every command ends with exit 0, 1 or 2 and no traceback.

Hypothesis mutates the example accounts file (YAML's special characters, control bytes, NUL,
CR, deleted spans, duplicated and re-indented lines) and runs every command on each mutant:
validate, account list/get/add/edit/delete, provider enable/disable, and probe with a short
timeout. The commands run in this process through `halcfg.main.main` (the function the
`halcfg` program calls) so a few dozen files fit in the suite's time; anything escaping it is a
traceback a user would have seen. Name resolution is fenced to loopback for the probe, whose
addresses point at a closed port on 127.0.0.1. A second property runs render (every target:
preview, --out, --check) and import (every source, --dry-run and --overwrite) on fewer mutants.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import socket
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halcfg.main import main
from tests.support.cli import EXAMPLE

# The example, made local: every registry on a closed port of 127.0.0.1, no command but echo.
BASE = re.sub(r"address: \S+", "address: http://127.0.0.1:9", EXAMPLE.read_text())
BASE = BASE.replace("passwordCommand: cat secrets/harbor.password", "passwordCommand: echo not-a-secret")
assert "127.0.0.1:9" in BASE and "echo not-a-secret" in BASE

PIECES = [*":-{}[],&*!|>'\"#%@?\\ \t\r\n\x00\x1b\x7f\u2028é", "<<: ", "~", "null", "true", "1", "0x", "- ", ": ",
          "&a ", "*a", "!!str ", "9" * 400, "[" * 80, "\r\n", "\ufeff"]
_LINE = st.integers(min_value=0, max_value=10_000)
MUTATION = st.one_of(
    st.tuples(st.just("insert"), _LINE, st.sampled_from(PIECES)),
    st.tuples(st.just("delete"), _LINE, st.integers(min_value=1, max_value=40)),
    st.tuples(st.just("duplicate-line"), _LINE, st.just(0)),
    st.tuples(st.just("indent"), _LINE, st.integers(min_value=-4, max_value=4)),
)


def mutate(text: str, mutations: list[tuple[str, int, object]]) -> str:
    for kind, where, what in mutations:
        if kind in ("insert", "delete"):
            at = where % (len(text) + 1)
            text = text[:at] + what + text[at:] if kind == "insert" else text[:at] + text[at + int(what):]  # type: ignore[operator, call-overload]
            continue
        lines = text.split("\n")
        i = where % len(lines)
        if kind == "duplicate-line":
            lines.insert(i, lines[i])
        else:
            shift = int(what)  # type: ignore[call-overload]
            indent = len(lines[i]) - len(lines[i].lstrip(" "))
            lines[i] = " " * shift + lines[i] if shift >= 0 else lines[i][min(-shift, indent):]
        text = "\n".join(lines)
    return text


def commands(path: Path) -> list[list[str]]:
    config = ["-c", str(path)]
    return [
        ["validate", str(path)],
        ["validate", "--format", "json", "--strict", str(path)],
        ["account", "list", *config],
        ["account", "list", "--format", "yaml", *config],
        ["account", "get", "gcr", "--format", "json", *config],
        ["account", "add", "new-one", "--address", "127.0.0.1:9", "--plain-http", "--password-env", "X",
         "--username", "u", "--no-validate", *config],
        ["account", "edit", "quay", "--email", "a@b.c", "--add-repository", "x/y", "--no-validate", *config],
        ["account", "delete", "dockerhub", *config],
        ["provider", "docker-registry", "disable", *config],
        ["provider", "docker-registry", "enable", *config],
        ["probe", "--timeout", "1", "--format", "json", *config],
    ]


def run(argv: list[str]) -> int:
    """One command as the `halcfg` program runs it; its exit code. An exception is a traceback."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code in (0, 1, 2), (argv, code, out.getvalue(), err.getvalue())
    if code == 2:
        assert err.getvalue().startswith("halcfg: error: ") or "Usage:" in err.getvalue(), (argv, err.getvalue())
    return code


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mutant can turn 127.0.0.1 into any host name: resolve loopback only, refuse the rest."""
    real = socket.getaddrinfo

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host not in ("127.0.0.1", "localhost", "::1", None):
            raise socket.gaierror(socket.EAI_NONAME, "tests resolve loopback only")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "HALCFG_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("XDG_CACHE_HOME", tempfile.mkdtemp())


@settings(max_examples=30, deadline=timedelta(seconds=60), derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(MUTATION, min_size=1, max_size=5))
def test_every_command_on_a_mutated_example_exits_0_1_or_2(loopback_only: None, mutations: list) -> None:
    text = mutate(BASE, mutations)
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(EXAMPLE.parent / "secrets", Path(folder) / "secrets")
        path = Path(folder) / "halcfg.yaml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        for argv in commands(path):
            before = path.read_bytes()
            code = run(argv)
            if code and argv[0] in ("account", "provider"):
                assert path.read_bytes() == before, (argv, "a failed edit changed the file")


IMPORTS = {"halconfig": "halconfig.yml", "drone": "drone-registries.yml", "docker-config": "docker-config.json",
           "kubernetes-secret": "k8s-secrets-list.yaml"}


def render_and_import(path: Path) -> list[list[str]]:
    """render (every target: a preview, --out, --check) and import (every source, dry and real)."""
    config = ["-c", str(path)]
    out = str(path.parent / "out")
    data = EXAMPLE.parent.parent / "tests" / "data" / "import"
    return [
        ["render", "--target", "all", "--time-limit", "20", *config],
        ["render", "--target", "all", "--out", out, *config],
        ["render", "--target", "all", "--out", out, "--check", *config],
        *(["import", "--from", source, str(data / name), *extra, *config]
          for source, name in IMPORTS.items() for extra in (["--dry-run"], ["--overwrite"])),
    ]


@settings(max_examples=12, deadline=timedelta(seconds=120), derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(MUTATION, min_size=1, max_size=5))
def test_render_and_import_on_a_mutated_example_exit_0_1_or_2(loopback_only: None, mutations: list) -> None:
    text = mutate(BASE, mutations)
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(EXAMPLE.parent / "secrets", Path(folder) / "secrets")
        path = Path(folder) / "halcfg.yaml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        for argv in render_and_import(path):
            before = path.read_bytes()
            code = run(argv)
            # An import may write and still exit 1 (a file the source names is missing): only 2 writes nothing.
            if argv[0] == "render" or "--dry-run" in argv or code == 2:
                assert path.read_bytes() == before, (argv, "the accounts file changed")
