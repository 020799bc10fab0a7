// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Commitments} from "./libraries/Commitments.sol";
import {Randomness} from "./libraries/Randomness.sol";
import {RewardSplit} from "./libraries/RewardSplit.sol";
import {TaskRegistry} from "./TaskRegistry.sol";

/// @title TaskSetup
/// @notice A task's own life before and around its models: creation, cancellation, and a test
/// set the initiator cannot game (committed as K shards, a random audit sample of A of them
/// opened before anyone stakes, the other K - A opened after the models).
/// @dev A module of {LearningMarket}, deployed by the market's constructor and run only by
/// delegatecall from the market's functions of the same names (EIP-170 keeps a contract's code
/// under 24,576 bytes; the market alone would not fit). It runs in the market's storage with
/// the market's `msg.sender` and `msg.value`, and its events are the market's. Called directly
/// it reverts ({NotDelegated}), so no ETH can be left in it.
/// A test set mislabelled in a fraction f of its shards passes the audit with probability
/// C(K - fK, A) / C(K, A) <= (1 - f)^A. Re-rolling the audit costs the task's forfeit: there
/// is no free cancel after creation, and an audit not drawn within 256 blocks of its seed
/// block, or not revealed by the audit deadline, voids the task.
// slither-disable-next-line locked-ether (reached by delegatecall only: a direct call reverts)
contract TaskSetup is TaskRegistry {
    /// @dev Domain tag of the audit draw's seed.
    bytes32 internal constant AUDIT_TAG = "audit";

    /// @dev This module's own address: code runs here only by delegatecall from the market.
    address private immutable _self;

    /// @notice Thrown when the module is called directly instead of through the market.
    error NotDelegated();

    /// @param minWindow_ The market's minimum window (seconds).
    /// @param forfeitBps_ The market's forfeit (bps).
    constructor(uint64 minWindow_, uint16 forfeitBps_) TaskRegistry(minWindow_, forfeitBps_) {
        _self = address(this);
    }

    modifier onlyDelegated() {
        if (address(this) == _self) revert NotDelegated();
        _;
    }

    /*//////////////////////////////////////////////////////////////
                              CREATE, CANCEL
    //////////////////////////////////////////////////////////////*/

    /// @notice Runs {ILearningMarket-createTask} for the market.
    function createTask(TaskParams calldata params, string calldata specUri)
        external
        payable
        onlyDelegated
        returns (uint256 taskId)
    {
        if (msg.value == 0) revert ZeroReward();
        if (msg.value > type(uint96).max) revert RewardTooLarge(msg.value, type(uint96).max);
        _validate(params);

        taskId = ++_taskCount;
        Task storage task = _tasks[taskId];
        task.params = params;
        task.initiator = msg.sender;
        task.reward = uint96(msg.value); // fits: checked against type(uint96).max above
        task.auditSeedBlock = uint64(block.number + 1); // fits: block numbers are far below 2^64

        emit TaskCreated(taskId, msg.sender, params.parentTaskId, params, msg.value, specUri);
    }

    /// @notice Runs {ILearningMarket-cancelTask} for the market.
    function cancelTask(uint256 taskId) external onlyDelegated {
        Task storage task = _existing(taskId);
        _requireInitiator(taskId, task);
        Phase phase = _phase(task);
        if (phase != Phase.Audit) _requirePhase(taskId, phase, Phase.Commit);
        // A commitment is a promise of work: once one exists, the reward is no longer the
        // initiator's to take back.
        if (task.committedCount != 0) revert CommitmentsExist(taskId, task.committedCount);
        // Not free: once the audit's seed block exists, cancelling would re-roll the audit.
        uint256 forfeit = _forfeit(task);
        task.cancelled = true;
        task.initiatorRefund = uint128(task.reward - forfeit); // fits: at most the reward, a uint96
        _burn(taskId, task, forfeit);
        emit TaskCancelled(taskId, msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                            AUDIT, TEST SET
    //////////////////////////////////////////////////////////////*/

    /// @notice Runs {ILearningMarket-drawAudit} for the market.
    function drawAudit(uint256 taskId) external onlyDelegated {
        Task storage task = _existing(taskId);
        _requirePhase(taskId, task, Phase.Audit);
        if (task.auditMask != 0) revert AuditAlreadyDrawn(taskId, task.auditMask);
        uint256 seedBlock = task.auditSeedBlock;
        if (block.number <= seedBlock) revert RandomnessNotReady(taskId, seedBlock);
        // (An expired seed makes the phase Void: refused above.)
        bytes32 seed = Randomness.seed(seedBlock, taskId, AUDIT_TAG);
        // fits: a mask of indices below testShards <= 32
        uint32 mask = uint32(Randomness.distinct(seed, task.params.auditShards, task.params.testShards));
        task.auditMask = mask;
        emit AuditDrawn(taskId, mask);
    }

    /// @notice Runs {ILearningMarket-revealAudit} for the market.
    function revealAudit(
        uint256 taskId,
        bytes32[] calldata shardCommitments,
        bytes32[] calldata digests,
        bytes32[] calldata salts,
        string calldata uri
    ) external onlyDelegated {
        Task storage task = _existing(taskId);
        _requireInitiator(taskId, task);
        _requirePhase(taskId, task, Phase.Audit);
        uint32 mask = task.auditMask;
        if (mask == 0) revert AuditNotDrawn(taskId);
        _open(taskId, task, shardCommitments, digests, salts, mask);
        task.auditRevealed = true;
        emit AuditRevealed(taskId, uri);
    }

    /// @notice Runs {ILearningMarket-revealTestSet} for the market.
    function revealTestSet(
        uint256 taskId,
        bytes32[] calldata shardCommitments,
        bytes32[] calldata digests,
        bytes32[] calldata salts,
        string calldata uri
    ) external onlyDelegated {
        Task storage task = _existing(taskId);
        _requireInitiator(taskId, task);
        _requirePhase(taskId, task, Phase.TestReveal);
        uint256 all = (uint256(1) << task.params.testShards) - 1;
        _open(taskId, task, shardCommitments, digests, salts, all & ~uint256(task.auditMask));
        task.testRevealed = true;
        emit TestSetRevealed(taskId, uri);
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev Checks that `shardCommitments` are the task's K commitments and that `digests` and
    /// `salts` open exactly the shards of `mask`, in increasing index order; records the digests.
    function _open(
        uint256 taskId,
        Task storage task,
        bytes32[] calldata shardCommitments,
        bytes32[] calldata digests,
        bytes32[] calldata salts,
        uint256 mask
    ) private {
        uint256 count = task.params.testShards;
        if (shardCommitments.length != count) revert ShardCountMismatch(shardCommitments.length, count);
        if (Commitments.testSet(msg.sender, shardCommitments) != task.params.testSetCommitment) {
            revert CommitmentMismatch(taskId, msg.sender);
        }
        uint256 opened = _popcount(mask);
        if (digests.length != opened) revert ShardCountMismatch(digests.length, opened);
        if (salts.length != opened) revert ShardCountMismatch(salts.length, opened);
        bytes32[MAX_TEST_SHARDS] storage stored = _shardDigests[taskId];
        // slither-disable-next-line uninitialized-local (no opening used yet)
        uint256 next;
        for (uint256 index; index < count; ++index) {
            if (mask & (1 << index) == 0) continue;
            bytes32 digest = digests[next];
            if (Commitments.shard(digest, salts[next]) != shardCommitments[index]) revert ShardMismatch(taskId, index);
            if (digest == bytes32(0)) revert ZeroDigest();
            stored[index] = digest;
            ++next;
            emit ShardRevealed(taskId, index, digest);
        }
    }

    // slither-disable-next-line cyclomatic-complexity (a flat list of independent guards)
    function _validate(TaskParams calldata params) private view {
        if (params.specDigest == bytes32(0) || params.testSetCommitment == bytes32(0)) revert ZeroDigest();
        if (params.contributorStake == 0) revert ZeroStake();
        if (params.maxContributors == 0 || params.maxContributors > MAX_CONTRIBUTORS_CAP) {
            revert InvalidMaxContributors(params.maxContributors, MAX_CONTRIBUTORS_CAP);
        }
        if (params.panelSize < 3 || params.panelSize > MAX_PANEL_SIZE || params.panelSize % 2 == 0) {
            revert InvalidPanelSize(params.panelSize, MAX_PANEL_SIZE);
        }
        if (
            params.testShards < 2 || params.testShards > MAX_TEST_SHARDS || params.auditShards == 0
                || params.auditShards >= params.testShards
        ) revert InvalidShards(params.testShards, params.auditShards);
        if (params.verifierFeeBps > RewardSplit.BPS) revert InvalidBps(params.verifierFeeBps);
        if (params.baselineScore > RewardSplit.BPS) revert InvalidBps(params.baselineScore);
        if (params.toleranceBps > RewardSplit.BPS) revert InvalidBps(params.toleranceBps);

        uint64[6] memory deadlines = [
            params.auditDeadline,
            params.commitDeadline,
            params.revealDeadline,
            params.testRevealDeadline,
            params.scoreCommitDeadline,
            params.scoreRevealDeadline
        ];
        uint256 earliest = block.timestamp + _minWindow;
        for (uint256 i; i < 6; ++i) {
            if (deadlines[i] < earliest) revert DeadlineTooEarly(i, deadlines[i], earliest);
            earliest = uint256(deadlines[i]) + _minWindow;
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
