// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ILearningMarket
/// @notice A market for deep-learning models. An initiator escrows a reward for a task;
/// contributors train on private data and submit models by commit-reveal; staked verifiers
/// score the revealed models on a test set the initiator committed to at creation; the market
/// pays each contributor in proportion to how far its model's median score beats a baseline.
/// @dev Everything off chain (task spec, model files, test set, fused model) is named by the
/// SHA-256 digest of its bytes. URIs are hints for where to fetch a file and are only emitted.
/// Phases follow from the deadlines fixed at creation and from what has happened; only
/// {finalize} has to be called to move a task on, and anyone may call it.
/// All amounts are in wei, scores and shares in basis points (10000 = 100%).
interface ILearningMarket {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice Where a task stands. Derived from the clock and the task's state.
    enum Phase {
        None, //         no such task
        Commit, //       contributors commit models, verifiers join (until commitDeadline)
        Reveal, //       contributors reveal models (until revealDeadline)
        TestReveal, //   the initiator reveals the test set (until testRevealDeadline)
        ScoreCommit, //  verifiers commit scores (from the test reveal until scoreCommitDeadline)
        ScoreReveal, //  verifiers reveal scores (until scoreRevealDeadline)
        Finalizing, //   anyone runs the batched finalize
        Finalized, //    settled with scores: claims open
        Cancelled, //    cancelled by the initiator before any commit: claims open
        Unfulfilled, //  no model was revealed: claims open
        Abandoned //     the initiator did not reveal the test set: claims open
    }

    /// @notice What an address is in a task. The initiator holds no other role.
    enum Role {
        None,
        Contributor,
        Verifier
    }

    /// @notice The parameters an initiator fixes when it creates a task.
    /// @param specDigest SHA-256 of the task spec file (data schema, metric, initial model).
    /// @param testSetCommitment `keccak256(abi.encode(chainid, market, initiator, testDigest, salt))`.
    /// @param commitDeadline Last second to commit a model or join as verifier.
    /// @param revealDeadline Last second to reveal a model.
    /// @param testRevealDeadline Last second for the initiator to reveal the test set.
    /// @param scoreCommitDeadline Last second to commit scores.
    /// @param scoreRevealDeadline Last second to reveal scores; finalize may run after it.
    /// @param contributorStake Exact stake a contributor sends with its commitment (wei).
    /// @param verifierStake Exact stake a verifier sends to join (wei).
    /// @param maxContributors Most model commitments the task accepts.
    /// @param maxVerifiers Most verifiers the task accepts (odd and at least 3 is sensible).
    /// @param verifierFeeBps Share of the reward paid to honest verifiers.
    /// @param baselineScore Accuracy (bps) that earns nothing; rewards grow above it.
    /// @param toleranceBps How far from the median every score of an honest verifier lies.
    /// @param parentTaskId The previous round, whose fused model this round starts from (0: none).
    struct TaskParams {
        bytes32 specDigest;
        bytes32 testSetCommitment;
        uint64 commitDeadline;
        uint64 revealDeadline;
        uint64 testRevealDeadline;
        uint64 scoreCommitDeadline;
        uint64 scoreRevealDeadline;
        uint96 contributorStake;
        uint96 verifierStake;
        uint16 maxContributors;
        uint16 maxVerifiers;
        uint16 verifierFeeBps;
        uint16 baselineScore;
        uint16 toleranceBps;
        uint256 parentTaskId;
    }

    /// @notice A task as a client sees it.
    struct TaskView {
        TaskParams params;
        address initiator;
        Phase phase;
        uint128 reward;
        uint16 committedCount;
        uint16 revealedCount;
        uint16 verifierCount;
        bytes32 testDigest;
        bytes32 fusedModelDigest;
        uint128 deposited;
        uint128 paidOut;
        Settlement settlement;
    }

    /// @notice The outcome of {finalize}, fixed when it completes.
    /// @param totalWeight Sum over submissions of `max(0, median - baselineScore)`.
    /// @param contributorPool Reward less the verifiers' fee, plus forfeited contributor stakes.
    /// @param rewardsTotal What the contributors receive as rewards, in all (stakes excluded).
    /// @param feePerVerifier What each honest verifier receives on top of its stake.
    /// @param honestVerifiers How many verifiers revealed and were within tolerance throughout.
    /// @param revealedVerifiers How many verifiers revealed their scores.
    /// @param initiatorRefund What goes back to the initiator (unpaid pool, fee, dust).
    struct Settlement {
        uint64 totalWeight;
        uint128 contributorPool;
        uint128 rewardsTotal;
        uint128 feePerVerifier;
        uint16 honestVerifiers;
        uint16 revealedVerifiers;
        uint128 initiatorRefund;
    }

