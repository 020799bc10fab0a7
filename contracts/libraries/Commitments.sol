// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Commitments
/// @notice The three commitments of the market, each domain-separated by chain and market
/// and bound to its sender, so a commitment can be neither copied by another address nor
/// replayed in another task, deployment or chain.
/// @dev `abi.encode`, never `abi.encodePacked`: every field has a fixed width or a length
/// prefix, so no two different inputs share an encoding.
library Commitments {
    /// @notice A contributor's commitment to a model file.
    function model(uint256 taskId, address contributor, bytes32 modelDigest, bytes32 salt)
        internal
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), taskId, contributor, modelDigest, salt));
    }

    /// @notice A verifier's commitment to its scores, one per submission in reveal order.
    function scores(uint256 taskId, address verifier, uint16[] memory scoreList, bytes32 salt)
        internal
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), taskId, verifier, scoreList, salt));
    }

    /// @notice An initiator's commitment to its test set, made before the task id exists.
    function testSet(address initiator, bytes32 testDigest, bytes32 salt) internal view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), initiator, testDigest, salt));
    }
}
