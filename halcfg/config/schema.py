"""Check plain data against halcfg's JSON Schema, compiled once into small closures.

jsonschema's generic validator costs more to import and run than the rest of `halcfg
validate` together on a large file, so the schema is compiled here into one closure per
keyword. Only the keywords the schema uses are supported, and compiling fails loudly on
any other: a schema change can never be silently half-checked. tests/test_schemacheck.py
holds this to jsonschema's verdicts on many broken documents; the schema itself stays
standard draft 2020-12 for editors and check-jsonschema.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from halcfg.config.fields import SECRET_KEYS
from halcfg.redact import MASK
from halcfg.resources import schema_path

Path_ = tuple[str | int, ...]

_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples",
     "deprecated", "readOnly", "writeOnly", "markdownDescription"}
)
_TYPE_NAMES = {
    "string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
    "object": "a mapping", "array": "a list", "null": "null",
}


class SchemaUnsupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


@dataclass(frozen=True)
class SchemaError:
    path: Path_  # where the offending value is; for unknown keys, the key itself
    keyword: str  # the JSON Schema keyword that failed, as jsonschema names it
    message: str
    hint: str = ""  # the field's description or the allowed values, for the remediation
    at_key: bool = False  # point at the key rather than its value


Check = Callable[[Any, Path_, list[SchemaError]], None]


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


_EXACT = {"string": str, "integer": int, "number": float, "boolean": bool, "object": dict, "array": list,
          "null": type(None)}


def ecma_to_python(pattern: str) -> str:
    """A JSON Schema `pattern` (ECMA-262, JSON Schema 2020-12 §6.4) as Python `re` reads it the same.

    Two places differ for the schema's patterns: ECMA's `$` (no multiline flag) matches only at
    the end of the input, Python's also before a final newline (so `"pull\\n"` would pass
    `^[a-z]+$`): it becomes `\\Z`. ECMA's `\\d` is [0-9], Python's any Unicode digit: it becomes [0-9].
    Escapes and character classes are copied as they are.
    """
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            pair = pattern[index : index + 2]
            out.append(("0-9" if in_class else "[0-9]") if pair == "\\d" else pair)
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = "\\Z"
        out.append(char)
        index += 1
    return "".join(out)


def _is_type(value: Any, name: str) -> bool:
    actual = json_type(value)
    return actual == name or (name == "number" and actual == "integer")


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: unlike Python, true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return a == b


def _json_key(value: Any) -> Any:
    """A hashable stand-in equal for two values exactly when _json_equal says so, so uniqueItems
    is one pass over a list of 20,000 repositories instead of a comparison of every pair."""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool or value is None:
        return (kind, value)  # true is not 1, as in JSON
    if kind is int or kind is float:
        return ("number", value) if value == value else ("nan", object())  # 1 == 1.0; NaN equals nothing
    if kind is list:
        return ("array", tuple(_json_key(item) for item in value))
    if kind is dict:
        return ("object", frozenset((name, _json_key(item)) for name, item in value.items()))
    if isinstance(value, (str, list, dict)):  # subclasses, such as ruamel's round-trip types
        return _json_key(str(value) if isinstance(value, str) else list(value) if isinstance(value, list)
                         else dict(value))
    return (kind, id(value))  # not JSON data: equal only to itself


def _field(path: Path_) -> str:
    """How a message names the value: its key, or `key[3]` for list items."""
    for i in range(len(path) - 1, -1, -1):
        if isinstance(path[i], str):
            return "".join([str(path[i]), *(f"[{p}]" for p in path[i + 1 :])])
    return "the document"


def _show(value: Any, path: Path_ = ()) -> str:
    """A value for a message; a secret's value is never shown, whatever its type."""
    if any(part in SECRET_KEYS for part in path):
        return f"{_TYPE_NAMES.get(json_type(value), 'a value')} ({MASK})"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def closest(name: str, candidates: list[str]) -> str | None:
    """The valid key a misspelt one most likely meant: case, dashes and underscores ignored."""
    import difflib

    def fold(text: str) -> str:
        return text.lower().replace("_", "").replace("-", "")

    folded = {fold(c): c for c in candidates}
    if fold(name) in folded:
        return folded[fold(name)]
    match = difflib.get_close_matches(fold(name), list(folded), n=1, cutoff=0.6)
    return folded[match[0]] if match else None


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: dict[str, Any] | bool) -> Check:
        if schema is True:
            return lambda value, path, errors: None
        if schema is False:
            return lambda value, path, errors: errors.append(
                SchemaError(path, "false", f"{_field(path)} is not allowed here")
            )
        checks: list[Check] = []
        hint = schema.get("description", "")
        for keyword, argument in schema.items():
            if keyword in _ANNOTATIONS:
                continue
            make = getattr(self, "k_" + keyword.lstrip("$"), None)
            if make is None:
                raise SchemaUnsupported(f"schema keyword {keyword!r} is not supported by halcfg's checker")
            if keyword in ("additionalProperties", "required") or keyword == "properties":
                checks.append(make(argument, schema))
            else:
                checks.append(make(argument, hint))

        def check(value: Any, path: Path_, errors: list[SchemaError]) -> None:
            for one in checks:
                one(value, path, errors)

        return checks[0] if len(checks) == 1 else check

    def k_ref(self, ref: str, hint: str) -> Check:
        if not ref.startswith("#/"):
            raise SchemaUnsupported(f"only local $ref is supported, not {ref!r}")
        if ref not in self.refs:
            self.refs[ref] = lambda value, path, errors: target(value, path, errors)  # placeholder
            node: Any = self.root
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            target = self.compile(node)
            self.refs[ref] = target
        return self.refs[ref]

    def k_type(self, names: str | list[str], hint: str) -> Check:
        allowed = [names] if isinstance(names, str) else list(names)
        wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in allowed)
        exact = {_EXACT[n] for n in allowed}  # the common case, decided without json_type()

        def check(value: Any, path: Path_, errors: list[SchemaError]) -> None:
            if type(value) not in exact and not any(_is_type(value, n) for n in allowed):
                errors.append(
                    SchemaError(path, "type", f"{_field(path)} must be {wanted}, not {_show(value, path)}", hint)
                )

        return check

    def k_properties(self, properties: dict[str, Any], schema: dict[str, Any]) -> Check:
        compiled = {name: self.compile(sub) for name, sub in properties.items()}

        def check(value: Any, path: Path_, errors: list[SchemaError]) -> None:
            if type(value) is dict:
                for name, item in value.items():
                    sub = compiled.get(name)
                    if sub is not None:
                        sub(item, (*path, name), errors)

        return check

    def k_additionalProperties(self, allowed: Any, schema: dict[str, Any]) -> Check:
        known = schema.get("properties", {})
        if allowed is not False:
            extra = self.compile(allowed)

            def check_extra(value: Any, path: Path_, errors: list[SchemaError]) -> None:
                if type(value) is dict:
                    for name, item in value.items():
                        if name not in known:
                            extra(item, (*path, name), errors)

            return check_extra
        names = sorted(known)

        def check(value: Any, path: Path_, errors: list[SchemaError]) -> None:
            if type(value) is not dict:
                return
            for name in value:
                if name not in known:
                    guess = closest(str(name), names) if isinstance(name, str) else None
                    where = "at the top level" if not path else f"in {_field(path)}"
                    errors.append(
                        SchemaError(
                            (*path, name), "additionalProperties",
                            f"unknown key {name!r} {where}" + (f" (did you mean {guess}?)" if guess else ""),
                            f"valid keys: {', '.join(names)}", at_key=True,
                        )
                    )

        return check

    def k_required(self, required: list[str], schema: dict[str, Any]) -> Check:
        properties = schema.get("properties", {})

        def check(value: Any, path: Path_, errors: list[SchemaError]) -> None:
            if type(value) is dict:
                for name in required:
                    if name not in value:
                        where = "at the top level" if not path else f"in {_field(path)}"
                        hint = f"add {name}: {properties.get(name, {}).get('description', '')}".rstrip(": ")
                        errors.append(SchemaError(path, "required", f"missing required key {name!r} {where}", hint))

        return check

    def k_items(self, items: Any, hint: str) -> Check:
        sub = self.compile(items)

        def check(value: Any, path: Path_, errors: list[SchemaError]) -> None:
            if type(value) is list:
                for i, item in enumerate(value):
                    sub(item, (*path, i), errors)

        return check

    def k_uniqueItems(self, unique: bool, hint: str) -> Check:
        def check(value: Any, path: Path_, errors: list[SchemaError]) -> None:
            if unique and type(value) is list:
                seen: set[Any] = set()
                for i, item in enumerate(value):
                    key = _json_key(item)
                    if key in seen:
                        message = f"{_field(path)} lists {_show(item, path)} twice"
                        errors.append(SchemaError((*path, i), "uniqueItems", message, hint))
                        return
                    seen.add(key)

        return check

    def _bound(self, keyword: str, applies: Callable[[Any], bool], measure: Callable[[Any], float],
               fails: Callable[[float], bool], text: str, hint: str) -> Check:
        def check(value: Any, path: Path_, errors: list[SchemaError]) -> None:
            if applies(value) and fails(measure(value)):
                errors.append(SchemaError(path, keyword, f"{_field(path)} {text}, not {_show(value, path)}", hint))

        return check

    def k_minLength(self, n: int, hint: str) -> Check:
        text = "must not be empty" if n == 1 else f"must be at least {n} characters"
        return self._bound("minLength", lambda v: type(v) is str, len, lambda m: m < n, text, hint)

    def k_maxLength(self, n: int, hint: str) -> Check:
        return self._bound("maxLength", lambda v: type(v) is str, len, lambda m: m > n,
                           f"must be at most {n} characters", hint)

    def k_minimum(self, n: float, hint: str) -> Check:
        return self._bound("minimum", _is_number, float, lambda m: m < n, f"must be at least {n}", hint)

    def k_maximum(self, n: float, hint: str) -> Check:
        return self._bound("maximum", _is_number, float, lambda m: m > n, f"must be at most {n}", hint)

    def k_exclusiveMinimum(self, n: float, hint: str) -> Check:
        return self._bound("exclusiveMinimum", _is_number, float, lambda m: m <= n, f"must be over {n}", hint)

    def k_exclusiveMaximum(self, n: float, hint: str) -> Check:
        return self._bound("exclusiveMaximum", _is_number, float, lambda m: m >= n, f"must be under {n}", hint)

    def k_minItems(self, n: int, hint: str) -> Check:
        return self._bound("minItems", lambda v: type(v) is list, len, lambda m: m < n,
                           f"must list at least {n} item{'s' * (n != 1)}", hint)

    def k_maxItems(self, n: int, hint: str) -> Check:
        return self._bound("maxItems", lambda v: type(v) is list, len, lambda m: m > n,
                           f"must list at most {n} items", hint)

    def k_pattern(self, pattern: str, hint: str) -> Check:
        search = re.compile(ecma_to_python(pattern)).search

        def check(value: Any, path: Path_, errors: list[SchemaError]) -> None:
            if type(value) is str and search(value) is None:
                errors.append(
                    SchemaError(path, "pattern", f"{_field(path)} {_show(value, path)} does not match {pattern}", hint)
                )

        return check

    def k_enum(self, options: list[Any], hint: str) -> Check:
        listed = ", ".join(str(o) for o in options)

        def check(value: Any, path: Path_, errors: list[SchemaError]) -> None:
            if not any(_json_equal(value, o) for o in options):
                errors.append(
                    SchemaError(path, "enum", f"{_field(path)} {_show(value, path)} is not one of: {listed}", hint)
                )

        return check

    def k_const(self, constant: Any, hint: str) -> Check:
        def check(value: Any, path: Path_, errors: list[SchemaError]) -> None:
            if not _json_equal(value, constant):
                errors.append(
                    SchemaError(path, "const", f"{_field(path)} must be {_show(constant)}, not {_show(value, path)}",
                                f"set {_field(path)}: {_show(constant)}")
                )

        return check


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def compile_schema(schema: dict[str, Any]) -> Callable[[Any], list[SchemaError]]:
    check = _Compiler(schema).compile(schema)

    def validate(instance: Any) -> list[SchemaError]:
        errors: list[SchemaError] = []
        check(instance, (), errors)
        return errors

    return validate


@cache
def schema_document(path: Path | None = None) -> dict[str, Any]:
    """schemas/halcfg.schema.json (or another schema file) as data: the one place it is read."""
    with open(path or schema_path(), encoding="utf-8") as handle:
        return json.load(handle)


@cache
def halcfg_validator(path: Path | None = None) -> Callable[[Any], list[SchemaError]]:
    """The compiled checker for schemas/halcfg.schema.json (or another schema file)."""
    return compile_schema(schema_document(path))