    /// @notice A revealed model, in reveal order.
    /// @param medianScore Median of the revealed verifiers' scores (0 before finalize).
    /// @param reward Reward on top of the stake (0 until the task is settled).
    struct SubmissionView {
        address contributor;
        bytes32 modelDigest;
        uint16 medianScore;
        uint256 reward;
    }

    /// @notice A verifier of a task, in join order.
    /// @param honest Revealed and within tolerance of every median (meaningful once finalized).
    struct VerifierView {
        address verifier;
        bool committed;
        bool revealed;
        bool honest;
    }

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when a task is created and its reward escrowed.
    event TaskCreated(
        uint256 indexed taskId,
        address indexed initiator,
        uint256 indexed parentTaskId,
        TaskParams params,
        uint256 reward,
        string specUri
    );

    /// @notice Emitted when the initiator cancels a task before any model commitment.
    event TaskCancelled(uint256 indexed taskId, address indexed initiator);

    /// @notice Emitted when a contributor commits to a model and stakes.
    event ModelCommitted(uint256 indexed taskId, address indexed contributor, bytes32 commitment);

    /// @notice Emitted when a verifier joins a task and stakes.
    event VerifierJoined(uint256 indexed taskId, address indexed verifier);

    /// @notice Emitted when a contributor opens its commitment.
    /// @param submissionIndex Position in reveal order (0-based): the order scores are given in.
    event ModelRevealed(
        uint256 indexed taskId,
        address indexed contributor,
        uint256 submissionIndex,
        bytes32 modelDigest,
        string uri
    );

    /// @notice Emitted when the initiator opens its test set commitment.
    event TestSetRevealed(uint256 indexed taskId, bytes32 testDigest, string uri);

    /// @notice Emitted when a verifier commits to its scores.
    event ScoresCommitted(uint256 indexed taskId, address indexed verifier, bytes32 commitment);

    /// @notice Emitted when a verifier reveals its scores (one per submission, in reveal order).
    event ScoresRevealed(uint256 indexed taskId, address indexed verifier, uint16[] scores);

    /// @notice Emitted by {finalize} for each submission once its median is known.
    event SubmissionScored(uint256 indexed taskId, uint256 indexed submissionIndex, uint16 medianScore, uint16 weight);

    /// @notice Emitted by {finalize} the first time one of a verifier's scores lies outside tolerance.
    event VerifierDishonest(
        uint256 indexed taskId, address indexed verifier, uint256 submissionIndex, uint16 score, uint16 medianScore
    );

    /// @notice Emitted when {finalize} completes and every entitlement is fixed.
    event TaskFinalized(uint256 indexed taskId, Settlement settlement);

    /// @notice Emitted when an address is paid what it is owed in a task.
    event Claimed(uint256 indexed taskId, address indexed account, address indexed recipient, uint256 amount);

