"""The JSON Schema: standard, documented, usable standalone, and checked by halcfg exactly as
jsonschema checks it."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from halcfg.config.fields import BY_KEY
from halcfg.config.load import load
from halcfg.config.schema import SchemaUnsupported, compile_schema
from tests.support.cli import EXAMPLE, REPO, run_cli

SCHEMA_FILE = REPO / "schemas" / "halcfg.schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text())
# Fields with no sensible default: identities, secrets and optional blocks whose absence means "none".
NO_DEFAULT = {
    "name", "username", "password", "passwordFile", "passwordCommand", "passwordEnv", "repositoriesRegex",
    "environment", "registryType", "caCertFile", "primaryAccount", "region", "registryId", "profile",
    "endpointUrl", "accessKeyId", "secretAccessKeyFile", "secretAccessKeyEnv", "secretName", "providerVersion",
}  # fmt: skip


def _is_mapping_field(where: str) -> bool:
    """A field the table declares a free string-to-string mapping (labels): its keys are data."""
    prefix = "$defs.account."
    field = BY_KEY.get(where[len(prefix):]) if where.startswith(prefix) else None
    return field is not None and field.kind == "mapping"


def properties(schema: dict[str, Any], path: str = "$") -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for name, sub in schema.get("properties", {}).items():
        found.append((f"{path}.{name}", name, sub))
        found += properties(sub, f"{path}.{name}")
    for name, sub in schema.get("$defs", {}).items():
        found += properties(sub, f"$defs.{name}")
    return found


def test_schema_is_valid_draft_2020_12_with_id_and_title() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"].startswith("https://") and SCHEMA["title"] and SCHEMA["description"]


@pytest.mark.parametrize(("where", "name", "sub"), properties(SCHEMA), ids=lambda v: v if isinstance(v, str) else "")
def test_every_field_is_documented_for_editors(where: str, name: str, sub: dict[str, Any]) -> None:
    assert sub.get("description"), f"{where} has no description"
    if name not in NO_DEFAULT:
        assert "default" in sub, f"{where} has no default"
    if sub.get("type") == "object" and not _is_mapping_field(where):
        assert sub.get("additionalProperties") is False, f"{where} allows unknown keys"


def test_example_passes_jsonschema_and_check_jsonschema() -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(load(EXAMPLE).data)
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(SCHEMA_FILE), str(EXAMPLE)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_jsonschema_rejects_what_halcfg_rejects(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nproviders:\n  dockerRegistry:\n    accounts:\n      - name: hub\n        passwrd: x\n")
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(SCHEMA_FILE), str(bad)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1 and "passwrd" in result.stdout
    assert run_cli("validate", bad).returncode == 1


def test_halcfg_schema_prints_the_schema_file() -> None:
    result = run_cli("schema")
    assert result.returncode == 0
    assert result.stdout == SCHEMA_FILE.read_text()


def test_example_carries_the_modeline_editors_read() -> None:
    first = EXAMPLE.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/halcfg.schema.json"


def _mutations(base: dict[str, Any]) -> list[dict[str, Any]]:
    """Documents each broken in one place, covering every keyword the schema uses."""
    # "pull\n", "quay.io\n" end in a newline: ECMA's `$` (the schema's dialect) does not match before
    # it, Python's does; "\u0661" is an Arabic-Indic digit, a Python `\d` but not an ECMA one.
    wrong = [123, 1.5, "text", True, None, [], {}, ["x"], -1, 0, "", "UPPER", "a" * 300, 10**6, "pull\n",
             "quay.io\n:5000", "a/b\n", "us-east-1\n", "\u0661" * 12, "0123456789\n"]
    docs: list[dict[str, Any]] = []
    account = base["providers"]["dockerRegistry"]["accounts"][0]
    spots: list[tuple[list[str | int], str]] = [([], key) for key in (*base, "extra")]
    spots += [(["providers"], key) for key in ("dockerRegistry", "other")]
    spots += [(["providers", "dockerRegistry"], key) for key in ("enabled", "primaryAccount", "accounts", "x")]
    spots += [(["providers", "dockerRegistry", "accounts", 0], key) for key in SCHEMA["$defs"]["account"]["properties"]]
    spots += [(["providers", "dockerRegistry", "accounts", 0], "unknownKey")]
    for block in ("ecr", "permissions", "drone", "kubernetes"):
        sub = SCHEMA["$defs"]["account"]["properties"][block]["properties"]
        spots += [(["providers", "dockerRegistry", "accounts", 0, block], key) for key in (*sub, "bogus")]
    for parent_path, key in spots:
        for value in wrong:
            doc = copy.deepcopy(base)
            doc["providers"]["dockerRegistry"]["accounts"][0].setdefault("ecr", {})
            for block in ("permissions", "drone", "kubernetes"):
                doc["providers"]["dockerRegistry"]["accounts"][0].setdefault(block, {})
            parent: Any = doc
            for part in parent_path:
                parent = parent[part]
            parent[key] = value
            docs.append(doc)
    for key in ("name",):
        doc = copy.deepcopy(base)
        del doc["providers"]["dockerRegistry"]["accounts"][0][key]
        docs.append(doc)
    dup = copy.deepcopy(base)
    dup["providers"]["dockerRegistry"]["accounts"][0]["repositories"] = ["a/b", "a/b"]
    docs += [dup, [], "x", {}, {"version": True}, {"version": 1.0}]
    assert account  # the example has accounts to mutate
    return docs


PER_ITEM = ("additionalProperties", "uniqueItems")


def test_compiled_checker_agrees_with_jsonschema_on_broken_documents() -> None:
    reference = jsonschema.Draft202012Validator(SCHEMA)
    ours = compile_schema(SCHEMA)
    base = load(EXAMPLE).data
    docs = _mutations(base)
    assert len(docs) > 700
    for doc in docs:
        expected = {(tuple(e.absolute_path), e.validator) for e in reference.iter_errors(doc)}
        # halcfg points at the unknown key or the repeated item itself; jsonschema at their container.
        got = {(e.path[:-1] if e.keyword in PER_ITEM else e.path, e.keyword) for e in ours(doc)}
        assert got == expected, json.dumps(doc, default=str)[:300]


def test_compiler_refuses_keywords_it_does_not_implement() -> None:
    with pytest.raises(SchemaUnsupported, match="oneOf"):
        compile_schema({"type": "object", "oneOf": [{"required": ["a"]}]})
    with pytest.raises(SchemaUnsupported, match="local"):
        compile_schema({"$ref": "https://example.com/other.json"})


UNIQUE_CASES = [
    [1, True], [1, 1.0], [{"a": 1}, {"a": 1.0}], [[1], [True]], [float("nan"), float("nan")], [0, False],
    [None, None], [{"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}], ["1", 1], [{}, []], [[], []],
    [{"a": 1, "b": 2}, {"b": 2, "a": 1}], [10**20, 1e20], ["x", "y", "x"], [False, 0.0, None, "", [], {}],
]


@pytest.mark.parametrize("items", UNIQUE_CASES, ids=repr)
def test_unique_items_agrees_with_jsonschema_on_json_equality(items: list[Any]) -> None:
    """uniqueItems hashes items (one pass, not every pair) yet keeps JSON's equality: true is not 1, 1 is 1.0."""
    schema = {"type": "array", "uniqueItems": True}
    assert (not compile_schema(schema)(items)) == jsonschema.Draft202012Validator(schema).is_valid(items)


def test_unique_items_reports_the_first_repeat_in_a_long_list() -> None:
    schema = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
    items = [f"team/app-{i}" for i in range(20_000)]
    assert compile_schema(schema)(items) == []
    (error,) = compile_schema(schema)([*items, "team/app-7"])
    assert error.path == (20_000,) and error.keyword == "uniqueItems"
