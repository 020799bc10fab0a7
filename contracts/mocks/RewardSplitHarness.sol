// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RewardSplit} from "../libraries/RewardSplit.sol";

/// @title RewardSplitHarness
/// @notice Test harness, never deployed on a real network: exposes the internal {RewardSplit}
/// library so property tests can compare it with a model.
contract RewardSplitHarness {
    /// @notice {RewardSplit-fee}.
    function fee(uint256 amount, uint256 bps) external pure returns (uint256) {
        return RewardSplit.fee(amount, bps);
    }

    /// @notice {RewardSplit-weight}.
    function weight(uint256 score, uint256 baseline) external pure returns (uint256) {
        return RewardSplit.weight(score, baseline);
    }

    /// @notice {RewardSplit-proRata}.
    function proRata(uint256 pool, uint256 share, uint256 total) external pure returns (uint256) {
        return RewardSplit.proRata(pool, share, total);
    }

    /// @notice {RewardSplit-proRata} of `pool` for each of `shares`, out of their sum: how the
    /// market splits a contributors' pool by weight (the sum must not overflow).
    function proRataAll(uint256 pool, uint256[] memory shares) external pure returns (uint256[] memory parts) {
        uint256 total;
        for (uint256 i; i < shares.length; ++i) {
            total += shares[i];
        }
        parts = new uint256[](shares.length);
        for (uint256 i; i < shares.length; ++i) {
            parts[i] = RewardSplit.proRata(pool, shares[i], total);
        }
    }

    /// @notice {RewardSplit-equalShare}.
    function equalShare(uint256 pool, uint256 count) external pure returns (uint256) {
        return RewardSplit.equalShare(pool, count);
    }
}
