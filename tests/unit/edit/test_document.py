"""The edits on text: only the account's lines change, the rest keeps its bytes, and layouts a
stretch cannot be cut from go through the whole file with the same result."""

from __future__ import annotations

from pathlib import Path

import pytest

from halcfg.config.load import parse as strict_parse
from halcfg.edit import document
from halcfg.edit.patch import AccountPatch
from halcfg.errors import UsageError

PATH = Path("halcfg.yaml")
TEXT = (
    "version: 1\n"
    "providers:\n"
    "  dockerRegistry:\n"
    "    enabled: true   # on\n"
    "    primaryAccount: b\n"
    "    accounts:\n"
    "      # first\n"
    "      - name: a\n"
    "        address: a.io   # keep me\n"
    "        repositories: [x/y]\n"
    "\n"
    "      # second\n"
    "      - name: b\n"
    "        address: 'b.io'\n"
    "        username: u\n"
    "      - {name: c, address: c.io}\n"
    "# trailer\n"
)


def doc(text: str = TEXT) -> document.Document:
    return document.parse(text, PATH)


def patch(**values: object) -> AccountPatch:
    return AccountPatch(values={tuple(key.split(".")): value for key, value in values.items()})


def test_edit_changes_only_the_accounts_lines() -> None:
    text, changed = document.edit_account(doc(), "b", patch(email="e@x.io", username=None))
    assert changed == ["email", "username"]
    assert text == TEXT.replace("        username: u\n", "        email: e@x.io\n")


def test_edit_that_changes_nothing_gives_back_the_same_text() -> None:
    text, changed = document.edit_account(doc(), "a", patch(address="a.io"))
    assert (text, changed) == (TEXT, [])


def test_nested_keys_go_in_the_tables_order() -> None:
    text, _ = document.edit_account(doc(), "a", patch(**{"ecr.region": "us-east-1", "permissions.WRITE": ["w"],
                                                          "permissions.READ": ["r"]}))
    lines = text.splitlines()
    start = lines.index("      - name: a")
    assert lines[start:start + 8] == [
        "      - name: a", "        address: a.io   # keep me", "        repositories: [x/y]",
        "        ecr:", "          region: us-east-1",
        "        permissions:", "          READ: [r]", "          WRITE: [w]",
    ]


def test_add_appends_after_the_last_item_and_before_the_trailer() -> None:
    text, changed = document.add_account(doc(), "d", patch(address="d.io"))
    assert changed == ["name", "address"]
    assert text == TEXT.replace("# trailer\n", "      - name: d\n        address: d.io\n# trailer\n")
    assert document.add_account(doc(text), "d", patch(address="d.io"))[0] == text  # the same add again
    with pytest.raises(UsageError, match="account 'd' already exists"):
        document.add_account(doc(text), "d", patch(address="other.io"))


def test_delete_cuts_the_account_with_its_heading_and_a_primary_it_was() -> None:
    text, notes = document.delete_account(doc(), "b")
    assert notes == ["primaryAccount removed: it now defaults to the first account"]
    assert text == TEXT.replace("    primaryAccount: b\n", "").replace(
        "      # second\n      - name: b\n        address: 'b.io'\n        username: u\n", "")
    strict_parse(text, PATH)


def test_delete_of_a_flow_item_goes_through_the_whole_file() -> None:
    text, _ = document.delete_account(doc(), "c")
    assert "name: c" not in text and text.endswith("        username: u\n# trailer\n")


def test_the_last_account_deleted_leaves_an_empty_list() -> None:
    one = "version: 1\nproviders:\n  dockerRegistry:\n    accounts:\n      - name: a\n        address: a.io\n"
    text, _ = document.delete_account(doc(one), "a")
    assert text == "version: 1\nproviders:\n  dockerRegistry:\n    accounts: []\n"


def test_provider_settings_replace_one_scalar_in_its_quoting() -> None:
    text, changed = document.set_provider(doc(), "enabled", False)
    assert changed and text == TEXT.replace("enabled: true   # on", "enabled: false   # on")
    assert document.set_provider(doc(), "enabled", True) == (TEXT, False)
    text, _ = document.set_provider(doc(), "primaryAccount", "a")
    assert text == TEXT.replace("primaryAccount: b", "primaryAccount: a")
    body = '{\n  "version": 1,\n  "providers": {\n    "dockerRegistry": {\n      "primaryAccount": "b",\n' \
        '      "accounts": []\n    }\n  }\n}\n'
    text, _ = document.set_provider(doc(body), "primaryAccount", "a")
    assert text == body.replace('"b"', '"a"')


def test_crlf_is_kept() -> None:
    text, _ = document.edit_account(doc(TEXT.replace("\n", "\r\n")), "b", patch(email="e@x.io"))
    assert text == TEXT.replace("        username: u\n", "        username: u\n        email: e@x.io\n").replace(
        "\n", "\r\n")
