"""moto's server as the AWS that tests talk to: ECR (moto_ecr.py), S3 and Secrets Manager, all on
one server reached through `endpoint_url`, with moto's dummy credentials.

`start_server` runs moto in this process (ThreadedMotoServer; moto accepts any credentials).
`start_enforcing_server` runs `moto_server` in a process of its own with IAM enforcement on
(moto's INITIAL_NO_AUTH_ACTION_COUNT, moto/core/authorization.py: after that many requests
every request is authenticated against moto's IAM and authorized by the caller's policies), so
an AccessDenied is moto's own answer to a user whose policy does not allow the call. It is a
process of its own because the setting is global to moto's module state.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import boto3
import requests
from moto.server import ThreadedMotoServer

from .ports import LOOPBACK, free_port

ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"
REGION = "us-east-1"


def aws_client(service: str, endpoint_url: str, region: str = REGION, *, key_id: str = ACCESS_KEY_ID,
               secret: str = SECRET_ACCESS_KEY) -> Any:
    """A boto3 client of `service` for moto (path-style S3: moto's host has no bucket names)."""
    return boto3.client(
        service, endpoint_url=endpoint_url, region_name=region, aws_access_key_id=key_id,
        aws_secret_access_key=secret, config=boto3.session.Config(s3={"addressing_style": "path"}),
    )


def aws_env(endpoint_url: str) -> dict[str, str]:
    """The environment a halcfg subprocess needs to reach moto through boto3's default chain."""
    return {"AWS_ENDPOINT_URL": endpoint_url, "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY, "AWS_EC2_METADATA_DISABLED": "true"}


def start_server() -> tuple[ThreadedMotoServer, str]:
    """moto on 127.0.0.1 in this process, and its endpoint URL; port 0 lets the kernel pick."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per call otherwise
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def put_s3_object(endpoint_url: str, bucket: str, key: str, body: bytes, region: str = REGION) -> None:
    s3 = aws_client("s3", endpoint_url, region)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket, **location)
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def put_secret(endpoint_url: str, name: str, value: str | bytes, region: str = REGION) -> None:
    sm = aws_client("secretsmanager", endpoint_url, region)
    kind = "SecretBinary" if isinstance(value, bytes) else "SecretString"
    try:
        sm.create_secret(Name=name, **{kind: value})
    except sm.exceptions.ResourceExistsException:
        sm.put_secret_value(SecretId=name, **{kind: value})


@dataclass
class EnforcingMoto:
    """A `moto_server` process that authorizes every request by moto's IAM; `key_id`/`secret`
    are a user whose policy allows s3:GetObject in bucket OPEN only: in LOCKED it is denied."""

    endpoint_url: str
    key_id: str
    secret: str = field(repr=False)
    process: subprocess.Popen[bytes] = field(repr=False)

    OPEN = "open"
    LOCKED = "locked"

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


def start_enforcing_server(key: str, body: bytes) -> EnforcingMoto:
    """The server, with `body` at `key` in both buckets, put there before enforcement starts."""
    setup = 7  # create_user, put_user_policy, create_access_key, 2 x (create_bucket, put_object)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(setup)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint_url = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{endpoint_url}/moto-api/", timeout=1)  # the dashboard: not an AWS action
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        iam = aws_client("iam", endpoint_url)
        iam.create_user(UserName="reader")
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{EnforcingMoto.OPEN}/*"}]}
        iam.put_user_policy(UserName="reader", PolicyName="open-only", PolicyDocument=json.dumps(policy))
        access = iam.create_access_key(UserName="reader")["AccessKey"]
        s3 = aws_client("s3", endpoint_url)
        for bucket in (EnforcingMoto.OPEN, EnforcingMoto.LOCKED):
            s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key=key, Body=body)
    except BaseException:
        process.kill()
        process.wait(timeout=10)
        raise
    return EnforcingMoto(endpoint_url, access["AccessKeyId"], access["SecretAccessKey"], process)
