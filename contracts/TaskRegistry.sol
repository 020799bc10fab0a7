// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILearningMarket} from "../interfaces/ILearningMarket.sol";
import {RewardSplit} from "./libraries/RewardSplit.sol";

/// @title TaskRegistry
/// @notice Tasks, their parameters and their phases.
/// @dev A task's phase is never stored: it follows from the deadlines fixed at creation and
/// from four facts (cancelled, any model revealed, test set revealed, finalized). So no
/// phase can be skipped or repeated, and nobody has to poke the contract to move time on.
/// A window includes its deadline: an action of the Commit phase succeeds at
/// `commitDeadline` and fails one second later.
abstract contract TaskRegistry is ILearningMarket {
    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev Most contributors and verifiers any task may accept. They bound every loop and
    /// keep a full score reveal well inside a block. Verifier sets are 64-bit masks.
    uint256 public constant MAX_CONTRIBUTORS_CAP = 512;
    uint256 public constant MAX_VERIFIERS_CAP = 64;

    uint8 internal constant STAGE_MEDIANS = 0;
    uint8 internal constant STAGE_REWARDS = 1;
    uint8 internal constant STAGE_DONE = 2;

    /// @dev Slots are ordered by how often actions touch them: slots 0-3 on every action.
    struct Task {
        // slot 0
        address initiator;
        uint96 reward;
        // slot 1
        uint64 commitDeadline;
        uint64 revealDeadline;
        uint64 testRevealDeadline;
        uint64 scoreCommitDeadline;
        // slot 2
        uint64 scoreRevealDeadline;
        uint96 contributorStake;
        uint96 verifierStake;
        // slot 3
        uint16 maxContributors;
        uint16 maxVerifiers;
        uint16 verifierFeeBps;
        uint16 baselineScore;
        uint16 toleranceBps;
        uint16 committedCount;
        uint16 revealedCount;
        uint16 verifierCount;
        uint16 finalizeCursor;
        uint8 finalizeStage;
        bool cancelled;
        bool testRevealed;
        bool initiatorClaimed;
        uint64 revealedVerifiers; // bit i: verifier i revealed its scores
        // slot 4
        uint64 dishonestVerifiers; // bit i: a score of verifier i lies outside tolerance
        uint64 totalWeight;
        uint128 paidOut;
        // slots 5-9
        bytes32 specDigest;
        bytes32 testSetCommitment;
        bytes32 testDigest;
        bytes32 fusedModelDigest;
        uint256 parentTaskId;
        // slots 10-11: fixed when finalize completes
        uint128 contributorPool;
        uint128 rewardsTotal;
        uint128 feePerVerifier;
        uint128 initiatorRefund;
    }

    /// @notice Shortest window between two deadlines, in seconds (immutable).
    uint64 public immutable minWindow;

    uint256 public taskCount;
    mapping(uint256 taskId => Task) internal _tasks;

    /// @param minWindow_ Shortest window between two deadlines, in seconds: long enough for
    /// every participant to act (hours on a real network; a minute is enough on a local chain).
    constructor(uint64 minWindow_) {
        if (minWindow_ == 0) revert ZeroMinWindow();
        minWindow = minWindow_;
    }

    /*//////////////////////////////////////////////////////////////
                              CREATE, CANCEL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILearningMarket
    function createTask(TaskParams calldata params, string calldata specUri)
        external
        payable
        returns (uint256 taskId)
    {
        if (msg.value == 0) revert ZeroReward();
        if (msg.value > type(uint96).max) revert RewardTooLarge(msg.value, type(uint96).max);
        _validate(params);

        taskId = ++taskCount;
        Task storage task = _tasks[taskId];
        task.initiator = msg.sender;
        task.reward = uint96(msg.value); // fits: checked against type(uint96).max above
        task.commitDeadline = params.commitDeadline;
        task.revealDeadline = params.revealDeadline;
        task.testRevealDeadline = params.testRevealDeadline;
        task.scoreCommitDeadline = params.scoreCommitDeadline;
        task.scoreRevealDeadline = params.scoreRevealDeadline;
        task.contributorStake = params.contributorStake;
        task.verifierStake = params.verifierStake;
        task.maxContributors = params.maxContributors;
        task.maxVerifiers = params.maxVerifiers;
        task.verifierFeeBps = params.verifierFeeBps;
        task.baselineScore = params.baselineScore;
        task.toleranceBps = params.toleranceBps;
        task.specDigest = params.specDigest;
        task.testSetCommitment = params.testSetCommitment;
        task.parentTaskId = params.parentTaskId;

        emit TaskCreated(taskId, msg.sender, params.parentTaskId, params, msg.value, specUri);
    }

    /// @inheritdoc ILearningMarket
    function cancelTask(uint256 taskId) external {
        Task storage task = _existing(taskId);
        if (msg.sender != task.initiator) revert NotInitiator(taskId, msg.sender);
        _requirePhase(taskId, task, Phase.Commit);
        // A commitment is a promise of work: once one exists, the reward is no longer the
        // initiator's to take back.
        if (task.committedCount != 0) revert CommitmentsExist(taskId, task.committedCount);
        task.cancelled = true;
        emit TaskCancelled(taskId, msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                                 PHASES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILearningMarket
    function phaseOf(uint256 taskId) external view returns (Phase) {
        return _phase(_tasks[taskId]);
    }

    function _phase(Task storage task) internal view returns (Phase) {
        if (task.initiator == address(0)) return Phase.None;
        if (task.cancelled) return Phase.Cancelled;
        if (task.finalizeStage == STAGE_DONE) return Phase.Finalized; // only ever after the deadlines
        uint256 time = block.timestamp;
        if (time <= task.commitDeadline) return Phase.Commit;
        if (time <= task.revealDeadline) return Phase.Reveal;
        if (task.revealedCount == 0) return Phase.Unfulfilled;
        if (!task.testRevealed) return time <= task.testRevealDeadline ? Phase.TestReveal : Phase.Abandoned;
        if (time <= task.scoreCommitDeadline) return Phase.ScoreCommit;
        if (time <= task.scoreRevealDeadline) return Phase.ScoreReveal;
        return Phase.Finalizing; // Finalized was returned above, as soon as finalize completed
    }

    /// @dev Whether the task is settled in `phase`: its entitlements are fixed and claims are open.
    function _settled(Phase phase) internal pure returns (bool) {
        return phase == Phase.Finalized || phase == Phase.Cancelled || phase == Phase.Unfulfilled
            || phase == Phase.Abandoned;
    }

    /// @dev Stakes of the contributors that committed and never revealed: forfeit.
    function _forfeitedContributorStakes(Task storage task) internal view returns (uint256) {
        return uint256(task.committedCount - task.revealedCount) * task.contributorStake;
    }

    /// @dev Reverts with {WrongPhase} unless the task is in `required` now.
    function _requirePhase(uint256 taskId, Task storage task, Phase required) internal view {
        Phase current = _phase(task);
        if (current != required) revert WrongPhase(taskId, current, required);
    }

    /// @dev The task, or a {TaskNotFound} revert.
    function _existing(uint256 taskId) internal view returns (Task storage task) {
        task = _tasks[taskId];
        if (task.initiator == address(0)) revert TaskNotFound(taskId);
    }

    /*//////////////////////////////////////////////////////////////
                               VALIDATION
    //////////////////////////////////////////////////////////////*/

    // slither-disable-next-line cyclomatic-complexity (a flat list of independent guards)
    function _validate(TaskParams calldata params) private view {
        if (params.specDigest == bytes32(0) || params.testSetCommitment == bytes32(0)) revert ZeroDigest();
        if (params.contributorStake == 0 || params.verifierStake == 0) revert ZeroStake();
        if (params.maxContributors == 0 || params.maxContributors > MAX_CONTRIBUTORS_CAP) {
            revert InvalidMaxContributors(params.maxContributors, MAX_CONTRIBUTORS_CAP);
        }
        if (params.maxVerifiers == 0 || params.maxVerifiers > MAX_VERIFIERS_CAP) {
            revert InvalidMaxVerifiers(params.maxVerifiers, MAX_VERIFIERS_CAP);
        }
        if (params.verifierFeeBps > RewardSplit.BPS) revert InvalidBps(params.verifierFeeBps);
        if (params.baselineScore > RewardSplit.BPS) revert InvalidBps(params.baselineScore);
        if (params.toleranceBps > RewardSplit.BPS) revert InvalidBps(params.toleranceBps);

        uint64[5] memory deadlines = [
            params.commitDeadline,
            params.revealDeadline,
            params.testRevealDeadline,
            params.scoreCommitDeadline,
            params.scoreRevealDeadline
        ];
        uint256 earliest = block.timestamp + minWindow;
        for (uint256 i; i < 5; ++i) {
            if (deadlines[i] < earliest) revert DeadlineTooEarly(i, deadlines[i], earliest);
            earliest = uint256(deadlines[i]) + minWindow;
        }

        uint256 parentId = params.parentTaskId;
        if (parentId != 0) {
            Task storage parent = _tasks[parentId];
            // A round continues the caller's own published model, nobody else's.
            if (parent.initiator != msg.sender || parent.fusedModelDigest == bytes32(0)) {
                revert InvalidParent(parentId);
            }
        }
    }
}
