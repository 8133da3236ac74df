"""A target's manifest (`templates/<target>/manifest.yaml`): which files it renders, from which
templates, and whether a file carries secrets (then it is written 0600 and masked when shown).

    description: Drone's global registry file
    credentials: false       # custom targets: give templates each account's resolved credential
    files:
      - name: registries.yml
        template: registries.yml.j2
        secrets: true
      - name: "{{ item.file }}"   # with `each`: one file per item of a context list
        template: secret.yaml.j2
        each: secrets
        secrets: true
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from halcfg.errors import UsageError
from halcfg.files import folder as folders

MANIFEST = "manifest.yaml"
MANIFEST_MAX = 64 * 1024  # bytes: a manifest lists a few files
_TARGET_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")


@dataclass(frozen=True)
class OutputFile:
    name: str  # a file name, or a template of one when `each` is set
    template: str
    secrets: bool = False
    each: str | None = None


@dataclass(frozen=True)
class Manifest:
    target: str
    folder: Path
    description: str
    files: tuple[OutputFile, ...]
    credentials: bool = False


def is_target_name(name: str) -> bool:
    return bool(_TARGET_NAME.match(name))


def load_manifest(folder: Path) -> Manifest:
    """The manifest in `folder` (`<template folder>/<target>`), read as a regular file without
    following a link; UsageError naming the file and the key when it is malformed."""
    from ruamel.yaml import YAML, YAMLError

    path = folder / MANIFEST
    try:
        data = YAML(typ="safe").load(_read(folder))
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror}") from None
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise UsageError(f"{where}: not YAML: {getattr(error, 'problem', error)}") from None

    def bad(what: str) -> UsageError:
        return UsageError(f"{path}: {what}")

    if not isinstance(data, dict) or not isinstance(data.get("files"), list) or not data["files"]:
        raise bad("needs `files:`, a list of {name, template, secrets}")
    files = []
    for index, item in enumerate(data["files"]):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("name", "template")):
            raise bad(f"files[{index}] needs `name` and `template` strings")
        unknown = set(item) - {"name", "template", "secrets", "each"}
        if unknown:
            raise bad(f"files[{index}] has unknown keys: {', '.join(sorted(unknown))}")
        if not isinstance(item.get("secrets", False), bool) or not isinstance(item.get("each", ""), str):
            raise bad(f"files[{index}]: `secrets` is true or false, `each` a context key")
        files.append(OutputFile(item["name"], item["template"], item.get("secrets", False), item.get("each")))
    credentials = data.get("credentials", False)
    if not isinstance(credentials, bool):
        raise bad("`credentials` is true or false")
    return Manifest(folder.name, folder, str(data.get("description", "")), tuple(files), credentials)


def _read(folder: Path) -> bytes:
    root = folders.open_folder(folder.parent, shown=f"template folder {folder.parent}")
    target = None if root is None else folders.open_folder(Path(folder.name), parent=root, shown=str(folder))
    try:
        got = None if target is None else folders.read(target, MANIFEST, MANIFEST_MAX, str(folder / MANIFEST))
    finally:
        for fd in (target, root):
            if fd is not None:
                os.close(fd)
    if got is None:
        raise UsageError(f"{folder / MANIFEST}: no such file")
    return got[0]
