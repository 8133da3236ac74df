"""The field table is the one list of account fields: the schema, the model, the flags and the
masking agree with it. A failure here names what to add where."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from halcfg.cli import account_flags
from halcfg.config.fields import FIELDS, PASSWORD_SOURCES, SECRET_KEYS, SOURCE_BLOCKS
from halcfg.config.model import Account, Ecr, build_account
from halcfg.config.view import masked
from halcfg.edit.document import KEY_ORDER
from halcfg.redact import MASK
from tests.support.cli import REPO

SCHEMA = json.loads((REPO / "schemas" / "halcfg.schema.json").read_text())
_KINDS = {"string": "string", "integer": "integer", "boolean": "boolean", "list": "array", "mapping": "object",
          "block": "object"}


def _schema_properties(node: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    out = {}
    for key, sub in node.get("properties", {}).items():
        out[prefix + key] = sub
        out.update(_schema_properties(sub, f"{prefix}{key}."))
    return out


SCHEMA_FIELDS = _schema_properties(SCHEMA["$defs"]["account"])


def test_every_schema_key_is_in_the_table_and_back() -> None:
    table = {f.key for f in FIELDS}
    assert sorted(set(SCHEMA_FIELDS) - table) == [], "add these to halcfg/config/fields.py"
    assert sorted(table - set(SCHEMA_FIELDS)) == [], "add these to schemas/halcfg.schema.json"


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.key)
def test_schema_entry_matches_the_table(field) -> None:
    entry = SCHEMA_FIELDS[field.key]
    assert entry["description"] == field.help
    assert entry["type"] == _KINDS[field.kind]
    if field.kind == "list":
        assert entry["items"]["type"] == "string"
    if field.default not in (None, ()):
        assert entry["default"] == field.default
    elif field.kind == "list":
        assert entry.get("default") == []


def test_the_model_has_one_attribute_per_field_with_its_default() -> None:
    account = build_account(0, {"name": "x"})
    attributes = {f.name for f in dataclasses.fields(Account)} - {"index", "name", "raw"}
    expected = {f.name for f in FIELDS if f.key != "name" and (
        f.key in SOURCE_BLOCKS or (f.kind != "block" and f.path[0] not in SOURCE_BLOCKS))}
    assert attributes == expected
    for f in FIELDS:
        if f.kind != "block" and f.key != "name" and f.path[0] not in SOURCE_BLOCKS:
            assert getattr(account, f.name) == f.default, f.key
    assert {f.name for f in dataclasses.fields(Ecr)} == {f.name for f in FIELDS if f.key.startswith("ecr.")}


_ANNOTATIONS = {"string": "str | None", "integer": "int", "boolean": "bool", "list": "tuple[str, ...]",
                "mapping": "dict[str, str] | None"}


_ATTRIBUTES = [f for f in FIELDS if (f.key != "name" and f.kind != "block") or f.key in SOURCE_BLOCKS]


@pytest.mark.parametrize("field", _ATTRIBUTES, ids=lambda f: f.key)
def test_each_class_attribute_is_its_fields_kind_and_default(field) -> None:
    """The classes are written out; each attribute's annotation and default are the table's."""
    holder = Ecr if field.path[0] in SOURCE_BLOCKS and len(field.path) > 1 else Account
    declared = {f.name: f for f in dataclasses.fields(holder)}[field.name]
    expected = "Ecr | None" if field.key in SOURCE_BLOCKS else _ANNOTATIONS[field.kind]
    if field.key == "address":  # always present once the schema passed: no None
        expected = "str"
    assert declared.type == expected
    assert declared.default == field.default


def test_the_model_reads_every_field() -> None:
    raw = {"name": "x", "requiredGroupMembership": ["ops"], "ecr": {"region": "us-east-1"},
           "permissions": {"READ": ["dev"]}, "kubernetes": {"namespace": "ns"}}
    account = build_account(3, raw)
    assert account.required_group_membership == ("ops",)
    assert account.read_permissions == ("dev",)
    assert account.ecr.region == "us-east-1"
    assert account.kubernetes_namespace == "ns"
    assert account.password_sources == ["ecr"]


def test_flags_come_from_the_table() -> None:
    names = {p.name for p in account_flags.field_parameters(editing=True)}
    for f in FIELDS:
        if f.flag and not f.secret:
            assert account_flags.param(f.flag) in names
        if f.item:
            assert {f"add_{f.item.replace('-', '_')}", f"remove_{f.item.replace('-', '_')}"} <= names
    assert "--required-group-membership" in account_flags.LIST_FLAGS


def test_secrets_sources_and_order() -> None:
    assert {"password"} == SECRET_KEYS
    assert PASSWORD_SOURCES == ("password", "passwordFile", "passwordCommand", "passwordEnv", "ecr")
    assert KEY_ORDER[:2] == ("name", "address")
    assert masked({"name": "x", "password": "s3cr3t", "passwrd": "typo", "requiredGroupMembership": ["ops"],
                   "ecr": {"region": "r", "secretKey": "k"}, "permissions": {"READ": ["a"]}}) == {
        "name": "x", "password": MASK, "passwrd": MASK, "requiredGroupMembership": ["ops"],
        "ecr": {"region": "r", "secretKey": MASK}, "permissions": {"READ": ["a"]}}


def test_only_these_kinds_take_a_flag() -> None:
    for f in FIELDS:
        if f.flag:
            kinds = ("string", "integer", "boolean", "list", "mapping")
            assert f.kind in kinds, f"{f.key}: a {f.kind} field takes no flag"
