"""Fixtures that start real registries, a token server, fault proxies and moto, all on 127.0.0.1.

Expensive parts are session-scoped and seeded once with `SEEDED`; tests must not push to them
(`scratch_registry` is the one to push to).
Each fixture stops what it started.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import (
    BASIC_PASSWORD,
    BASIC_USER,
    SEEDED,
    TOKEN_GRANTS,
    TOKEN_USERS,
)
from tests.support.cli import EXAMPLE
from tests.support.fault_proxy import FaultProxy, ProxyFactory
from tests.support.moto_ecr import MotoECR, start_moto
from tests.support.ports import free_port as _free_port
from tests.support.registry import Registry, start_registry
from tests.support.seed import seed
from tests.support.token_server import TokenServer

# No test may reach AWS's instance metadata service (169.254.169.254) through boto3's default
# credential chain: only 127.0.0.1 is ever a target. Subprocesses inherit this.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """examples/ copied to a temporary folder, so edits and relative secret files stay there."""
    shutil.copytree(EXAMPLE.parent, tmp_path / "ex")
    return tmp_path / "ex" / "halcfg.yaml"


@pytest.fixture
def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on: a registry that is down."""
    return _free_port()


@pytest.fixture(scope="session")
def anon_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """Anonymous plain-HTTP registry holding `SEEDED`."""
    with start_registry(tmp_path_factory.mktemp("anon-registry")) as registry:
        seed(registry, SEEDED)
        yield registry


@pytest.fixture
def scratch_registry(tmp_path: Path) -> Iterator[Registry]:
    """An empty anonymous registry of the test's own, for tests that push."""
    with start_registry(tmp_path / "scratch-registry") as registry:
        yield registry


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """htpasswd registry accepting only BASIC_USER / BASIC_PASSWORD, holding `SEEDED`."""
    with start_registry(tmp_path_factory.mktemp("basic-registry"), htpasswd={BASIC_USER: BASIC_PASSWORD}) as registry:
        seed(registry, SEEDED, auth=(BASIC_USER, BASIC_PASSWORD))
        yield registry


@pytest.fixture(scope="session")
def token_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, TokenServer]]:
    """Token-auth registry and its token server (TOKEN_USERS within TOKEN_GRANTS), holding `SEEDED`.

    Seeding mints tokens in-process, so `token_server.requests` starts empty; clear it in a
    test that counts requests, since the server is shared by the session.
    """
    workdir = tmp_path_factory.mktemp("token-registry")
    token_server = TokenServer(workdir, TOKEN_USERS, grants=TOKEN_GRANTS).start()
    try:
        with start_registry(workdir, token=token_server) as registry:
            seed(registry, SEEDED, auth=("bob", TOKEN_USERS["bob"]), token_server=token_server)
            yield registry, token_server
    finally:
        token_server.stop()


@pytest.fixture(scope="session")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """Anonymous HTTPS registry on 127.0.0.1 with a cert from a throwaway CA (`ca_file`), holding `SEEDED`."""
    with start_registry(tmp_path_factory.mktemp("tls-registry"), tls=True) as registry:
        seed(registry, SEEDED)
        yield registry


@pytest.fixture
def fault_proxy() -> Iterator[ProxyFactory]:
    """Factory `make(upstream_url, delay=0.0) -> FaultProxy` (started); all are stopped afterwards."""
    proxies: list[FaultProxy] = []

    def make(upstream_url: str, delay: float = 0.0) -> FaultProxy:
        proxy = FaultProxy(upstream_url, delay=delay).start()
        proxies.append(proxy)
        return proxy

    try:
        yield make
    finally:
        for proxy in proxies:
            proxy.stop()


@pytest.fixture(scope="session")
def moto_ecr() -> Iterator[MotoECR]:
    """moto's server: `endpoint_url`, `region`, `registry_id` and the `user`/`password` its ECR issues."""
    moto = start_moto()
    try:
        yield moto
    finally:
        moto.stop()


@pytest.fixture(scope="session")
def moto_aws(moto_ecr: MotoECR) -> str:
    """moto's endpoint URL: the server that answers ECR also answers S3 and Secrets Manager."""
    return moto_ecr.endpoint_url


@pytest.fixture(scope="session")
def ecr_registry(tmp_path_factory: pytest.TempPathFactory, moto_ecr: MotoECR) -> Iterator[Registry]:
    """htpasswd registry accepting exactly moto's ECR credentials (AWS:<password>), holding `SEEDED`."""
    credentials = (moto_ecr.user, moto_ecr.password)
    with start_registry(tmp_path_factory.mktemp("ecr-registry"), htpasswd=dict([credentials])) as registry:
        seed(registry, SEEDED, auth=credentials)
        yield registry
