// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ILearningMarketTypes
/// @notice The vocabulary of {ILearningMarket}: its types, events and errors. Apart so that the
/// market's setup module ({TaskSetup}), which runs part of the market by delegatecall, shares it.
interface ILearningMarketTypes {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice Where a task stands. Derived from the clock, the block number and the task's state.
    enum Phase {
        None, //         no such task
        Audit, //        the audit sample is drawn and its shards revealed (until auditDeadline)
        Commit, //       contributors commit models (until commitDeadline)
        Reveal, //       a panel is drawn; contributors reveal models (until revealDeadline)
        TestReveal, //   the initiator reveals the test shards (until testRevealDeadline)
        ScoreCommit, //  panel members commit scores (until scoreCommitDeadline)
        ScoreReveal, //  panel members reveal scores (until scoreRevealDeadline)
        Finalizing, //   anyone runs the batched finalize
        Finalized, //    settled with scores: claims open
        Cancelled, //    cancelled by the initiator before any commitment: claims open
        Unfulfilled, //  no model was revealed: claims open
        Void //          the audit was not drawn in time or not revealed: claims open
    }

    /// @notice What an address is in a task. The initiator holds no other role.
    enum Role {
        None,
        Contributor,
        Verifier
    }

    /// @notice What the panel's scores were computed on.
    enum Basis {
        Test, //  the test shards (revealed, and a strict majority of revealing members fetched them)
        Audit //  the audit shards (the test set was withheld, or most members could not fetch it)
    }

    /// @notice The parameters an initiator fixes when it creates a task.
    /// @param specDigest SHA-256 of the task spec file (data schema, metric, starting model,
    /// scoring rules and their version).
    /// @param testSetCommitment `keccak256(abi.encode(chainid, market, initiator, shardCommitments))`
    /// with `shardCommitments` the K values `keccak256(abi.encode(shardDigest, salt))` in shard order.
    /// @param auditDeadline Last second to reveal the audit shards.
    /// @param commitDeadline Last second to commit a model.
    /// @param revealDeadline Last second to draw the panel and reveal a model.
    /// @param testRevealDeadline Last second for the initiator to reveal the test shards.
    /// @param scoreCommitDeadline Last second to commit scores.
    /// @param scoreRevealDeadline Last second to reveal scores; finalize may run after it.
    /// @param contributorStake Exact stake a contributor sends with its commitment (wei).
    /// @param maxContributors Most model commitments the task accepts (1..512).
    /// @param panelSize Members drawn to score (odd, 3..63).
    /// @param verifierFeeBps Share of the reward paid to the honest panel members.
    /// @param baselineScore Accuracy (bps) that earns nothing; the starting model's median raises it.
    /// @param toleranceBps How far from the median every score of an honest member lies.
    /// @param testShards K: shards of the test set (2..32).
    /// @param auditShards A: shards revealed before commitments (1..K-1).
    /// @param parentTaskId The previous round, whose fused model this round starts from (0: none).
    struct TaskParams {
        bytes32 specDigest;
        bytes32 testSetCommitment;
        uint64 auditDeadline;
        uint64 commitDeadline;
        uint64 revealDeadline;
        uint64 testRevealDeadline;
        uint64 scoreCommitDeadline;
        uint64 scoreRevealDeadline;
        uint96 contributorStake;
        uint16 maxContributors;
        uint16 panelSize;
        uint16 verifierFeeBps;
        uint16 baselineScore;
        uint16 toleranceBps;
        uint8 testShards;
        uint8 auditShards;
        uint256 parentTaskId;
    }

    /// @notice A task as a client sees it.
    /// @param auditSeedBlock The block whose hash seeds the audit draw (creation block + 1).
    /// @param auditMask Bit i set: shard i is audited (0 until drawn).
    /// @param panelSeedBlock The block whose hash seeds the pending or done panel draw (0: none).
    /// @param panelRequestBlock The block of the panel request: eligibility is judged as of it.
    /// @param poolSizeAtRequest The pool's member-list length at the request.
    /// @param panelDrawn How many members were drawn (0 until the draw, then `panelSize`).
    /// @param deposited Everything the task took in: reward, contributor stakes, slashed bonds.
    /// @param burned What the task keeps forever (forfeits and slashed dust), once settled.
    struct TaskView {
        TaskParams params;
        address initiator;
        Phase phase;
        uint96 reward;
        uint16 committedCount;
        uint16 revealedCount;
        uint64 auditSeedBlock;
        uint32 auditMask;
        bool auditRevealed;
        bool testRevealed;
        uint64 panelSeedBlock;
        uint64 panelRequestBlock;
        uint32 poolSizeAtRequest;
        uint16 panelDrawn;
        bytes32 fusedModelDigest;
        uint128 deposited;
        uint128 paidOut;
        uint128 burned;
        Settlement settlement;
    }

