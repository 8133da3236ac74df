"""ECR passwords: GetAuthorizationToken through boto3, one client per AWS identity.

boto3 is imported only here, and only when an ECR token is wanted. A boto3 session costs
megabytes (it loads the service models) and is not thread-safe; a client is thread-safe. So
there is one session per profile and one client per identity (region, profile, endpoint,
access key) for the whole process, shared by every thread and every account that uses that
identity: 100 ECR accounts on one identity cost one client, not 100. `aws_client` is that
machinery for any service: kork's S3 and Secrets Manager references (credentials/kork.py) use it too.

`fetch_token` always asks AWS; `cached_token` reuses a token until shortly before it expires
(they last 12 hours), through the process's one credential cache (credentials.memo). The
helpers' cross-process cache wraps `fetch_token`, keyed by `token_key`.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from halcfg.config.model import Account, Ecr
from halcfg.credentials.memo import Memo
from halcfg.credentials.resolve import CredentialError, read_env, read_password_file
from halcfg.redact import redact
from halcfg.registry.hosts import AddressError, ecr_parts

if TYPE_CHECKING:
    import boto3

ECR_USERNAME = "AWS"
REFRESH_MARGIN = 300.0  # seconds before expiresAt at which a cached token is renewed
_ATTEMPTS = 2
_POOL = 32  # connections per shared client: probe's default concurrency (botocore's default is 10)


class EcrToken(NamedTuple):
    username: str
    password: str
    expires_at: datetime | None  # None when ECR did not say


@dataclass(frozen=True)
class Identity:
    """Who asks AWS, and where: the key of the shared client."""

    region: str | None
    profile: str | None
    endpoint: str | None
    access_key_id: str | None
    secret_access_key: str | None = field(repr=False)


def token_key(account: Account) -> tuple[str | None, ...]:
    """What a token depends on, without any secret: (region, registry id, profile, endpoint, key id)."""
    ecr = account.ecr or Ecr()
    region, registry_id = _region_and_registry(account)
    return (region, registry_id, ecr.profile, _endpoint(ecr), ecr.access_key_id)


def fetch_token(account: Account, base_dir: Path, timeout: float = 30.0) -> EcrToken:
    """A fresh token for the ECR account (always asks AWS). `timeout` bounds each HTTP call of
    the identity's client when it is first made. Raises CredentialError, already redacted."""
    ecr = account.ecr or Ecr()
    region, registry_id = _region_and_registry(account)
    identity = Identity(region, ecr.profile, _endpoint(ecr), ecr.access_key_id, secret_access_key(ecr, base_dir))
    return _get_authorization_token(identity, registry_id, timeout)


def keep_for(expires_at: datetime | None) -> float:
    """Seconds a token expiring at `expires_at` may still be handed out: until REFRESH_MARGIN
    before it lapses, so no consumer gets one about to expire (none when ECR gave no expiry)."""
    return 0.0 if expires_at is None else expires_at.timestamp() - REFRESH_MARGIN - time.time()


_tokens: Memo[EcrToken] = Memo(lambda token: keep_for(token.expires_at))


def cached_token(account: Account, base_dir: Path, timeout: float = 30.0) -> EcrToken:
    """The account's token from this process's cache, fetched by one thread at a time; a
    failure is reused for memo.FAILURE_TTL. An already expired token (moto's are) is used once."""
    return _tokens.get(token_key(account), lambda: fetch_token(account, base_dir, timeout))


def _region_and_registry(account: Account) -> tuple[str | None, str | None]:
    ecr = account.ecr or Ecr()
    try:
        parts = ecr_parts(account.parsed_address.host)
    except AddressError:
        parts = None
    return ecr.region or (parts[1] if parts else None), ecr.registry_id or (parts[0] if parts else None)


def _endpoint(ecr: Ecr) -> str | None:
    return ecr.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_ECR") or os.environ.get("AWS_ENDPOINT_URL")


