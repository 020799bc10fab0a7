// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Randomness} from "../libraries/Randomness.sol";

/// @title RandomnessHarness
/// @notice Test harness, never deployed on a real network: exposes the internal {Randomness}
/// library so property tests can compare it with a model in Python.
contract RandomnessHarness {
    /// @notice {Randomness-at}.
    function at(bytes32 seed, uint256 j, uint256 n) external pure returns (uint256) {
        return Randomness.at(seed, j, n);
    }

    /// @notice {Randomness-distinct}.
    function distinct(bytes32 seed, uint256 k, uint256 n) external pure returns (uint256) {
        return Randomness.distinct(seed, k, n);
    }

    /// @notice {Randomness-seed}, bound to this harness's address.
    function seed(uint256 seedBlock, uint256 taskId, bytes32 tag) external view returns (bytes32) {
        return Randomness.seed(seedBlock, taskId, tag);
    }

    /// @notice {Randomness-readable}.
    function readable(uint256 seedBlock) external view returns (bool) {
        return Randomness.readable(seedBlock);
    }
}
