// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ILearningMarket} from "../interfaces/ILearningMarket.sol";
import {IVerifierPool} from "../interfaces/IVerifierPool.sol";
import {Randomness} from "./libraries/Randomness.sol";
import {TaskRegistry} from "./TaskRegistry.sol";
import {VerifierPool} from "./VerifierPool.sol";

/// @title PanelDraw
/// @notice Each task's scoring panel, drawn from the market's verifier pool after the commit
/// deadline (so the initiator can no longer cancel and retry), from the hash of a block fixed
/// when the draw is requested. The initiator and the task's contributors are never drawn.
/// @dev Request and draw are two transactions: `requestPanel` fixes the next block as the
/// seed block and the pool's size and eligibility as of the request block; `drawPanel` reads
/// the seed block's hash, within 256 blocks (after that, request again), and has the pool draw
/// the members ({IVerifierPool-drawPanel}). Anyone may call both, so nobody can stop a draw;
/// the pool's eligibility rule ({IVerifierPool-candidateAt}) leaves nobody a way to join the
/// panel once the hash is known.
abstract contract PanelDraw is ILearningMarket, TaskRegistry, ReentrancyGuardTransient {
    /// @dev Domain tag of the panel draw's seed.
    bytes32 internal constant PANEL_TAG = "panel";

    /// @notice The market's verifier pool, deployed by the market's constructor.
    IVerifierPool internal immutable _pool;

    /// @param verifierBond The pool's bond of one seat (wei).
    /// @param slashAmount What a member loses per panel on which it fails (wei, <= bond).
    /// @param unbondingPeriod Seconds between a member's exit request and its withdrawal.
    constructor(uint96 verifierBond, uint96 slashAmount, uint64 unbondingPeriod) {
        _pool = new VerifierPool(verifierBond, slashAmount, unbondingPeriod);
    }

    /// @notice Takes the slashed bonds the pool sends when it dismisses a panel, and nothing else.
    receive() external payable {
        if (msg.sender != address(_pool)) revert NotVerifierPool(msg.sender);
    }

    /// @inheritdoc ILearningMarket
    function verifierPool() external view returns (address) {
        return address(_pool);
    }

    /// @inheritdoc ILearningMarket
    function requestPanel(uint256 taskId) external {
        Task storage task = _existing(taskId);
        _requirePhase(taskId, task, Phase.Reveal);
        if (task.committedCount == 0) revert NoCommitments(taskId);
        if (task.panelDrawn != 0) revert PanelAlreadyDrawn(taskId);
        uint256 pending = task.panelSeedBlock;
        if (pending != 0 && !Randomness.expired(pending)) revert PanelAlreadyRequested(taskId, pending);

        // fit: block numbers are far below 2^64; the pool's list is indexed by uint32 slots
        task.panelSeedBlock = uint64(block.number + 1);
        task.panelRequestBlock = uint64(block.number);
        task.poolSizeAtRequest = uint32(_pool.size());
        emit PanelRequested(taskId, block.number + 1);
    }

    /// @inheritdoc ILearningMarket
    // slither-disable-next-line reentrancy-benign (the pool is this market's own; nonReentrant)
    function drawPanel(uint256 taskId) external nonReentrant {
        Task storage task = _existing(taskId);
        _requirePhase(taskId, task, Phase.Reveal);
        if (task.panelDrawn != 0) revert PanelAlreadyDrawn(taskId);
        uint256 seedBlock = task.panelSeedBlock;
        if (seedBlock == 0) revert PanelNotRequested(taskId);
        if (block.number <= seedBlock) revert RandomnessNotReady(taskId, seedBlock);
        if (Randomness.expired(seedBlock)) revert RandomnessExpired(taskId, seedBlock);

        bytes32 seed = Randomness.seed(seedBlock, taskId, PANEL_TAG);
        uint256 needed = task.params.panelSize;
        // The pool is this market's own contract (deployed by its constructor): a trusted call.
        address[] memory members = _pool.drawPanel(
            taskId, seed, task.poolSizeAtRequest, task.panelRequestBlock, needed, task.initiator
        );
        if (members.length < needed) revert PanelUnfilled(taskId, members.length, needed);

        task.seed = seed;
        task.panelDrawn = uint16(needed); // fits: panelSize, a uint16
        mapping(address => Member) storage roles = _members[taskId];
        for (uint256 i; i < needed; ++i) {
            Member storage member = roles[members[i]];
            member.role = Role.Verifier;
            member.index = uint16(i); // fits: i < panelSize <= 63
        }
        _panels[taskId] = members;
        emit PanelDrawn(taskId, seed, members);
    }

    /// @inheritdoc ILearningMarket
    function taskSeed(uint256 taskId) external view returns (bytes32) {
        return _existing(taskId).seed;
    }
}
