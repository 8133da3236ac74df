"""drone-go's `aesgcm` response encoding: AES-256-GCM keyed with the first 32 bytes of the
shared secret, a fresh 12-byte nonce prepended to ciphertext and tag, no associated data."""

from __future__ import annotations

import os

KEY_BYTES = 32
NONCE_BYTES = 12


def seal(plaintext: bytes, secret: bytes) -> bytes:
    """The body drone-go's client decrypts; `secret` must hold at least KEY_BYTES bytes."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(secret[:KEY_BYTES]).encrypt(nonce, plaintext, None)


def unseal(sealed: bytes, secret: bytes) -> bytes:
    """What `seal` sealed, as drone-go's client opens it; cryptography's InvalidTag when another
    key sealed it or it was altered, ValueError when it is too short to hold a nonce."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(sealed) < NONCE_BYTES:
        raise ValueError("malformed ciphertext")
    return AESGCM(secret[:KEY_BYTES]).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], None)
