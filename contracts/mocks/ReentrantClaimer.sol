// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILearningMarket} from "../../interfaces/ILearningMarket.sol";
import {IVerifierPool} from "../../interfaces/IVerifierPool.sol";
import {MarketActor} from "./MarketActor.sol";

/// @title ReentrantClaimer
/// @notice Test double: a market participant whose `receive` calls back into the market (or
/// the pool) while being paid, to try to be paid twice. For tests only.
/// @dev Once armed with {arm}, the next payment it receives makes one call: {claim} or
/// {claimTo} (to itself) on the task `arm` names, which may be the task being paid or
/// another one, or the pool's `withdrawBond`. If that call fails, its revert is bubbled up (so the payment, and the claim
/// that made it, revert), unless `swallow` is set: then the revert data is kept in
/// {lastError} and the payment is accepted. {reentered} records a reentrant call that
/// succeeded, which the market must never allow.
contract ReentrantClaimer is MarketActor {
    enum Attack {
        None,
        Claim,
        ClaimTo,
        WithdrawBond
    }

    Attack public attack;
    uint256 public attackTaskId;
    bool public swallow;
    bool public reentered;
    bytes public lastError;

    constructor(ILearningMarket market_) MarketActor(market_) {}

    /// @notice Makes the next payment received call `attack_` on `taskId`.
    function arm(Attack attack_, uint256 taskId, bool swallow_) external {
        attack = attack_;
        attackTaskId = taskId;
        swallow = swallow_;
    }

    /// @notice Takes a payment; once armed, makes its one reentrant call first.
    receive() external payable {
        Attack current = attack;
        if (current == Attack.None) return;
        attack = Attack.None; // one attempt per arming
        address target = address(market);
        bytes memory data;
        if (current == Attack.Claim) {
            data = abi.encodeCall(ILearningMarket.claim, (attackTaskId));
        } else if (current == Attack.ClaimTo) {
            data = abi.encodeCall(ILearningMarket.claimTo, (attackTaskId, payable(address(this))));
        } else {
            target = address(pool);
            data = abi.encodeCall(IVerifierPool.withdrawBond, ());
        }
        (bool ok, bytes memory returned) = target.call(data);
        if (ok) {
            reentered = true;
            return;
        }
        if (!swallow) {
            assembly ("memory-safe") {
                revert(add(returned, 32), mload(returned))
            }
        }
        lastError = returned;
    }
}