    /// @notice Emitted when the initiator records the digest of the fused model.
    event FusedModelPublished(uint256 indexed taskId, bytes32 fusedModelDigest, string uri);

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice Thrown when no task has this id.
    error TaskNotFound(uint256 taskId);
    /// @notice Thrown when an action is taken outside its phase.
    /// @param current The task's phase now.
    /// @param required The phase the action needs.
    error WrongPhase(uint256 taskId, Phase current, Phase required);
    /// @notice Thrown when a task is created with no reward.
    error ZeroReward();
    /// @notice Thrown when a task's reward does not fit the market's accounting.
    error RewardTooLarge(uint256 reward, uint256 maximum);
    /// @notice Thrown when a required digest or commitment is zero.
    error ZeroDigest();
    /// @notice Thrown when a stake parameter is zero.
    error ZeroStake();
    /// @notice Thrown when a deadline comes too early.
    /// @param index Which deadline: 0 commit, 1 reveal, 2 test reveal, 3 score commit, 4 score reveal.
    /// @param deadline The deadline given.
    /// @param earliest The earliest it may be (the previous one, or now, plus the minimum window).
    error DeadlineTooEarly(uint256 index, uint256 deadline, uint256 earliest);
    /// @notice Thrown when maxContributors is 0 or above the market's cap.
    error InvalidMaxContributors(uint256 maxContributors, uint256 cap);
    /// @notice Thrown when maxVerifiers is 0 or above the market's cap.
    error InvalidMaxVerifiers(uint256 maxVerifiers, uint256 cap);
    /// @notice Thrown when a basis-point parameter is above 10000.
    error InvalidBps(uint256 value);
    /// @notice Thrown when the parent task does not exist, is not the caller's, or has no fused model.
    error InvalidParent(uint256 parentTaskId);
    /// @notice Thrown when the initiator cancels a task in which models are already committed.
    error CommitmentsExist(uint256 taskId, uint256 committedCount);
    /// @notice Thrown when the market is deployed with a zero minimum window.
    error ZeroMinWindow();
    /// @notice Thrown when a caller that is not the initiator acts for it.
    error NotInitiator(uint256 taskId, address caller);
    /// @notice Thrown when the initiator tries to take another role in its own task.
    error InitiatorCannotParticipate(uint256 taskId);
    /// @notice Thrown when an address that already holds a role in the task tries to take one.
    error AlreadyParticipant(uint256 taskId, address account, Role role);
    /// @notice Thrown when the value sent is not the stake the task asks.
    error WrongStake(uint256 sent, uint256 required);
    /// @notice Thrown when the task has all the contributors or verifiers it accepts.
    error TaskFull(uint256 taskId, Role role, uint256 maximum);
    /// @notice Thrown when the caller is not a contributor of the task.
    error NotContributor(uint256 taskId, address account);
    /// @notice Thrown when the caller is not a verifier of the task.
    error NotVerifier(uint256 taskId, address account);
    /// @notice Thrown when a reveal does not open the sender's commitment.
    error CommitmentMismatch(uint256 taskId, address account);
    /// @notice Thrown when a contributor reveals a second time.
    error AlreadyRevealed(uint256 taskId, address account);
    /// @notice Thrown when a model digest was already revealed in the task.
    error DuplicateModel(uint256 taskId, bytes32 modelDigest);
    /// @notice Thrown when a verifier commits scores a second time.
    error ScoresAlreadyCommitted(uint256 taskId, address verifier);
    /// @notice Thrown when a verifier reveals scores it never committed.
    error ScoresNotCommitted(uint256 taskId, address verifier);
    /// @notice Thrown when a verifier reveals scores a second time.
    error ScoresAlreadyRevealed(uint256 taskId, address verifier);
    /// @notice Thrown when the scores do not number one per revealed submission.
    error ScoreCountMismatch(uint256 taskId, uint256 given, uint256 expected);
    /// @notice Thrown when a score is above 10000 bps.
    error ScoreOutOfRange(uint256 taskId, uint256 index, uint256 score);
    /// @notice Thrown when finalize is asked to take no step.
    error ZeroSteps();
    /// @notice Thrown when an address is owed nothing in the task.
    error NothingToClaim(uint256 taskId, address account);
    /// @notice Thrown when an address claims a second time.
    error AlreadyClaimed(uint256 taskId, address account);
    /// @notice Thrown when a claim is sent to the zero address.
    error ZeroRecipient();
    /// @notice Thrown when the fused model of a task is published a second time.
    error FusedModelAlreadyPublished(uint256 taskId, bytes32 fusedModelDigest);

