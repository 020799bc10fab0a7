"""The market's randomness, in Python: seeds from block hashes, draw steps, the audit draw and
the panel draw, written from the contracts' NatSpec (contracts/libraries/Randomness.sol,
VerifierPool.drawPanel) to check them against."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

AUDIT_TAG = b"audit".ljust(32, b"\0")
PANEL_TAG = b"panel".ljust(32, b"\0")


def seed(block_hash: bytes, chain_id: int, market: str, task_id: int, tag: bytes) -> bytes:
    return keccak(
        encode(
            ["bytes32", "uint256", "address", "uint256", "bytes32"],
            [block_hash, chain_id, market, task_id, tag],
        )
    )


def at(seed_: bytes, j: int, n: int) -> int:
    """Draw step j: a number in [0, n)."""
    return int.from_bytes(keccak(encode(["bytes32", "uint256"], [seed_, j])), "big") % n


def distinct(seed_: bytes, k: int, n: int) -> int:
    """k distinct indices of [0, n) by a partial Fisher-Yates shuffle, as a bit mask."""
    order = list(range(n))
    mask = 0
    for i in range(k):
        j = i + at(seed_, i, n - i)
        order[i], order[j] = order[j], order[i]
        mask |= 1 << order[i]
    return mask


def draw_panel(seed_: bytes, pool_size: int, eligible: list[bool], needed: int) -> list[int]:
    """The pool's draw: indices of the members drawn, in draw order (`eligible[i]`: member i
    may sit on this panel: eligible as of the request block, neither initiator nor
    contributor)."""
    found: list[int] = []
    for j in range(8 * needed + 32 if pool_size else 0):
        if len(found) == needed:
            break
        index = at(seed_, j, pool_size)
        if eligible[index] and index not in found:
            found.append(index)
    return found
