"""Content-addressed stores: files put and got by SHA-256 digest, checked on every get."""

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

from ml.modelfile import digest_to_cid, sha256_digest


class StoreError(OSError):
    """A file that a store cannot put or get, or whose bytes do not match their digest."""


class ContentStore(Protocol):
    """Where off-chain files live, addressed by the SHA-256 digest that the chain records."""

    def put(self, data: bytes) -> bytes:
        """Store `data`; return its digest."""
        ...

    def get(self, digest: bytes) -> bytes:
        """The bytes whose SHA-256 is `digest`; raises `StoreError` if absent or corrupted."""
        ...

    def uri(self, digest: bytes) -> str:
        """Where others can fetch the file (a hint: the digest, not the URI, is trusted)."""
        ...


def _check(digest: bytes, data: bytes, source: str) -> bytes:
    if sha256_digest(data) != digest:
        raise StoreError(
            f"{source}: content does not match digest 0x{digest.hex()} (corrupted or wrong file)"
        )
    return data


class LocalStore:
    """A directory of files named by their digest's hex."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def path(self, digest: bytes) -> Path:
        """The file that holds (or would hold) `digest`."""
        if len(digest) != 32:
            raise StoreError(f"a SHA-256 digest has 32 bytes, got {len(digest)}")
        return self.directory / digest.hex()

    def put(self, data: bytes) -> bytes:
        """Store `data` atomically (write a temporary file, then rename); return its digest."""
        digest = sha256_digest(data)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".put-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path(digest))
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
            raise StoreError(f"{path}: no file for digest 0x{digest.hex()}") from error
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
            raise StoreError(
                f"{self.api_url}: unexpected block/put reply {reply[:200]!r}"
            ) from error
        if key != digest_to_cid(digest):
            raise StoreError(
                f"{self.api_url}: node stored the block as {key}, expected {digest_to_cid(digest)}"
            )
        return digest

    def get(self, digest: bytes) -> bytes:
        """`ipfs block get` the raw block of `digest`, refused if the node returns other bytes."""
        cid = digest_to_cid(digest)
        data = self._post(
            f"block/get?arg={urllib.parse.quote(cid)}", b"", "application/octet-stream"
        )
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
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            raise StoreError(
                f"{self.api_url}: {endpoint.split('?')[0]} failed with HTTP {error.code}: "
                f"{error.read()[:200]!r}"
            ) from error
        except (urllib.error.URLError, TimeoutError) as error:
            raise StoreError(f"{self.api_url}: cannot reach the IPFS node: {error}") from error
