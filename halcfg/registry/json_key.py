"""Google's JSON-key logins (GCR, Artifact Registry): username `_json_key`, the service account's
JSON key file as the password. The key as Google hands it out spans many lines; where a consumer
keeps only one line of a password file (kork's resolvePasswordFromFile) it must be compacted,
which keeps the same JSON.
"""

from __future__ import annotations

import json

JSON_KEY_USER = "_json_key"


def compact_json(text: str) -> str | None:
    """`text` as one line of compact JSON (the same document), or None when it is not JSON."""
    try:
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        return None
