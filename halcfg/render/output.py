"""Where rendered files go: written into `--out DIR/<target>/`, compared with it (`--check`), or
printed. Everything shown has its secrets masked except `--out -`, which asks for the real bytes.

render owns only what it wrote: each target folder keeps a list of the files halcfg put there
(`.halcfg-rendered`), and only those are replaced or removed; a hand-written kustomization.yaml or
README.md beside them stays. Nothing in DIR is read or written through a symbolic link (the folder
and every file are opened relative to a descriptor, without following links: `files.folder`), and
a target's files change all together or not at all. Files that carry secrets are written 0600 and
owned by whoever runs halcfg, and their folder gets a `.gitignore` naming them.
"""

from __future__ import annotations

import difflib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from halcfg.errors import UsageError
from halcfg.files import folder as folders
from halcfg.files.regular import FileTooLarge
from halcfg.findings import Finding, Location, Severity
from halcfg.redact import MASK, mask_values, redact

SECRET_MODE = 0o600
OWNED = ".halcfg-rendered"  # the files halcfg wrote in this folder, one name a line
GITIGNORE = ".gitignore"
MAX_OUTPUT = 64 * 2**20  # bytes a render may produce, and the most --check reads of a file on disk
_OWNED_HEADER = "# written by halcfg render: the files it wrote here, removed when no longer rendered\n"
_GITIGNORE_HEADER = ("# written by halcfg render: these files hold plaintext credentials and stay out of git\n"
                     "# (render --no-gitignore writes no .gitignore)\n")


@dataclass(frozen=True)
class RenderedFile:
    target: str
    name: str
    data: bytes
    secrets: bool

    @property
    def relpath(self) -> str:
        return f"{self.target}/{self.name}"


@dataclass
class Written:
    written: list[str] = field(default_factory=list)  # relative to --out
    removed: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def write(files: list[RenderedFile], out: Path, targets: list[str], *, gitignore: bool = True) -> Written:
    """Write every changed file under `out/<target>/` and remove the files halcfg wrote there
    before that are no longer rendered. Every target's plan is made (and every name checked)
    before the first target changes; each target then changes all together or not at all."""
    rendered, clashes = _by_target(files)
    folders.make_parents(out)  # the path the user gave: created; `out` itself is never a link
    out_fd = folders.open_folder(out, create=True, shown=f"--out {out}")
    assert out_fd is not None
    result = Written()
    plans: list[_Plan] = []
    try:
        for target in targets:
            if target in clashes:  # the target said why (e.g. secret-name-taken); one file would hide another
                result.findings.append(Finding(
                    Severity.ERROR, "render-file-twice", f"{target}: two rendered files have one name; "
                    f"nothing in {out}/{target} was written", "", Location(file=f"{out}/{target}")))
                continue
            plans.append(_plan(out_fd, out, target, rendered.get(target, {}), gitignore, result))
        for plan in plans:
            if plan.folder is not None and (plan.put or plan.remove):
                folders.replace(plan.folder, plan.put, plan.remove, f"{out}/{plan.target}")
                result.written += [f"{plan.target}/{name}" for name in plan.put if name in plan.rendered]
                result.removed += [f"{plan.target}/{name}" for name in plan.remove]
    finally:
        for plan in plans:
            if plan.folder is not None:
                os.close(plan.folder)
        os.close(out_fd)
    return result


@dataclass
class _Plan:
    target: str
    folder: int | None
    rendered: set[str] = field(default_factory=set)
    put: dict[str, tuple[bytes, int]] = field(default_factory=dict)  # name -> (bytes, mode), in rename order
    remove: list[str] = field(default_factory=list)


