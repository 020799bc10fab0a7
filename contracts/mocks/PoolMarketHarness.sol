// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILearningMarketTypes} from "../../interfaces/ILearningMarket.sol";
import {IVerifierPool} from "../../interfaces/IVerifierPool.sol";
import {VerifierPool} from "../VerifierPool.sol";

/// @title PoolMarketHarness
/// @notice Test harness, never deployed on a real network: plays the market for a
/// {VerifierPool} it deploys, so tests can draw panels with seeds of their choosing (the pool's
/// very draw code, in view calls: thousands of draws without a transaction each), and
/// dismiss and slash panels directly.
/// @dev `contributor` marks addresses that {roleOf} reports as contributors of every task.
contract PoolMarketHarness {
    IVerifierPool public immutable pool;
    mapping(address account => bool) public contributor;

    /// @notice Deploys the pool this harness is the market of, with these terms.
    constructor(uint96 verifierBond, uint96 slashAmount, uint64 unbondingPeriod) {
        pool = new VerifierPool(verifierBond, slashAmount, unbondingPeriod);
    }

    /// @notice Takes the slashed bonds the pool sends.
    receive() external payable {}

    /// @notice Marks `accounts` as contributors of every task (never drawn).
    function markContributors(address[] calldata accounts) external {
        for (uint256 i; i < accounts.length; ++i) {
            contributor[accounts[i]] = true;
        }
    }

    /// @notice What the pool's draw asks the market: the role of `account` in a task.
    function roleOf(uint256, address account) external view returns (ILearningMarketTypes.Role) {
        return contributor[account] ? ILearningMarketTypes.Role.Contributor : ILearningMarketTypes.Role.None;
    }

    /// @notice {IVerifierPool-drawPanel}, as the market.
    function drawPanel(
        uint256 taskId,
        bytes32 seed,
        uint256 poolSize,
        uint256 requestBlock,
        uint256 needed,
        address initiator
    ) external returns (address[] memory) {
        return pool.drawPanel(taskId, seed, poolSize, requestBlock, needed, initiator);
    }

    /// @notice {IVerifierPool-dismiss}, as the market.
    function dismiss(uint256 taskId, address[] calldata members, uint256 slashMask) external returns (uint256) {
        return pool.dismiss(taskId, members, slashMask);
    }
}
