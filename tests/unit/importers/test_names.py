"""Registry keys as docker, Drone and the kubelet spell them → address and account name."""

from __future__ import annotations

import pytest

from halcfg.importers.names import address_of, name_for, unique, valid
from halcfg.registry.hosts import AddressError


@pytest.mark.parametrize(("key", "address", "dropped"), [
    ("https://index.docker.io/v1/", "index.docker.io", None),
    ("docker.io", "index.docker.io", None),
    ("index.docker.io", "index.docker.io", None),
    ("registry-1.docker.io", "index.docker.io", None),
    ("https://quay.io", "quay.io", None),
    ("Quay.IO", "quay.io", None),
    ("http://localhost:5000/v2/", "localhost:5000", None),
    ("gcr.io/payments-prod", "gcr.io", "/payments-prod"),
    ("012345678910.dkr.ecr.us-east-1.amazonaws.com", "012345678910.dkr.ecr.us-east-1.amazonaws.com", None),
])
def test_address_of(key: str, address: str, dropped: str | None) -> None:
    assert address_of(key) == (address, dropped)


@pytest.mark.parametrize("key", ["", "ftp://quay.io", "a b", "host:99999"])
def test_address_of_rejects(key: str) -> None:
    with pytest.raises(AddressError):
        address_of(key)


@pytest.mark.parametrize(("address", "name"), [
    ("index.docker.io", "dockerhub"),
    ("https://index.docker.io", "dockerhub"),
    ("012345678910.dkr.ecr.us-east-1.amazonaws.com", "ecr-us-east-1"),
    ("quay.io", "quay"),
    ("ghcr.io", "ghcr"),
    ("gcr.io", "gcr"),
    ("eu.gcr.io", "eu-gcr"),
    ("myregistry.azurecr.io", "myregistry-azurecr"),
    ("europe-docker.pkg.dev", "europe-docker-pkg"),
    ("registry.example.com:5000", "registry-example-5000"),
    ("127.0.0.1:5000", "127-0-0-1-5000"),
])
def test_name_for(address: str, name: str) -> None:
    assert name_for(address) == name


def test_valid_and_unique() -> None:
    assert valid("My_Registry!") == "my-registry"
    assert valid("---") == "registry"
    assert len(valid("a" * 300)) == 63
    assert unique("quay", {"quay", "quay-2"}) == "quay-3"
    assert unique("quay", set()) == "quay"