    /// @notice The outcome of {finalize}, fixed when it completes (zero before).
    /// @param totalWeight Sum over submissions of `max(0, median - baseline)`.
    /// @param startMedian The panel's median score of the starting model.
    /// @param baseline `max(baselineScore, startMedian)`.
    /// @param basis What the counted scores were computed on.
    /// @param contributorPool What the contributors share by weight: reward less the fee, plus
    /// forfeited contributor stakes, plus the slashed total when no member was honest.
    /// @param rewardsTotal What the contributors receive as rewards, in all (stakes excluded).
    /// @param feePerVerifier What each honest member receives: `(fee + slashed) / honest`.
    /// @param honestVerifiers Counted members within tolerance of every median.
    /// @param countedVerifiers Members that revealed with the vote of the basis.
    /// @param revealedVerifiers Members that revealed their scores.
    /// @param slashed What the pool took from this panel's members and sent to the market.
    /// @param burned What stays in the market forever (forfeit, or slashed wei nobody may take).
    /// @param initiatorRefund What goes back to the initiator.
    /// @param contested A median lacked the support of a strict majority of the revealing
    /// members: no verdict, so nobody is paid by it (revealed stakes back, the rest burned).
    struct Settlement {
        uint64 totalWeight;
        uint16 startMedian;
        uint16 baseline;
        Basis basis;
        uint128 contributorPool;
        uint128 rewardsTotal;
        uint128 feePerVerifier;
        uint16 honestVerifiers;
        uint16 countedVerifiers;
        uint16 revealedVerifiers;
        uint128 slashed;
        uint128 burned;
        uint128 initiatorRefund;
        bool contested;
    }

    /// @notice A revealed model, in reveal order.
    /// @param medianScore Median of the counted members' scores (0 before finalize).
    /// @param reward Reward on top of the stake (0 until the task is finalized).
    struct SubmissionView {
        address contributor;
        bytes32 modelDigest;
        uint16 medianScore;
        uint256 reward;
    }

    /// @notice A member of a task's panel, in draw order.
    /// @param testSetAvailable Its vote: it scored on the test shards (true) or the audit shards.
    /// @param counted Revealed with the vote of the basis: its scores make the medians.
    /// @param honest Counted and within tolerance of every median (meaningful once finalized).
    /// @param slashed Did not reveal, or was counted and outside tolerance (once finalized).
    struct PanelMemberView {
        address member;
        bool committed;
        bool revealed;
        bool testSetAvailable;
        bool counted;
        bool honest;
        bool slashed;
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

    /// @notice Emitted when a task's forfeit (or slashed dust) is burned: kept by the market forever.
    event Burned(uint256 indexed taskId, uint256 amount);

    /// @notice Emitted when the audit sample is drawn. Bit i of `auditMask`: shard i is audited.
    event AuditDrawn(uint256 indexed taskId, uint32 auditMask);

    /// @notice Emitted for each shard the initiator opens (audit or test).
    event ShardRevealed(uint256 indexed taskId, uint256 indexed index, bytes32 digest);

    /// @notice Emitted when the audit shards are revealed: commitments may start.
    /// @param uri Where to fetch the audit shards (emitted, not stored).
    event AuditRevealed(uint256 indexed taskId, string uri);

    /// @notice Emitted when the remaining (test) shards are revealed.
    /// @param uri Where to fetch the test shards (emitted, not stored).
    event TestSetRevealed(uint256 indexed taskId, string uri);

    /// @notice Emitted when a contributor commits to a model and stakes.
    event ModelCommitted(uint256 indexed taskId, address indexed contributor, bytes32 commitment);