    /*//////////////////////////////////////////////////////////////
                                ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Creates a task and escrows `msg.value` as its reward.
    /// @dev Anyone may call. Emits a {TaskCreated} event. Reverts with a named error on any bad
    /// parameter. Costs the reward plus gas for about six storage slots.
    /// @param params The task's parameters (see {TaskParams}).
    /// @param specUri Where to fetch the task spec (a hint; `specDigest` checks the bytes).
    /// @return taskId The new task's id (ids start at 1).
    function createTask(TaskParams calldata params, string calldata specUri) external payable returns (uint256 taskId);

    /// @notice Cancels a task before any model is committed; the reward and any verifier stakes
    /// become claimable.
    /// @dev Only the initiator, in the Commit phase, while no model is committed.
    /// Emits a {TaskCancelled} event.
    function cancelTask(uint256 taskId) external;

    /// @notice Commits to a model and stakes `contributorStake`.
    /// @dev Anyone but the initiator and the task's verifiers, once per task, in the Commit
    /// phase. `commitment = keccak256(abi.encode(block.chainid, market, taskId, msg.sender,
    /// modelDigest, salt))`. Emits a {ModelCommitted} event.
    function commitModel(uint256 taskId, bytes32 commitment) external payable;

    /// @notice Joins a task as verifier and stakes `verifierStake`.
    /// @dev Anyone but the initiator and the task's contributors, once per task, in the
    /// Commit phase. Emits a {VerifierJoined} event.
    function joinAsVerifier(uint256 taskId) external payable;

    /// @notice Opens the caller's model commitment; the model becomes a submission.
    /// @dev Only a contributor of the task, once, in the Reveal phase. A digest already
    /// revealed in the task is refused. Emits a {ModelRevealed} event.
    /// @param uri Where to fetch the model file (emitted, not stored).
    function revealModel(uint256 taskId, bytes32 modelDigest, bytes32 salt, string calldata uri) external;

    /// @notice Opens the initiator's test set commitment; score commitments may start.
    /// @dev Only the initiator, in the TestReveal phase (which needs at least one revealed
    /// model). Emits a {TestSetRevealed} event.
    /// @param uri Where to fetch the test set file (emitted, not stored).
    function revealTestSet(uint256 taskId, bytes32 testDigest, bytes32 salt, string calldata uri) external;

    /// @notice Commits to the caller's scores of every submission.
    /// @dev Only a verifier of the task, once, in the ScoreCommit phase. `commitment =
    /// keccak256(abi.encode(block.chainid, market, taskId, msg.sender, scores, salt))` with
    /// `scores` a `uint16[]`. Emits a {ScoresCommitted} event.
    function commitScores(uint256 taskId, bytes32 commitment) external;

    /// @notice Reveals the caller's scores: one accuracy in bps per submission, in reveal order.
    /// @dev Only a verifier that committed, once, in the ScoreReveal phase. Costs one storage
    /// slot per 16 submissions. Emits a {ScoresRevealed} event.
    function revealScores(uint256 taskId, uint16[] calldata scores, bytes32 salt) external;

    /// @notice Runs up to `maxSteps` steps of finalization (one step per submission and pass).
    /// @dev Anyone, in the Finalizing phase. Emits {SubmissionScored} per submission,
    /// {VerifierDishonest} per dishonest verifier, and {TaskFinalized} when done.
    /// @return done Whether the task is now finalized.
    function finalize(uint256 taskId, uint256 maxSteps) external returns (bool done);

    /// @notice Pays the caller everything it is owed in the task (stake back, reward, fee or
    /// refund), once.
    /// @dev Anyone owed something, once the task is settled (Finalized, Cancelled,
    /// Unfulfilled or Abandoned). Emits a {Claimed} event.
    /// @return amount What was paid.
    function claim(uint256 taskId) external returns (uint256 amount);

    /// @notice Like {claim}, paying `recipient`: for an account that cannot receive ETH itself.
    function claimTo(uint256 taskId, address payable recipient) external returns (uint256 amount);

    /// @notice Records the digest of the model fused from the task's paid submissions.
    /// @dev Only the initiator, once, after the task is finalized. Emits a {FusedModelPublished} event.
    /// @param uri Where to fetch the fused model file (emitted, not stored).
    function publishFusedModel(uint256 taskId, bytes32 fusedModelDigest, string calldata uri) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Shortest window between two deadlines, in seconds.
    function minWindow() external view returns (uint64);

    /// @notice Number of tasks created; task ids run from 1 to this.
    function taskCount() external view returns (uint256);

    /// @notice The task's phase now.
    function phaseOf(uint256 taskId) external view returns (Phase);

    /// @notice Everything about a task except its participants.
    function getTask(uint256 taskId) external view returns (TaskView memory);

    /// @notice Submissions `start` .. `start + count` (clipped), in reveal order.
    function getSubmissions(uint256 taskId, uint256 start, uint256 count)
        external
        view
        returns (SubmissionView[] memory);

    /// @notice Every verifier of the task, in join order (at most `maxVerifiers`).
    function getVerifiers(uint256 taskId) external view returns (VerifierView[] memory);

    /// @notice A verifier's revealed scores (empty before it reveals).
    function scoresOf(uint256 taskId, address verifier) external view returns (uint16[] memory);

    /// @notice The role an address holds in a task.
    function roleOf(uint256 taskId, address account) external view returns (Role);

    /// @notice What `account` can claim in the task now (0 before settlement and after claiming).
    function owed(uint256 taskId, address account) external view returns (uint256);

    /// @notice Whether `account` has claimed in the task.
    function hasClaimed(uint256 taskId, address account) external view returns (bool);

    /// @notice The model commitment `contributor` must send for `modelDigest` and `salt`.
    function modelCommitment(uint256 taskId, address contributor, bytes32 modelDigest, bytes32 salt)
        external
        view
        returns (bytes32);

    /// @notice The score commitment `verifier` must send for `scores` and `salt`.
    function scoreCommitment(uint256 taskId, address verifier, uint16[] calldata scores, bytes32 salt)
        external
        view
        returns (bytes32);

    /// @notice The test set commitment `initiator` puts in {TaskParams} for `testDigest` and `salt`.
    function testSetCommitment(address initiator, bytes32 testDigest, bytes32 salt) external view returns (bytes32);
}
