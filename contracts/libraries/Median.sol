// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Median
/// @notice The median of a short list of scores.
/// @dev Sorts in place by insertion. The list is one score per verifier, at most the
/// market's panel cap (63), and nearly sorted or all equal when verifiers agree: there
/// insertion sort is linear, where OpenZeppelin's {Arrays-sort} (a quicksort with the first
/// element as pivot) is quadratic. See docs/gas.md.
library Median {
    /// @notice The middle value of `values`; for an even count, the mean of the two middle
    /// values rounded down. `values` must not be empty; it is left sorted.
    function compute(uint256[] memory values) internal pure returns (uint256) {
        uint256 count = values.length;
        unchecked {
            for (uint256 i = 1; i < count; ++i) {
                uint256 value = values[i];
                uint256 j = i;
                for (; j != 0 && values[j - 1] > value; --j) {
                    values[j] = values[j - 1];
                }
                values[j] = value;
            }
        }
        uint256 upper = values[count / 2];
        if (count % 2 == 1) return upper;
        // floor((a + b) / 2) without overflow
        uint256 lower = values[count / 2 - 1];
        return lower + (upper - lower) / 2;
    }
}