    /// @notice Emitted when a panel draw is requested: it will read the hash of `seedBlock`.
    event PanelRequested(uint256 indexed taskId, uint256 seedBlock);

    /// @notice Emitted when the panel is drawn, in draw order (a member's index in the panel).
    event PanelDrawn(uint256 indexed taskId, bytes32 seed, address[] members);

    /// @notice Emitted when a contributor opens its commitment.
    /// @param submissionIndex Position in reveal order (0-based); its score is at `1 + submissionIndex`.
    event ModelRevealed(
        uint256 indexed taskId,
        address indexed contributor,
        uint256 submissionIndex,
        bytes32 modelDigest,
        string uri
    );

    /// @notice Emitted when a panel member commits to its scores.
    event ScoresCommitted(uint256 indexed taskId, address indexed verifier, bytes32 commitment);

    /// @notice Emitted when a panel member reveals its vote and its scores (the starting model
    /// first, then one per submission in reveal order).
    event ScoresRevealed(uint256 indexed taskId, address indexed verifier, bool testSetAvailable, uint16[] scores);

    /// @notice Emitted by the first {finalize} step: what the verdict is computed on.
    event BasisFixed(uint256 indexed taskId, Basis basis, uint256 countedVerifiers);

    /// @notice Emitted by {finalize} once the starting model's median is known.
    event BaselineFixed(uint256 indexed taskId, uint16 startMedian, uint16 baseline);

    /// @notice Emitted by {finalize} the first time a median is within tolerance of fewer than
    /// `quorum` counted scores (a strict majority of the members that revealed): the task is contested.
    /// @param scoreIndex 0: the starting model; `1 + i`: submission i.
    event VerdictContested(uint256 indexed taskId, uint256 scoreIndex, uint16 medianScore, uint256 support, uint256 quorum);

    /// @notice Emitted by {finalize} for each submission once its median is known.
    event SubmissionScored(uint256 indexed taskId, uint256 indexed submissionIndex, uint16 medianScore, uint16 weight);

