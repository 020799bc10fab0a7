"""Content stores: a local directory, and an IPFS node's RPC API (a fake Kubo on loopback)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from content import (
    DigestMismatch,
    IpfsHttpStore,
    LocalStore,
    StoreError,
    StoreMissing,
    StoreUnavailable,
    digest_to_cid,
    open_store,
    sha256_digest,
)
from tests.utils.files import read_only_directory

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

    with pytest.raises(DigestMismatch) as refused:
        store.get(digest)

    assert str(refused.value) == (
        f"{store.path(digest)} does not match its digest 0x{digest.hex()} (it was corrupted or replaced): "
        "fetch it again."
    )


def test_local_store__unknown_digest__refused_as_missing(tmp_path: Path):
    with pytest.raises(StoreMissing) as refused:
        LocalStore(tmp_path).get(bytes(32))

    assert str(refused.value) == (
        f"the store {tmp_path} holds no file for 0x{'00' * 32}: fetch it into the store first."
    )


def test_local_store__digest_not_32_bytes__refused(tmp_path: Path):
    with pytest.raises(StoreError, match="has 4."):
        LocalStore(tmp_path).get(b"abcd")


def test_local_store__read_only_directory__put_refused_in_a_sentence(tmp_path: Path):
    with read_only_directory(tmp_path) as directory:
        store = LocalStore(directory)

        with pytest.raises(StoreUnavailable) as refused:
            store.put(CONTENT)

    assert str(refused.value).startswith(f"the store directory {directory} cannot be written (")
    assert str(refused.value).endswith("): choose a directory you may write to, or fix its permissions.")


def test_local_store__directory_cannot_be_created__refused_in_a_sentence(tmp_path: Path):
    (tmp_path / "a-file").write_bytes(b"")

    with pytest.raises(StoreUnavailable) as refused:
        LocalStore(tmp_path / "a-file" / "store")

    assert str(refused.value).startswith(f"the store directory {tmp_path / 'a-file' / 'store'} cannot be created (")


def test_open_store__directory_or_url__the_matching_store(tmp_path: Path):
    assert isinstance(open_store(str(tmp_path)), LocalStore)
    assert isinstance(open_store("http://127.0.0.1:5001"), IpfsHttpStore)


def test_open_store__fetch_into_an_ipfs_node__refused(tmp_path: Path):
    with pytest.raises(StoreUnavailable, match="needs a directory to keep the fetched files in"):
        open_store("http://127.0.0.1:5001", fetch=str(tmp_path))


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

    with pytest.raises(DigestMismatch, match="does not match its digest"):
        store.get(digest)


def test_ipfs_store__unknown_block__refused_as_missing(kubo):
    with pytest.raises(StoreMissing) as refused:
        IpfsHttpStore(kubo[0], timeout=5).get(bytes(32))

    assert str(refused.value) == f"the IPFS node at {kubo[0]} holds no block for {digest_to_cid(bytes(32))}."


def test_ipfs_store__no_node__refused():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeKubo)
    port = server.server_address[1]
    server.server_close()  # the port is now closed: nothing listens there

    with pytest.raises(StoreUnavailable, match="cannot be reached .*: start it, or check the URL."):
        IpfsHttpStore(f"http://127.0.0.1:{port}", timeout=5).get(bytes(32))
