"""Real parts for tests: a Docker registry, a token server, a fault proxy, moto's ECR, TLS material.

Everything listens on 127.0.0.1 only and every wait is bounded, so a broken part fails a test
with a clear message instead of hanging the suite. The constants below are what the conftest
fixtures seed and accept, so tests can assert against them.
"""

SEEDED: dict[str, list[str]] = {
    "library/alpine": ["3.19", "latest"],
    "team/api": ["v1", "v2", "v3"],
    "team/worker": ["latest"],
    "team/paged": [f"t{i:02d}" for i in range(12)],
    "org/sub/deep": ["1.0"],
}
"""{repository: tags} pushed to every seeded fixture registry. There is no empty repository:
distribution creates one on first push and lists nothing for a repository without tags."""

BASIC_USER = "alice"
BASIC_PASSWORD = "s3cret-alice"

TOKEN_USERS = {"bob": "s3cret-bob", "carol": "s3cret-carol"}
TOKEN_GRANTS = {
    "bob": ["*"],
    "carol": ["repository:team/*:pull"],
}
"""bob may do anything, catalog included; carol may pull team/* and nothing else (no catalog),
so a probe as carol meets insufficient_scope on the catalog and on library/alpine."""
