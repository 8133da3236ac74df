"""Remote operations on a v2 registry: ping, catalog pages, tag pages, a manifest as pullers ask.

Listings are generators of pages, so a caller that only counts never holds a whole catalog.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from halcfg.registry.auth import CATALOG_SCOPE, Auth, pull_scope
from halcfg.registry.challenge import parse_challenges
from halcfg.registry.errors import AuthRefused, NotV2, RateLimited, RegistryError, ScopeRefused, error_from_body
from halcfg.registry.names import Endpoint
from halcfg.registry.transport import MANIFEST_LIMIT, Reply, Transport

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
# The manifest types a puller accepts: containerd's resolver (core/remotes/docker/resolver.go,
# NewResolver's resolveHeader) and go-containerregistry (pkg/v1/remote image.go
# acceptableImageMediaTypes, index.go acceptableIndexMediaTypes) both send these four. Without
# the OCI ones distribution answers 404 for an OCI image or index (registry/handlers/manifests.go
# GetManifest: "OCI index found, but accept header does not support OCI indexes"), so a narrower
# Accept would report a pullable tag as missing. containerd also adds */*, which only invites
# schema 1.
PULL_MEDIA_TYPES = (OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_V2)
_PULL_ACCEPT = {"Accept": ", ".join(PULL_MEDIA_TYPES)}


@dataclass(frozen=True)
class Manifest:
    """What a pull of a tag learnt from its manifest's headers."""

    media_type: str  # Content-Type, parameters dropped; "" when the registry sent none
    digest: str | None  # Docker-Content-Digest


def next_page_url(current: str, link_header: str | None) -> str | None:
    """The absolute URL of the `rel="next"` link, resolved against the page that carried it.

    One left-to-right pass over at most _MAX_LINKS links (each `<` looked at once), so a hostile
    60,000-character header costs what reading it costs, never a regex's backtracking."""
    text = link_header or ""
    start = text.find("<")
    for _ in range(_MAX_LINKS):
        if start < 0:
            return None
        end = text.find(">", start + 1)
        if end < 0:
            return None
        following = text.find("<", end + 1)
        params = text[end + 1 : following if following >= 0 else len(text)]
        if _is_next(params):
            return urljoin(current, text[start + 1 : end].strip())
        start = following
    return None


_MAX_LINKS = 16  # registries send one or two; the rest of a longer header is not read
_MAX_LINK_PARAMS = 16


def _is_next(params: str) -> bool:
    """Whether `; rel="next"` (or `rel=next`, or a rel list holding next) is among the params."""
    for param in params.split(";", _MAX_LINK_PARAMS)[:_MAX_LINK_PARAMS]:
        name, equals, value = param.partition("=")
        if equals and name.strip().lower() == "rel":
            words = value.strip().rstrip(",").strip().strip('"').lower().split()
            if "next" in words:
                return True
    return False


def same_origin(a: str, b: str) -> bool:
    one, two = urlsplit(a), urlsplit(b)
    return (one.scheme.lower(), one.netloc.lower()) == (two.scheme.lower(), two.netloc.lower())