def _plan(out_fd: int, out: Path, target: str, files: dict[str, RenderedFile], gitignore: bool,
          result: Written) -> _Plan:
    shown = f"{out}/{target}"
    fd = folders.open_folder(Path(target), parent=out_fd, create=bool(files), shown=shown)
    plan = _Plan(target, fd, set(files))
    if fd is None:
        return plan
    owned = _owned(fd, shown)
    for name, file in files.items():
        folders.check_replaceable(fd, name, f"{shown}/{name}")
        old = folders.lstat(fd, name)
        mode = SECRET_MODE if file.secrets else _kept_mode(old)
        if not _holds(fd, name, file.data, mode, shown):
            plan.put[name] = (file.data, mode)
    wanted = set(files)
    secret_names = sorted(name for name, file in files.items() if file.secrets)
    if gitignore and secret_names:
        if folders.lstat(fd, GITIGNORE) is None or GITIGNORE in owned:
            wanted.add(GITIGNORE)
            text = (_GITIGNORE_HEADER + "".join(f"/{name}\n" for name in secret_names)).encode()
            if not _holds(fd, GITIGNORE, text, None, shown):
                plan.put[GITIGNORE] = (text, folders.file_mode())
        else:
            result.findings.append(Finding(
                Severity.WARNING, "render-gitignore-kept",
                f"{shown}/{GITIGNORE} is not halcfg's; left as it is, so check that it ignores "
                f"{', '.join(secret_names)}", "Or remove it, and render writes one naming them.",
                Location(file=shown)))
    plan.remove = sorted(name for name in owned - wanted if _is_file(fd, name))
    listing = (_OWNED_HEADER + "".join(f"{name}\n" for name in sorted(wanted))).encode()
    if not _holds(fd, OWNED, listing, None, shown):
        plan.put[OWNED] = (listing, folders.file_mode())  # last: renamed after every file it lists
    return plan


def _by_target(files: list[RenderedFile]) -> tuple[dict[str, dict[str, RenderedFile]], set[str]]:
    """The files by target and name, and the targets that would write one name twice."""
    grouped: dict[str, dict[str, RenderedFile]] = {}
    clashes: set[str] = set()
    for file in files:
        names = grouped.setdefault(file.target, {})
        if file.name in names:
            clashes.add(file.target)
        names[file.name] = file
    return grouped, clashes


def _owned(fd: int, shown: str) -> set[str]:
    """The names the folder's list says halcfg wrote (none when there is no list)."""
    got = folders.read(fd, OWNED, MAX_OUTPUT, f"{shown}/{OWNED}")
    if got is None:
        return set()
    lines = got[0].decode("utf-8", "replace").splitlines()
    return {line for line in lines if line and not line.startswith("#") and "/" not in line and line not in (".", "..")}


def _holds(fd: int, name: str, data: bytes, mode: int | None, shown: str) -> bool:
    """The file already holds these bytes (with `mode`, when given), so writing it again would
    only wake watchers that reload on change. UsageError for a link."""
    info = folders.lstat(fd, name)
    if info is None or not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
        if info is not None and stat.S_ISLNK(info.st_mode):
            raise UsageError(f"{shown}/{name} is a symbolic link; halcfg does not read or write through links")
        return False
    if mode is not None and stat.S_IMODE(info.st_mode) != mode:
        return False
    got = folders.read(fd, name, len(data), f"{shown}/{name}")
    return got is not None and got[0] == data


def _kept_mode(old: os.stat_result | None) -> int:
    """A file without secrets keeps its mode, but never writable by group or others."""
    if old is None or not stat.S_ISREG(old.st_mode):
        return folders.file_mode()
    return stat.S_IMODE(old.st_mode) & 0o755


def _is_file(fd: int, name: str) -> bool:
    info = folders.lstat(fd, name)
    return info is not None and stat.S_ISREG(info.st_mode)


def check(files: list[RenderedFile], out: Path, targets: list[str], secrets: list[str]) -> tuple[list[str], str]:
    """Compare with what `out` holds: (stale relative paths, unified diff with secrets masked).

    Files are read as `write` writes them: through the folders' descriptors, never through a link
    (a link is a UsageError, and what it points to is never shown). Lines that only the file on
    disk has are masked after their key in files that carry secrets: they may hold an old secret
    that this run does not know.
    """
    stale: list[str] = []
    diff: list[str] = []
    rendered, _ = _by_target(files)  # a clash is the target's own finding (an error already)
    out_fd = folders.open_folder(out, shown=f"--out {out}")
    try:
        for target in targets:
            fd = None if out_fd is None else folders.open_folder(Path(target), parent=out_fd, shown=f"{out}/{target}")
            try:
                for file in rendered.get(target, {}).values():
                    _compare(fd, out, file, secrets, stale, diff)
                if fd is not None:
                    gone = _owned(fd, f"{out}/{target}") - set(rendered.get(target, {})) - {GITIGNORE}
                    for name in sorted(name for name in gone if _is_file(fd, name)):
                        stale.append(f"{target}/{name}")
                        diff.append(f"# {target}/{name}: no longer rendered\n")
            finally:
                if fd is not None:
                    os.close(fd)
    finally:
        if out_fd is not None:
            os.close(out_fd)
    return stale, redact("".join(diff), secrets)