    /// @notice Emitted by {finalize} the first time a counted member's score lies outside tolerance.
    /// @param scoreIndex 0: the starting model; `1 + i`: submission i.
    event VerifierDishonest(
        uint256 indexed taskId, address indexed verifier, uint256 scoreIndex, uint16 score, uint16 medianScore
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
    error WrongPhase(uint256 taskId, Phase current, Phase required);
    /// @notice Thrown when a task is created with no reward.
    error ZeroReward();
    /// @notice Thrown when a task's reward does not fit the market's accounting.
    error RewardTooLarge(uint256 reward, uint256 maximum);
    /// @notice Thrown when a required digest or commitment is zero.
    error ZeroDigest();
    /// @notice Thrown when the contributor stake is zero.
    error ZeroStake();
    /// @notice Thrown when a deadline comes too early.
    /// @param index 0 audit, 1 commit, 2 reveal, 3 test reveal, 4 score commit, 5 score reveal.
    /// @param earliest The earliest it may be (the previous one, or now, plus the minimum window).
    error DeadlineTooEarly(uint256 index, uint256 deadline, uint256 earliest);
    /// @notice Thrown when maxContributors is 0 or above the market's cap.
    error InvalidMaxContributors(uint256 maxContributors, uint256 cap);
    /// @notice Thrown when the panel size is even, below 3 or above the market's cap.
    error InvalidPanelSize(uint256 panelSize, uint256 cap);
    /// @notice Thrown when K is not in 2..32 or A not in 1..K-1.
    error InvalidShards(uint256 testShards, uint256 auditShards);
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
    /// @notice Thrown when the task has all the contributors it accepts.
    error TaskFull(uint256 taskId, uint256 maximum);
    /// @notice Thrown when the caller is not a contributor of the task.
    error NotContributor(uint256 taskId, address account);
    /// @notice Thrown when the caller is not a member of the task's panel.
    error NotVerifier(uint256 taskId, address account);
    /// @notice Thrown when a reveal does not open the sender's commitment.
    error CommitmentMismatch(uint256 taskId, address account);
    /// @notice Thrown when a contributor reveals a second time.
    error AlreadyRevealed(uint256 taskId, address account);
    /// @notice Thrown when a model digest was already revealed, in this task or any other.
    error DuplicateModel(uint256 taskId, bytes32 modelDigest, uint256 revealedInTask);
    /// @notice Thrown when the audit is drawn before its seed block's hash exists, or a panel
    /// before its seed block's hash exists.
    error RandomnessNotReady(uint256 taskId, uint256 seedBlock);
    /// @notice Thrown when a panel is drawn after its seed block's hash expired (256 blocks): request again.
    error RandomnessExpired(uint256 taskId, uint256 seedBlock);
    /// @notice Thrown when the audit is drawn a second time.
    error AuditAlreadyDrawn(uint256 taskId, uint32 auditMask);
    /// @notice Thrown when the audit shards are revealed before the audit is drawn.
    error AuditNotDrawn(uint256 taskId);
    /// @notice Thrown when an opening does not match its shard's commitment.
    error ShardMismatch(uint256 taskId, uint256 index);
    /// @notice Thrown when a list of shards or openings has the wrong length.
    error ShardCountMismatch(uint256 given, uint256 expected);
    /// @notice Thrown when a panel is requested in a task without model commitments.
    error NoCommitments(uint256 taskId);
    /// @notice Thrown when a panel is requested while a request's seed is still readable.
    error PanelAlreadyRequested(uint256 taskId, uint256 seedBlock);
    /// @notice Thrown when a panel is drawn that was never requested.
    error PanelNotRequested(uint256 taskId);
    /// @notice Thrown when a panel is requested or drawn a second time.
    error PanelAlreadyDrawn(uint256 taskId);
    /// @notice Thrown when the draw found too few eligible members (nothing is stored: request
    /// again once the seed expires).
    error PanelUnfilled(uint256 taskId, uint256 found, uint256 needed);
    /// @notice Thrown when a model is revealed before the panel is drawn.
    error PanelNotDrawn(uint256 taskId);
    /// @notice Thrown when a panel member claims to have scored on a test set never revealed.
    error TestSetNotRevealed(uint256 taskId);
    /// @notice Thrown when a panel member commits scores a second time.
    error ScoresAlreadyCommitted(uint256 taskId, address verifier);
    /// @notice Thrown when a panel member reveals scores it never committed.
    error ScoresNotCommitted(uint256 taskId, address verifier);
    /// @notice Thrown when a panel member reveals scores a second time.
    error ScoresAlreadyRevealed(uint256 taskId, address verifier);
    /// @notice Thrown when the scores do not number one for the starting model plus one per submission.
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
    /// @notice Thrown when ETH is sent to the market by anyone but its verifier pool.
    error NotVerifierPool(address sender);

}

/// @title ILearningMarket
/// @notice A market for deep-learning models (mechanism v2). An initiator escrows a reward and
/// commits to a test set split into K shards; a random sample of A shards (the audit) is
/// published before anyone stakes, so contributors can check the test set they will be judged
/// on. Contributors commit to models with a stake; after the commit deadline a panel is drawn
/// at random from the market-wide {IVerifierPool}; contributors reveal; the panel scores the
/// task's starting model and every submission on the remaining shards (or, if the test set is
/// withheld or unservable, on the audit shards) by commit-reveal. Each contributor is paid in
/// proportion to how far its model's median score beats `max(baselineScore, the starting
/// model's median)`. No outcome splits anything equally; no slashed wei goes to the initiator.
/// @dev Everything off chain (task spec, shards, model files, fused model) is named by the
/// SHA-256 digest of its bytes. URIs are hints for where to fetch a file and are only emitted.
/// Phases follow from the deadlines fixed at creation, from block numbers (the 256-block
/// window in which a block's hash is readable) and from what has happened. See
/// docs/protocol.md. All amounts are in wei, scores and shares in basis points (10000 = 100%).
interface ILearningMarket is ILearningMarketTypes {
    /*//////////////////////////////////////////////////////////////
                             TASK AND AUDIT
    //////////////////////////////////////////////////////////////*/

    /// @notice Creates a task and escrows `msg.value` as its reward. The audit's seed block is
    /// the next block.
    /// @dev Anyone may call. Emits a {TaskCreated} event. Reverts with a named error on any bad
    /// parameter.
    /// @param specUri Where to fetch the task spec (a hint; `specDigest` checks the bytes).
    /// @return taskId The new task's id (ids start at 1).
    function createTask(TaskParams calldata params, string calldata specUri) external payable returns (uint256 taskId);

