// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILearningMarket} from "../../interfaces/ILearningMarket.sol";
import {MarketActor} from "./MarketActor.sol";

/// @title RevertingReceiver
/// @notice Test double: a market participant that refuses every payment, to show that it can
/// block only its own claim (and can still be paid through {MarketActor-claimTo}). For tests
/// only.
contract RevertingReceiver is MarketActor {
    /// @notice Thrown on every payment this contract is sent.
    error PaymentRefused(uint256 amount);

    constructor(ILearningMarket market_) MarketActor(market_) {}

    /// @notice Refuses every payment.
    receive() external payable {
        revert PaymentRefused(msg.value);
    }
}
