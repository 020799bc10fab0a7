// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILearningMarket} from "../interfaces/ILearningMarket.sol";
import {Commitments} from "./libraries/Commitments.sol";
import {Median} from "./libraries/Median.sol";
import {RewardSplit} from "./libraries/RewardSplit.sol";
import {ScoreBook} from "./libraries/ScoreBook.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Escrow} from "./Escrow.sol";
import {PanelDraw} from "./PanelDraw.sol";
import {TaskRegistry} from "./TaskRegistry.sol";
import {TaskSetup} from "./TaskSetup.sol";

/// @title LearningMarket
/// @notice The market (mechanism v2): model commit-reveal, panel scoring of the starting model
/// and every submission, the verdict's basis, batched finalize, slashing through the pool, and
/// the split of every task's escrow. See docs/protocol.md for the protocol as implemented here.
/// @dev Trust assumptions: fewer than half of a panel's counted members are dishonest (then
/// every median, and so every payment, is an honest member's figure within tolerance); a panel
/// is a uniform sample of the pool's seats, so that takes a majority of the bonds to break
/// with any real chance (docs/threat-model.md). The contract cannot check what a model is, only
/// which file it is and how the panel scored it. Every loop is bounded by the market's caps
/// ({MAX_CONTRIBUTORS_CAP}, {MAX_PANEL_SIZE}, {MAX_TEST_SHARDS}) or by `maxSteps`.
contract LearningMarket is ILearningMarket, Escrow {
    using ScoreBook for uint256[];

    // The stages of finalize (and STAGE_DONE, in TaskRegistry: settled).
    uint8 private constant STAGE_BASIS = 0;
    uint8 private constant STAGE_MEDIANS = 1;
    uint8 private constant STAGE_REWARDS = 2;

    /// @dev The counted members of a task, as pass 1 sees them.
    struct Panel {
        uint256 taskId;
        uint256 size;
        uint64 counted;
        uint64 flagged;
        uint256 tolerance;
        uint256 quorum; // a strict majority of the members that revealed
        bool contested;
        uint256[] sorted;
        uint256[] words;
        uint256 wordIndex;
    }

    /// @dev The setup module (create, cancel, audit, test set), run by delegatecall.
    address private immutable _setup;

    /// @param minWindow_ Shortest window between two deadlines, in seconds (> 0).
    /// @param verifierBond The pool's bond of one seat (wei, > 0).
    /// @param slashAmount What a panel member loses when it does not reveal or is outside
    /// tolerance (wei, 0 < slashAmount <= verifierBond).
    /// @param unbondingPeriod Seconds between a member's exit request and its withdrawal (> 0).
    /// @param forfeitBps_ Share of the reward burned when a task ends without a revealed model (< 10000).
    constructor(
        uint64 minWindow_,
        uint96 verifierBond,
        uint96 slashAmount,
        uint64 unbondingPeriod,
        uint16 forfeitBps_
    ) TaskRegistry(minWindow_, forfeitBps_) PanelDraw(verifierBond, slashAmount, unbondingPeriod) {
        _setup = address(new TaskSetup(minWindow_, forfeitBps_));
    }

    /*//////////////////////////////////////////////////////////////
                 TASK AND AUDIT (in the setup module)
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILearningMarket
    function createTask(TaskParams calldata, string calldata) external payable returns (uint256 taskId) {
        return abi.decode(_runSetup(), (uint256));
    }

    /// @inheritdoc ILearningMarket
    function cancelTask(uint256) external {
        _runSetup();
    }

    /// @inheritdoc ILearningMarket
    function drawAudit(uint256) external {
        _runSetup();
    }

    /// @inheritdoc ILearningMarket
    function revealAudit(uint256, bytes32[] calldata, bytes32[] calldata, bytes32[] calldata, string calldata)
        external
    {
        _runSetup();
    }

    /// @inheritdoc ILearningMarket
    function revealTestSet(uint256, bytes32[] calldata, bytes32[] calldata, bytes32[] calldata, string calldata)
        external
    {
        _runSetup();
    }

    /// @dev Runs this very call (same function, same arguments) in the setup module, in this
    /// contract's storage; bubbles up its revert.
    function _runSetup() private returns (bytes memory) {
        // slither-disable-next-line controlled-delegatecall (the module is fixed at construction)
        return Address.functionDelegateCall(_setup, msg.data);
    }

    /*//////////////////////////////////////////////////////////////
                           COMMIT AND REVEAL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILearningMarket
    function commitModel(uint256 taskId, bytes32 commitment) external payable {
        Task storage task = _existing(taskId);
        _requirePhase(taskId, task, Phase.Commit);
        if (commitment == bytes32(0)) revert ZeroDigest();
        if (msg.sender == task.initiator) revert InitiatorCannotParticipate(taskId);
        Member storage member = _members[taskId][msg.sender];
        if (member.role != Role.None) revert AlreadyParticipant(taskId, msg.sender, member.role);
        if (msg.value != task.params.contributorStake) revert WrongStake(msg.value, task.params.contributorStake);
        uint16 committed = task.committedCount; // gas savings
        if (committed == task.params.maxContributors) revert TaskFull(taskId, committed);

        task.committedCount = committed + 1;
        member.role = Role.Contributor;
        member.commitment = commitment;
        emit ModelCommitted(taskId, msg.sender, commitment);
    }

    /// @inheritdoc ILearningMarket
    function revealModel(uint256 taskId, bytes32 modelDigest, bytes32 salt, string calldata uri) external {
        Task storage task = _existing(taskId);
        _requirePhase(taskId, task, Phase.Reveal);
        // No model is shown before its scorers exist.
        if (task.panelDrawn == 0) revert PanelNotDrawn(taskId);
        Member storage member = _members[taskId][msg.sender];
        if (member.role != Role.Contributor) revert NotContributor(taskId, msg.sender);
        if (member.revealed) revert AlreadyRevealed(taskId, msg.sender);
        if (Commitments.model(taskId, msg.sender, modelDigest, salt) != member.commitment) {
            revert CommitmentMismatch(taskId, msg.sender);
        }
        if (modelDigest == bytes32(0)) revert ZeroDigest();
        uint256 earlier = _revealedIn[modelDigest];
        if (earlier != 0) revert DuplicateModel(taskId, modelDigest, earlier);

        uint16 index = task.revealedCount;
        task.revealedCount = index + 1;
        member.revealed = true;
        member.index = index;
        _revealedIn[modelDigest] = taskId;
        member.commitment = modelDigest; // the commitment is spent: keep the digest in its slot
        _submissions[taskId].push(Submission({contributor: msg.sender, medianScore: 0}));
        emit ModelRevealed(taskId, msg.sender, index, modelDigest, uri);
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
    function revealScores(uint256 taskId, bool testSetAvailable, uint16[] calldata scores, bytes32 salt) external {
        Task storage task = _existing(taskId);
        _requirePhase(taskId, task, Phase.ScoreReveal);
        Member storage member = _verifier(taskId, msg.sender);
        if (member.commitment == bytes32(0)) revert ScoresNotCommitted(taskId, msg.sender);
        if (member.revealed) revert ScoresAlreadyRevealed(taskId, msg.sender);
        uint256 count = uint256(task.revealedCount) + 1; // the starting model, then each submission
        if (scores.length != count) revert ScoreCountMismatch(taskId, scores.length, count);
        for (uint256 i; i < count; ++i) {
            if (scores[i] > RewardSplit.BPS) revert ScoreOutOfRange(taskId, i, scores[i]);
        }
        if (testSetAvailable && !task.testRevealed) revert TestSetNotRevealed(taskId);
        if (Commitments.scores(taskId, msg.sender, testSetAvailable, scores, salt) != member.commitment) {
            revert CommitmentMismatch(taskId, msg.sender);
        }

        member.revealed = true;
        member.testSetAvailable = testSetAvailable;
        uint64 bit = _bit(member.index);
        task.revealedMembers |= bit;
        if (testSetAvailable) task.availableVotes |= bit;
        _scores[taskId][member.index].store(scores);
        emit ScoresRevealed(taskId, msg.sender, testSetAvailable, scores);
    }

    /*//////////////////////////////////////////////////////////////
                                FINALIZE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILearningMarket
    // slither-disable-next-line reentrancy-no-eth,reentrancy-benign (the pool is this market's own; nonReentrant)
    function finalize(uint256 taskId, uint256 maxSteps) external nonReentrant returns (bool done) {
        if (maxSteps == 0) revert ZeroSteps();
        Task storage task = _existing(taskId);
        _requirePhase(taskId, task, Phase.Finalizing);

        uint256 stage = task.finalizeStage;
        if (stage == STAGE_BASIS) stage = _fixBasis(taskId, task);
        uint256 cursor = task.finalizeCursor;
        // slither-disable-next-line uninitialized-local (no step taken yet)
        uint256 steps;
        if (stage == STAGE_MEDIANS) {
            uint256 count = uint256(task.revealedCount) + 1;
            (cursor, steps) = _scoreModels(taskId, task, cursor, maxSteps);
            if (cursor == count) {
                _releasePanel(taskId, task);
                cursor = 0;
                stage = STAGE_REWARDS;
            }
        }
        if (stage == STAGE_REWARDS) {
            cursor = _sumRewards(taskId, task, cursor, maxSteps - steps);
            if (cursor == task.revealedCount) {
                _settle(taskId, task);
                return true;
            }
        }
        task.finalizeCursor = uint16(cursor); // fits: cursor <= revealedCount + 1 <= 513
        task.finalizeStage = uint8(stage); // fits: a stage constant
        return false;
    }

    /// @dev Before pass 1: the basis (test shards iff revealed and a strict majority of the
    /// revealing members fetched them) and the counted members (those who voted the basis).
    /// Without a counted member or a submission, pass 1 has nothing to do: the baseline is
    /// `baselineScore` and the panel is released at once.
    function _fixBasis(uint256 taskId, Task storage task) private returns (uint256 stage) {
        uint64 revealed = task.revealedMembers;
        uint64 available = task.availableVotes;
        bool onTest = task.testRevealed && 2 * _popcount(available) > _popcount(revealed);
        Basis basis = onTest ? Basis.Test : Basis.Audit;
        uint64 counted = onTest ? available : revealed & ~available;
        task.basis = basis;
        task.countedMembers = counted;
        emit BasisFixed(taskId, basis, _popcount(counted));
        if (counted != 0 && task.revealedCount != 0) return STAGE_MEDIANS;
        uint16 baseline = task.params.baselineScore;
        task.baseline = baseline;
        emit BaselineFixed(taskId, 0, baseline);
        _releasePanel(taskId, task);
        return STAGE_REWARDS;
    }

    /// @dev Pass 1: the median of each model (0: the starting model, which fixes the baseline;
    /// 1 + i: submission i), each submission's weight, and the counted members it shows dishonest.
    function _scoreModels(uint256 taskId, Task storage task, uint256 cursor, uint256 maxSteps)
        private
        returns (uint256, uint256 steps)
    {
        uint256 count = uint256(task.revealedCount) + 1;
        uint256 baseline = task.baseline;
        uint256 totalWeight = task.totalWeight;
        uint64 counted = task.countedMembers; // gas savings
        uint256 size = task.panelDrawn;
        Panel memory panel = Panel({
            taskId: taskId,
            size: size,
            counted: counted,
            flagged: task.flaggedMembers,
            tolerance: task.params.toleranceBps,
            quorum: _popcount(task.revealedMembers) / 2 + 1,
            contested: task.contested,
            // One buffer for all steps: memory is never freed, so it is allocated once per call.
            sorted: new uint256[](_popcount(counted)),
            words: new uint256[](size),
            wordIndex: type(uint256).max
        });
        Submission[] storage submissions = _submissions[taskId];
        for (; cursor < count && steps < maxSteps; (++cursor, ++steps)) {
            uint16 median = _medianAndJudge(panel, cursor);
            if (cursor == 0) {
                baseline = median > task.params.baselineScore ? median : task.params.baselineScore;
                task.startMedian = median;
                task.baseline = uint16(baseline); // fits: the larger of two uint16
                emit BaselineFixed(taskId, median, uint16(baseline));
                continue;
            }
            uint256 weight = RewardSplit.weight(median, baseline);
            totalWeight += weight;
            submissions[cursor - 1].medianScore = median;
            emit SubmissionScored(taskId, cursor - 1, median, uint16(weight)); // fits: weight <= median
        }
        task.flaggedMembers = panel.flagged;
        task.contested = panel.contested;
        task.totalWeight = uint64(totalWeight); // fits: at most 512 weights of at most 10000 each
        return (cursor, steps);
    }

    /// @dev The median score of model `index`; flags every counted member outside tolerance of it.
    function _medianAndJudge(Panel memory panel, uint256 index) private returns (uint16 median) {
        mapping(uint256 => uint256[]) storage scores = _scores[panel.taskId];
        // slither-disable-next-line uninitialized-local (no score gathered yet)
        uint256 n;
        // Sixteen models share a word: read each member's word once per sixteen steps.
        uint256 wordIndex = ScoreBook.wordOf(index);
        if (wordIndex != panel.wordIndex) {
            for (uint256 v; v < panel.size; ++v) {
                if (panel.counted & _bit(v) != 0) panel.words[v] = scores[v][wordIndex];
            }
            panel.wordIndex = wordIndex;
        }
        for (uint256 v; v < panel.size; ++v) {
            if (panel.counted & _bit(v) != 0) panel.sorted[n++] = ScoreBook.fromWord(panel.words[v], index);
        }
        median = uint16(Median.compute(panel.sorted)); // fits: a median of uint16 scores
        // sorted: when the lowest and the highest score lie within tolerance, every score does
        uint256 support = n;
        if (
            _distance(panel.sorted[0], median) > panel.tolerance
                || _distance(panel.sorted[n - 1], median) > panel.tolerance
        ) support = _judge(panel, index, median);
        // An even count whose middle two lie further apart than the tolerance is two halves: their
        // mean would let one half move every median by up to the tolerance with nobody flagged.
        if (n % 2 == 0 && panel.sorted[n / 2] - panel.sorted[n / 2 - 1] > panel.tolerance) support = 0;
        // A median that a strict majority of the revealing members does not stand behind is no
        // verdict: whoever excluded honest members (a test set served to a few, a member kept
        // from revealing) must not get to steer it.
        if (support < panel.quorum && !panel.contested) {
            panel.contested = true;
            emit VerdictContested(panel.taskId, index, median, support, panel.quorum);
        }
    }

    /// @dev Flags every counted member outside tolerance of `median` (once); returns how many
    /// counted members lie within it.
    function _judge(Panel memory panel, uint256 index, uint16 median) private returns (uint256 support) {
        for (uint256 v; v < panel.size; ++v) {
            uint64 bit = _bit(v);
            if (panel.counted & bit == 0) continue;
            uint16 score = ScoreBook.fromWord(panel.words[v], index);
            if (_distance(score, median) <= panel.tolerance) {
                ++support;
            } else if (panel.flagged & bit == 0) {
                panel.flagged |= bit;
                emit VerifierDishonest(panel.taskId, _panels[panel.taskId][v], index, score, median);
            }
        }
    }

    /// @dev Between the passes: releases the panel through the pool, which slashes each member
    /// that did not reveal or was flagged and sends the total here; fixes the contributors' pool.
    /// Nobody is slashed when no model was revealed (there was nothing to score).
    function _releasePanel(uint256 taskId, Task storage task) private {
        uint256 size = task.panelDrawn;
        // slither-disable-next-line uninitialized-local (nobody to slash yet)
        uint256 slashMask;
        if (task.revealedCount != 0) {
            uint256 everyone = (uint256(1) << size) - 1;
            slashMask = everyone & ~uint256(task.revealedMembers);
            // In a contested task nobody can be judged by the medians: absentees only.
            if (!task.contested) slashMask |= task.flaggedMembers;
        }
        // The pool is this market's own contract (deployed by its constructor): a trusted call.
        uint256 slashed = _pool.dismiss(taskId, _panels[taskId], slashMask);
        task.slashed = uint128(slashed); // fits: at most 63 bonds of a uint96 each

        if (task.contested || task.revealedCount == 0) return; // nothing is shared by weight
        uint256 reward = task.reward;
        uint256 pool = reward - RewardSplit.fee(reward, task.params.verifierFeeBps) + _forfeitedContributorStakes(task);
        if (_honest(task) == 0) pool += slashed; // no honest member: the slashed bonds go to the contributors
        task.contributorPool = uint128(pool); // fits: a uint96 reward, 512 uint96 stakes and 63 bonds
    }

    /// @dev Pass 2: the sum of the contributors' rewards, so that dust is known exactly.
    function _sumRewards(uint256 taskId, Task storage task, uint256 cursor, uint256 maxSteps)
        private
        returns (uint256)
    {
        uint256 count = task.revealedCount;
        uint256 totalWeight = task.totalWeight;
        if (totalWeight == 0 || task.contested) return count; // nobody is paid by weight: nothing to sum
        uint256 pool = task.contributorPool;
        uint256 baseline = task.baseline;
        uint256 total = task.rewardsTotal;
        Submission[] storage submissions = _submissions[taskId];
        for (uint256 steps; cursor < count && steps < maxSteps; (++cursor, ++steps)) {
            total += RewardSplit.proRata(pool, RewardSplit.weight(submissions[cursor].medianScore, baseline), totalWeight);
        }
        task.rewardsTotal = uint128(total); // fits: rounded-down shares of the contributor pool
        return cursor;
    }

    /// @dev The end: the honest members' fee, what is burned and what goes back to the initiator.
    /// Slashed wei go to the honest members, else to the contributors, else are burned, and so
    /// is the rounding dust of any amount that holds them: the initiator never gets one.
    function _settle(uint256 taskId, Task storage task) private {
        uint256 reward = task.reward;
        uint256 slashed = task.slashed;
        uint256 deposited = _deposited(task);
        // slither-disable-next-line uninitialized-local (nothing burned yet)
        uint256 burned;
        // slither-disable-next-line uninitialized-local (no fee yet)
        uint256 feePerVerifier;
        uint256 honest = _honest(task);
        uint256 paidToOthers = task.rewardsTotal;
        if (task.revealedCount == 0) {
            // Unfulfilled with a panel: the committed stakes are forfeit to the initiator (they
            // could have revealed); the forfeit of a task without a model is burned.
            burned = _forfeit(task);
        } else if (task.contested) {
            // No verdict: revealed stakes come back; nobody may gain from a contest, so the
            // reward, forfeited stakes and absentees' slashes are burned.
            paidToOthers = uint256(task.revealedCount) * task.params.contributorStake;
            burned = deposited - paidToOthers;
        } else {
            paidToOthers += uint256(task.revealedCount) * task.params.contributorStake;
            if (honest != 0) {
                uint256 feePot = RewardSplit.fee(reward, task.params.verifierFeeBps) + slashed;
                feePerVerifier = RewardSplit.equalShare(feePot, honest);
                paidToOthers += honest * feePerVerifier;
                if (slashed != 0) burned = feePot - honest * feePerVerifier;
            } else if (task.totalWeight != 0) {
                if (slashed != 0) burned = task.contributorPool - task.rewardsTotal;
            } else {
                burned = slashed; // nobody honest, nobody paid by weight: nobody may take them
            }
        }
        // fit: both are parts of the task's deposits, below 2^108
        task.feePerVerifier = uint128(feePerVerifier);
        task.initiatorRefund = uint128(deposited - paidToOthers - burned);
        task.finalizeStage = STAGE_DONE;
        _burn(taskId, task, burned);
        emit TaskFinalized(taskId, _settlement(task));
    }

    /*//////////////////////////////////////////////////////////////
                          FUSED MODEL, LINEAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILearningMarket
    function publishFusedModel(uint256 taskId, bytes32 fusedModelDigest, string calldata uri) external {
        Task storage task = _existing(taskId);
        _requireInitiator(taskId, task);
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
        if (!_settled(phase)) revert WrongPhase(taskId, phase, Phase.Finalized);
        bool finalized = task.finalizeStage == STAGE_DONE;
        if (account == task.initiator) {
            // Cancelled and finalized tasks fixed the refund; Void and panel-less Unfulfilled
            // ones give back the reward less the forfeit.
            return finalized || task.cancelled ? task.initiatorRefund : task.reward - _forfeit(task);
        }
        Member storage member = _members[taskId][account];
        if (member.role == Role.Verifier) return _isHonest(task, member.index) ? task.feePerVerifier : 0;
        if (member.role != Role.Contributor) return 0;
        // Unfulfilled without a panel: nobody could reveal, the stake comes back. With a panel
        // and no model revealed, every stake is forfeit.
        if (!finalized) return task.params.contributorStake;
        if (!member.revealed) return 0; // unrevealed stakes are forfeit
        return uint256(task.params.contributorStake) + _rewardOf(taskId, task, member.index);
    }

    /// @dev A revealed submission's reward on top of its stake, in a finalized task (0 if contested:
    /// its contributor pool and total weight are then 0).
    function _rewardOf(uint256 taskId, Task storage task, uint256 index) private view returns (uint256) {
        uint256 weight = RewardSplit.weight(_submissions[taskId][index].medianScore, task.baseline);
        return RewardSplit.proRata(task.contributorPool, weight, task.totalWeight);
    }

    function _claimed(uint256 taskId, address account) internal view override returns (bool) {
        Task storage task = _tasks[taskId];
        return account == task.initiator ? task.initiatorClaimed : _members[taskId][account].claimed;
    }

    function _markClaimed(uint256 taskId, address account) internal override {
        Task storage task = _tasks[taskId];
        if (account != task.initiator) {
            _members[taskId][account].claimed = true;
            return;
        }
        task.initiatorClaimed = true;
        // A Void or panel-less Unfulfilled task burns its forfeit: recorded by this claim.
        if (task.finalizeStage != STAGE_DONE && !task.cancelled) _burn(taskId, task, _forfeit(task));
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILearningMarket
    function minWindow() external view returns (uint64) {
        return _minWindow;
    }

    /// @inheritdoc ILearningMarket
    function forfeitBps() external view returns (uint16) {
        return _forfeitBps;
    }

    /// @inheritdoc ILearningMarket
    function taskCount() external view returns (uint256) {
        return _taskCount;
    }

    /// @inheritdoc ILearningMarket
    function totalBurned() external view returns (uint256) {
        return _totalBurned;
    }

    /// @inheritdoc ILearningMarket
    function phaseOf(uint256 taskId) external view returns (Phase) {
        return _phase(_tasks[taskId]);
    }

    /// @inheritdoc ILearningMarket
    function getShards(uint256 taskId) external view returns (bytes32[] memory digests, uint32 auditMask) {
        Task storage task = _existing(taskId);
        uint256 count = task.params.testShards;
        digests = new bytes32[](count);
        bytes32[MAX_TEST_SHARDS] storage stored = _shardDigests[taskId];
        for (uint256 i; i < count; ++i) {
            digests[i] = stored[i];
        }
        auditMask = task.auditMask;
    }

    /// @inheritdoc ILearningMarket
    function getTask(uint256 taskId) external view returns (TaskView memory view_) {
        Task storage task = _existing(taskId);
        view_.params = task.params;
        Phase phase = _phase(task);
        view_.initiator = task.initiator;
        view_.phase = phase;
        view_.reward = task.reward;
        view_.committedCount = task.committedCount;
        view_.revealedCount = task.revealedCount;
        view_.auditSeedBlock = task.auditSeedBlock;
        view_.auditMask = task.auditMask;
        view_.auditRevealed = task.auditRevealed;
        view_.testRevealed = task.testRevealed;
        view_.panelSeedBlock = task.panelSeedBlock;
        view_.panelRequestBlock = task.panelRequestBlock;
        view_.poolSizeAtRequest = task.poolSizeAtRequest;
        view_.panelDrawn = task.panelDrawn;
        view_.fusedModelDigest = task.fusedModelDigest;
        view_.deposited = uint128(_deposited(task)); // fits: below 2^108 (see _releasePanel)
        view_.paidOut = task.paidOut;
        // Void and panel-less Unfulfilled tasks burn their forfeit whether or not it is recorded yet.
        bool derived = (phase == Phase.Void || phase == Phase.Unfulfilled) && task.finalizeStage != STAGE_DONE;
        view_.burned = derived ? uint128(_forfeit(task)) : task.burned; // fits: at most the reward
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
        bool finalized = task.finalizeStage == STAGE_DONE; // rewards are fixed
        views = new SubmissionView[](end - start);
        for (uint256 i = start; i < end; ++i) {
            Submission storage submission = _submissions[taskId][i];
            views[i - start] = SubmissionView({
                contributor: submission.contributor,
                modelDigest: _members[taskId][submission.contributor].commitment,
                medianScore: submission.medianScore,
                reward: finalized ? _rewardOf(taskId, task, i) : 0
            });
        }
    }

    /// @inheritdoc ILearningMarket
    function getPanel(uint256 taskId) external view returns (PanelMemberView[] memory views) {
        Task storage task = _existing(taskId);
        address[] storage panel = _panels[taskId];
        // Members are slashed by finalize, only when a model was revealed, and only for their
        // absence when the task is contested.
        bool judged = task.finalizeStage == STAGE_DONE && task.revealedCount != 0;
        uint64 flagged = task.contested ? 0 : task.flaggedMembers;
        views = new PanelMemberView[](panel.length);
        for (uint256 i; i < panel.length; ++i) {
            Member storage member = _members[taskId][panel[i]];
            uint64 bit = _bit(i);
            views[i] = PanelMemberView({
                member: panel[i],
                committed: member.commitment != bytes32(0),
                revealed: member.revealed,
                testSetAvailable: member.testSetAvailable,
                counted: task.countedMembers & bit != 0,
                honest: _isHonest(task, i),
                slashed: judged && (!member.revealed || flagged & bit != 0)
            });
        }
    }

    /// @inheritdoc ILearningMarket
    function scoresOf(uint256 taskId, address verifier) external view returns (uint16[] memory) {
        Task storage task = _existing(taskId);
        Member storage member = _members[taskId][verifier];
        if (member.role != Role.Verifier || !member.revealed) return new uint16[](0);
        return _scores[taskId][member.index].load(uint256(task.revealedCount) + 1);
    }

    /// @inheritdoc ILearningMarket
    function revealedIn(bytes32 modelDigest) external view returns (uint256) {
        return _revealedIn[modelDigest];
    }

    /// @inheritdoc ILearningMarket
    function roleOf(uint256 taskId, address account) external view returns (Role) {
        return _members[taskId][account].role;
    }

    /// @inheritdoc ILearningMarket
    function owed(uint256 taskId, address account) external view returns (uint256) {
        Task storage task = _existing(taskId);
        if (!_settled(_phase(task)) || _claimed(taskId, account)) return 0;
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
    function shardCommitment(bytes32 digest, bytes32 salt) external pure returns (bytes32) {
        return Commitments.shard(digest, salt);
    }

    /// @inheritdoc ILearningMarket
    function testSetCommitment(address initiator, bytes32[] calldata shardCommitments) external view returns (bytes32) {
        return Commitments.testSet(initiator, shardCommitments);
    }

    /// @inheritdoc ILearningMarket
    function scoreCommitment(
        uint256 taskId,
        address verifier,
        bool testSetAvailable,
        uint16[] calldata scores,
        bytes32 salt
    ) external view returns (bytes32) {
        return Commitments.scores(taskId, verifier, testSetAvailable, scores, salt);
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    function _verifier(uint256 taskId, address account) private view returns (Member storage member) {
        member = _members[taskId][account];
        if (member.role != Role.Verifier) revert NotVerifier(taskId, account);
    }

    /// @dev Counted and never flagged, in a task with a verdict.
    function _isHonest(Task storage task, uint256 memberIndex) private view returns (bool) {
        return _honestMembers(task) & _bit(memberIndex) != 0;
    }

    function _honest(Task storage task) private view returns (uint256) {
        return _popcount(_honestMembers(task));
    }

    /// @dev The set of honest members: none in a contested task (there is no verdict to be honest to).
    function _honestMembers(Task storage task) private view returns (uint64) {
        return task.contested ? 0 : task.countedMembers & ~task.flaggedMembers;
    }

    /// @dev Everything the task took in: the reward, every contributor stake, the slashed bonds.
    function _deposited(Task storage task) private view returns (uint256) {
        return uint256(task.reward) + uint256(task.committedCount) * task.params.contributorStake + task.slashed;
    }

    function _settlement(Task storage task) private view returns (Settlement memory settlement) {
        settlement.totalWeight = task.totalWeight;
        settlement.startMedian = task.startMedian;
        settlement.baseline = task.baseline;
        settlement.basis = task.basis;
        settlement.contributorPool = task.contributorPool;
        settlement.rewardsTotal = task.rewardsTotal;
        settlement.feePerVerifier = task.feePerVerifier;
        // fit: popcounts of 64-bit sets
        settlement.honestVerifiers = uint16(_honest(task));
        settlement.countedVerifiers = uint16(_popcount(task.countedMembers));
        settlement.revealedVerifiers = uint16(_popcount(task.revealedMembers));
        settlement.slashed = task.slashed;
        settlement.burned = task.burned;
        settlement.initiatorRefund = task.initiatorRefund;
        settlement.contested = task.contested;
    }

    function _distance(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a - b : b - a;
    }

    /// @dev Member `index`'s bit in a member set (index < MAX_PANEL_SIZE = 63).
    function _bit(uint256 index) private pure returns (uint64) {
        return uint64(1) << uint64(index); // fits: index < 64
    }
}
