"""Content addressing, free of torch: SHA-256 digests, IPFS CIDs, and the stores that keep files by
digest (a local directory, an IPFS node, a local store that fetches from a shared one).

The chain records a file's SHA-256 digest; every file fetched from a store is checked against it.
"""

from content.cid import CidError, cid_to_digest, digest_to_cid
from content.digest import sha256_digest
from content.stores import (
    ContentStore,
    DigestMismatch,
    FetchingStore,
    IpfsHttpStore,
    LocalStore,
    StoreError,
    StoreMissing,
    StoreUnavailable,
    open_store,
)

__all__ = [
    "CidError",
    "ContentStore",
    "DigestMismatch",
    "FetchingStore",
    "IpfsHttpStore",
    "LocalStore",
    "StoreError",
    "StoreMissing",
    "StoreUnavailable",
    "cid_to_digest",
    "digest_to_cid",
    "open_store",
    "sha256_digest",
]
