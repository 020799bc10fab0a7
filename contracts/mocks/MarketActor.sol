// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILearningMarket} from "../../interfaces/ILearningMarket.sol";
import {IVerifierPool} from "../../interfaces/IVerifierPool.sol";

/// @title MarketActor
/// @notice Test double: a contract that takes part in the market itself (contributor, or pool
/// member drawn on panels), so that tests can give it a `receive` of their choosing. For tests only.
/// @dev Each function forwards to the market (or its pool) with this contract as `msg.sender`.
/// There is no access control: anyone may drive the actor (tests use one operator account).
abstract contract MarketActor {
    ILearningMarket public immutable market;
    IVerifierPool public immutable pool;

    /// @param market_ The market to act in; its pool is read from it.
    constructor(ILearningMarket market_) {
        market = market_;
        pool = IVerifierPool(market_.verifierPool());
    }

    /// @notice {ILearningMarket-commitModel}, as this contract.
    function commitModel(uint256 taskId, bytes32 commitment) external payable {
        market.commitModel{value: msg.value}(taskId, commitment);
    }

    /// @notice {ILearningMarket-revealModel}, as this contract.
    function revealModel(uint256 taskId, bytes32 modelDigest, bytes32 salt, string calldata uri) external {
        market.revealModel(taskId, modelDigest, salt, uri);
    }

    /// @notice {ILearningMarket-commitScores}, as this contract.
    function commitScores(uint256 taskId, bytes32 commitment) external {
        market.commitScores(taskId, commitment);
    }

    /// @notice {ILearningMarket-revealScores}, as this contract.
    function revealScores(uint256 taskId, bool testSetAvailable, uint16[] calldata scores, bytes32 salt) external {
        market.revealScores(taskId, testSetAvailable, scores, salt);
    }

    /// @notice {ILearningMarket-claim}, as this contract.
    function claim(uint256 taskId) external returns (uint256) {
        return market.claim(taskId);
    }

    /// @notice {ILearningMarket-claimTo}, as this contract.
    function claimTo(uint256 taskId, address payable recipient) external returns (uint256) {
        return market.claimTo(taskId, recipient);
    }

    /// @notice {IVerifierPool-register}, as this contract (send the bond).
    function register() external payable {
        pool.register{value: msg.value}();
    }

    /// @notice {IVerifierPool-requestExit}, as this contract.
    function requestExit() external {
        pool.requestExit();
    }

    /// @notice {IVerifierPool-withdrawBond}, as this contract.
    function withdrawBond() external returns (uint256) {
        return pool.withdrawBond();
    }
}
