"""moto's server (moto_aws.py) as a stand-in for AWS ECR's GetAuthorizationToken, reached through
`endpoint_url`; the same server answers S3 and Secrets Manager.

What moto 5 returns (moto/ecr/responses.py, checked against 5.2): for each requested registry id
(default: the caller's account, 123456789012 unless MOTO_ACCOUNT_ID says otherwise, whatever
the access key) `authorizationToken` is base64("AWS:<registry id>-auth-token"), `proxyEndpoint`
is https://<registry id>.dkr.ecr.<client region>.amazonaws.com, and `expiresAt` is a fixed
2015-01-01 00:00 (server local time), i.e. already expired. So the password depends on the
registry id asked for, the region only on the client, and a client that refuses or keeps
refreshing an expired token will show it here. Values are read back from moto, not assumed.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from moto.server import ThreadedMotoServer

from .moto_aws import ACCESS_KEY_ID as ACCESS_KEY_ID  # re-exported: the ECR tests' names
from .moto_aws import REGION, aws_client, start_server
from .moto_aws import SECRET_ACCESS_KEY as SECRET_ACCESS_KEY

ECR_TOKEN_HOURS = 12
"""How long real ECR tokens live."""


def ecr_client(endpoint_url: str, region: str = REGION) -> Any:
    """A boto3 ECR client for moto, with the dummy credentials moto accepts."""
    return aws_client("ecr", endpoint_url, region)


def ecr_authorization(
    endpoint_url: str, region: str = REGION, registry_id: str | None = None
) -> tuple[str, str, str]:
    """(user, password, proxyEndpoint) decoded from GetAuthorizationToken, as a registry client needs them."""
    kwargs = {"registryIds": [registry_id]} if registry_id else {}
    data = ecr_client(endpoint_url, region).get_authorization_token(**kwargs)["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    return user, password, data["proxyEndpoint"]


def with_real_token_lifetime(body: bytes, hours: float = ECR_TOKEN_HOURS) -> bytes:
    """moto's GetAuthorizationToken answer with `expiresAt` `hours` from now, as real ECR says (moto's
    tokens expired in 2015, so a cache would rightly never keep them). For FaultProxy's `rewrite`,
    in front of moto; other answers pass unchanged."""
    try:
        answer = json.loads(body)
    except ValueError:
        return body
    if not isinstance(answer, dict) or "authorizationData" not in answer:
        return body
    for data in answer["authorizationData"]:
        data["expiresAt"] = time.time() + hours * 3600
    return json.dumps(answer).encode()


@dataclass
class MotoECR:
    """A running moto server and the credentials its ECR hands out for `registry_id`."""

    endpoint_url: str
    region: str
    registry_id: str
    user: str
    password: str
    proxy_endpoint: str
    server: ThreadedMotoServer = field(repr=False)

    def stop(self) -> None:
        self.server.stop()


def start_moto(region: str = REGION) -> MotoECR:
    """Start moto on 127.0.0.1 (moto_aws.start_server) and read back what its ECR issues."""
    server, endpoint_url = start_server()
    try:
        user, password, proxy_endpoint = ecr_authorization(endpoint_url, region)
    except Exception:
        server.stop()
        raise
    registry_id = proxy_endpoint.removeprefix("https://").split(".", 1)[0]
    return MotoECR(endpoint_url, region, registry_id, user, password, proxy_endpoint, server)
