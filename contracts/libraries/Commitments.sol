// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Commitments
/// @notice The commitments of the market. Model and score commitments are domain-separated by
/// chain and market and bound to their sender and task, so they can be neither copied by
/// another address nor replayed in another task, deployment or chain. The test set commitment
/// is bound to chain, market and initiator (it is made before the task id exists); a shard
/// commitment only hides one shard, and takes its domain from the test set commitment that
/// lists it.
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

    /// @notice A panel member's commitment to its vote (scored on the test shards, or on the
    /// audit shards) and its scores: the starting model first, then one per submission.
    function scores(uint256 taskId, address verifier, bool testSetAvailable, uint16[] memory scoreList, bytes32 salt)
        internal
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), taskId, verifier, testSetAvailable, scoreList, salt));
    }

    /// @notice The commitment to one shard file: its SHA-256 digest under a fresh salt (so that
    /// opening some shards reveals nothing of the others).
    function shard(bytes32 shardDigest, bytes32 salt) internal pure returns (bytes32) {
        return keccak256(abi.encode(shardDigest, salt));
    }

    /// @notice An initiator's commitment to its test set: its K shard commitments, in shard order.
    function testSet(address initiator, bytes32[] memory shardCommitments) internal view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), initiator, shardCommitments));
    }
}
