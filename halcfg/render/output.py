"""Where rendered files go: written into `--out DIR/<target>/`, compared with it (`--check`), or
printed. Files that carry secrets are written 0600 and never through a symlink; everything shown
has its secrets masked except `--out -`, which asks for the real bytes.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from halcfg.credentials.redact import MASK
from halcfg.errors import UsageError
from halcfg.files.atomic import write_atomic

SECRET_MODE = 0o600

Redactor = Callable[[str], str]


@dataclass(frozen=True)
class RenderedFile:
    target: str
    name: str
    data: bytes
    secrets: bool

    @property
    def relpath(self) -> str:
        return f"{self.target}/{self.name}"


def write(files: list[RenderedFile], out: Path, targets: list[str]) -> tuple[list[str], list[str]]:
    """Write every changed file under `out/<target>/`; remove files there that are no longer
    rendered. Returns (written, removed) as paths relative to `out`. Nothing is written when
    any output path is a symlink."""
    changed = [file for file in files if not _unchanged(out / file.relpath, file)]
    for folder in sorted({out / file.target for file in changed}):
        folder.mkdir(parents=True, exist_ok=True)
    for file in changed:  # re-renderable: atomic for readers, no fsync
        write_atomic(out / file.relpath, file.data, mode=SECRET_MODE if file.secrets else None, durable=False)
    wanted = {out / f.relpath for f in files}
    removed = []
    for path in _existing(out, targets):
        if path not in wanted:
            path.unlink()
            removed.append(str(path.relative_to(out)))
    return [file.relpath for file in changed], removed


def check(files: list[RenderedFile], out: Path, targets: list[str], mask: Redactor) -> tuple[list[str], str]:
    """Compare with what `out` holds: (stale relative paths, unified diff with secrets masked).

    Lines that only the file on disk has are masked after their key in files that carry
    secrets: they may hold an old secret that this run does not know.
    """
    stale: list[str] = []
    diff: list[str] = []
    wanted = {out / f.relpath for f in files}
    for file in files:
        path = out / file.relpath
        try:
            old = path.read_bytes()
        except FileNotFoundError:
            old = None
        if old is not None and file.secrets and stat.S_IMODE(path.lstat().st_mode) & 0o077:
            stale.append(file.relpath)
            diff.append(f"# {file.relpath}: mode {stat.S_IMODE(path.lstat().st_mode):04o}, expected 0600\n")
        if old == file.data:
            continue
        if file.relpath not in stale:
            stale.append(file.relpath)
        before = old.decode("utf-8", "replace").splitlines(keepends=True) if old is not None else []
        after = file.data.decode("utf-8").splitlines(keepends=True)
        for line in difflib.unified_diff(before, after, f"a/{file.relpath}" if old is not None else "/dev/null",
                                         f"b/{file.relpath}"):
            if file.secrets and line.startswith("-") and not line.startswith("---"):
                line = _mask_value(line)
            diff.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    for path in _existing(out, targets):
        if path not in wanted:
            relpath = str(path.relative_to(out))
            stale.append(relpath)
            diff.append(f"# {relpath}: no longer rendered\n")
    return stale, mask("".join(diff))


def show(files: list[RenderedFile], mask: Redactor | None) -> str:
    """The files as one text: one alone as it is; several YAML files as one YAML stream (so
    `--out - | kubectl apply -f -` takes every Secret); otherwise under `==> target/name <==` headers."""
    def body(file: RenderedFile) -> str:
        data = file.data.decode("utf-8")
        return mask(data) if mask is not None and file.secrets else data

    def text(file: RenderedFile) -> str:  # one of several: each ends its own line
        return body(file) if file.data.endswith(b"\n") else body(file) + "\n"

    if len(files) == 1:
        return body(files[0])
    if all(f.name.endswith((".yml", ".yaml")) for f in files):
        return "".join(f"--- # {f.relpath}\n{text(f)}" for f in files)
    return "\n".join(f"==> {f.relpath} <==\n{text(f)}" for f in files)


def _mask_value(line: str) -> str:
    """`-  password: old` → `-  password: ****`: keep the key, hide the value."""
    for separator in ('": ', ": "):
        key, found, _ = line.partition(separator)
        if found:
            return f"{key}{separator}{MASK}\n"
    return f"-{MASK}\n"


def _unchanged(path: Path, file: RenderedFile) -> bool:
    """The file on disk already holds these bytes (0600 when it carries secrets), so writing it
    again would only wake watchers that reload on change. UsageError for a symlink."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        raise UsageError(f"{path} is a symbolic link; halcfg does not write rendered files through links")
    if not stat.S_ISREG(info.st_mode) or info.st_size != len(file.data):
        return False
    if file.secrets and stat.S_IMODE(info.st_mode) != SECRET_MODE:
        return False
    return path.read_bytes() == file.data


def _existing(out: Path, targets: list[str]) -> list[Path]:
    """Regular files in the targets' folders under `out` (what a previous render left)."""
    found = []
    for target in targets:
        folder = out / target
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return found


def ensure_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: not a folder")
    os.makedirs(out, exist_ok=True)
