"""The flags of `account add|edit`, made from the field table, and what they ask for.

Each field with a flag in `config.fields` becomes an option with the field's help; a list or
mapping field also gets `--add-ITEM`/`--remove-ITEM` on `edit`, and each block `--no-BLOCK`.
An empty value removes a setting of any kind (`--email ''`, `--cache-threads ''`,
`--plain-http ''`, `--repositories ''`, `--label ''`). The password itself is not a plain flag
(`--password` prompts, `--password-stdin` reads): `cli.account` declares those. Halyard's
spellings (`--repositories a b c`, `--track-digests true`, a bare flag) are rewritten into ones
click parses.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from halcfg.config.fields import BY_KEY, FIELDS, Field
from halcfg.edit.patch import AccountPatch
from halcfg.errors import UsageError

PROMPT = "\0prompt"  # `--password` given no value; argv cannot hold NUL, so no typed value equals it
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
_LISTS = "values: {0} a b, {0} a,b, or the flag repeated; '' clears"
_MAPPING = "KEY=VALUE, the flag repeated; '' clears"
_BOOL = "true or false (a bare flag means true; '' removes it)"
_UNSET = "'' removes it"

PLAIN = tuple(f for f in FIELDS if f.flag and not f.secret)  # fields set by value from a flag
BLOCKS = tuple(f for f in FIELDS if f.kind == "block")  # `account edit --no-BLOCK` removes one
LIST_FLAGS = tuple(f.flag for f in PLAIN if f.kind == "list")
BOOL_FLAGS = tuple(f.flag for f in PLAIN if f.kind == "boolean")


def param(flag: str) -> str:
    """The Python name typer gives a flag: `--ecr-region` -> `ecr_region`."""
    return flag.lstrip("-").replace("-", "_")


def _item_flags(f: Field) -> tuple[str, str]:
    return f"--add-{f.item}", f"--remove-{f.item}"


def block_flag(f: Field) -> str:
    """`--no-ecr`, `--no-permissions`: the flag that removes a whole block."""
    return "--no-" + re.sub(r"(?<!^)(?=[A-Z])", "-", f.key).lower()


def _option(f: Field, *, required: bool = False) -> tuple[Any, Any]:
    """(annotation, default) of the field's option."""
    assert f.flag
    help_text = f.help + (f" Default: {f.default}." if f.kind == "integer" else "")
    if f.kind == "list":
        kind: Any = list[str]
        option = typer.Option(f.flag, metavar=f"{(f.item or 'value').upper()}...",
                              help=f"{help_text} {_LISTS.format(f.flag)}")
    elif f.kind == "mapping":
        kind = list[str]
        option = typer.Option(f.flag, metavar="KEY=VALUE", help=f"{help_text} {_MAPPING}")
    elif f.kind == "boolean":
        kind = str
        option = typer.Option(f.flag, metavar="[BOOL]", help=f"{help_text} {_BOOL}")
    else:  # an integer is parsed here, so that '' can remove it
        kind = str
        option = typer.Option(f.flag, metavar="INTEGER" if f.kind == "integer" else "TEXT",
                              help=f"{help_text} {_UNSET}.")
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
            mapping = f.kind == "mapping"
            metavars = ("KEY=VALUE", "KEY") if mapping else (f.item.upper(),) * 2
            helps = (f"add or change one of {f.flag}'s keys", f"remove one of {f.flag}'s keys") if mapping else (
                f"add one of {f.flag}'s values", f"remove one of {f.flag}'s values")
            for flag, metavar, text in zip(_item_flags(f), metavars, helps, strict=True):
                option = typer.Option(flag, metavar=metavar, help=text)
                out.append(inspect.Parameter(param(flag), inspect.Parameter.KEYWORD_ONLY, default=None,
                                             annotation=Annotated[list[str] | None, option]))
    if editing:
        for f in BLOCKS:
            option = typer.Option(block_flag(f), help=f"remove the whole {f.key} block")
            out.append(inspect.Parameter(param(block_flag(f)), inspect.Parameter.KEYWORD_ONLY, default=False,
                                         annotation=Annotated[bool, option]))
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
    removed = {f.path for f in BLOCKS if values.get(param(block_flag(f)))}
    patch.values.update(dict.fromkeys(removed))
    for f in PLAIN:
        flag = f.flag or ""
        value = values.get(param(flag))
        if f.item:
            add, remove = (values.get(param(item_flag)) for item_flag in _item_flags(f))
            if value is not None and (add or remove):
                raise UsageError(f"set either {f.flag} or --[add/remove]-{f.item}")
            if f.kind == "mapping":  # one key each: set or removed
                patch.values.update({(*f.path, key): v for key, v in _pairs(add or [], f"--add-{f.item}").items()})
                patch.values.update({(*f.path, key): None for key in items(remove or [])})
            else:
                if add:
                    patch.add[f.path] = items(add)
                if remove:
                    patch.remove[f.path] = items(remove)
        if value is None:
            continue
        if f.path[:1] in removed:
            raise UsageError(f"set either {f.flag} or {block_flag(BY_KEY[f.path[0]])}")
        if f.kind == "list":
            patch.values[f.path] = items(value) or None
        elif f.kind == "mapping":
            patch.values[f.path] = _pairs(value, flag) or None
        elif value == "":
            patch.values[f.path] = None
        elif f.kind == "boolean":
            patch.values[f.path] = _bool(value, flag)
        elif f.kind == "integer":
            patch.values[f.path] = _integer(value, flag)
        else:
            patch.values[f.path] = value
    return patch


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    """`KEY=VALUE` pieces ('' pieces dropped, so `--label ''` means none)."""
    pairs: dict[str, str] = {}
    for value in values:
        if not value:
            continue
        key, found, item = value.partition("=")
        if not found or not key:
            raise UsageError(f"{flag} takes KEY=VALUE, not {value!r}")
        pairs[key] = item
    return pairs


def _integer(value: str, flag: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"{flag} takes a whole number, not {value!r}") from None


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
            value = rest.pop(0) if rest and rest[0].lower() in (*_TRUE, *_FALSE, "") else "true"
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
