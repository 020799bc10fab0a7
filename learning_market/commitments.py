"""The market's three commitments, computed off chain exactly as the contract computes them."""

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
    chain_id: int, market: str, task_id: int, verifier: str, scores: Sequence[int], salt: bytes
) -> bytes:
    """`keccak256(abi.encode(chainid, market, taskId, verifier, scores, salt))`, scores a uint16[]."""
    return keccak(
        encode(
            ["uint256", "address", "uint256", "address", "uint16[]", "bytes32"],
            [chain_id, market, task_id, verifier, list(scores), salt],
        )
    )


def test_set_commitment(chain_id: int, market: str, initiator: str, test_digest: bytes, salt: bytes) -> bytes:
    """`keccak256(abi.encode(chainid, market, initiator, testDigest, salt))`."""
    return keccak(
        encode(
            ["uint256", "address", "address", "bytes32", "bytes32"],
            [chain_id, market, initiator, test_digest, salt],
        )
    )


test_set_commitment.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite its name
