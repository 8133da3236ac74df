"""Errors that end a command with exit 2 and one line of text, never a traceback."""

from __future__ import annotations


class UsageError(Exception):
    """Bad flags, a missing file, or anything else the user must fix before a check can run."""


class LoadError(UsageError):
    """The accounts file cannot be read or parsed; the message starts with `file:line:col`."""
