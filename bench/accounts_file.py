"""Write a realistic accounts file with N accounts (shared by the bench scripts)."""

from __future__ import annotations

import sys
from pathlib import Path

_KINDS = (
    ("index.docker.io", "username: bot-{i}\n        passwordFile: secrets/hub.password"),
    ("gcr.io", "username: _json_key\n        passwordFile: secrets/gcr.json"),
    ("0123456789{d:02d}.dkr.ecr.us-east-1.amazonaws.com", "ecr: {{region: us-east-1}}"),
    ("quay.io", "username: robot+{i}\n        passwordEnv: QUAY_TOKEN_{i}"),
    ("registry-{i}.internal:5000", "username: svc-{i}\n        passwordCommand: echo fake-{i}"),
)


def write_accounts_file(path: Path, count: int) -> Path:
    """A file of `count` accounts cycling through five registry kinds, comments included."""
    (path.parent / "secrets").mkdir(parents=True, exist_ok=True)
    (path.parent / "secrets" / "hub.password").write_text("fake-hub-token")
    (path.parent / "secrets" / "gcr.json").write_text('{"type": "service_account"}')
    lines = ["# generated benchmark file", "version: 1", "providers:", "  dockerRegistry:",
             "    enabled: true", "    accounts:"]
    for i in range(count):
        address, auth = _KINDS[i % len(_KINDS)]
        lines += [
            f"      # account {i}",
            f"      - name: account-{i}",
            f"        address: {address.format(i=i, d=i % 100)}",
            f"        repositories: [team-{i}/api, team-{i}/worker]",
            "        " + auth.format(i=i),
            "        cacheIntervalSeconds: 60",
            "        trackDigests: true",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


if __name__ == "__main__":
    write_accounts_file(Path(sys.argv[1]), int(sys.argv[2]))
