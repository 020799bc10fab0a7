// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ScoreBook} from "../libraries/ScoreBook.sol";

/// @title ScoreBookHarness
/// @notice Test harness, never deployed on a real network: exposes the internal {ScoreBook}
/// library (one book of scores in storage) so property tests can compare it with a model.
contract ScoreBookHarness {
    using ScoreBook for uint256[];

    uint256[] private _words;

    /// @notice {ScoreBook-store}: writes `scores` into the book, which must be empty.
    function store(uint16[] calldata scores) external {
        _words.store(scores);
    }

    /// @notice {ScoreBook-at}.
    function at(uint256 index) external view returns (uint16) {
        return _words.at(index);
    }

    /// @notice {ScoreBook-wordOf}.
    function wordOf(uint256 index) external pure returns (uint256) {
        return ScoreBook.wordOf(index);
    }

    /// @notice {ScoreBook-fromWord}.
    function fromWord(uint256 word, uint256 index) external pure returns (uint16) {
        return ScoreBook.fromWord(word, index);
    }

    /// @notice {ScoreBook-load}.
    function load(uint256 count) external view returns (uint16[] memory) {
        return _words.load(count);
    }

    /// @notice The storage words, as the library packed them.
    function words() external view returns (uint256[] memory) {
        return _words;
    }
}
