// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ILearningMarket} from "../interfaces/ILearningMarket.sol";
import {PanelDraw} from "./PanelDraw.sol";

/// @title Escrow
/// @notice Pull payments out of a task's escrow: each address claims what it is owed, once.
/// @dev The market never pushes ETH. A claim zeroes the entitlement (marks it claimed)
/// before paying, under a reentrancy guard, with {Address-sendValue}; a recipient that
/// reverts fails its own claim only. Funds of one task pay only that task's entitlements:
/// `paidOut` plus what the task burned never exceeds what it took in (checked by the
/// conservation tests). Panel members' bonds never enter the market: a member's claim pays
/// its fee only.
abstract contract Escrow is PanelDraw {
    /// @inheritdoc ILearningMarket
    function claim(uint256 taskId) external returns (uint256 amount) {
        return _claim(taskId, payable(msg.sender));
    }

    /// @inheritdoc ILearningMarket
    function claimTo(uint256 taskId, address payable recipient) external returns (uint256 amount) {
        return _claim(taskId, recipient);
    }

    function _claim(uint256 taskId, address payable recipient) private nonReentrant returns (uint256 amount) {
        if (recipient == address(0)) revert ZeroRecipient();
        Task storage task = _existing(taskId);
        if (_claimed(taskId, msg.sender)) revert AlreadyClaimed(taskId, msg.sender);
        amount = _entitlement(taskId, task, msg.sender);
        if (amount == 0) revert NothingToClaim(taskId, msg.sender);

        _markClaimed(taskId, msg.sender);
        task.paidOut += uint128(amount); // fits: a task never pays out more than its deposits (< 2^128)
        emit Claimed(taskId, msg.sender, recipient, amount);

        Address.sendValue(recipient, amount);
    }

    /// @dev Everything `account` is owed in the task, claimed or not. Reverts with
    /// {WrongPhase} if the task is not settled yet.
    function _entitlement(uint256 taskId, Task storage task, address account) internal view virtual returns (uint256);

    /// @dev Whether `account` has claimed in the task.
    function _claimed(uint256 taskId, address account) internal view virtual returns (bool);

    /// @dev Records that `account` has claimed in the task.
    function _markClaimed(uint256 taskId, address account) internal virtual;
}
