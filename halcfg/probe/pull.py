"""The pull check: which tag of a repository stands for it, and what its pull's answer means.

tags/list has no dates, so "newest" is a choice: `latest` when the repository has it (what
`docker pull <repo>` and an untagged image reference fetch), else the last tag of the listing —
distribution sorts tags lexically (storage/tagstore.go All), so for date- or zero-padded version
tags that is the newest, and any tag proves the pull permission. Pure apart from the exceptions
it reads.
"""

from __future__ import annotations

from halcfg.findings import Severity
from halcfg.probe.classify import classify

LATEST = "latest"
Outcome = tuple[Severity, str, str, str]  # severity, code, message, remediation

PULL_GRANTS = (
    "Grant the account pull on {repository}: the robot can list but not pull, and every deploy of it "
    "fails as this pull did (Harbor: the robot's Pull permission; ECR: ecr:BatchGetImage and "
    "ecr:GetDownloadUrlForLayer; Artifact Registry: roles/artifactregistry.reader; a token server: "
    "the pull action on repository:{repository})."
)


class NewestTag:
    """Fed each page of a tag listing in order; `tag` is the one the pull check asks for."""

    def __init__(self) -> None:
        self.tag: str | None = None
        self._latest = False

    def see(self, page: list[str]) -> None:
        if self._latest or not page:
            return
        if LATEST in page:
            self.tag, self._latest = LATEST, True
        else:
            self.tag = page[-1]


def classify_pull(error: Exception, repository: str, tag: str, listed: bool) -> Outcome:
    """A failed pull of `repository:tag` (whose listing succeeded) as a finding."""
    from halcfg.registry.errors import RegistryError

    where = "listed in `repositories:`" if listed else "from the catalog"
    if isinstance(error, RegistryError) and error.status in (401, 403):
        return (Severity.ERROR, "pull-denied",
                f"repository {repository} ({where}) lists its tags but refuses a pull of {repository}:{tag}: {error}",
                PULL_GRANTS.format(repository=repository))
    if isinstance(error, RegistryError) and error.status == 404:
        return (Severity.ERROR, "pull-manifest-missing",
                f"tag {tag} of {repository} is listed, but its manifest is not served: {error}",
                "Push the tag again; if other clients pull it, check the registry serves OCI and docker "
                "schema 2 manifests (the Accept list of docker, containerd and the kubelet).")
    severity, code, message, remediation = classify(error, "repository", repository, listed)
    return severity, code, f"pull of {repository}:{tag}: {message}", remediation


def unsupported_type(repository: str, tag: str, media_type: str) -> Outcome:
    """A pull answered with a manifest type pullers do not accept (schema 1, or none at all)."""
    kind = media_type or "untyped"
    return (Severity.WARNING, "pull-unsupported-type",
            f"{repository}:{tag} answers with a {kind} manifest, none of the OCI index or manifest, docker "
            "manifest list or schema 2 that pullers ask for",
            "Rebuild and push the image with a current builder: containerd refuses Docker schema 1 "
            "images (core/remotes/docker/resolver.go, Resolve) and docker no longer pulls them.")


def summary(pullable: int, skipped: int, limit: int | None) -> Outcome | None:
    """The account's INFO line: how many repositories answered a pull, how many were not asked
    (nothing when the check was off: --no-pull-check is --pull-check 0)."""
    if limit == 0 or (pullable == 0 and skipped == 0):
        return None
    noun = "repository" if pullable == 1 else "repositories"
    message = f"pull check: the newest tag of {pullable} {noun} answered a pull (its manifest, as pullers ask)"
    remediation = ""
    if skipped:
        message += f"; {skipped} more not checked (--pull-check {limit})"
        remediation = "Raise --pull-check to check them too."
    return Severity.INFO, "pull-checked", message, remediation
