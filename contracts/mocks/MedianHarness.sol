// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Median} from "../libraries/Median.sol";

/// @title MedianHarness
/// @notice Test harness, never deployed on a real network: exposes the internal {Median}
/// library so property tests can compare it with a model.
contract MedianHarness {
    /// @notice {Median-compute} of `values`, and `values` as the library leaves them (sorted).
    function compute(uint256[] memory values) external pure returns (uint256 median, uint256[] memory sorted) {
        median = Median.compute(values);
        sorted = values;
    }
}
