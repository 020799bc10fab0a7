// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Arrays} from "@openzeppelin/contracts/utils/Arrays.sol";

/// @title Median
/// @notice The median of a short list of scores.
/// @dev Sorts in place with OpenZeppelin's {Arrays-sort}. The list is bounded by the
/// market's verifier cap, so the sort is bounded too.
library Median {
    /// @notice The middle value of `values`; for an even count, the mean of the two middle
    /// values rounded down. `values` must not be empty; it is left sorted.
    function compute(uint256[] memory values) internal pure returns (uint256) {
        uint256 count = values.length;
        // slither-disable-next-line unused-return (sorts in place and returns the same array)
        Arrays.sort(values);
        uint256 upper = values[count / 2];
        if (count % 2 == 1) return upper;
        // floor((a + b) / 2) without overflow
        uint256 lower = values[count / 2 - 1];
        return lower + (upper - lower) / 2;
    }
}
