// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title RewardSplit
/// @notice How the market divides money: fees in basis points, weights above a baseline,
/// pro-rata shares, and the honest panel members' per-head fee. Every division rounds down;
/// what is left is dust (the market returns it to the initiator, or burns it when the divided
/// amount holds slashed wei).
library RewardSplit {
    /// @dev 100% in basis points: the unit of every fee, score, baseline and tolerance.
    uint256 internal constant BPS = 10_000;

    /// @notice `amount * bps / 10000`, rounded down.
    function fee(uint256 amount, uint256 bps) internal pure returns (uint256) {
        return Math.mulDiv(amount, bps, BPS);
    }

    /// @notice How far `score` beats `baseline`: `max(0, score - baseline)`.
    function weight(uint256 score, uint256 baseline) internal pure returns (uint256) {
        return score > baseline ? score - baseline : 0;
    }

    /// @notice The part of `pool` that `share` of `total` earns, rounded down.
    /// @dev Monotone in `share`. Zero when `total` is zero.
    function proRata(uint256 pool, uint256 share, uint256 total) internal pure returns (uint256) {
        return total == 0 ? 0 : Math.mulDiv(pool, share, total);
    }

    /// @notice `pool` divided equally among `count` (zero when `count` is zero). Used only for
    /// the honest panel members' fee: contributors are always paid by weight.
    function equalShare(uint256 pool, uint256 count) internal pure returns (uint256) {
        return count == 0 ? 0 : pool / count;
    }
}
