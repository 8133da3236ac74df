"""Image references parsed and normalised as docker/distribution's ParseNormalizedNamed does."""

from __future__ import annotations

import pytest

from halcfg.match.reference import ReferenceError, parse_reference

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("image", "domain", "path", "tag", "digest"),
    [
        ("golang", "docker.io", "library/golang", None, None),
        ("golang:1.0", "docker.io", "library/golang", "1.0", None),
        ("library/golang", "docker.io", "library/golang", None, None),
        ("index.docker.io/library/golang", "docker.io", "library/golang", None, None),
        ("index.docker.io/golang", "docker.io", "library/golang", None, None),
        ("docker.io/library/golang", "docker.io", "library/golang", None, None),
        ("docker.io/golang", "docker.io", "library/golang", None, None),
        (f"golang@{DIGEST}", "docker.io", "library/golang", None, DIGEST),
        (f"golang:1.0@{DIGEST}", "docker.io", "library/golang", "1.0", DIGEST),
        ("localhost:5000/foo", "localhost:5000", "foo", None, None),
        ("localhost/foo", "localhost", "foo", None, None),
        ("foo:5000/bar", "foo:5000", "bar", None, None),
        ("foo.bar/baz", "foo.bar", "baz", None, None),
        ("registry-1.docker.io/x", "registry-1.docker.io", "x", None, None),  # not Hub's spelling: kept
        ("myorg/app", "docker.io", "myorg/app", None, None),
        ("Foo/bar", "Foo", "bar", None, None),  # an uppercase first component is a registry host
        ("[::1]:5000/a/b:v1", "[::1]:5000", "a/b", "v1", None),
        ("quay.io/coreos/etcd:v3.5.0", "quay.io", "coreos/etcd", "v3.5.0", None),
        ("a.b/c__d/e-f--g/h.i_j", "a.b", "c__d/e-f--g/h.i_j", None, None),
    ],
)
def test_normalised(image: str, domain: str, path: str, tag: str | None, digest: str | None) -> None:
    reference = parse_reference(image)
    assert (reference.domain, reference.path, reference.tag, reference.digest) == (domain, path, tag, digest)
    assert reference.name == f"{domain}/{path}"


@pytest.mark.parametrize(
    ("image", "says"),
    [
        ("library/Golang", "must be lowercase"),
        ("quay.io/CoreOS/etcd", "must be lowercase"),
        ("0123456789abcdef" * 4, "64-hex"),
        ("", "not a valid image reference"),
        ("golang:", "not a valid image reference"),
        ("golang@sha256:abc", "not a valid image reference"),  # digest too short
        ("foo//bar", "not a valid image reference"),
        ("-foo.io/bar", "not a valid image reference"),
        ("foo.io/bar-", "not a valid image reference"),
        ("golang:" + "x" * 129, "not a valid image reference"),
        ("a.io/" + "b" * 260, "more than 255"),
    ],
)
def test_invalid_is_an_error_not_a_crash(image: str, says: str) -> None:
    with pytest.raises(ReferenceError, match=says):
        parse_reference(image)


def test_round_trip_keeps_tag_and_digest() -> None:
    assert str(parse_reference(f"golang:1.0@{DIGEST}")) == f"docker.io/library/golang:1.0@{DIGEST}"
