// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Commitments} from "../libraries/Commitments.sol";

/// @title CommitmentsHarness
/// @notice Test harness, never deployed on a real network: exposes the internal {Commitments}
/// library so property tests can compare it with eth_abi and keccak in Python. The library
/// binds every commitment to `address(this)`: here, the harness's address.
contract CommitmentsHarness {
    /// @notice {Commitments-model}.
    function model(uint256 taskId, address contributor, bytes32 modelDigest, bytes32 salt)
        external
        view
        returns (bytes32)
    {
        return Commitments.model(taskId, contributor, modelDigest, salt);
    }

    /// @notice {Commitments-scores}.
    function scores(uint256 taskId, address verifier, bool testSetAvailable, uint16[] memory scoreList, bytes32 salt)
        external
        view
        returns (bytes32)
    {
        return Commitments.scores(taskId, verifier, testSetAvailable, scoreList, salt);
    }

    /// @notice {Commitments-shard}.
    function shard(bytes32 shardDigest, bytes32 salt) external pure returns (bytes32) {
        return Commitments.shard(shardDigest, salt);
    }

    /// @notice {Commitments-testSet}.
    function testSet(address initiator, bytes32[] memory shardCommitments) external view returns (bytes32) {
        return Commitments.testSet(initiator, shardCommitments);
    }
}
