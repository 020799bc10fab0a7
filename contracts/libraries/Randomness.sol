// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Randomness
/// @notice Seeds from the hash of a block fixed before anyone could know it, and draws from them.
/// @dev The market fixes a *future* block (the next one) when a draw is requested and reads its
/// hash later. Nobody who acts before that block is mined knows the hash. The EVM serves the
/// hashes of the last 256 blocks only (`blockhash` is 0 otherwise), so a seed is readable from
/// `seedBlock + 1` to `seedBlock + 256` included, and never again. What is left to a block's
/// proposer is to publish its block or not (docs/threat-model.md). A seed mixes in the chain,
/// the market, the task and a domain tag, so no two draws share one.
library Randomness {
    /// @dev Blocks whose hash `blockhash` serves, counting back from the current one.
    uint256 internal constant WINDOW = 256;

    /// @notice Whether the hash of `seedBlock` can be read now.
    function readable(uint256 seedBlock) internal view returns (bool) {
        return block.number > seedBlock && !expired(seedBlock);
    }

    /// @notice Whether the hash of `seedBlock` can no longer be read.
    function expired(uint256 seedBlock) internal view returns (bool) {
        return block.number > seedBlock + WINDOW;
    }

    /// @notice The seed of draw `tag` in task `taskId`. The hash of `seedBlock` must be readable.
    function seed(uint256 seedBlock, uint256 taskId, bytes32 tag) internal view returns (bytes32) {
        return keccak256(abi.encode(blockhash(seedBlock), block.chainid, address(this), taskId, tag));
    }

    /// @notice Draw step `j` of `seed`: a number in `[0, n)` (`n` > 0). The bias of the modulo
    /// is below `n / 2^256`.
    function at(bytes32 seed_, uint256 j, uint256 n) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed_, j))) % n;
    }

    /// @notice `k` distinct indices of `[0, n)`, as a bit mask, by a partial Fisher-Yates
    /// shuffle of `[0, n)` driven by steps 0..k-1 of `seed` (`k <= n <= 256`).
    function distinct(bytes32 seed_, uint256 k, uint256 n) internal pure returns (uint256 mask) {
        uint256[] memory order = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            order[i] = i;
        }
        for (uint256 i; i < k; ++i) {
            uint256 j = i + at(seed_, i, n - i);
            (order[i], order[j]) = (order[j], order[i]);
            mask |= 1 << order[i];
        }
    }
}
