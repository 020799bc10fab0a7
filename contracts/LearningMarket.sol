// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILearningMarket} from "../interfaces/ILearningMarket.sol";
import {Commitments} from "./libraries/Commitments.sol";
import {Median} from "./libraries/Median.sol";
import {RewardSplit} from "./libraries/RewardSplit.sol";
import {ScoreBook} from "./libraries/ScoreBook.sol";
import {Escrow} from "./Escrow.sol";
import {TaskRegistry} from "./TaskRegistry.sol";

/// @title LearningMarket
/// @notice The market: model commit-reveal, verifier scoring, batched finalize and the split
/// of every task's escrow. See docs/protocol.md for the protocol as implemented here.
/// @dev Trust assumptions: fewer than half of a task's revealed verifiers are dishonest (then
/// every median, and so every payment, is an honest verifier's figure within tolerance); the
/// contract cannot check what a model is, only which file it is and how verifiers scored it.
/// Every loop is bounded by the market's caps ({MAX_CONTRIBUTORS_CAP}, {MAX_VERIFIERS_CAP})
/// or by `maxSteps`.
contract LearningMarket is ILearningMarket, Escrow {
    using ScoreBook for uint256[];

    /// @dev What an address is in one task. The initiator has a record for its claim only.
    struct Member {
        Role role;
        bool claimed;
        bool revealed; // contributor: model revealed; verifier: scores revealed
        uint16 index; // contributor: submission index once revealed; verifier: join order
        // contributor: model commitment, then (spent by the reveal) the model digest;
        // verifier: score commitment
        bytes32 commitment;
    }

    struct Submission {
        address contributor;
        uint16 medianScore;
    }

    mapping(uint256 taskId => mapping(address account => Member)) private _members;
    mapping(uint256 taskId => Submission[]) private _submissions;
    mapping(uint256 taskId => address[]) private _verifiers;
    mapping(uint256 taskId => mapping(bytes32 modelDigest => bool)) private _revealedDigests;
    mapping(uint256 taskId => mapping(uint256 verifierIndex => uint256[])) private _scores;

    /// @param minWindow_ Shortest window between two deadlines, in seconds.
    constructor(uint64 minWindow_) TaskRegistry(minWindow_) {}

    /*//////////////////////////////////////////////////////////////
                           COMMIT AND REVEAL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILearningMarket
    function commitModel(uint256 taskId, bytes32 commitment) external payable {
        Task storage task = _existing(taskId);
        _requirePhase(taskId, task, Phase.Commit);
        if (commitment == bytes32(0)) revert ZeroDigest();
        _requireNewcomer(taskId, task, msg.value, task.contributorStake);
        uint16 committed = task.committedCount; // gas savings
        if (committed == task.maxContributors) revert TaskFull(taskId, Role.Contributor, committed);

        task.committedCount = committed + 1;
        Member storage member = _members[taskId][msg.sender];
        member.role = Role.Contributor;
        member.commitment = commitment;
        emit ModelCommitted(taskId, msg.sender, commitment);
    }

    /// @inheritdoc ILearningMarket
    function joinAsVerifier(uint256 taskId) external payable {
        Task storage task = _existing(taskId);
        _requirePhase(taskId, task, Phase.Commit);
        _requireNewcomer(taskId, task, msg.value, task.verifierStake);
        uint16 joined = task.verifierCount; // gas savings
        if (joined == task.maxVerifiers) revert TaskFull(taskId, Role.Verifier, joined);

        task.verifierCount = joined + 1;
        Member storage member = _members[taskId][msg.sender];
        member.role = Role.Verifier;
        member.index = joined;
        _verifiers[taskId].push(msg.sender);
        emit VerifierJoined(taskId, msg.sender);
    }

    /// @inheritdoc ILearningMarket
    function revealModel(uint256 taskId, bytes32 modelDigest, bytes32 salt, string calldata uri) external {
        Task storage task = _existing(taskId);
        _requirePhase(taskId, task, Phase.Reveal);
        Member storage member = _members[taskId][msg.sender];
        if (member.role != Role.Contributor) revert NotContributor(taskId, msg.sender);
        if (member.revealed) revert AlreadyRevealed(taskId, msg.sender);
        if (Commitments.model(taskId, msg.sender, modelDigest, salt) != member.commitment) {
            revert CommitmentMismatch(taskId, msg.sender);
        }
        if (modelDigest == bytes32(0)) revert ZeroDigest();
        if (_revealedDigests[taskId][modelDigest]) revert DuplicateModel(taskId, modelDigest);

        uint16 index = task.revealedCount;
        task.revealedCount = index + 1;
        member.revealed = true;
        member.index = index;
        _revealedDigests[taskId][modelDigest] = true;
        member.commitment = modelDigest; // the commitment is spent: keep the digest in its slot
        _submissions[taskId].push(Submission({contributor: msg.sender, medianScore: 0}));
        emit ModelRevealed(taskId, msg.sender, index, modelDigest, uri);
    }

    /// @inheritdoc ILearningMarket
    function revealTestSet(uint256 taskId, bytes32 testDigest, bytes32 salt, string calldata uri) external {
        Task storage task = _existing(taskId);
        if (msg.sender != task.initiator) revert NotInitiator(taskId, msg.sender);
        _requirePhase(taskId, task, Phase.TestReveal);
        if (Commitments.testSet(msg.sender, testDigest, salt) != task.testSetCommitment) {
            revert CommitmentMismatch(taskId, msg.sender);
        }
        if (testDigest == bytes32(0)) revert ZeroDigest();

        task.testRevealed = true;
        task.testDigest = testDigest;
        emit TestSetRevealed(taskId, testDigest, uri);
    }

    /*//////////////////////////////////////////////////////////////
                                SCORING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILearningMarket
    function commitScores(uint256 taskId, bytes32 commitment) external {
        Task storage task = _existing(taskId);
        _requirePhase(taskId, task, Phase.ScoreCommit);
        Member storage member = _verifier(taskId, msg.sender);
        if (commitment == bytes32(0)) revert ZeroDigest();
        if (member.commitment != bytes32(0)) revert ScoresAlreadyCommitted(taskId, msg.sender);

        member.commitment = commitment;
        emit ScoresCommitted(taskId, msg.sender, commitment);
    }

    /// @inheritdoc ILearningMarket
    function revealScores(uint256 taskId, uint16[] calldata scores, bytes32 salt) external {
        Task storage task = _existing(taskId);
        _requirePhase(taskId, task, Phase.ScoreReveal);
        Member storage member = _verifier(taskId, msg.sender);
        if (member.commitment == bytes32(0)) revert ScoresNotCommitted(taskId, msg.sender);
        if (member.revealed) revert ScoresAlreadyRevealed(taskId, msg.sender);
        uint256 count = task.revealedCount;
        if (scores.length != count) revert ScoreCountMismatch(taskId, scores.length, count);
        for (uint256 i; i < count; ++i) {
            if (scores[i] > RewardSplit.BPS) revert ScoreOutOfRange(taskId, i, scores[i]);
        }
        if (Commitments.scores(taskId, msg.sender, scores, salt) != member.commitment) {
            revert CommitmentMismatch(taskId, msg.sender);
        }

        member.revealed = true;
        task.revealedVerifiers |= _bit(member.index);
        _scores[taskId][member.index].store(scores);
        emit ScoresRevealed(taskId, msg.sender, scores);
    }

    /*//////////////////////////////////////////////////////////////
                                FINALIZE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILearningMarket
    function finalize(uint256 taskId, uint256 maxSteps) external returns (bool done) {
        if (maxSteps == 0) revert ZeroSteps();
        Task storage task = _existing(taskId);
        _requirePhase(taskId, task, Phase.Finalizing);

        uint256 count = task.revealedCount;
        uint256 cursor = task.finalizeCursor;
        // slither-disable-next-line uninitialized-local (no step taken yet)
        uint256 steps;
        if (task.finalizeStage == STAGE_MEDIANS) {
            if (task.revealedVerifiers != 0) {
                (cursor, steps) = _scoreSubmissions(taskId, task, cursor, maxSteps);
            }
            if (task.revealedVerifiers == 0 || cursor == count) {
                _fixContributorPool(task);
                cursor = 0;
                task.finalizeStage = STAGE_REWARDS;
            }
        }
        if (task.finalizeStage == STAGE_REWARDS) {
            cursor = _sumRewards(taskId, task, cursor, maxSteps - steps);
            if (cursor == count) {
                _settle(taskId, task);
                return true;
            }
        }
        task.finalizeCursor = uint16(cursor); // fits: cursor <= revealedCount, a uint16
        return false;
    }

    /// @dev The revealed verifiers of a task, as pass 1 sees them.
    struct Panel {
        uint256 taskId;
        uint256 verifierCount;
        uint64 revealed;
        uint64 dishonest;
        uint256 tolerance;
        uint256[] sorted;
        uint256[] words;
        uint256 wordIndex;
    }

    /// @dev Pass 1: each submission's median, weight and the verifiers it shows dishonest.
    function _scoreSubmissions(uint256 taskId, Task storage task, uint256 cursor, uint256 maxSteps)
        private
        returns (uint256, uint256 steps)
    {
        uint256 count = task.revealedCount;
        uint256 baseline = task.baselineScore;
        uint256 totalWeight = task.totalWeight;
        uint64 revealed = task.revealedVerifiers; // gas savings
        Panel memory panel = Panel({
            taskId: taskId,
            verifierCount: task.verifierCount,
            revealed: revealed,
            dishonest: task.dishonestVerifiers,
            tolerance: task.toleranceBps,
            // One buffer for all steps: memory is never freed, so it is allocated once per call.
            sorted: new uint256[](_popcount(revealed)),
            words: new uint256[](task.verifierCount),
            wordIndex: type(uint256).max
        });
        Submission[] storage submissions = _submissions[taskId];
        for (; cursor < count && steps < maxSteps; (++cursor, ++steps)) {
            uint16 median = _medianAndJudge(panel, cursor);
            uint256 weight = RewardSplit.weight(median, baseline);
            totalWeight += weight;
            submissions[cursor].medianScore = median;
            emit SubmissionScored(taskId, cursor, median, uint16(weight)); // fits: weight <= median, a uint16
        }
        task.dishonestVerifiers = panel.dishonest;
        task.totalWeight = uint64(totalWeight); // fits: at most 512 weights of at most 10000 each
        return (cursor, steps);
    }

    /// @dev The median score of one submission; flags every verifier outside tolerance of it.
    function _medianAndJudge(Panel memory panel, uint256 index) private returns (uint16 median) {
        mapping(uint256 => uint256[]) storage scores = _scores[panel.taskId];
        // slither-disable-next-line uninitialized-local (no score gathered yet)
        uint256 n;
        // Sixteen submissions share a word: read each verifier's word once per sixteen steps.
        uint256 wordIndex = ScoreBook.wordOf(index);
        if (wordIndex != panel.wordIndex) {
            for (uint256 v; v < panel.verifierCount; ++v) {
                if (panel.revealed & _bit(v) != 0) panel.words[v] = scores[v][wordIndex];
            }
            panel.wordIndex = wordIndex;
        }
        for (uint256 v; v < panel.verifierCount; ++v) {
            if (panel.revealed & _bit(v) != 0) panel.sorted[n++] = ScoreBook.fromWord(panel.words[v], index);
        }
        median = uint16(Median.compute(panel.sorted)); // fits: a median of uint16 scores
        // sorted: when the lowest and the highest score lie within tolerance, every score does
        if (
            _distance(panel.sorted[0], median) <= panel.tolerance
                && _distance(panel.sorted[n - 1], median) <= panel.tolerance
        ) return median;
        for (uint256 v; v < panel.verifierCount; ++v) {
            uint64 bit = _bit(v);
            if (panel.revealed & bit == 0 || panel.dishonest & bit != 0) continue;
            uint16 score = ScoreBook.fromWord(panel.words[v], index);
            if (_distance(score, median) > panel.tolerance) {
                panel.dishonest |= bit;
                emit VerifierDishonest(panel.taskId, _verifiers[panel.taskId][v], index, score, median);
            }
        }
    }

    /// @dev Between the passes: what the contributors share.
    function _fixContributorPool(Task storage task) private {
        uint256 reward = task.reward;
        // fits: the reward (a uint96) plus 512 stakes (uint96 each) is below 2^106
        task.contributorPool = uint128(reward - RewardSplit.fee(reward, task.verifierFeeBps) + _forfeitedContributorStakes(task));
    }

    /// @dev Pass 2: the sum of the contributors' rewards, so that dust is known exactly.
    function _sumRewards(uint256 taskId, Task storage task, uint256 cursor, uint256 maxSteps)
        private
        returns (uint256)
    {
        uint256 count = task.revealedCount;
        if (task.revealedVerifiers == 0) {
            // Nobody scored: the pool is split equally, without a pass.
            // fits: at most the contributor pool, a uint128
            task.rewardsTotal = uint128(RewardSplit.equalShare(task.contributorPool, count) * count);
            return count;
        }
        uint256 totalWeight = task.totalWeight;
        if (totalWeight == 0) return count; // nobody beat the baseline: nothing to sum
        uint256 pool = task.contributorPool;
        uint256 baseline = task.baselineScore;
        uint256 total = task.rewardsTotal;
        Submission[] storage submissions = _submissions[taskId];
        for (uint256 steps; cursor < count && steps < maxSteps; (++cursor, ++steps)) {
            total += RewardSplit.proRata(pool, RewardSplit.weight(submissions[cursor].medianScore, baseline), totalWeight);
        }
        task.rewardsTotal = uint128(total); // fits: rounded-down shares of the contributor pool, a uint128
        return cursor;
    }

    /// @dev The end: the verifiers' fee and what goes back to the initiator.
    function _settle(uint256 taskId, Task storage task) private {
        uint256 verifierStake = task.verifierStake;
        uint256 honest = _popcount(task.revealedVerifiers & ~task.dishonestVerifiers);
        uint256 feePool = RewardSplit.fee(task.reward, task.verifierFeeBps)
            + (task.verifierCount - honest) * verifierStake;
        uint256 feePerVerifier = RewardSplit.equalShare(feePool, honest);
        uint256 paidToOthers = uint256(task.revealedCount) * task.contributorStake + task.rewardsTotal
            + honest * (verifierStake + feePerVerifier);

        // fit: both are parts of the task's deposits, below 2^107 (a uint96 reward and 576 uint96 stakes)
        task.feePerVerifier = uint128(feePerVerifier);
        task.initiatorRefund = uint128(_deposited(task) - paidToOthers);
        task.finalizeStage = STAGE_DONE;
        emit TaskFinalized(taskId, _settlement(task));
    }

    /*//////////////////////////////////////////////////////////////
                          FUSED MODEL, LINEAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILearningMarket
    function publishFusedModel(uint256 taskId, bytes32 fusedModelDigest, string calldata uri) external {
        Task storage task = _existing(taskId);
        if (msg.sender != task.initiator) revert NotInitiator(taskId, msg.sender);
        _requirePhase(taskId, task, Phase.Finalized);
        if (fusedModelDigest == bytes32(0)) revert ZeroDigest();
        if (task.fusedModelDigest != bytes32(0)) revert FusedModelAlreadyPublished(taskId, task.fusedModelDigest);

        task.fusedModelDigest = fusedModelDigest;
        emit FusedModelPublished(taskId, fusedModelDigest, uri);
    }

    /*//////////////////////////////////////////////////////////////
                              ENTITLEMENTS
    //////////////////////////////////////////////////////////////*/

    function _entitlement(uint256 taskId, Task storage task, address account) internal view override returns (uint256) {
        Phase phase = _phase(task);
        if (account == task.initiator) return _initiatorEntitlement(taskId, task, phase);
        Member storage member = _members[taskId][account];
        if (member.role == Role.Verifier) {
            if (phase == Phase.Cancelled || phase == Phase.Unfulfilled || phase == Phase.Abandoned) {
                return task.verifierStake; // nothing to score: the stake comes back
            }
            if (phase != Phase.Finalized) revert WrongPhase(taskId, phase, Phase.Finalized);
            return _isHonest(task, member.index) ? uint256(task.verifierStake) + task.feePerVerifier : 0;
        }
        if (phase == Phase.Cancelled || phase == Phase.Unfulfilled) return 0;
        if (phase != Phase.Finalized && phase != Phase.Abandoned) revert WrongPhase(taskId, phase, Phase.Finalized);
        if (member.role != Role.Contributor || !member.revealed) return 0; // unrevealed stakes are forfeit
        return uint256(task.contributorStake) + _rewardOf(taskId, task, phase, member.index);
    }

    function _initiatorEntitlement(uint256 taskId, Task storage task, Phase phase) private view returns (uint256) {
        if (phase == Phase.Cancelled) return task.reward;
        if (phase == Phase.Unfulfilled) return uint256(task.reward) + _forfeitedContributorStakes(task);
        if (phase == Phase.Abandoned) {
            uint256 pool = uint256(task.reward) + _forfeitedContributorStakes(task);
            return pool - RewardSplit.equalShare(pool, task.revealedCount) * task.revealedCount; // dust
        }
        if (phase == Phase.Finalized) return task.initiatorRefund;
        revert WrongPhase(taskId, phase, Phase.Finalized);
    }

    /// @dev A revealed submission's reward on top of its stake, in a settled task.
    function _rewardOf(uint256 taskId, Task storage task, Phase phase, uint256 index) private view returns (uint256) {
        uint256 count = task.revealedCount;
        if (phase == Phase.Abandoned) {
            // No test set, no scores: the reward the initiator walked away from is shared.
            return RewardSplit.equalShare(uint256(task.reward) + _forfeitedContributorStakes(task), count);
        }
        if (task.revealedVerifiers == 0) return RewardSplit.equalShare(task.contributorPool, count);
        uint256 weight = RewardSplit.weight(_submissions[taskId][index].medianScore, task.baselineScore);
        return RewardSplit.proRata(task.contributorPool, weight, task.totalWeight);
    }

    function _claimed(uint256 taskId, address account) internal view override returns (bool) {
        Task storage task = _tasks[taskId];
        return account == task.initiator ? task.initiatorClaimed : _members[taskId][account].claimed;
    }

    function _markClaimed(uint256 taskId, address account) internal override {
        Task storage task = _tasks[taskId];
        if (account == task.initiator) task.initiatorClaimed = true;
        else _members[taskId][account].claimed = true;
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILearningMarket
    function getTask(uint256 taskId) external view returns (TaskView memory view_) {
        Task storage task = _existing(taskId);
        view_.params = TaskParams({
            specDigest: task.specDigest,
            testSetCommitment: task.testSetCommitment,
            commitDeadline: task.commitDeadline,
            revealDeadline: task.revealDeadline,
            testRevealDeadline: task.testRevealDeadline,
            scoreCommitDeadline: task.scoreCommitDeadline,
            scoreRevealDeadline: task.scoreRevealDeadline,
            contributorStake: task.contributorStake,
            verifierStake: task.verifierStake,
            maxContributors: task.maxContributors,
            maxVerifiers: task.maxVerifiers,
            verifierFeeBps: task.verifierFeeBps,
            baselineScore: task.baselineScore,
            toleranceBps: task.toleranceBps,
            parentTaskId: task.parentTaskId
        });
        view_.initiator = task.initiator;
        view_.phase = _phase(task);
        view_.reward = task.reward;
        view_.committedCount = task.committedCount;
        view_.revealedCount = task.revealedCount;
        view_.verifierCount = task.verifierCount;
        view_.testDigest = task.testDigest;
        view_.fusedModelDigest = task.fusedModelDigest;
        view_.deposited = uint128(_deposited(task)); // fits: below 2^107 (see _settle)
        view_.paidOut = task.paidOut;
        view_.settlement = _settlement(task);
    }

    /// @inheritdoc ILearningMarket
    function getSubmissions(uint256 taskId, uint256 start, uint256 count)
        external
        view
        returns (SubmissionView[] memory views)
    {
        Task storage task = _existing(taskId);
        uint256 total = task.revealedCount;
        uint256 end = start >= total ? start : (count > total - start ? total : start + count);
        Phase phase = _phase(task);
        bool scored = phase == Phase.Finalized || phase == Phase.Abandoned; // rewards are fixed
        views = new SubmissionView[](end - start);
        for (uint256 i = start; i < end; ++i) {
            Submission storage submission = _submissions[taskId][i];
            views[i - start] = SubmissionView({
                contributor: submission.contributor,
                modelDigest: _members[taskId][submission.contributor].commitment,
                medianScore: submission.medianScore,
                reward: scored ? _rewardOf(taskId, task, phase, i) : 0
            });
        }
    }

    /// @inheritdoc ILearningMarket
    function getVerifiers(uint256 taskId) external view returns (VerifierView[] memory views) {
        Task storage task = _existing(taskId);
        address[] storage verifiers = _verifiers[taskId];
        views = new VerifierView[](verifiers.length);
        for (uint256 i; i < verifiers.length; ++i) {
            Member storage member = _members[taskId][verifiers[i]];
            views[i] = VerifierView({
                verifier: verifiers[i],
                committed: member.commitment != bytes32(0),
                revealed: member.revealed,
                honest: _isHonest(task, i)
            });
        }
    }

    /// @inheritdoc ILearningMarket
    function scoresOf(uint256 taskId, address verifier) external view returns (uint16[] memory) {
        Task storage task = _existing(taskId);
        Member storage member = _members[taskId][verifier];
        if (member.role != Role.Verifier || !member.revealed) return new uint16[](0);
        return _scores[taskId][member.index].load(task.revealedCount);
    }

    /// @inheritdoc ILearningMarket
    function roleOf(uint256 taskId, address account) external view returns (Role) {
        return _members[taskId][account].role;
    }

    /// @inheritdoc ILearningMarket
    function owed(uint256 taskId, address account) external view returns (uint256) {
        Task storage task = _existing(taskId);
        Phase phase = _phase(task);
        if (!_settled(phase) || _claimed(taskId, account)) return 0;
        return _entitlement(taskId, task, account);
    }

    /// @inheritdoc ILearningMarket
    function hasClaimed(uint256 taskId, address account) external view returns (bool) {
        return _claimed(taskId, account);
    }

    /// @inheritdoc ILearningMarket
    function modelCommitment(uint256 taskId, address contributor, bytes32 modelDigest, bytes32 salt)
        external
        view
        returns (bytes32)
    {
        return Commitments.model(taskId, contributor, modelDigest, salt);
    }

    /// @inheritdoc ILearningMarket
    function scoreCommitment(uint256 taskId, address verifier, uint16[] calldata scores, bytes32 salt)
        external
        view
        returns (bytes32)
    {
        return Commitments.scores(taskId, verifier, scores, salt);
    }

    /// @inheritdoc ILearningMarket
    function testSetCommitment(address initiator, bytes32 testDigest, bytes32 salt) external view returns (bytes32) {
        return Commitments.testSet(initiator, testDigest, salt);
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev Checks that the caller may take a role in the task and sent exactly `stake`.
    function _requireNewcomer(uint256 taskId, Task storage task, uint256 sent, uint256 stake) private view {
        if (msg.sender == task.initiator) revert InitiatorCannotParticipate(taskId);
        Role role = _members[taskId][msg.sender].role;
        if (role != Role.None) revert AlreadyParticipant(taskId, msg.sender, role);
        if (sent != stake) revert WrongStake(sent, stake);
    }

    function _verifier(uint256 taskId, address account) private view returns (Member storage member) {
        member = _members[taskId][account];
        if (member.role != Role.Verifier) revert NotVerifier(taskId, account);
    }

    function _isHonest(Task storage task, uint256 verifierIndex) private view returns (bool) {
        uint64 bit = _bit(verifierIndex);
        return task.revealedVerifiers & bit != 0 && task.dishonestVerifiers & bit == 0;
    }

    /// @dev Everything the task took in: the reward and every stake.
    function _deposited(Task storage task) private view returns (uint256) {
        return uint256(task.reward) + uint256(task.committedCount) * task.contributorStake
            + uint256(task.verifierCount) * task.verifierStake;
    }

    function _settlement(Task storage task) private view returns (Settlement memory) {
        return Settlement({
            totalWeight: task.totalWeight,
            contributorPool: task.contributorPool,
            rewardsTotal: task.rewardsTotal,
            feePerVerifier: task.feePerVerifier,
            // fit: popcounts of 64-bit sets
            honestVerifiers: uint16(_popcount(task.revealedVerifiers & ~task.dishonestVerifiers)),
            revealedVerifiers: uint16(_popcount(task.revealedVerifiers)),
            initiatorRefund: task.initiatorRefund
        });
    }

    function _distance(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a - b : b - a;
    }

    /// @dev Verifier `index`'s bit in a verifier set (index < MAX_VERIFIERS_CAP = 64).
    function _bit(uint256 index) private pure returns (uint64) {
        return uint64(1) << uint64(index); // fits: index < 64
    }

    /// @dev Number of set bits (at most 64 iterations).
    function _popcount(uint64 bits) private pure returns (uint256 count) {
        for (; bits != 0; bits &= bits - 1) {
            ++count;
        }
    }
}
