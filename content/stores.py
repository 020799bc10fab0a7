"""Content-addressed stores: files put and got by SHA-256 digest, checked on every get.

Every failure is a `StoreError` whose message is one sentence naming the file, directory or node
and what to do; its kind says what went wrong, so that callers never inspect a cause:

- `StoreMissing`: the store holds no file for the digest;
- `DigestMismatch`: it holds bytes that do not hash to the digest (corrupted or replaced);
- `StoreUnavailable`: the store cannot be read or written at all (permissions, an unreachable node).
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Protocol

from content.cid import digest_to_cid
from content.digest import sha256_digest


class StoreError(Exception):
    """A file that a store cannot put or get; the message is one sentence saying why."""


class StoreMissing(StoreError):
    """The store holds no file for the digest."""


class DigestMismatch(StoreError):
    """The store's bytes for a digest do not hash to it: corrupted, or replaced."""


class StoreUnavailable(StoreError):
    """The store cannot be read or written: a directory without permission, a node out of reach."""


class ContentStore(Protocol):
    """Where off-chain files live, addressed by the SHA-256 digest that the chain records."""

    def put(self, data: bytes) -> bytes:
        """Store `data`; return its digest."""
        ...

    def get(self, digest: bytes) -> bytes:
        """The bytes whose SHA-256 is `digest`; raises a `StoreError` if absent or corrupted."""
        ...

    def uri(self, digest: bytes) -> str:
        """Where others can fetch the file (a hint: the digest, not the URI, is trusted)."""
        ...


def _check(digest: bytes, data: bytes, source: str) -> bytes:
    if sha256_digest(data) != digest:
        raise DigestMismatch(
            f"{source} does not match its digest 0x{digest.hex()} (it was corrupted or replaced): "
            "fetch it again."
        )
    return data


def _reason(error: OSError) -> str:
    return (error.strerror or str(error)).lower()


class LocalStore:
    """A directory of files named by their digest's hex."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreUnavailable(
                f"the store directory {self.directory} cannot be created ({_reason(error)}): "
                "choose a directory you may write to."
            ) from error

    def path(self, digest: bytes) -> Path:
        """The file that holds (or would hold) `digest`."""
        if len(digest) != 32:
            raise StoreError(f"a SHA-256 digest has 32 bytes, and 0x{digest.hex()} has {len(digest)}.")
        return self.directory / digest.hex()

    def has(self, digest: bytes) -> bool:
        return self.path(digest).exists()

    def put(self, data: bytes) -> bytes:
        """Store `data` atomically (write a temporary file, then rename); return its digest."""
        digest = sha256_digest(data)
        try:
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".put-")
        except OSError as error:
            raise StoreUnavailable(
                f"the store directory {self.directory} cannot be written ({_reason(error)}): "
                "choose a directory you may write to, or fix its permissions."
            ) from error
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path(digest))
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise StoreUnavailable(
                f"the file 0x{digest.hex()} cannot be written into {self.directory} ({_reason(error)})."
            ) from error
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: bytes) -> bytes:
        """The stored bytes of `digest`, refused if the file was corrupted."""
        path = self.path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError as error:
            raise StoreMissing(
                f"the store {self.directory} holds no file for 0x{digest.hex()}: fetch it into the store first."
            ) from error
        except OSError as error:
            raise StoreUnavailable(f"{path} cannot be read ({_reason(error)}): fix its permissions.") from error
        return _check(digest, data, str(path))

    def uri(self, digest: bytes) -> str:
        """A file:// URI of the stored file."""
        return self.path(digest).resolve().as_uri()


class IpfsHttpStore:
    """Raw blocks on an IPFS (Kubo) node through its HTTP RPC API; a file must fit one block."""

    def __init__(self, api_url: str, timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    def put(self, data: bytes) -> bytes:
        """`ipfs block put` the bytes as a raw block, pinned; return their digest."""
        digest = sha256_digest(data)
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="block"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        reply = self._post(
            "block/put?cid-codec=raw&mhtype=sha2-256&mhlen=32&pin=true",
            body,
            f"multipart/form-data; boundary={boundary}",
        )
        try:
            key = json.loads(reply)["Key"]
        except (ValueError, KeyError, TypeError) as error:
            raise StoreUnavailable(
                f"the IPFS node at {self.api_url} gave an unexpected block/put reply {reply[:200]!r}."
            ) from error
        if key != digest_to_cid(digest):
            raise StoreUnavailable(
                f"the IPFS node at {self.api_url} stored the block as {key}, not as {digest_to_cid(digest)}."
            )
        return digest

    def get(self, digest: bytes) -> bytes:
        """`ipfs block get` the raw block of `digest`, refused if the node returns other bytes."""
        cid = digest_to_cid(digest)
        data = self._post(f"block/get?arg={urllib.parse.quote(cid)}", b"", "application/octet-stream")
        return _check(digest, data, f"ipfs://{cid}")

    def uri(self, digest: bytes) -> str:
        """ipfs://<CIDv1 of the raw block>."""
        return f"ipfs://{digest_to_cid(digest)}"

    def _post(self, endpoint: str, body: bytes, content_type: str) -> bytes:
        request = urllib.request.Request(
            f"{self.api_url}/api/v0/{endpoint}",
            data=body,
            headers={"Content-Type": content_type},
            method="POST",
        )
        command = endpoint.split("?")[0]
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            detail = error.read()[:200]
            if command == "block/get" and b"not found" in detail.lower():
                raise StoreMissing(
                    f"the IPFS node at {self.api_url} holds no block for {endpoint.split('arg=')[1]}."
                ) from error
            raise StoreUnavailable(
                f"the IPFS node at {self.api_url} answered {command} with HTTP {error.code}: {detail!r}."
            ) from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise StoreUnavailable(
                f"the IPFS node at {self.api_url} cannot be reached ({error}): start it, or check the URL."
            ) from error


class FetchingStore:
    """A private local store that fetches what it lacks from a shared one (IPFS, a shared directory).

    Writes stay local: a model file goes to others only when its owner publishes it, at its reveal.
    Reads fall back to the shared store for files that are not here, check them against their
    digest, and keep a copy. A local file that does not match its digest is refused, never
    replaced silently.
    """

    def __init__(self, local: LocalStore, remote: ContentStore) -> None:
        self.local = local
        self.remote = remote

    def put(self, data: bytes) -> bytes:
        return self.local.put(data)

    def get(self, digest: bytes) -> bytes:
        if not self.local.has(digest):
            self.local.put(self.remote.get(digest))  # the remote store checks the digest
        return self.local.get(digest)

    def uri(self, digest: bytes) -> str:
        return self.local.uri(digest)

    def path(self, digest: bytes) -> Path:
        return self.local.path(digest)


def open_store(location: str, fetch: str | None = None) -> ContentStore:
    """A LocalStore for a directory, an IpfsHttpStore for an http(s) URL; with `fetch`, a local store
    that fetches what it lacks from there."""

    def one(where: str) -> ContentStore:
        if where.startswith(("http://", "https://")):
            return IpfsHttpStore(where)
        return LocalStore(Path(where).expanduser())

    store = one(location)
    if fetch is None:
        return store
    if not isinstance(store, LocalStore):
        raise StoreUnavailable(
            f"fetching into {location} needs a directory to keep the fetched files in, not an IPFS node."
        )
    return FetchingStore(store, one(fetch))
