"""`halcfg kubelet-credential-provider [-c FILE]`: the kubelet's exec plugin, request on stdin.

Parsed with argparse and routed around typer by main.py, like validate: the kubelet starts it
for pulls and kills it after one minute. A watchdog ends it with a message well before that,
so a hung AWS call is reported as what it is.
"""

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from halcfg.cli import argparse_help
from halcfg.config.path import user_config_path
from halcfg.findings import EXIT_OK

HELP = "The kubelet's image credential provider plugin: CredentialProviderRequest on stdin, response on stdout."
DEADLINE = 45  # seconds; the kubelet's exec timeout is 60


def parser() -> argparse.ArgumentParser:
    parser = argparse_help.parser("halcfg kubelet-credential-provider", HELP)
    parser.add_argument("-c", "--config", type=Path,
                        help="the accounts file (default: $HALCFG_CONFIG, else ~/.config/halcfg/halcfg.yaml)")
    return parser


def _give_up(signum: int, frame: FrameType | None) -> None:
    print(f"halcfg kubelet-credential-provider: no answer within {DEADLINE}s (a credential source hangs)",
          file=sys.stderr, flush=True)
    raise SystemExit(1)


def main(argv: list[str]) -> int:
    options = argparse_help.parse(parser(), argv)
    if isinstance(options, int):
        return options
    from halcfg.credentials.cache import TokenCache
    from halcfg.serve.kubelet_provider import MAX_REQUEST, respond
    from halcfg.serve.pull_credentials import ServeError

    signal.signal(signal.SIGALRM, _give_up)
    signal.alarm(DEADLINE)
    cache = TokenCache()
    try:
        response = respond(sys.stdin.buffer.read(MAX_REQUEST + 1), options.config or user_config_path(), cache)
    except ServeError as error:
        print(f"halcfg kubelet-credential-provider: {error}", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
    if cache.problem:
        print(f"halcfg: warning: {cache.problem}", file=sys.stderr)
    sys.stdout.buffer.write(response)
    return EXIT_OK
