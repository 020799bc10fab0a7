"""A private store that fetches what it lacks from a shared one, and never publishes by itself."""

from __future__ import annotations

import pytest

from content import DigestMismatch, FetchingStore, LocalStore, StoreMissing


@pytest.fixture
def stores(tmp_path) -> tuple[LocalStore, LocalStore, FetchingStore]:
    local, shared = LocalStore(tmp_path / "local"), LocalStore(tmp_path / "shared")
    return local, shared, FetchingStore(local, shared)


def test_get__file_only_in_the_shared_store__fetches_and_keeps_a_copy(stores):
    local, shared, store = stores
    digest = shared.put(b"task spec")

    data = store.get(digest)

    assert data == b"task spec" and local.get(digest) == b"task spec"


def test_put__stays_in_the_local_store(stores):
    local, shared, store = stores

    digest = store.put(b"model file")

    assert local.get(digest) == b"model file" and not shared.path(digest).exists()
    assert store.uri(digest) == local.uri(digest)


def test_get__local_file_tampered__refuses_instead_of_fetching_again(stores):
    local, shared, store = stores
    digest = shared.put(b"task spec")
    local.put(b"task spec")
    local.path(digest).write_bytes(b"tampered")

    with pytest.raises(DigestMismatch, match="does not match its digest"):
        store.get(digest)


def test_get__in_neither_store__refuses(stores):
    _, _, store = stores

    with pytest.raises(StoreMissing, match="holds no file for"):
        store.get(bytes(32))
