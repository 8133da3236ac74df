"""Push small but valid images without docker: blob uploads plus a schema2 manifest per tag,
or (`push_oci_index`) an OCI image index over one OCI image manifest per platform.

Every tag gets its own config blob, so each tag has its own manifest digest; the one layer is
shared by the tags of a repository. Bearer tokens are minted by the TokenServer in-process,
so seeding leaves no trace in `TokenServer.requests` for tests to trip over.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from .registry import Registry
    from .token_server import TokenServer

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_V1 = "application/vnd.docker.container.image.v1+json"
LAYER_TAR_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
PLATFORMS = (("linux", "amd64"), ("linux", "arm64"))
TIMEOUT = 30.0


def _layer() -> tuple[bytes, str]:
    """A real gzipped tar with one file, and its uncompressed digest (the config's diff_id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        content = b"seeded by halcfg tests\n"
        info = tarfile.TarInfo("halcfg.txt")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0), "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()


LAYER, LAYER_DIFF_ID = _layer()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class _Pusher:
    """Pushes to one repository with the right Authorization header for it."""

    def __init__(
        self,
        base_url: str,
        repo: str,
        session: requests.Session,
        auth: tuple[str, str] | None,
        token_server: TokenServer | None,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.repo = repo
        self.session = session
        # Per request, not only on the session: REQUESTS_CA_BUNDLE beats session.verify otherwise.
        self.verify = session.verify
        self.auth = auth if token_server is None else None
        self.headers: dict[str, str] = {}
        if token_server is not None:
            user = auth[0] if auth else None
            token = token_server.make_token(user, [f"repository:{repo}:pull,push"])
            self.headers["Authorization"] = f"Bearer {token}"

    def _check(self, response: requests.Response, expected: int, what: str) -> requests.Response:
        if response.status_code != expected:
            raise RuntimeError(
                f"seeding {self.repo}: {what} answered {response.status_code}: {response.text[:300]}"
            )
        return response

    def blob(self, data: bytes) -> str:
        """POST an upload, PUT the bytes with `digest=` to its Location; return the digest."""
        digest = _digest(data)
        started = self._check(
            self.session.post(
                f"{self.base}/v2/{self.repo}/blobs/uploads/",
                headers=self.headers, auth=self.auth, verify=self.verify, timeout=TIMEOUT,
            ),
            202, "blob upload start",
        )
        location = started.headers["Location"]
        if location.startswith("/"):
            location = self.base + location
        separator = "&" if "?" in location else "?"
        self._check(
            self.session.put(
                f"{location}{separator}digest={digest}",
                data=data,
                headers={**self.headers, "Content-Type": "application/octet-stream"},
                auth=self.auth, verify=self.verify, timeout=TIMEOUT,
            ),
            201, "blob upload",
        )
        return digest

    def image(self, tag: str) -> str:
        """Config blob + manifest for `tag` (the layer must be pushed already); the manifest digest."""
        config, manifest = image_documents(self.repo, tag)
        self.blob(config)
        return self.manifest(tag, manifest, MANIFEST_V2)

    def manifest(self, reference: str, document: bytes, media_type: str) -> str:
        """PUT a manifest (by tag or digest) of `media_type`; its digest."""
        self._check(
            self.session.put(
                f"{self.base}/v2/{self.repo}/manifests/{reference}",
                data=document,
                headers={**self.headers, "Content-Type": media_type},
                auth=self.auth, verify=self.verify, timeout=TIMEOUT,
            ),
            201, f"manifest {reference}",
        )
        return _digest(document)

    def oci_index(self, tag: str) -> str:
        """An OCI image index as `tag` over one OCI image per PLATFORMS entry (each with its own
        config blob, all sharing the layer, which must be pushed already); the index's digest."""
        entries = []
        for os_name, arch in PLATFORMS:
            config = json.dumps({
                "architecture": arch, "os": os_name,
                "config": {"Labels": {"halcfg.repo": self.repo, "halcfg.tag": tag}},
                "rootfs": {"type": "layers", "diff_ids": [LAYER_DIFF_ID]},
            }).encode()
            self.blob(config)
            manifest = json.dumps({
                "schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "size": len(config), "digest": _digest(config)},
                "layers": [{"mediaType": OCI_LAYER, "size": len(LAYER), "digest": _digest(LAYER)}],
            }).encode()
            digest = self.manifest(_digest(manifest), manifest, OCI_MANIFEST)
            entries.append({"mediaType": OCI_MANIFEST, "size": len(manifest), "digest": digest,
                            "platform": {"os": os_name, "architecture": arch}})
        index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()
        return self.manifest(tag, index, OCI_INDEX)


def image_documents(repo: str, tag: str) -> tuple[bytes, bytes]:
    """(config blob, manifest) of the seeded `repo:tag`: deterministic, so digests are known upfront."""
    config = json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {"halcfg.repo": repo, "halcfg.tag": tag}},
        "rootfs": {"type": "layers", "diff_ids": [LAYER_DIFF_ID]},
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": MANIFEST_V2,
        "config": {"mediaType": CONFIG_V1, "size": len(config), "digest": _digest(config)},
        "layers": [{"mediaType": LAYER_TAR_GZIP, "size": len(LAYER), "digest": _digest(LAYER)}],
    }).encode()
    return config, manifest


def manifest_digest(repo: str, tag: str) -> str:
    """The digest the registry reports for a seeded `repo:tag` (same in every test registry)."""
    return _digest(image_documents(repo, tag)[1])


def push_image(
    base_url: str,
    repo: str,
    tag: str,
    *,
    session: requests.Session | None = None,
    auth: tuple[str, str] | None = None,
    token_server: TokenServer | None = None,
) -> str:
    """Push one image as `repo:tag` and return its manifest digest.

    `auth` alone is Basic auth; with `token_server` it names the user whose token is minted.
    """
    own_session = session is None
    session = session or requests.Session()
    try:
        pusher = _Pusher(base_url, repo, session, auth, token_server)
        pusher.blob(LAYER)
        return pusher.image(tag)
    finally:
        if own_session:
            session.close()


def push_oci_index(base_url: str, repo: str, tag: str, *, auth: tuple[str, str] | None = None) -> str:
    """Push a two-platform OCI image index as `repo:tag` (anonymous or Basic `auth`); its digest."""
    with requests.Session() as session:
        pusher = _Pusher(base_url, repo, session, auth, None)
        pusher.blob(LAYER)
        return pusher.oci_index(tag)


def seed(
    registry: Registry,
    images: dict[str, list[str]],
    *,
    auth: tuple[str, str] | None = None,
    token_server: TokenServer | None = None,
    workers: int = 8,
) -> dict[str, dict[str, str]]:
    """Push every `repo: [tags]` concurrently (one keep-alive session per thread).

    Returns {repo: {tag: manifest digest}}. A repository with no tags cannot exist in
    distribution (it appears once something is pushed to it), so an empty tag list is refused.
    """
    empty = [repo for repo, tags in images.items() if not tags]
    if empty:
        raise ValueError(f"a repository needs at least one tag to exist: {empty}")
    local = threading.local()
    sessions: list[requests.Session] = []
    lock = threading.Lock()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            if registry.ca_file is not None:
                local.session.verify = str(registry.ca_file)
            with lock:
                sessions.append(local.session)
        return local.session

    def push_repo(repo: str) -> dict[str, str]:
        pusher = _Pusher(registry.url, repo, session(), auth, token_server)
        pusher.blob(LAYER)
        return {tag: pusher.image(tag) for tag in images[repo]}

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return dict(zip(images, pool.map(push_repo, images), strict=True))
    finally:
        for item in sessions:
            item.close()