    /// @notice Cancels a task before any model is committed. The forfeit (`forfeitBps` of the
    /// reward) is burned; the rest becomes the initiator's to claim.
    /// @dev Only the initiator, in the Audit or Commit phase, while no model is committed.
    /// Emits {TaskCancelled} and {Burned}.
    function cancelTask(uint256 taskId) external;

    /// @notice Draws the audit sample: A distinct shards of K, from the hash of the task's
    /// audit seed block (the block after its creation).
    /// @dev Anyone, in the Audit phase, once, after the seed block and within 256 blocks of it
    /// (after that the task is Void). Emits {AuditDrawn}.
    function drawAudit(uint256 taskId) external;

    /// @notice Opens the audited shards. Contributors fetch them and check labels, distribution
    /// and the starting model's accuracy before they stake.
    /// @dev Only the initiator, in the Audit phase, after {drawAudit}. `shardCommitments` are the
    /// K commitments (they must hash to `testSetCommitment`); `digests` and `salts` open exactly
    /// the audited shards, in increasing index order. Emits {ShardRevealed} per shard and
    /// {AuditRevealed}; the task enters Commit.
    function revealAudit(
        uint256 taskId,
        bytes32[] calldata shardCommitments,
        bytes32[] calldata digests,
        bytes32[] calldata salts,
        string calldata uri
    ) external;

    /// @notice Opens the remaining K - A shards: the test set.
    /// @dev Only the initiator, in the TestReveal phase, with openings of every shard not
    /// audited, in increasing index order. Emits {ShardRevealed} per shard and {TestSetRevealed}.
    function revealTestSet(
        uint256 taskId,
        bytes32[] calldata shardCommitments,
        bytes32[] calldata digests,
        bytes32[] calldata salts,
        string calldata uri
    ) external;

    /*//////////////////////////////////////////////////////////////
                          MODELS AND THE PANEL
    //////////////////////////////////////////////////////////////*/

    /// @notice Commits to a model and stakes `contributorStake`.
    /// @dev Anyone but the initiator, once per task, in the Commit phase. `commitment =
    /// keccak256(abi.encode(block.chainid, market, taskId, msg.sender, modelDigest, salt))`.
    /// Emits a {ModelCommitted} event.
    function commitModel(uint256 taskId, bytes32 commitment) external payable;

    /// @notice Fixes a future block (the next one) whose hash will seed the panel draw.
    /// @dev Anyone, in the Reveal phase, in a task with commitments and no panel, when no
    /// request is pending (a request whose seed block's hash has expired may be renewed).
    /// Emits {PanelRequested}.
    function requestPanel(uint256 taskId) external;

    /// @notice Draws the panel: `panelSize` distinct members of the pool, eligible as of the
    /// request block, neither the initiator nor a contributor of the task.
    /// @dev Anyone, in the Reveal phase, after the seed block and within 256 blocks of it. Tries
    /// at most `8 * panelSize + 32` candidates. Emits {PanelDrawn}.
    function drawPanel(uint256 taskId) external;

    /// @notice Opens the caller's model commitment; the model becomes a submission.
    /// @dev Only a contributor of the task, once, in the Reveal phase, once the panel is drawn.
    /// A digest already revealed in any task of this market is refused. Emits {ModelRevealed}.
    /// @param uri Where to fetch the model file (emitted, not stored).
    function revealModel(uint256 taskId, bytes32 modelDigest, bytes32 salt, string calldata uri) external;

    /*//////////////////////////////////////////////////////////////
                          SCORING AND SETTLING
    //////////////////////////////////////////////////////////////*/

    /// @notice Commits to the caller's vote and scores.
    /// @dev Only a panel member, once, in the ScoreCommit phase. `commitment =
    /// keccak256(abi.encode(block.chainid, market, taskId, msg.sender, testSetAvailable, scores,
    /// salt))` with `scores` a `uint16[]`. Emits a {ScoresCommitted} event.
    function commitScores(uint256 taskId, bytes32 commitment) external;

