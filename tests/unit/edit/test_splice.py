"""edit.splice and edit.region on exact text: a change replayed onto the original keeps every
other byte (comments, odd indents, spacing, CRLF), flow lists stay flow, and a refused edit's
places are cited in the file the user has."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from halcfg.edit import region
from halcfg.edit.splice import line_ending, original_place, splice, split_lines

PATH = Path("halcfg.yaml")


def _append(key: str, value: object) -> Callable[[dict], None]:
    def change(tree: dict) -> None:
        tree[key] = value

    return change


# ---- splice -----------------------------------------------------------------------------------


def test_a_changed_line_is_replaced_and_the_rest_keeps_its_bytes() -> None:
    original = "a:   1    # spaced\nb: 2\n  # odd comment\nc: 3\n"
    before = "a: 1    # spaced\nb: 2\n  # odd comment\nc: 3\n"  # what a dump made of it (respaced)
    after = "a: 1    # spaced\nb: 5\n  # odd comment\nc: 3\n"
    assert splice(original, before, after) == "a:   1    # spaced\nb: 5\n  # odd comment\nc: 3\n"


def test_added_lines_take_the_files_crlf() -> None:
    original = "a: 1\r\nb: 2\r\n"
    assert splice(original, "a: 1\nb: 2\n", "a: 1\nb: 2\nc: 3\n") == "a: 1\r\nb: 2\r\nc: 3\r\n"
    assert line_ending(original) == "\r\n" and line_ending("a\nb\r\n") == "\n"


def test_no_final_newline_stays_without_one() -> None:
    assert splice("a: 1\nb: 2", "a: 1\nb: 2\n", "a: 1\nb: 3\n") == "a: 1\nb: 3"


def test_a_deleted_keys_trailing_comments_stay_for_what_follows() -> None:
    original = "a: 1\n# heads b\nb: 2\n"
    # ruamel hangs the comment on `a`: deleting `a` would drop it from the dump
    assert splice(original, original, "b: 2\n") == "# heads b\nb: 2\n"


def test_an_insertion_goes_above_the_comment_heading_the_next_item() -> None:
    original = "items:\n  - a: 1\n\n# next section\nother: 2\n"
    before = original
    after = "items:\n  - a: 1\n\n# next section\n  - b: 2\nother: 2\n"
    assert splice(original, before, after) == "items:\n  - a: 1\n  - b: 2\n\n# next section\nother: 2\n"


def test_split_lines_keeps_a_lone_cr_inside_its_line() -> None:
    assert split_lines("a\rb\nc\r\nd") == ["a\rb\n", "c\r\n", "d"]
    assert split_lines("") == []


# ---- region: indentation styles, flow lists, comments -----------------------------------------


@pytest.mark.parametrize(("text", "indent"), [
    ("a:\n  b:\n    - x\n    - y\n", (2, 4, 2)),  # dashes indented under their key
    ("a:\n  b:\n  - x\n  - y\n", (2, 2, 0)),  # dashes at the key's column
    ("a:\n    b:\n        - x\n", (4, 6, 4)),  # four-space mappings
    ("a: 1\n", (2, 4, 2)),  # nothing to learn from: the default
])
def test_guess_indent(text: str, indent: tuple[int, int, int]) -> None:
    assert region.guess_indent(text) == indent


def test_rewrite_keeps_comments_quotes_and_flow_lists() -> None:
    text = "# head\nname: 'a'   # quoted\nrepositories: [x/y,  z/w]\nother: 1\n"

    def change(tree: dict) -> None:
        tree["repositories"].append("q/r")

    assert region.rewrite(text, PATH, change) == (
        "# head\nname: 'a'   # quoted\nrepositories: [x/y, z/w, q/r]\nother: 1\n")


def test_rewrite_in_the_files_dash_style_and_crlf() -> None:
    text = "list:\r\n- a: 1\r\n  b: 2\r\n"

    def change(tree: dict) -> None:
        tree["list"][0]["c"] = 3

    assert region.rewrite(text, PATH, change) == "list:\r\n- a: 1\r\n  b: 2\r\n  c: 3\r\n"


def test_rewrite_lines_changes_only_its_stretch() -> None:
    text = "top: 1   # not parsed\n  - name: a\n    address: a.io\nend: 2\n"

    def change(seq: list) -> None:
        seq[0]["address"] = "b.io"

    assert region.rewrite_lines(text, PATH, 1, 3, 2, change, (2, 2, 0)) == (
        "top: 1   # not parsed\n  - name: a\n    address: b.io\nend: 2\n")


def test_insert_lines_indents_and_keeps_a_missing_final_newline() -> None:
    assert region.insert_lines("a:\n  - x: 1\nb: 2\n", 2, 2, "- y: 2\n  z: 3\n") == (
        "a:\n  - x: 1\n  - y: 2\n    z: 3\nb: 2\n")
    assert region.insert_lines("a:\r\n  - x: 1", 2, 2, "- y: 2\n") == "a:\r\n  - x: 1\r\n  - y: 2"


def test_a_json_file_stays_json_in_its_own_indent() -> None:
    text = '{\n   "a": 1,\n   "b": {\n      "k": "v"\n   }\n}\n'
    assert region.rewrite_file(text, PATH, _append("c", "x")) == (
        '{\n   "a": 1,\n   "b": {\n      "k": "v"\n   },\n   "c": "x"\n}\n')


# ---- a refused edit cites the user's file ------------------------------------------------------


FLOW = "version: 1\naccounts: [{name: a, address: a.io}]  # one\nend: true\n"
FLOW_ADDED = "version: 1\naccounts: [{name: a, address: a.io}, {name: b, address: b.io}] # one\nend: true\n"


def test_a_place_in_a_kept_line_stays_and_one_in_the_change_moves_to_where_it_starts() -> None:
    assert original_place(FLOW, FLOW_ADDED, 3, 1) == (3, 1)  # `end:` was kept
    # the new account at 2:40 of the unsaved text: in the user's file, the `]` it would go before
    line, col = original_place(FLOW, FLOW_ADDED, 2, 40)
    assert (line, col) == (2, 36) and FLOW.splitlines()[1][col - 1] == "]"


def test_a_place_in_appended_lines_is_the_end_of_the_users_file() -> None:
    original = "accounts:\n  - name: a\n"
    proposed = original + "  - name: b\n    passwordFile: x\n"
    assert original_place(original, proposed, 4, 5) == (2, 12)
    assert original_place(original, proposed, 1, 1) == (1, 1)


def test_a_flow_list_the_dump_joined_keeps_its_lines_beside_a_change() -> None:
    original = "a: [x,   # first\n    y,\n]\nb: 1\n"
    before = "a: [x, y]\nb: 1\n"  # ruamel's one line for the three (the comment inside dropped)
    assert splice(original, before, "a: [x, y]\nb: 2\n") == "a: [x,   # first\n    y,\n]\nb: 2\n"
    assert splice(original, before, "c: 0\na: [x, y]\nb: 1\n") == "c: 0\n" + original
    # a change to the list itself is made in the user's layout (edit.flow), or, without, replaces
    # all its lines, never part of them
    assert splice(original, before, "a: [x, y, z]\nb: 1\n") == "a: [x,   # first\n    y,\n    z,\n]\nb: 1\n"
    assert splice(original, before, "a: [y]\nb: 1\n") == "a: [   # first\n    y,\n]\nb: 1\n"  # on a line kept
    assert splice(original, before, "a: [x, y, z]\nb: 1\n", flows=False) == "a: [x, y, z]\nb: 1\n"


def test_only_changes_inside_flow_collections_are_carried_into_the_users_layout() -> None:
    original = "a: [x,\n    y]\n"
    # a block key beside the change, in the same hunk: the dump's lines, valid YAML
    assert splice(original, "a: [x, y]\n", "a: [x, y, z]\nb: 1\n") == "a: [x, y, z]\nb: 1\n"
    assert splice(original, "a: [x, y]\n", "a: [x, 'y, z']\n") == "a: [x,\n    'y, z']\n"  # quoted commas
