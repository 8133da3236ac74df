"""Answers at pull time: the Drone registry extension, docker's credential helper and the
kubelet's image credential provider; each runs request → match → credentials → answer.

Imports `config`, `match` and `credentials`; resolves secrets and hands them only to the
client that asked, never to a log.
"""
