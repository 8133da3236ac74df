"""Every account field, declared once: key, type, default, Halyard's flag, help, secret or not.

The typed model (`config.model`), the flags of `account add|edit` (`cli.account_flags`), the
masking of `account get|list` (`config.view`) and the order keys are written in (`edit`) come
from this table; tests/unit/config/test_fields.py holds the schema's entries to it. Adding a
field is one entry here and one in schemas/halcfg.schema.json (the test says what to write).

Order matters: it is the order an edit inserts keys in — Halyard's, then halcfg's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["string", "integer", "boolean", "list", "mapping", "block"]


@dataclass(frozen=True)
class Field:
    key: str  # dotted path inside an account: "address", "ecr.region", "permissions.READ"
    kind: Kind  # "list": a list of strings; "mapping": string to string (labels); "block": the fields under it
    help: str  # one sentence: the schema's description and the flag's help
    default: Any = None  # Halyard's default, as the model reads an absent key; None: unset
    flag: str | None = None  # `account add|edit` flag; Halyard's spelling where Halyard has one, else render's
    item: str | None = None  # a list's item noun (`account edit --add-ITEM/--remove-ITEM`); a mapping's: --remove-ITEM
    secret: bool = False  # the value is a secret itself: masked in get/list, never echoed
    source: bool = False  # a password source; an account sets at most one
    attr: str = ""  # the model's attribute; default: the key in snake_case, dots as `_`

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.key.split("."))

    @property
    def name(self) -> str:
        """The model attribute (inside its block's object for a source block's fields)."""
        if self.attr:
            return self.attr
        parts = self.path[1:] if self.path[0] in SOURCE_BLOCKS and len(self.path) > 1 else self.path
        return "_".join(re.sub(r"(?<!^)(?=[A-Z])", "_", part).lower() for part in parts)


_ROLES = "Fiat roles"

FIELDS: tuple[Field, ...] = (
    Field("name", "string", "Unique account name: lower-case letters, digits and dashes, starting and "
          "ending with a letter or digit."),
    Field("address", "string", "Registry address: host[:port], optionally with http:// or https://. For "
          "example index.docker.io, quay.io, gcr.io, 012345678910.dkr.ecr.us-east-1.amazonaws.com, localhost:5000.",
          default="gcr.io", flag="--address"),
    Field("registryType", "string", "Kind of registry: dockerhub, ecr, gcr, artifact-registry, acr, quay, ghcr, "
          "harbor, artifactory or other; inferred from the address when absent.",
          flag="--registry-type", attr="registry_type_declared"),
    Field("repositories", "list", "Repositories to index, e.g. library/nginx. Required for registries without "
          "a catalog (Docker Hub, GHCR).", default=(), flag="--repositories", item="repository"),
    Field("repositoriesRegex", "string", "Regular expression selecting repositories from the registry's catalog. "
          "Exclusive with repositories.", flag="--repositories-regex"),
    Field("username", "string", "User name to authenticate with (for ECR native auth, AWS is used).",
          flag="--username"),
    Field("email", "string", "Email address to authenticate with (ignored by most registries).",
          default="fake.email@spinnaker.io", flag="--email"),
    Field("password", "string", "Plaintext password stored in this file. Prefer passwordFile, passwordCommand "
          "or passwordEnv.", flag="--password", secret=True, source=True),
    Field("passwordFile", "string", "File holding the password, relative to this file's folder; ~ expands.",
          flag="--password-file", source=True),
    Field("passwordCommand", "string", "Shell command that prints the password, run with sh -c in this file's "
          "folder.", flag="--password-command", source=True),
    Field("passwordEnv", "string", "Environment variable holding the password.", flag="--password-env", source=True),
    Field("ecr", "block", "Fetch a registry token with ECR GetAuthorizationToken (boto3) instead of a static "
          "password. With no static keys, boto3's default credential chain is used.", source=True),
    Field("ecr.region", "string", "AWS region of the registry. Defaults to the region in the ECR address.",
          flag="--ecr-region"),
    Field("ecr.registryId", "string", "AWS account id that owns the registry. Defaults to the id in the ECR "
          "address.", flag="--ecr-registry-id"),
    Field("ecr.profile", "string", "Named profile from ~/.aws/config to authenticate with.", flag="--ecr-profile"),
    Field("ecr.endpointUrl", "string", "ECR API endpoint override (a VPC endpoint, or a local test server). "
          "AWS_ENDPOINT_URL also works.", flag="--ecr-endpoint-url"),
    Field("ecr.accessKeyId", "string", "Static AWS access key id; needs secretAccessKeyFile or secretAccessKeyEnv.",
          flag="--ecr-access-key-id"),
    Field("ecr.secretAccessKeyFile", "string", "File holding the static AWS secret access key, relative to this "
          "file's folder.", flag="--ecr-secret-access-key-file"),
    Field("ecr.secretAccessKeyEnv", "string", "Environment variable holding the static AWS secret access key.",
          flag="--ecr-secret-access-key-env"),
    Field("caCertFile", "string", "PEM bundle to verify the registry's TLS certificate, relative to this file's "
          "folder.", flag="--ca-cert-file"),
    Field("insecureRegistry", "boolean", "Skip TLS certificate verification. Use caCertFile instead where you can.",
          default=False, flag="--insecure-registry"),
    Field("plainHttp", "boolean", "Talk plain HTTP instead of HTTPS (a local or test registry).",
          default=False, flag="--plain-http"),
    Field("cacheIntervalSeconds", "integer", "Seconds between clouddriver's re-indexing of this registry.",
          default=30, flag="--cache-interval-seconds"),
    Field("clientTimeoutMillis", "integer", "Timeout in milliseconds for each request to the registry.",
          default=60000, flag="--client-timeout-millis"),
    Field("cacheThreads", "integer", "Number of clouddriver threads indexing this registry.",
          default=1, flag="--cache-threads"),
    Field("paginateSize", "integer", "Page size (n) for catalog and tag listing. ECR rejects more than 1000.",
          default=100, flag="--paginate-size"),
    Field("sortTagsByDate", "boolean", "Sort tags by creation date (one extra request per tag).",
          default=False, flag="--sort-tags-by-date"),
    Field("trackDigests", "boolean", "Track the digest of every tag so a re-pushed tag triggers pipelines.",
          default=False, flag="--track-digests"),
    Field("permissions", "block", f"{_ROLES} that may read or write this account."),
    Field("permissions.READ", "list", "Roles that may read this account.", default=(), flag="--read-permissions",
          item="read-permission", attr="read_permissions"),
    Field("permissions.WRITE", "list", "Roles that may write this account.", default=(), flag="--write-permissions",
          item="write-permission", attr="write_permissions"),
    Field("requiredGroupMembership", "list", "Roles a user needs to use this account (Halyard's older spelling "
          "of permissions; deprecated there for permissions).", default=(), flag="--required-group-membership",
          item="required-group-membership"),
    Field("environment", "string", "Environment name this account belongs to in Spinnaker.", flag="--environment"),
    Field("providerVersion", "string", "Halyard's provider version of the account (V1 or V2); Halyard writes it, "
          "clouddriver ignores it.", flag="--provider-version"),
    Field("drone", "block", "Where Drone's registry extension and global registry file offer this credential."),
    Field("drone.repos", "list", "Drone repositories (owner/name, globs allowed) that may use this credential; "
          "empty means all.", default=(), flag="--drone-repos", item="drone-repo"),
    Field("drone.events", "list", "Drone build events that may use this credential; empty means all.", default=(),
          flag="--drone-events", item="drone-event"),
    Field("kubernetes", "block", "How the Kubernetes dockerconfigjson Secret for this account is named."),
    Field("kubernetes.secretName", "string", "Secret name; defaults to the account name.", flag="--secret-name"),
    Field("kubernetes.namespace", "string", "Namespace of the Secret.", flag="--namespace"),
    Field("kubernetes.labels", "mapping", "Labels on the Secret (render's --label adds to them and wins on a clash).",
          flag="--label", item="label"),
)

BY_KEY = {f.key: f for f in FIELDS}
SOURCE_BLOCKS = frozenset(f.key for f in FIELDS if f.kind == "block" and f.source)  # ecr: present means "use it"
PASSWORD_SOURCES = tuple(f.key for f in FIELDS if f.source)  # in file-key spelling
SECRET_KEYS = frozenset(f.path[-1] for f in FIELDS if f.secret)  # keys whose value is never shown


def children(block: tuple[str, ...] = ()) -> tuple[Field, ...]:
    """The fields directly inside the mapping at `block` (() for the account itself), in order."""
    return tuple(f for f in FIELDS if f.path[:-1] == block)


def order(block: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The keys of the mapping at `block` in the order an edit inserts them."""
    return tuple(f.path[-1] for f in children(block))
