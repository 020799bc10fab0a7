"""Content stores: a local directory, and an IPFS node's RPC API (a fake Kubo on loopback)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ml import IpfsHttpStore, LocalStore, StoreError, digest_to_cid, sha256_digest

CONTENT = b"a model file, say"


def test_local_store__put_then_get__same_bytes_by_digest(tmp_path: Path):
    store = LocalStore(tmp_path / "store")

    digest = store.put(CONTENT)

    assert digest == sha256_digest(CONTENT)
    assert store.get(digest) == CONTENT
    assert store.uri(digest) == (tmp_path / "store" / digest.hex()).resolve().as_uri()
    assert [p.name for p in (tmp_path / "store").iterdir()] == [
        digest.hex()
    ]  # no temporary file left


def test_local_store__put_twice__one_file(tmp_path: Path):
    store = LocalStore(tmp_path)

    assert store.put(CONTENT) == store.put(CONTENT)
    assert len(list(tmp_path.iterdir())) == 1


def test_local_store__corrupted_file__refused(tmp_path: Path):
    store = LocalStore(tmp_path)
    digest = store.put(CONTENT)
    store.path(digest).write_bytes(CONTENT + b"!")

    with pytest.raises(StoreError, match=f"does not match digest 0x{digest.hex()}"):
        store.get(digest)


def test_local_store__unknown_digest__refused(tmp_path: Path):
    with pytest.raises(StoreError, match="no file for digest 0x" + "00" * 32):
        LocalStore(tmp_path).get(bytes(32))


def test_local_store__digest_not_32_bytes__refused(tmp_path: Path):
    with pytest.raises(StoreError, match="32 bytes, got 4"):
        LocalStore(tmp_path).get(b"abcd")


class _FakeKubo(BaseHTTPRequestHandler):
    """The two Kubo RPC endpoints IpfsHttpStore uses, over an in-memory block store."""

    blocks: dict[str, bytes]
    tamper: bool

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if (
            url.path == "/api/v0/block/put"
            and query.get("cid-codec") == "raw"
            and query.get("mhtype") == "sha2-256"
        ):
            boundary = self.headers["Content-Type"].split("boundary=")[1].encode()
            part = body.split(b"--" + boundary)[1]
            data = part[part.index(b"\r\n\r\n") + 4 : -2]
            cid = digest_to_cid(sha256_digest(data))
            self.blocks[cid] = data
            self._reply(200, json.dumps({"Key": cid, "Size": len(data)}).encode())
        elif url.path == "/api/v0/block/get" and query.get("arg") in self.blocks:
            self._reply(200, self.blocks[query["arg"]] + (b"tampered" if self.tamper else b""))
        else:
            self._reply(500, json.dumps({"Message": "block not found", "Code": 0}).encode())

    def _reply(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def kubo() -> Iterator[tuple[str, type[_FakeKubo]]]:
    """A fake Kubo RPC server on 127.0.0.1 (an OS-chosen port), stopped after the test."""
    handler = type("Kubo", (_FakeKubo,), {"blocks": {}, "tamper": False})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_ipfs_store__put_then_get__raw_block_under_its_cid(kubo):
    url, node = kubo
    store = IpfsHttpStore(url, timeout=5)

    digest = store.put(CONTENT)

    assert digest == sha256_digest(CONTENT)
    assert node.blocks == {digest_to_cid(digest): CONTENT}
    assert store.get(digest) == CONTENT
    assert store.uri(digest) == "ipfs://" + digest_to_cid(digest)


def test_ipfs_store__node_returns_other_bytes__refused(kubo):
    url, node = kubo
    store = IpfsHttpStore(url, timeout=5)
    digest = store.put(CONTENT)
    node.tamper = True

    with pytest.raises(StoreError, match="does not match digest"):
        store.get(digest)


def test_ipfs_store__unknown_block__http_error_reported(kubo):
    with pytest.raises(StoreError, match="block/get failed with HTTP 500"):
        IpfsHttpStore(kubo[0], timeout=5).get(bytes(32))


def test_ipfs_store__no_node__refused():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeKubo)
    port = server.server_address[1]
    server.server_close()  # the port is now closed: nothing listens there

    with pytest.raises(StoreError, match="cannot reach the IPFS node"):
        IpfsHttpStore(f"http://127.0.0.1:{port}", timeout=5).get(bytes(32))