class Client:
    """One registry, as one account sees it: its endpoint, transport, credentials and page size."""

    def __init__(self, endpoint: Endpoint, transport: Transport, auth: Auth, page_size: int = 100) -> None:
        self.endpoint = endpoint
        self.transport = transport
        self.auth = auth
        self.page_size = page_size

    def ping(self) -> None:
        """GET /v2/ anonymously and note the challenge, if any: is this a v2 registry at all?
        Raises NotV2, or a RegistryError for an answer that is neither 200 nor a usable 401."""
        url = self.endpoint.url("/v2/")
        response = self.transport.get(url)
        if response.status_code == 429:
            raise RateLimited("/v2/ answered 429 Too Many Requests even after retrying: nothing about this "
                              "account was verified (not its credentials, not its repositories)")
        if response.status_code == 401:
            if not self.auth.adopt(parse_challenges(response.headers.get("WWW-Authenticate"))):
                raise RegistryError("/v2/ answered 401 without a Basic or Bearer challenge", status=401,
                                    code="UNAUTHORIZED")
            return
        if response.status_code == 404 or (response.status_code == 200 and not _looks_v2(response)):
            raise NotV2(f"{url} is not a Docker Registry v2 API (HTTP {response.status_code})",
                        status=response.status_code, code="NOT_V2")
        if response.status_code != 200:
            raise error_from_body(response.status_code, response.content, "/v2/")

    def login(self) -> None:
        """Check the credentials against the challenge ping() noted, as `docker login` does:
        a token for Bearer, then an authenticated /v2/. Raises AuthRefused."""
        if self.auth.scheme == "none":
            return
        if not self.auth.has_credentials and self.auth.scheme == "basic":
            raise AuthRefused("the registry wants credentials and the account has none", status=401,
                              code="UNAUTHORIZED")
        self.auth.login()
        response = self.transport.get(self.endpoint.url("/v2/"), headers=self.auth.headers(None))
        if response.status_code == 401:
            raise AuthRefused("the registry refused the credentials (HTTP 401 on /v2/)", status=401,
                              code="UNAUTHORIZED")
        if response.status_code != 200:
            raise error_from_body(response.status_code, response.content, "/v2/")

    def catalog(self) -> Iterator[list[str]]:
        """Pages of repository names from `/v2/_catalog`."""
        return self._pages("/v2/_catalog", CATALOG_SCOPE, "repositories")

    def tags(self, repository: str) -> Iterator[list[str]]:
        """Pages of tag names of `repository` (already in wire spelling, see names.repository_name)."""
        return self._pages(f"/v2/{quote(repository)}/tags/list", pull_scope(repository), "tags")

    def pull(self, repository: str, reference: str) -> Manifest:
        """Ask for the manifest of `repository:reference` as containerd's resolver does
        (dockerResolver.Resolve): HEAD with the puller's Accept list (and a HEAD is not counted
        as a pull by Docker Hub's rate limit); GET where HEAD is not allowed (405, its
        request.retryRequest; 501 too: not implemented); after a HEAD 403, whose answer has no
        body, one GET for the registry's reason (containerd does so for 403; a 404's reason, an
        unknown manifest or a type the Accept list lacks, is worth the same). One request when
        the pull is allowed, with the token the tag listing already holds (the same
        `repository:<name>:pull` scope).
        Raises ScopeRefused (401/403), or a RegistryError for any other answer but 200."""
        path = f"/v2/{quote(repository)}/manifests/{quote(reference)}"
        url, scope = self.endpoint.url(path), pull_scope(repository)
        response = self._get(url, scope, method="HEAD", headers=_PULL_ACCEPT)
        if response.status_code in (403, 404, 405, 501):
            response = self._get(url, scope, headers=_PULL_ACCEPT, limit=MANIFEST_LIMIT)
        if response.status_code != 200:
            raise self._failure(response, scope, path)
        media_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        return Manifest(media_type, response.headers.get("Docker-Content-Digest"))

    def _failure(self, response: Reply, scope: str, what: str) -> RegistryError:
        """The error for a non-200 answer; a 401 or 403 says which scope was refused, and what
        the token sent grants on it when its claims tell."""
        error = error_from_body(response.status_code, response.content, what)
        if response.status_code not in (401, 403):
            return error
        challenge = next((c for c in parse_challenges(response.headers.get("WWW-Authenticate"))
                          if c.scheme == "bearer"), None)
        wanted = (challenge.get("scope") if challenge else None) or (scope if self.auth.scheme == "bearer" else None)
        granted = self.auth.granted(wanted) if wanted else None
        message = error.message
        if wanted:
            reason = challenge.get("error") if challenge else None
            message += f"; the registry wants scope {wanted}" + (f" ({reason})" if reason else "")
            if granted is not None:
                message += ", and the token sent grants " + (f"only {', '.join(granted)}" if granted else "none of it")
        return ScopeRefused(message, status=response.status_code, code=error.code, scope=wanted, granted=granted)

    def _pages(self, path: str, scope: str, key: str) -> Iterator[list[str]]:
        url = f"{self.endpoint.url(path)}?n={self.page_size}"
        seen = {url}
        while True:
            response = self._get(url, scope)
            if response.status_code != 200:
                raise self._failure(response, scope, urlsplit(url).path)
            yield _names(response, key, urlsplit(url).path)
            following = next_page_url(url, response.headers.get("Link"))
            if following is None:
                return
            if not same_origin(following, url):
                host = urlsplit(following).netloc.rpartition("@")[2]
                raise RegistryError(f"{path}: Link points to another host ({host})", code="LINK_FOREIGN")
            if following in seen:
                raise RegistryError(f"{path}: Link leads back to a page already read ({following})",
                                    code="LINK_LOOP")
            seen.add(following)
            url = following

    def _get(self, url: str, scope: str, *, method: str = "GET", headers: dict[str, str] | None = None,
             limit: int | None = None) -> Reply:
        """A request with the scope's credentials; after a 401, re-authenticate once and retry."""
        extra = {"limit": limit} if limit is not None else {}

        def send() -> Reply:
            return self.transport.request(method, url, {**(headers or {}), **self.auth.headers(scope)}, **extra)

        response = send()
        if response.status_code == 401 and self.auth.reauthenticate(
            response.headers.get("WWW-Authenticate"), scope
        ):
            response = send()
        return response


def _looks_v2(response: Reply) -> bool:
    """A 200 from /v2/ is a registry unless it is plainly a web page without the API header."""
    if "Docker-Distribution-API-Version" in response.headers:
        return True
    return not response.headers.get("Content-Type", "").startswith("text/html")


def _names(response: Reply, key: str, what: str) -> list[str]:
    """The list under `key` (null counts as empty); anything else is a malformed answer."""
    try:
        value = json.loads(response.content).get(key)
    except (ValueError, AttributeError):
        raise RegistryError(f"{what}: the answer is not the JSON object the v2 API promises",
                            status=response.status_code, code="MALFORMED") from None
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RegistryError(f"{what}: `{key}` is not a list of names", status=response.status_code,
                            code="MALFORMED")
    return value
