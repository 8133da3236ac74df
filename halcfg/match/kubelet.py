"""The kubelet's keyring (kubernetes pkg/credentialprovider): how a credential key is
normalised, whether it matches an image, and the order in which matching credentials are tried.

A key is a URL without scheme: `https://` and a leading `/v1/` or `/v2/` are dropped, so
`https://index.docker.io/v1/` is `index.docker.io`. It matches an image when the ports are
equal, the hosts have as many dot-separated labels and each label matches as a glob (Go's
`filepath.Match`), and the image's path starts with the key's path as a plain string. Every
matching key is returned, most specific first (reverse lexical order); when none matches, a
Docker Hub image falls back to the key `index.docker.io`.

halcfg's own keys are the plugin's (registry/hosts `consumer_key(..., "kubelet")`): the same
string is the rendered `matchImages` entry, which gates whether the kubelet asks the plugin at
all (`plugin.go` `isImageAllowed`), and the `auth` key of the plugin's answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from halcfg.match.reference import ReferenceError, parse_reference
from halcfg.registry.hosts import HUB, HUB_INDEX, go_url_host_path


@dataclass(frozen=True)
class _Url:
    labels: tuple[str, ...]
    port: str
    path: str


def normalise_key(key: str) -> str:
    """The keyring's spelling of a credential key (BasicDockerKeyring.Add); a key Go's URL
    parser rejects is kept as written, and never matches."""
    value = key if key.startswith(("https://", "http://")) else "https://" + key
    parsed = go_url_host_path(value.split("://", 1)[1])
    if parsed is None:
        return key
    host, path = parsed
    if path.startswith(("/v1/", "/v2/")):
        path = path[3:]
    return host + path if path not in ("", "/") else host


def lookup_name(image: str) -> str:
    """The name the kubelet looks credentials up by: the normalised repository without tag or
    digest (`golang:1.0` → `docker.io/library/golang`); unparsable text is used as it is."""
    try:
        return parse_reference(image).name
    except ReferenceError:
        return image


def key_matches(key: str, image: str) -> bool:
    """Whether credentials stored under `key` (as written; normalised here) apply to `image`."""
    glob, target = _split(normalise_key(key)), _split(lookup_name(image))
    if glob is None or target is None:
        return False
    if glob.port != target.port or len(glob.labels) != len(target.labels):
        return False
    if not target.path.startswith(glob.path):
        return False
    for pattern_text, label in zip(glob.labels, target.labels, strict=True):
        pattern = _label_pattern(pattern_text)
        if pattern is None or not pattern.fullmatch(label):
            return False
    return True


def lookup(keys: Iterable[str], image: str) -> list[str]:
    """The normalised keys whose credentials the kubelet tries for `image`, in its order."""
    index = sorted({normalise_key(key) for key in keys}, reverse=True)
    found = [key for key in index if key_matches(key, image)]
    if not found and is_default_registry(lookup_name(image)) and HUB_INDEX in index:
        found = [HUB_INDEX]
    return found


def is_default_registry(name: str) -> bool:
    """isDefaultRegistryMatch: names the kubelet considers Docker Hub's for its fallback."""
    first, slash, _ = name.partition("/")
    if not first:
        return False
    if not slash or first in (HUB, HUB_INDEX):
        return True
    return not any(c in first for c in ".:")


def _split(schemeless: str) -> _Url | None:
    """ParseSchemelessURL then SplitURL: host labels, port ('' when absent), path."""
    parsed = go_url_host_path(schemeless)
    if parsed is None:
        return None
    host, path = parsed
    port = ""
    if host.startswith("["):
        inside, _, tail = host[1:].partition("]")
        if tail.startswith(":"):
            host, port = inside, tail[1:]
    elif ":" in host:
        host, port = host.rsplit(":", 1)
    return _Url(tuple(host.split(".")), port, path)


@lru_cache(maxsize=1024)
def _label_pattern(glob: str) -> re.Pattern[str] | None:
    """Go's filepath.Match for one label, as a regex: `*`, `?`, `[...]` (with `^` negation and
    `a-z` ranges) and `\\` escapes; None for a malformed pattern, which Go never matches."""
    out, i = [], 0
    while i < len(glob):
        c = glob[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            parsed = _char_class(glob, i)
            if parsed is None:
                return None
            regex, i = parsed
            out.append(regex)
        elif c == "\\":
            if i >= len(glob):
                return None
            out.append(re.escape(glob[i]))
            i += 1
        else:
            out.append(re.escape(c))
    return re.compile("".join(out), re.DOTALL)


def _char_class(glob: str, i: int) -> tuple[str, int] | None:
    """The class starting after `[` at `i`: (regex, index after `]`), or None when malformed."""
    negate = glob[i : i + 1] == "^"
    i += negate
    ranges: list[str] = []
    while True:
        if i >= len(glob):
            return None
        if glob[i] == "]" and ranges:
            return f"[{'^' if negate else ''}{''.join(ranges)}]", i + 1
        low = _class_char(glob, i)
        if low is None:
            return None
        char, i = low
        item = re.escape(char)
        if glob[i : i + 1] == "-":
            high = _class_char(glob, i + 1)
            if high is None or high[0] < char:
                return None
            item += "-" + re.escape(high[0])
            i = high[1]
        ranges.append(item)


def _class_char(glob: str, i: int) -> tuple[str, int] | None:
    """One possibly escaped character inside a class; `-`, `]` and the end are malformed there."""
    if i >= len(glob) or glob[i] in "-]":
        return None
    if glob[i] == "\\":
        return (glob[i + 1], i + 2) if i + 1 < len(glob) else None
    return glob[i], i + 1