def _compare(fd: int | None, out: Path, file: RenderedFile, secrets: list[str], stale: list[str],
             diff: list[str]) -> None:
    try:
        got = folders.read(fd, file.name, MAX_OUTPUT, f"{out}/{file.relpath}") if fd is not None else None
    except FileTooLarge:
        stale.append(file.relpath)
        diff.append(f"# {file.relpath}: larger than {MAX_OUTPUT // 2**20} MiB on disk; not compared\n")
        return
    old, info = got if got is not None else (None, None)
    if info is not None and file.secrets and stat.S_IMODE(info.st_mode) & 0o077:
        stale.append(file.relpath)
        diff.append(f"# {file.relpath}: mode {stat.S_IMODE(info.st_mode):04o}, expected 0600\n")
    if old == file.data:
        return
    if file.relpath not in stale:
        stale.append(file.relpath)
    diff += _unified(file, old, secrets)


def _unified(file: RenderedFile, old: bytes | None, secrets: list[str]) -> list[str]:
    """The unified diff of the file on disk (`old`) and the rendered one. In a file that carries
    secrets, new and unchanged lines are shown with every value holding a secret masked whole,
    and removed lines with everything after their key masked."""
    before = old.decode("utf-8", "replace").splitlines(keepends=True) if old is not None else []
    text = file.data.decode("utf-8")
    after = text.splitlines(keepends=True)
    shown = after
    if file.secrets:
        shown = mask_values(text, secrets).splitlines(keepends=True)
        if len(shown) != len(after):  # a secret spanning lines was masked: show none of them
            shown = [MASK + "\n"] * len(after)
    lines = [f"--- {f'a/{file.relpath}' if old is not None else '/dev/null'}\n", f"+++ b/{file.relpath}\n"]
    for group in difflib.SequenceMatcher(None, before, after).get_grouped_opcodes(3):
        first, last = group[0], group[-1]
        lines.append(f"@@ -{_span(first[1], last[2])} +{_span(first[3], last[4])} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                lines += [" " + line for line in shown[b1:b2]]
                continue
            lines += ["-" + (_mask_old(line) if file.secrets else line) for line in before[a1:a2]]
            lines += ["+" + line for line in shown[b1:b2]]
    return [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines]


def _span(start: int, stop: int) -> str:
    """A hunk's range as unified diffs write it: first line (1-based) and count, the count left
    out when it is 1; an empty range names the line before it."""
    count = stop - start
    if count == 1:
        return str(start + 1)
    return f"{start + 1 if count else start},{count}"


def _mask_old(line: str) -> str:
    """`  password: old` → `  password: ****`: keep the key, hide the value (a line without a key
    is hidden whole)."""
    for separator in ('": ', ": "):
        key, found, _ = line.partition(separator)
        if found:
            return f"{key}{separator}{MASK}\n"
    return f"{MASK}\n"


def show(files: list[RenderedFile], secrets: list[str] | None) -> str:
    """The files as one text: one alone as it is; several YAML files as one YAML stream (so
    `--out - | kubectl apply -f -` takes every Secret); otherwise under `==> target/name <==` headers.
    With `secrets` (a preview), files that carry secrets have every value holding one masked whole."""
    def body(file: RenderedFile) -> str:
        data = file.data.decode("utf-8")
        if secrets is None:
            return data
        return mask_values(data, secrets) if file.secrets else redact(data, secrets)

    def text(file: RenderedFile) -> str:  # one of several: each ends its own line
        return body(file) if file.data.endswith(b"\n") else body(file) + "\n"

    if len(files) == 1:
        return body(files[0])
    if all(f.name.endswith((".yml", ".yaml")) for f in files):
        return "".join(f"--- # {f.relpath}\n{text(f)}" for f in files)
    return "\n".join(f"==> {f.relpath} <==\n{text(f)}" for f in files)
