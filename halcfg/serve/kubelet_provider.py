"""The kubelet's image credential provider plugin: a CredentialProviderRequest on stdin, a
CredentialProviderResponse on stdout (credentialprovider.kubelet.k8s.io v1, v1beta1, v1alpha1).

The kubelet decodes the response strictly (an unknown field voids it) and wants its apiVersion
to equal the request's, so the response holds exactly kind, apiVersion, cacheKeyType,
cacheDuration and, when there is a credential, auth. The auth key is registry/hosts' kubelet key
of the account (`docker.io` for Docker Hub, else `host[:port]` without a default port), the
same string `render -t kubelet` writes in matchImages, which the kubelet's keyring matches for
every image of that registry; so the cache key type is Registry. The image is read by the
kubelet's own reference grammar (distribution/reference) and matched by its keyring rules
(match/kubelet), so `Localhost/x` is not `localhost`'s and the answer is what the kubelet
would take. A request that is not UTF-8, not JSON, nested too deep or holds a number too long
to read is one error line (exit 1).
cacheDuration is half the token's remaining life, as cloud-provider-aws's ECR plugin answers,
and STATIC_CACHE for passwords that do not expire: `0s` would mean "do not cache" and make the
kubelet exec this plugin on every pull (kubernetes pkg/credentialprovider/plugin/plugin.go,
pluginProvider.provide: "cache duration was explicitly 0 so don't cache this response at all"),
while five minutes still lets a rotated passwordFile apply soon. A managed account whose
credential fails is an error (exit 1, reason on stderr, which the kubelet logs); an image no
account serves gets an answer without auth.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from halcfg.credentials.cache import TokenCache
from halcfg.serve.pull_credentials import ServeError, go_json, load_served, pull_credential

GROUP = "credentialprovider.kubelet.k8s.io"
API_VERSIONS = (f"{GROUP}/v1", f"{GROUP}/v1beta1", f"{GROUP}/v1alpha1")
REQUEST_KIND = "CredentialProviderRequest"
RESPONSE_KIND = "CredentialProviderResponse"
CACHE_KEY_TYPE = "Registry"
STATIC_CACHE = 5 * 60  # seconds a password that does not expire is cached by the kubelet
MAX_REQUEST = 1024 * 1024  # an image name and a service-account token


def go_duration(seconds: float) -> str:
    """Go's time.Duration.String() of whole seconds, as metav1.Duration marshals: `6h0m0s`, `0s`."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


def parse_request(raw: bytes) -> tuple[str, str]:
    """(apiVersion, image) of a request; ServeError for anything else. The request's other fields
    (a service-account token) are never echoed."""
    if len(raw) > MAX_REQUEST:
        raise ServeError(f"request over {MAX_REQUEST // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ServeError(f"request is not UTF-8 (byte {error.start})") from None
    try:
        request = json.loads(text)
    except json.JSONDecodeError as error:
        raise ServeError(f"request is not JSON: {error.msg} at char {error.pos}") from None
    except ValueError as error:  # a number past int's digit limit
        raise ServeError(f"request is not readable JSON: {str(error).split(';')[0]}") from None
    except RecursionError:
        raise ServeError("request is not readable JSON: nested too deep") from None
    if not isinstance(request, dict) or request.get("kind") != REQUEST_KIND:
        raise ServeError(f"expected a {REQUEST_KIND} on stdin")
    api_version = request.get("apiVersion")
    if api_version not in API_VERSIONS:
        raise ServeError(f"apiVersion {api_version!r} is not one of {', '.join(API_VERSIONS)}")
    image = request.get("image")
    if not isinstance(image, str) or not image:
        raise ServeError("request has no image")
    return api_version, image


def respond(raw: bytes, config_path: Path, cache: TokenCache, now: float | None = None) -> bytes:
    """The response to the request in `raw`, from the accounts file at `config_path`."""
    from halcfg.match.reference import ReferenceError, parse_reference
    from halcfg.match.run import kubelet_candidates
    from halcfg.registry.hosts import account_key

    api_version, image = parse_request(raw)
    response: dict[str, Any] = {
        "kind": RESPONSE_KIND, "apiVersion": api_version, "cacheKeyType": CACHE_KEY_TYPE, "cacheDuration": "0s",
    }
    try:
        reference = parse_reference(image)
    except ReferenceError as error:
        raise ServeError(f"image {image!r}: {error}") from None
    config = load_served(config_path)
    candidates = kubelet_candidates(config.accounts, reference)
    if not candidates:
        return go_json(response)
    account = candidates[0][0]  # accounts sharing a registry: the first in the file, as docker's helper
    credential = pull_credential(account, config, cache)
    key = account_key(account, "kubelet")
    if credential.password is None or key is None:  # declared anonymous
        return go_json(response)
    if credential.expires_at is not None:
        remaining = credential.expires_at.timestamp() - (time.time() if now is None else now)
        response["cacheDuration"] = go_duration(remaining / 2)
    else:
        response["cacheDuration"] = go_duration(STATIC_CACHE)
    response["auth"] = {key: {"username": credential.username or "", "password": credential.password}}
    return go_json(response)
