"""The market's commitments, computed off chain exactly as the contract computes them (its views
`modelCommitment`, `scoreCommitment`, `shardCommitment` and `testSetCommitment`)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from eth_abi import encode
from eth_utils import keccak


def new_salt() -> bytes:
    """32 random bytes: the secret that keeps a commitment hiding until it is opened."""
    return secrets.token_bytes(32)


def model_commitment(
    chain_id: int, market: str, task_id: int, contributor: str, model_digest: bytes, salt: bytes
) -> bytes:
    """`keccak256(abi.encode(chainid, market, taskId, contributor, modelDigest, salt))`."""
    return keccak(
        encode(
            ["uint256", "address", "uint256", "address", "bytes32", "bytes32"],
            [chain_id, market, task_id, contributor, model_digest, salt],
        )
    )


def score_commitment(
    chain_id: int,
    market: str,
    task_id: int,
    verifier: str,
    test_set_available: bool,
    scores: Sequence[int],
    salt: bytes,
) -> bytes:
    """`keccak256(abi.encode(chainid, market, taskId, verifier, testSetAvailable, scores, salt))`: the
    member's vote, then its scores (a uint16[]: the starting model's first, then one per submission)."""
    return keccak(
        encode(
            ["uint256", "address", "uint256", "address", "bool", "uint16[]", "bytes32"],
            [chain_id, market, task_id, verifier, bool(test_set_available), list(scores), salt],
        )
    )


def shard_commitment(shard_digest: bytes, salt: bytes) -> bytes:
    """`keccak256(abi.encode(shardDigest, salt))`: the commitment to one test shard."""
    return keccak(encode(["bytes32", "bytes32"], [shard_digest, salt]))


def test_set_commitment(chain_id: int, market: str, initiator: str, shard_commitments: Sequence[bytes]) -> bytes:
    """`keccak256(abi.encode(chainid, market, initiator, shardCommitments))`, the K shard commitments in
    shard order: what an initiator puts in TaskParams.testSetCommitment."""
    return keccak(
        encode(
            ["uint256", "address", "address", "bytes32[]"],
            [chain_id, market, initiator, list(shard_commitments)],
        )
    )


test_set_commitment.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite its name


def audit_indices(mask: int) -> list[int]:
    """The shard indices whose bit is set in an audit mask, in increasing order."""
    return [i for i in range(mask.bit_length()) if mask >> i & 1]


def test_indices(mask: int, shards: int) -> list[int]:
    """The shards of K not in the audit mask (the test set), in increasing order."""
    return [i for i in range(shards) if not mask >> i & 1]


test_indices.__test__ = False  # type: ignore[attr-defined]
