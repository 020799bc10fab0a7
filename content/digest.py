"""The content address of a file: its SHA-256 digest, the `bytes32` the chain records."""

from __future__ import annotations

import hashlib


def sha256_digest(data: bytes) -> bytes:
    """The 32-byte SHA-256 digest of `data`: the content address recorded on chain."""
    return hashlib.sha256(data).digest()
