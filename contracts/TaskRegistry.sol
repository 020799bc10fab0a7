// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILearningMarketTypes} from "../interfaces/ILearningMarket.sol";
import {Randomness} from "./libraries/Randomness.sol";
import {RewardSplit} from "./libraries/RewardSplit.sol";

/// @title TaskRegistry
/// @notice The market's state (every task, its participants, panels, scores and shards) and the
/// rules every part of the market reads it by: phases, entitlements' building blocks, burns.
/// @dev Both the market ({LearningMarket}) and its setup module ({TaskSetup}, run by
/// delegatecall) inherit this contract and declare no state of their own, so they share one
/// storage layout (a test compares the two layouts slot by slot).
/// @dev A task's phase is never stored: it follows from the six deadlines fixed at creation,
/// from the block number (an audit not drawn within 256 blocks of its seed block can no longer
/// be drawn) and from facts that only become true (cancelled, audit drawn and revealed, panel
/// drawn, a model revealed, test set revealed, finalized). So no phase can be skipped or
/// repeated, and nobody has to poke the contract to move time on. A window includes its
/// deadline: an action of the Commit phase succeeds at `commitDeadline` and fails one second later.
abstract contract TaskRegistry is ILearningMarketTypes {
    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice Most contributors any task may accept; with the panel cap, it bounds every loop
    /// and keeps a full score reveal and each finalize batch well inside a block.
    uint256 public constant MAX_CONTRIBUTORS_CAP = 512;
    /// @notice Largest panel: member sets are 64-bit masks, and panels are odd.
    uint256 public constant MAX_PANEL_SIZE = 63;
    /// @notice Most shards of a test set: the audit mask is 32 bits.
    uint256 public constant MAX_TEST_SHARDS = 32;

    /// @dev The last of the finalize stages ({LearningMarket} has the others): settled.
    uint8 internal constant STAGE_DONE = 3;

    /// @dev `params` as created (slots 0-5), then the task's state.
    struct Task {
        TaskParams params;
        // slot 6
        address initiator;
        uint96 reward;
        // slot 7
        uint16 committedCount;
        uint16 revealedCount;
        uint16 finalizeCursor;
        uint8 finalizeStage;
        bool cancelled;
        bool auditRevealed;
        bool testRevealed;
        bool initiatorClaimed;
        uint32 auditMask; // bit i: shard i is audited (0 until drawn)
        uint16 panelDrawn; // members drawn: 0 until the draw, then panelSize
        Basis basis;
        uint16 startMedian;
        uint16 baseline;
        uint64 totalWeight;
        bool contested; // a median lacked the support of a majority of the revealing members
        // slot 8: panel member sets, bit i = the member drawn i-th
        uint64 revealedMembers;
        uint64 availableVotes;
        uint64 countedMembers;
        uint64 flaggedMembers;
        // slot 9
        uint64 auditSeedBlock;
        uint64 panelSeedBlock;
        uint64 panelRequestBlock;
        uint32 poolSizeAtRequest;
        // slots 10-14
        bytes32 fusedModelDigest;
        bytes32 seed;
        uint128 paidOut;
        uint128 slashed;
        // fixed when the task settles
        uint128 burned;
        uint128 contributorPool;
        uint128 rewardsTotal;
        uint128 feePerVerifier;
        uint128 initiatorRefund;
    }

    /// @dev What an address is in one task. The initiator has no record: its claim is in the task.
    struct Member {
        Role role;
        bool claimed;
        bool revealed; // contributor: model revealed; verifier: scores revealed
        bool testSetAvailable; // verifier: its vote
        uint16 index; // contributor: submission index once revealed; verifier: draw order
        // contributor: model commitment, then (spent by the reveal) the model digest;
        // verifier: score commitment
        bytes32 commitment;
    }

    struct Submission {
        address contributor;
        uint16 medianScore;
    }

    /// @dev Shortest window between two deadlines, in seconds.
    uint64 internal immutable _minWindow;
    /// @dev Share of the reward burned when a task ends without a revealed model (bps).
    uint16 internal immutable _forfeitBps;

    // Slither reads the market and its module apart: some variables are written only by the
    // module (by delegatecall, in the market's storage), some used only by the market; both
    // declare them all so that their layouts agree (docs/slither-triage.md).
    // slither-disable-next-line uninitialized-state,constable-states
    uint256 internal _taskCount;
    uint256 internal _totalBurned;
    mapping(uint256 taskId => Task) internal _tasks;
    // slither-disable-next-line unused-state
    mapping(uint256 taskId => mapping(address account => Member)) internal _members;
    /// @dev The members of each task's panel, in draw order (a member's index in the panel).
    // slither-disable-next-line unused-state
    mapping(uint256 taskId => address[]) internal _panels;
    // slither-disable-next-line unused-state
    mapping(uint256 taskId => Submission[]) internal _submissions;
    /// @dev Each panel member's scores, packed by {ScoreBook}.
    // slither-disable-next-line unused-state
    mapping(uint256 taskId => mapping(uint256 memberIndex => uint256[])) internal _scores;
    /// @dev Market-wide: the task in which each model digest was revealed.
    // slither-disable-next-line unused-state
    mapping(bytes32 modelDigest => uint256 taskId) internal _revealedIn;
    /// @dev The shard digests revealed so far (zero: not yet).
    // slither-disable-next-line uninitialized-state
    mapping(uint256 taskId => bytes32[MAX_TEST_SHARDS]) internal _shardDigests;

    /// @param minWindow_ Shortest window between two deadlines, in seconds: long enough for
    /// every participant to act (hours on a real network; a minute is enough on a local chain).
    /// @param forfeitBps_ Share of the reward burned when a task ends without a revealed model
    /// (below 10000): what re-rolling the audit by abandoning a task costs.
    constructor(uint64 minWindow_, uint16 forfeitBps_) {
        if (minWindow_ == 0) revert ZeroMinWindow();
        if (forfeitBps_ >= RewardSplit.BPS) revert InvalidBps(forfeitBps_);
        _minWindow = minWindow_;
        _forfeitBps = forfeitBps_;
    }

    /*//////////////////////////////////////////////////////////////
                                 PHASES
    //////////////////////////////////////////////////////////////*/

    function _phase(Task storage task) internal view returns (Phase) {
        if (task.initiator == address(0)) return Phase.None;
        if (task.cancelled) return Phase.Cancelled;
        if (task.finalizeStage == STAGE_DONE) return task.revealedCount != 0 ? Phase.Finalized : Phase.Unfulfilled;
        uint256 time = block.timestamp;
        if (!task.auditRevealed) {
            // The audit must be drawn while its seed is readable: waiting for the hash to
            // expire, to draw again, only voids the task (and burns its forfeit).
            bool drawable = task.auditMask != 0 || !Randomness.expired(task.auditSeedBlock);
            return time <= task.params.auditDeadline && drawable ? Phase.Audit : Phase.Void;
        }
        if (time <= task.params.commitDeadline) return Phase.Commit;
        if (time <= task.params.revealDeadline) return Phase.Reveal;
        // No model: with a panel, finalize must release it; without, nothing is left to do.
        if (task.revealedCount == 0) return task.panelDrawn != 0 ? Phase.Finalizing : Phase.Unfulfilled;
        if (!task.testRevealed && time <= task.params.testRevealDeadline) return Phase.TestReveal;
        // A withheld test set does not stop the task: the panel scores on the audit shards.
        if (time <= task.params.scoreCommitDeadline) return Phase.ScoreCommit;
        if (time <= task.params.scoreRevealDeadline) return Phase.ScoreReveal;
        return Phase.Finalizing;
    }

    /// @dev Whether the task is settled in `phase`: its entitlements are fixed and claims are open.
    function _settled(Phase phase) internal pure returns (bool) {
        return phase == Phase.Finalized || phase == Phase.Cancelled || phase == Phase.Unfulfilled
            || phase == Phase.Void;
    }

    /// @dev Reverts with {WrongPhase} unless `current` is `required`.
    function _requirePhase(uint256 taskId, Phase current, Phase required) internal pure {
        if (current != required) revert WrongPhase(taskId, current, required);
    }

    /// @dev Reverts with {WrongPhase} unless the task is in `required` now.
    function _requirePhase(uint256 taskId, Task storage task, Phase required) internal view {
        _requirePhase(taskId, _phase(task), required);
    }

    /// @dev The task, or a {TaskNotFound} revert.
    function _existing(uint256 taskId) internal view returns (Task storage task) {
        task = _tasks[taskId];
        if (task.initiator == address(0)) revert TaskNotFound(taskId);
    }

    /// @dev Reverts with {NotInitiator} unless the caller is the task's initiator.
    function _requireInitiator(uint256 taskId, Task storage task) internal view {
        if (msg.sender != task.initiator) revert NotInitiator(taskId, msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                                 MONEY
    //////////////////////////////////////////////////////////////*/

    /// @dev What a task that ends without a revealed model burns: `forfeitBps` of its reward.
    function _forfeit(Task storage task) internal view returns (uint256) {
        return RewardSplit.fee(task.reward, _forfeitBps);
    }

    /// @dev Stakes of the contributors that committed and never revealed: forfeit.
    function _forfeitedContributorStakes(Task storage task) internal view returns (uint256) {
        return uint256(task.committedCount - task.revealedCount) * task.params.contributorStake;
    }

    /// @dev Records `amount` as burned by the task: it stays in the market forever.
    function _burn(uint256 taskId, Task storage task, uint256 amount) internal {
        task.burned = uint128(amount); // fits: part of the task's deposits, below 2^107
        if (amount != 0) {
            _totalBurned += amount;
            emit Burned(taskId, amount);
        }
    }

    /// @dev Number of set bits (one iteration per set bit).
    function _popcount(uint256 bits) internal pure returns (uint256 count) {
        for (; bits != 0; bits &= bits - 1) {
            ++count;
        }
    }
}
