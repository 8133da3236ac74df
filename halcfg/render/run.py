"""The render stage's entry: open the accounts file under the RENDER policy (every rule, the
secrets here, errors refuse), render the targets, then write, compare or show the files.
Returns a StageResult; prints nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from halcfg.config.check import place
from halcfg.config.opener import RENDER, open_accounts
from halcfg.errors import UsageError, closest
from halcfg.findings import StageResult
from halcfg.render import output
from halcfg.render.manifest import MANIFEST, Manifest, is_target_name, load_manifest
from halcfg.render.output import RenderedFile
from halcfg.render.secrets import SecretResolver
from halcfg.render.target import Job, RenderOptions, base_context
from halcfg.render.targets import TARGETS
from halcfg.resources import data_dir

ALL = "all"
STDOUT = "-"
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*\Z")


@dataclass
class Rendered:
    """The render stage's payload: the files, and what became of them."""

    files: list[RenderedFile] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # relative to --out
    removed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # --check
    text: str = ""  # the files (--out - or a masked preview) or the --check diff
    checked: bool = False


def render(path: Path, options: RenderOptions, out: str | None = None, check: bool = False,
           template_dir: Path | None = None) -> StageResult[Rendered]:
    """Render `options.targets` from the accounts file at `path`.

    out None: a preview with secrets masked in `text`; "-": the real bytes in `text`; a folder:
    files written under `out/<target>/`, or with `check` compared with it.
    """
    if check and (out is None or out == STDOUT):
        raise UsageError("--check compares with files on disk: give --out DIR")
    folders = [f for f in (template_dir, data_dir("templates")) if f is not None]
    if template_dir is not None and not template_dir.is_dir():
        raise UsageError(f"--template-dir {template_dir}: not a folder")
    manifests = _manifests(_targets(options.targets, folders), folders)
    opened = open_accounts(path, RENDER)  # errors only: the rest is validate's to say
    document, config = opened.payload.document, opened.payload.config
    rendered = Rendered()
    result = StageResult(rendered, opened.findings)
    if config is None or result.findings:
        return result
    unknown = [name for name in options.accounts if config.account(name) is None]
    if unknown:
        raise UsageError(f"no account named {', '.join(unknown)} in {path}")
    accounts = [a for a in config.accounts if not options.accounts or a.name in options.accounts]

    from halcfg.render.engine import Engine

    engine = Engine(folders, options.time_limit)
    resolver = SecretResolver(config.base_dir)
    for manifest in manifests:
        job = Job(manifest.target, config, accounts, options, resolver)
        handed_out = resolver.handed_out
        context = base_context(job, manifest.credentials)
        module = TARGETS.get(manifest.target)
        if module is not None:
            context.update(module.context(job))
        # Built-in manifests mark their files; a target with templates of the user's that gets
        # credentials (resolved, or inline in the accounts) has every file treated as secret.
        custom = template_dir is not None and (template_dir / manifest.target).is_dir()
        receives = manifest.credentials or resolver.handed_out > handed_out or any(a.password for a in accounts)
        rendered.files += _render_files(engine, manifest, context, custom and receives)
        result.findings += job.findings
    result.findings += resolver.findings
    # Targets sharing a shape (spinnaker, halconfig, spinnaker-operator) say the same thing once.
    unique = dict.fromkeys(result.findings)
    result.findings = [place(f, document) if f.location.path else f for f in unique]
    secrets = [*resolver.secrets(), *(a.password for a in accounts if a.password)]

    targets = [m.target for m in manifests]
    if out is None:
        rendered.text = output.show(rendered.files, secrets)
    elif out == STDOUT:
        rendered.text = output.show(rendered.files, None)
    elif check:
        rendered.checked = True
        rendered.stale, rendered.text = output.check(rendered.files, Path(out), targets, secrets)
    else:
        written = output.write(rendered.files, Path(out), targets, gitignore=options.gitignore)
        rendered.written, rendered.removed = written.written, written.removed
        result.findings += written.findings
    result.failed = bool(rendered.stale)
    return result


def available_targets(folders: list[Path]) -> list[str]:
    """Built-in targets in table order, then the template folders' own, by name."""
    found = {p.parent.name for folder in folders for p in folder.glob(f"*/{MANIFEST}") if is_target_name(p.parent.name)}
    return [name for name in TARGETS if name in found] + sorted(found - TARGETS.keys())


def _targets(requested: tuple[str, ...], folders: list[Path]) -> list[str]:
    available = available_targets(folders)
    names = [n.strip() for item in requested for n in item.split(",") if n.strip()]
    if not names:
        raise UsageError(f"give --target: one or more of {', '.join(available)}, or all")
    if ALL in names:
        return available
    unknown = [n for n in names if n not in available]
    if unknown:
        guess = closest(unknown[0], [*available, ALL])
        raise UsageError(f"unknown target {', '.join(unknown)}" + (f" (did you mean {guess!r}?)" if guess else "")
                         + f"; known: {', '.join(available)}, all")
    return list(dict.fromkeys(names))


def _manifests(targets: list[str], folders: list[Path]) -> list[Manifest]:
    """Each target's manifest from the first folder that has one (--template-dir before built-ins)."""
    return [
        load_manifest(next(f / name for f in folders if (f / name / MANIFEST).is_file()))
        for name in targets
    ]


def _render_files(engine: Any, manifest: Manifest, context: dict[str, Any], secret: bool) -> list[RenderedFile]:
    files = []
    for spec in manifest.files:
        template = f"{manifest.target}/{spec.template}"
        if spec.each is None:
            variants = [(spec.name, context)]
        else:
            items = context.get(spec.each)
            if not isinstance(items, list):
                raise UsageError(f"{manifest.folder / MANIFEST}: `each: {spec.each}` names no list in the context")
            origin = f"{manifest.folder / MANIFEST}: name {spec.name!r}"
            variants = [(engine.render_string(spec.name, {**context, "item": item}, origin), {**context, "item": item})
                        for item in items]
        for name, variables in variants:
            if not _FILE_NAME.match(name):
                raise UsageError(f"{manifest.folder / MANIFEST}: {name!r} is not a plain file name")
            files.append(RenderedFile(manifest.target, name, engine.render(template, variables).encode("utf-8"),
                                      spec.secrets or secret))
    return files
