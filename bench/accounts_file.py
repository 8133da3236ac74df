"""Write a realistic accounts file with N accounts (shared by the bench scripts)."""

from __future__ import annotations

import sys
from collections.abc import Callable
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


def password_file_accounts(
    folder: Path, count: int, host: Callable[[int], str] = lambda i: f"registry-{i}.example.com:5000",
) -> tuple[Path, list[tuple[str, str, str]]]:
    """`folder/halcfg.yaml` with `count` password-file accounts, one registry each (bench/render's
    case a), and each one's (host, username, password)."""
    (folder / "secrets").mkdir(parents=True)
    lines = ["version: 1", "providers:", "  dockerRegistry:", "    enabled: true", "    accounts:"]
    logins = []
    for i in range(count):
        login = (host(i), f"bot-{i}", f"fake-token-{i:04d}-<&>")
        (folder / "secrets" / f"r{i}.password").write_text(login[2])
        lines += [f"      - name: registry-{i}", f"        address: {login[0]}", f"        username: {login[1]}",
                  f"        passwordFile: secrets/r{i}.password"]
        logins.append(login)
    path = folder / "halcfg.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path, logins


if __name__ == "__main__":
    write_accounts_file(Path(sys.argv[1]), int(sys.argv[2]))
