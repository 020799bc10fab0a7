"""Content addresses: SHA-256 digests and their IPFS CIDv1 (raw codec, base32), both ways."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content import CidError, cid_to_digest, digest_to_cid, sha256_digest

EMPTY_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
HELLO_CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"


def test_sha256_digest__known_value():
    assert (
        sha256_digest(b"hello world").hex()
        == "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
    )


@pytest.mark.parametrize(("content", "cid"), [(b"", EMPTY_CID), (b"hello world", HELLO_CID)])
def test_digest_to_cid__known_cids_of_known_bytes(content, cid):
    assert digest_to_cid(sha256_digest(content)) == cid
    assert cid_to_digest(cid) == sha256_digest(content)


@given(st.binary(min_size=32, max_size=32))
def test_cid__round_trip_of_any_digest(digest):
    cid = digest_to_cid(digest)

    assert cid.startswith("bafkrei") and cid == cid.lower() and "=" not in cid
    assert cid_to_digest(cid) == digest


@pytest.mark.parametrize(
    ("cid", "message"),
    [
        ("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "starting with 'b'"),
        (EMPTY_CID.upper(), "starting with 'b'"),
        ("b" + EMPTY_CID[1:].upper(), "lowercase"),
        (EMPTY_CID[:-1] + "1", "not base32"),
        (EMPTY_CID[:-8], "not a CIDv1 of a raw block"),
        (
            "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
            "not a CIDv1 of a raw block",
        ),
        (EMPTY_CID[:-1] + "v", "not the canonical base32"),
        ("b", "not a CIDv1"),
    ],
    ids=[
        "cidv0",
        "uppercase-prefix",
        "uppercase-body",
        "bad-character",
        "truncated",
        "dag-pb-codec",
        "non-canonical",
        "prefix-only",
    ],
)
def test_cid_to_digest__malformed__refused(cid, message):
    with pytest.raises(CidError, match=message):
        cid_to_digest(cid)


def test_digest_to_cid__not_32_bytes__refused():
    with pytest.raises(CidError, match="32 bytes, got 31"):
        digest_to_cid(bytes(31))
