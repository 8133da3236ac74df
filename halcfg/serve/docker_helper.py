"""`docker-credential-halcfg`: docker's credential-helper protocol over the accounts file.

docker, skopeo, podman, buildah and crane run `docker-credential-<name> <action>` with the
server URL (or a JSON credential) on stdin, for every registry that config.json's `credHelpers`
(or `credsStore`) sends to it. The protocol, byte for byte (docker-credential-helpers):
answers and errors go to STDOUT, errors with exit 1; a registry the helper knows nothing about
gets exactly `credentials not found in native keychain`, which clients take as "pull without
credentials". So that text is kept for hosts halcfg does not manage (and accounts that declare
no password); a managed account whose credential fails gets the real reason, never a silent
anonymous pull.

`store` and `erase` (docker login / logout) never fail for hosts halcfg does not manage: it
keeps nothing for them and says so on stderr. For a managed host they fail and point at the
accounts file, which is the one source of truth.

The accounts file is HALCFG_CONFIG, else ~/.config/halcfg/halcfg.yaml (XDG respected): docker
starts helpers in whatever folder the user is in. Starts fast: no typer, no jsonschema, and
boto3 only when an ECR token is not in the cross-process cache.

The server URL is read by registry/hosts' one helper parser (`parse_server_url`): docker sends
`https://index.docker.io/v1/` or `host[:port]`, containers/image the bare registry (`docker.io`);
a URL with userinfo, a backslash or anything else two URL parsers read differently names no
account. Input that is not UTF-8 or is too long is an error (exit 1), never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

from halcfg import __version__
from halcfg.config.model import Config
from halcfg.config.path import command_for, user_config_path
from halcfg.serve.pull_credentials import ServeError, go_json, load_served, pull_credential

NAME = "docker-credential-halcfg"
USAGE = f"Usage: {NAME} <store|get|erase|list|version>"
NOT_FOUND = "credentials not found in native keychain"
MISSING_URL = "no credentials server URL"
MISSING_USERNAME = "no credentials username"
MAX_INPUT = 64 * 1024  # a server URL or one credential; more is not a docker client talking


class HelperError(Exception):
    """Printed on stdout as it is, exit 1: what docker shows as `out:` of the helper."""


def _read_stdin() -> str:
    data = sys.stdin.buffer.read(MAX_INPUT + 1)
    if len(data) > MAX_INPUT:
        raise HelperError(f"{NAME}: input over {MAX_INPUT // 1024} KiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HelperError(f"{NAME}: input is not UTF-8 (byte {error.start})") from None


def _server_url() -> str:
    url = _read_stdin().strip()
    if not url:
        raise HelperError(MISSING_URL)
    return url


def _config() -> Config:
    try:
        return load_served(user_config_path())
    except ServeError as error:
        raise HelperError(f"halcfg: {error}") from None


def get() -> bytes:
    from halcfg.credentials.cache import TokenCache
    from halcfg.match.docker import account_for_server_url

    url = _server_url()
    config = _config()
    account = account_for_server_url(config.accounts, url)
    if account is None:
        raise HelperError(NOT_FOUND)
    cache = TokenCache()
    try:
        credential = pull_credential(account, config, cache)
    except ServeError as error:
        raise HelperError(f"halcfg: {error}") from None
    if cache.problem:
        print(f"halcfg: warning: {cache.problem}", file=sys.stderr)
    if credential.password is None:  # the account declares anonymous access: let the client go on
        raise HelperError(NOT_FOUND)
    return go_json({"ServerURL": url, "Username": credential.username or "", "Secret": credential.password})


def list_() -> bytes:
    """{server URL: username} for every account with a password source; resolves no secret, so a
    username kept in a secret store (a kork reference) is listed empty, not fetched nor echoed."""
    from halcfg.credentials.resolve import username_reference
    from halcfg.registry.hosts import account_key

    _read_stdin()  # docker sends "unused"
    found: dict[str, str] = {}
    for account in _config().accounts:
        key = account_key(account, "docker")
        if key is not None and account.password_sources:
            name = "" if username_reference(account) is not None else account.username
            found.setdefault(key, name or ("AWS" if account.ecr else ""))
    return go_json(dict(sorted(found.items())))


def store() -> bytes:
    try:
        credential = json.loads(_read_stdin())
    except (ValueError, RecursionError):  # RecursionError: JSON nested past the parser's depth
        raise HelperError(f"{NAME}: store expects a JSON credential on stdin") from None
    if not isinstance(credential, dict) or not credential.get("ServerURL"):
        raise HelperError(MISSING_URL)
    if not credential.get("Username"):
        raise HelperError(MISSING_USERNAME)
    _refuse_managed(str(credential["ServerURL"]), "docker login")
    return b""


def erase() -> bytes:
    _refuse_managed(_server_url(), "docker logout")
    return b""


def _refuse_managed(url: str, command: str) -> None:
    """Fail for a host the accounts file manages; otherwise say on stderr that nothing is kept."""
    from halcfg.match.docker import account_for_server_url

    path = user_config_path()
    try:
        account = account_for_server_url(load_served(path).accounts, url)
    except ServeError as error:  # nothing known to be managed: never break login/logout over it
        print(f"halcfg: warning: {error}", file=sys.stderr)
        account = None
    if account is not None:
        raise HelperError(
            f"halcfg: {url} is account {account.name!r} of {path}, the source of truth for its credentials; "
            f"{command} does not change it: use `{command_for(f'account edit {account.name}', path)}` instead"
        )
    print(f"halcfg: {url} is not in {path}; {NAME} keeps no credentials for it "
          f"(map only halcfg's hosts to it in credHelpers)", file=sys.stderr)


def version() -> bytes:
    return f"{NAME} (halcfg) {__version__}\n".encode()


def usage() -> bytes:
    return (USAGE + "\n").encode()


ACTIONS: dict[str, Callable[[], bytes]] = {
    "get": get, "list": list_, "store": store, "erase": erase,
    "version": version, "--version": version, "-v": version, "--help": usage, "-h": usage,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if len(args) != 1:
            raise HelperError(USAGE)
        action = ACTIONS.get(args[0])
        if action is None:
            raise HelperError(f"{NAME}: unknown action: {args[0]}")
        out, code = action(), 0
    except HelperError as error:
        out, code = f"{error}\n".encode(), 1
    except KeyboardInterrupt:
        out, code = b"halcfg: interrupted\n", 1
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    return code


def run() -> None:
    """The console script: exit without the interpreter's teardown, which costs a pull time."""
    import os

    code = main()
    os._exit(code)


if __name__ == "__main__":
    run()
