"""Halyard's flag spellings and the patch they make, from the field table."""

from __future__ import annotations

import pytest

from halcfg.cli.account_flags import PROMPT, halyard_argv, to_patch
from halcfg.errors import UsageError


def test_halyard_spellings_are_rewritten() -> None:
    assert halyard_argv(["--repositories", "a", "b", "--track-digests", "--plain-http", "false", "--password",
                         "--required-group-membership", "x", "--", "--repositories", "c"]) == [
        "--repositories=a", "--repositories=b", "--track-digests=true", "--plain-http=false",
        f"--password={PROMPT}", "--required-group-membership=x", "--", "--repositories", "c"]


def test_flags_make_a_patch_in_file_keys() -> None:
    patch = to_patch({"address": "q.io", "email": "", "cache_threads": 2, "insecure_registry": "yes",
                      "read_permissions": ["a,b", "a"], "add_repository": ["x/y"], "ecr_region": "us-east-1",
                      "remove_required_group_membership": ["old"]})
    assert patch.values == {("address",): "q.io", ("email",): None, ("cacheThreads",): 2,
                            ("insecureRegistry",): True, ("permissions", "READ"): ["a", "b"],
                            ("ecr", "region"): "us-east-1"}
    assert patch.add == {("repositories",): ["x/y"]}
    assert patch.remove == {("requiredGroupMembership",): ["old"]}


@pytest.mark.parametrize(("values", "message"), [
    ({"track_digests": "maybe"}, "--track-digests takes true or false, not 'maybe'"),
    ({"repositories": ["a"], "add_repository": ["b"]}, "set either --repositories or --[add/remove]-repository"),
])
def test_bad_flags(values: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]")):
        to_patch(values)
