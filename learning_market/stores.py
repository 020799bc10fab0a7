"""A private local store that fetches what it lacks from a shared one (IPFS, a shared directory).

Writes stay local: a model file goes to others only when its owner publishes it, at its reveal.
Reads fall back to the shared store for files that are not here, check them against their
digest, and keep a copy. A local file that does not match its digest is refused, never replaced
silently.
"""

from __future__ import annotations

from typing import Any

from ml.store import LocalStore


class FetchingStore:
    """`local` for writes and reads; `remote` for reads of what `local` lacks."""

    def __init__(self, local: LocalStore, remote: Any) -> None:
        self.local = local
        self.remote = remote

    def put(self, data: bytes) -> bytes:
        return self.local.put(data)

    def get(self, digest: bytes) -> bytes:
        if not self.local.path(digest).exists():
            self.local.put(self.remote.get(digest))  # the remote store checks the digest
        return self.local.get(digest)

    def uri(self, digest: bytes) -> str:
        return self.local.uri(digest)

    def path(self, digest: bytes) -> Any:
        return self.local.path(digest)
