"""The flags of `account add|edit`, made from the field table, and what they ask for.

Each field with a flag in `config.fields` becomes an option with the field's help; a list
field also gets `--add-ITEM`/`--remove-ITEM` on `edit`. The password itself is not a plain
flag (`--password` prompts, `--password-stdin` reads): `cli.account` declares those.
Halyard's spellings (`--repositories a b c`, `--track-digests true`, a bare flag) are
rewritten into ones click parses.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from halcfg.config.fields import FIELDS, Field
from halcfg.edit.patch import AccountPatch
from halcfg.errors import UsageError

PROMPT = "\0prompt"  # `--password` given no value; argv cannot hold NUL, so no typed value equals it
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
_LISTS = "values: {0} a b, {0} a,b, or the flag repeated; '' clears"
_BOOL = "true or false (a bare flag means true)"

PLAIN = tuple(f for f in FIELDS if f.flag and not f.secret)  # fields set by value from a flag
LIST_FLAGS = tuple(f.flag for f in PLAIN if f.kind == "list")
BOOL_FLAGS = tuple(f.flag for f in PLAIN if f.kind == "boolean")


def param(flag: str) -> str:
    """The Python name typer gives a flag: `--ecr-region` -> `ecr_region`."""
    return flag.lstrip("-").replace("-", "_")


def _item_flags(f: Field) -> tuple[str, str]:
    return f"--add-{f.item}", f"--remove-{f.item}"


def _option(f: Field, *, required: bool = False) -> tuple[Any, Any]:
    """(annotation, default) of the field's option."""
    assert f.flag
    help_text = f.help + (f" Default: {f.default}." if f.kind == "integer" else "")
    if f.kind == "list":
        kind: Any = list[str]
        option = typer.Option(f.flag, metavar=f"{(f.item or 'value').upper()}...",
                              help=f"{help_text} {_LISTS.format(f.flag)}")
    elif f.kind == "boolean":
        kind = str
        option = typer.Option(f.flag, metavar="[BOOL]", help=f"{help_text} {_BOOL}")
    else:
        kind = int if f.kind == "integer" else str
        option = typer.Option(f.flag, help=help_text)
    if required:
        return Annotated[kind, option], inspect.Parameter.empty
    return Annotated[kind | None, option], None


def field_parameters(*, editing: bool, required: tuple[str, ...] = ()) -> list[inspect.Parameter]:
    """Keyword parameters for every field flag (and, when `editing`, the --add/--remove ones)."""
    out = []
    for f in PLAIN:
        annotation, default = _option(f, required=f.key in required)
        out.append(inspect.Parameter(param(f.flag or ""), inspect.Parameter.KEYWORD_ONLY,
                                     default=default, annotation=annotation))
        if editing and f.item:
            for flag, verb in zip(_item_flags(f), ("add", "remove"), strict=True):
                option = typer.Option(flag, metavar=f.item.upper(), help=f"{verb} one of {f.flag}'s values")
                out.append(inspect.Parameter(param(flag), inspect.Parameter.KEYWORD_ONLY, default=None,
                                             annotation=Annotated[list[str] | None, option]))
    return out


def command(body: Callable[..., None], parameters: list[inspect.Parameter]) -> Callable[..., None]:
    """`body` with a signature typer reads its options from."""

    def run(**values: Any) -> None:
        body(**values)

    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    run.__doc__ = body.__doc__
    run.__name__ = body.__name__
    return run


def to_patch(values: Mapping[str, Any]) -> AccountPatch:
    """The AccountPatch the field flags ask for ('' or an empty list removes a setting)."""
    patch = AccountPatch()
    for f in PLAIN:
        name = param(f.flag or "")
        value = values.get(name)
        if f.item:
            add, remove = (values.get(param(flag)) for flag in _item_flags(f))
            if value is not None and (add or remove):
                raise UsageError(f"set either {f.flag} or --[add/remove]-{f.item}")
            if add:
                patch.add[f.path] = items(add)
            if remove:
                patch.remove[f.path] = items(remove)
        if value is None:
            continue
        if f.kind == "list":
            patch.values[f.path] = items(value) or None
        elif f.kind == "boolean":
            patch.values[f.path] = _bool(value, f.flag or "")
        else:
            patch.values[f.path] = None if value == "" else value
    return patch


def _bool(value: str, flag: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise UsageError(f"{flag} takes true or false, not {value!r}")


def items(values: list[str]) -> list[str]:
    """`a,b` and repeated flags alike; empty pieces dropped (so '' means none)."""
    return list(dict.fromkeys(item.strip() for value in values for item in value.split(",") if item.strip()))


def halyard_argv(args: list[str]) -> list[str]:
    """Rewrite Halyard's spellings into ones click parses.

    `--repositories a b c` (every value up to the next flag, as JCommander's variable arity),
    `--track-digests true` or a bare `--track-digests`, and a bare `--password` (prompt).
    """
    out: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            out += [arg, *rest]
            break
        if arg in LIST_FLAGS and rest and not rest[0].startswith("-"):
            while rest and not rest[0].startswith("-"):
                out.append(f"{arg}={rest.pop(0)}")
        elif arg in BOOL_FLAGS:
            value = rest.pop(0) if rest and rest[0].lower() in (*_TRUE, *_FALSE) else "true"
            out.append(f"{arg}={value}")
        elif arg == "--password" and (not rest or rest[0].startswith("-")):
            out.append(f"--password={PROMPT}")
        else:
            out.append(arg)
    return out


class HalyardCommand(TyperCommand):
    """A command that also accepts Halyard's multi-value and true/false flag spellings."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, halyard_argv(args))
