"""The pull check's pure parts: which tag stands for a repository, what a failed pull becomes."""

from __future__ import annotations

import pytest

from halcfg.findings import Severity
from halcfg.probe.pull import NewestTag, classify_pull, summary, unsupported_type
from halcfg.registry.errors import RegistryError, ScopeRefused, TimedOut


@pytest.mark.parametrize(("pages", "tag"), [
    ([["v1", "v2", "v3"]], "v3"),  # distribution lists lexically: the last one
    ([["a", "b"], ["c"], []], "c"),  # over pages; an empty last page changes nothing
    ([["3.19", "latest"], ["zz"]], "latest"),  # what `docker pull repo` fetches wins
    ([["latest", "v1"]], "latest"),
    ([[]], None),
])
def test_newest_tag(pages: list[list[str]], tag: str | None) -> None:
    newest = NewestTag()
    for page in pages:
        newest.see(page)
    assert newest.tag == tag


def test_refused_pull_names_the_fix() -> None:
    error = ScopeRefused("/v2/x/manifests/v1: HTTP 403 DENIED", status=403, code="DENIED", scope=None)
    severity, code, message, fix = classify_pull(error, "x", "v1", listed=True)
    assert (severity, code) == (Severity.ERROR, "pull-denied")
    assert "x (listed in `repositories:`) lists its tags but refuses a pull of x:v1" in message
    assert "Grant the account pull on x: the robot can list but not pull" in fix
    assert "ecr:BatchGetImage" in fix


def test_missing_manifest_and_other_failures() -> None:
    missing = classify_pull(RegistryError("HTTP 404 MANIFEST_UNKNOWN", status=404, code="MANIFEST_UNKNOWN"),
                            "x", "v1", listed=False)
    assert missing[:2] == (Severity.ERROR, "pull-manifest-missing")
    slow = classify_pull(TimedOut("r did not answer within 1 s"), "x", "v1", listed=False)
    assert slow[1] == "timeout" and slow[2].startswith("pull of x:v1: ")


def test_unsupported_type_and_summary() -> None:
    assert unsupported_type("x", "v1", "")[:2] == (Severity.WARNING, "pull-unsupported-type")
    assert "untyped" in unsupported_type("x", "v1", "")[2]
    assert summary(0, 0, None) is None
    assert summary(0, 5, 0) is None  # the check was off
    assert summary(1, 0, None)[2].endswith("of 1 repository answered a pull (its manifest, as pullers ask)")
    capped = summary(2, 3, 2)
    assert capped[:2] == (Severity.INFO, "pull-checked") and "3 more not checked (--pull-check 2)" in capped[2]
