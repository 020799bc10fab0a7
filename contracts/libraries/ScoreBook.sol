// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ScoreBook
/// @notice Scores in storage, sixteen `uint16` to a slot.
/// @dev A verifier's scores for 200 submissions take 13 slots instead of 200.
library ScoreBook {
    uint256 private constant PER_WORD = 16;

    /// @notice Writes `scores` into `words`, which must be empty.
    function store(uint256[] storage words, uint16[] calldata scores) internal {
        uint256 count = scores.length;
        // slither-disable-next-line uninitialized-local (an empty word)
        uint256 word;
        for (uint256 i; i < count; ++i) {
            word |= uint256(scores[i]) << ((i % PER_WORD) * 16);
            if (i % PER_WORD == PER_WORD - 1 || i == count - 1) {
                words.push(word);
                word = 0;
            }
        }
    }

    /// @notice The score at `index`.
    function at(uint256[] storage words, uint256 index) internal view returns (uint16) {
        return fromWord(words[wordOf(index)], index);
    }

    /// @notice Which word holds the score at `index`.
    function wordOf(uint256 index) internal pure returns (uint256) {
        return index / PER_WORD;
    }

    /// @notice The score at `index`, read from the word that holds it.
    function fromWord(uint256 word, uint256 index) internal pure returns (uint16) {
        return uint16(word >> ((index % PER_WORD) * 16)); // intended: keeps the 16 bits of this score
    }

    /// @notice The first `count` scores.
    function load(uint256[] storage words, uint256 count) internal view returns (uint16[] memory scores) {
        scores = new uint16[](count);
        for (uint256 i; i < count; ++i) {
            scores[i] = at(words, i);
        }
    }
}