    /// @notice Reveals the caller's vote and scores: the starting model first, then one accuracy
    /// in bps per submission in reveal order. `testSetAvailable` true: scored on the test shards;
    /// false: the test set could not be fetched, scored on the audit shards.
    /// @dev Only a panel member that committed, once, in the ScoreReveal phase; `true` only if
    /// the test set was revealed. Emits a {ScoresRevealed} event.
    function revealScores(uint256 taskId, bool testSetAvailable, uint16[] calldata scores, bytes32 salt) external;

    /// @notice Runs up to `maxSteps` steps of finalization: pass 1 (one step per model,
    /// starting model included: medians, baseline, weights, flags), the panel's release and
    /// slashing, pass 2 (one step per submission: the rewards' sum).
    /// @dev Anyone, in the Finalizing phase. Emits {BasisFixed}, {BaselineFixed},
    /// {SubmissionScored}, {VerifierDishonest}, {TaskFinalized} (and {Burned} if anything is).
    /// @return done Whether the task is now settled.
    function finalize(uint256 taskId, uint256 maxSteps) external returns (bool done);

    /// @notice Pays the caller everything it is owed in the task, once.
    /// @dev Anyone owed something, once the task is settled. Emits a {Claimed} event (and
    /// {Burned} on the initiator's claim in a Void or Unfulfilled task without a panel).
    /// @return amount What was paid.
    function claim(uint256 taskId) external returns (uint256 amount);

    /// @notice Like {claim}, paying `recipient`: for an account that cannot receive ETH itself.
    function claimTo(uint256 taskId, address payable recipient) external returns (uint256 amount);

    /// @notice Records the digest of the model fused from the task's paid submissions.
    /// @dev Only the initiator, once, after the task is finalized. Emits {FusedModelPublished}.
    function publishFusedModel(uint256 taskId, bytes32 fusedModelDigest, string calldata uri) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The pool the market draws its panels from (deployed by the market).
    function verifierPool() external view returns (address);

    /// @notice Shortest window between two deadlines, in seconds.
    function minWindow() external view returns (uint64);

    /// @notice Share of the reward burned when a task ends with no model revealed (bps).
    function forfeitBps() external view returns (uint16);

    /// @notice Number of tasks created; task ids run from 1 to this.
    function taskCount() external view returns (uint256);

    /// @notice Wei burned so far, market-wide: recorded by cancel, by finalize, and by the
    /// initiator's claim in a Void or panel-less Unfulfilled task.
    function totalBurned() external view returns (uint256);

    /// @notice The task's phase now.
    function phaseOf(uint256 taskId) external view returns (Phase);

    /// @notice Everything about a task except its participants.
    function getTask(uint256 taskId) external view returns (TaskView memory);

    /// @notice Submissions `start` .. `start + count` (clipped), in reveal order.
    function getSubmissions(uint256 taskId, uint256 start, uint256 count)
        external
        view
        returns (SubmissionView[] memory);

    /// @notice The task's panel, in draw order (empty before the draw).
    function getPanel(uint256 taskId) external view returns (PanelMemberView[] memory);

    /// @notice A panel member's revealed scores (empty before it reveals).
    function scoresOf(uint256 taskId, address verifier) external view returns (uint16[] memory);

    /// @notice The shard digests revealed so far (zero: not revealed) and the audit mask.
    function getShards(uint256 taskId) external view returns (bytes32[] memory digests, uint32 auditMask);

    /// @notice The task's public randomness, fixed by the panel draw (zero before): it seeds the
    /// draw and any randomised off-chain scoring rule (e.g. Monte Carlo Shapley).
    function taskSeed(uint256 taskId) external view returns (bytes32);

    /// @notice The task in which `modelDigest` was revealed (0: never).
    function revealedIn(bytes32 modelDigest) external view returns (uint256);

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

    /// @notice The score commitment `verifier` must send for its vote, `scores` and `salt`.
    function scoreCommitment(
        uint256 taskId,
        address verifier,
        bool testSetAvailable,
        uint16[] calldata scores,
        bytes32 salt
    ) external view returns (bytes32);

    /// @notice The commitment to one shard: `keccak256(abi.encode(digest, salt))`.
    function shardCommitment(bytes32 digest, bytes32 salt) external pure returns (bytes32);

    /// @notice The test set commitment `initiator` puts in {TaskParams} for its K shard commitments.
    function testSetCommitment(address initiator, bytes32[] calldata shardCommitments) external view returns (bytes32);
}
