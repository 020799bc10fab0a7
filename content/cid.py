"""IPFS CIDv1 of a raw block (raw codec, sha2-256, base32): the same address as the SHA-256 digest."""

from __future__ import annotations

import base64
import binascii

# CIDv1 prefix: version 1, raw codec 0x55, sha2-256 multihash 0x12 of 0x20 bytes
_CID_PREFIX = bytes([0x01, 0x55, 0x12, 0x20])
_MULTIBASE_BASE32 = "b"


class CidError(ValueError):
    """A string that is not a CIDv1 (base32, raw codec, sha2-256)."""


def digest_to_cid(digest: bytes) -> str:
    """The IPFS CIDv1 (raw codec, sha2-256, base32) of the file with this SHA-256 digest."""
    if len(digest) != 32:
        raise CidError(f"a SHA-256 digest has 32 bytes, got {len(digest)}")
    return _MULTIBASE_BASE32 + base64.b32encode(_CID_PREFIX + digest).decode(
        "ascii"
    ).lower().rstrip("=")


def cid_to_digest(cid: str) -> bytes:
    """The SHA-256 digest inside a CIDv1 (raw codec, sha2-256, base32 'b...')."""
    if not cid.startswith(_MULTIBASE_BASE32):
        raise CidError(f"expected a base32 CIDv1 starting with 'b', got {cid!r}")
    body = cid[1:]
    if body != body.lower():
        raise CidError(f"base32 CIDs are lowercase, got {cid!r}")
    try:
        raw = base64.b32decode(body.upper() + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError) as error:
        raise CidError(f"not base32: {cid!r}") from error
    if len(raw) != len(_CID_PREFIX) + 32 or not raw.startswith(_CID_PREFIX):
        raise CidError(f"not a CIDv1 of a raw block with a sha2-256 digest: {cid!r}")
    digest = raw[len(_CID_PREFIX) :]
    if digest_to_cid(digest) != cid:
        raise CidError(f"not the canonical base32 spelling of its CID: {cid!r}")
    return digest