def secret_access_key(ecr: Ecr, base_dir: Path) -> str | None:
    """The static secret key of `ecr.accessKeyId` (None for the default chain): the one reader of
    ecr.secretAccessKeyFile and -Env, for the token request and render's Drone file alike."""
    if ecr.access_key_id is None:
        return None
    if ecr.secret_access_key_file:
        return read_password_file(ecr.secret_access_key_file, base_dir).strip()
    if ecr.secret_access_key_env:
        return read_env(ecr.secret_access_key_env, "ecr.secretAccessKeyEnv")
    raise CredentialError(
        "ecr-token-failed", "ecr.accessKeyId is set without a secret access key",
        "Add ecr.secretAccessKeyFile or ecr.secretAccessKeyEnv, or drop accessKeyId to use the default chain.",
    )


# -- one session per profile, one client per identity ------------------------------------------

_sessions: dict[str | None, boto3.Session] = {}
_clients: dict[tuple[str, Identity], Any] = {}
_clients_lock = threading.Lock()


def aws_client(service: str, identity: Identity, timeout: float) -> Any:
    """The identity's shared client of `service` ("ecr", "s3", "secretsmanager"), made once under
    a lock (sessions are not thread-safe)."""
    import boto3
    import botocore.config

    with _clients_lock:
        client = _clients.get((service, identity))
        if client is None:
            session = _sessions.get(identity.profile)
            if session is None:
                session = _sessions[identity.profile] = boto3.Session(profile_name=identity.profile)
            # an S3-compatible endpoint (moto, MinIO) rarely has per-bucket DNS names: path style,
            # as kork's S3SecretEngine offers for its secrets.s3.endpoint-url
            s3 = {"addressing_style": "path"} if service == "s3" and identity.endpoint else None
            client = session.client(
                service,
                region_name=identity.region,
                endpoint_url=identity.endpoint,
                aws_access_key_id=identity.access_key_id,
                aws_secret_access_key=identity.secret_access_key,
                config=botocore.config.Config(
                    connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": _ATTEMPTS}, s3=s3,
                    max_pool_connections=_POOL,
                ),
            )
            _clients[(service, identity)] = client
        return client


def _get_authorization_token(identity: Identity, registry_id: str | None, timeout: float) -> EcrToken:
    import botocore.exceptions

    try:
        client = aws_client("ecr", identity, timeout)
        kwargs = {"registryIds": [registry_id]} if registry_id else {}
        data = client.get_authorization_token(**kwargs)["authorizationData"][0]
        username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    except botocore.exceptions.NoRegionError:
        raise CredentialError(
            "ecr-token-failed", "ECR needs a region and none is known",
            "Set ecr.region (or use an address like <id>.dkr.ecr.<region>.amazonaws.com).",
        ) from None
    except botocore.exceptions.ProfileNotFound as error:
        raise CredentialError("ecr-token-failed", f"ECR: {error}", "Fix ecr.profile or ~/.aws/config.") from None
    except botocore.exceptions.NoCredentialsError:
        raise CredentialError(
            "ecr-token-failed", "ECR GetAuthorizationToken: no AWS credentials found",
            "Configure AWS credentials (ecr.profile, ecr.accessKeyId, or the default chain).",
        ) from None
    except botocore.exceptions.EndpointConnectionError as error:
        raise CredentialError(
            "ecr-token-failed", redact(f"cannot reach the ECR API: {error}", [identity.secret_access_key]),
            "Check the network path to AWS (proxy, VPC endpoint), or ecr.endpointUrl / AWS_ENDPOINT_URL.",
        ) from None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        raise CredentialError(
            "ecr-token-failed", redact(f"ECR GetAuthorizationToken failed: {error}", [identity.secret_access_key]),
            "Check the AWS identity has ecr:GetAuthorizationToken, and ecr.region / ecr.registryId.",
        ) from None
    except (KeyError, IndexError, ValueError):
        raise CredentialError(
            "ecr-token-failed", "ECR GetAuthorizationToken answered without a usable token",
            "Check ecr.endpointUrl points at the ECR API.",
        ) from None
    expires = data.get("expiresAt")
    return EcrToken(username or ECR_USERNAME, password, expires if isinstance(expires, datetime) else None)
