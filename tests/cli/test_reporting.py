"""One reporter table and one error printer (issue 14.4), through the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from halcfg import report
from tests.support.cli import EXAMPLE, run_cli


@pytest.fixture
def example(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE.parent, tmp_path / "example")
    return tmp_path / "example" / "halcfg.yaml"


@pytest.mark.parametrize(
    ("args", "wrong", "offered", "meant"),
    [
        (("validate",), "jsn", "text, json", "json"),
        (("probe",), "jsno", "text, json", "json"),
        (("match", "nginx"), "txt", "text, json", "text"),
        (("account", "get", "gcr"), "yml", "text, json, yaml", "yaml"),
        (("account", "list"), "jason", "text, json, yaml", "json"),
    ],
)
def test_a_bad_format_reads_the_same_in_every_command(
    example: Path, args: tuple[str, ...], wrong: str, offered: str, meant: str
) -> None:
    result = run_cli(*args, "--format", wrong, "-c", example)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"halcfg: error: --format must be one of {offered}, not {wrong!r} (did you mean {meant!r}?)\n"), args


def test_every_reporter_is_named_in_one_table() -> None:
    assert {kind: report.formats(kind) for kind in report.REPORTERS} == {
        "validate": ("text", "json"), "probe": ("text", "json"), "match": ("text", "json"),
        "account": ("text", "json", "yaml"), "accounts": ("text", "json", "yaml"),
        "render": ("text",), "import": ("text",),
    }


def test_io_errors_print_as_one_line_without_an_empty_file_name(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = run_cli("render", "-t", "drone", "-c", EXAMPLE, "--out", blocker / "out")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("halcfg: error: ") and "error: :" not in line, line
    assert str(blocker) in line


def test_the_error_printer_escapes_control_characters_and_spells_os_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert report.error("bad \x1b[31mred\x1b[0m value") == 2
    assert report.error(FileNotFoundError(2, "No such file or directory", "/x/y.yaml")) == 2
    assert report.error(PermissionError(13, "Permission denied")) == 2
    assert capsys.readouterr().err.splitlines() == [
        "halcfg: error: bad \\x1b[31mred\\x1b[0m value",
        "halcfg: error: /x/y.yaml: No such file or directory",
        "halcfg: error: Permission denied",
    ]


def test_validate_json_reports_every_file_with_the_worst_exit_code(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nproviders: [\n")
    result = run_cli("validate", "--format", "json", EXAMPLE, broken)
    assert result.returncode == 2
    out = json.loads(result.stdout)
    assert out["files"] == [str(EXAMPLE), str(broken)] and out["exit_code"] == 2
    assert result.stderr.startswith(f"halcfg: error: {broken}:")
