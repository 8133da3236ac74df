"""Answers at pull time: the Drone registry extension (the drone sub-package), docker's credential helper and
the kubelet's image credential provider; each runs request → match → credentials → answer.

Imports `config`, `match`, `credentials`, `findings` and `errors`; never `cli`. Resolves secrets
and hands them only to the client that asked, never to a log: the Drone server logs structured
lines through which no secret, signature or body passes.
"""
