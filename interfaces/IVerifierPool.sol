// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IVerifierPool
/// @notice The market-wide pool of bonded verifiers from which every task's scoring panel is
/// drawn. Anyone may join with the pool's fixed bond; one bond is one seat, so an owner of more
/// capital holds more seats (stake-weighted sortition at the granularity of one bond).
/// A member leaves in two steps: {requestExit}, then {withdrawBond} once the unbonding period
/// has passed and no panel it sits on is still unsettled.
/// @dev The pool is deployed by its market, in the market's constructor, and only that market
/// may draw a panel, dismiss it and slash its members. Everything else is public.
/// Eligibility is judged "as of" the block in which a panel was requested (see {candidateAt}),
/// so that nobody can place itself on a panel after the panel's randomness is known.
interface IVerifierPool {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice What the pool records for an address.
    /// @param bond What the address has in the pool (wei): the bond, less any slash.
    /// @param activeSince Block of its registration; 0 = not registered; `type(uint64).max`
    /// once slashed (a slashed member is never drawn again under this registration).
    /// @param exitBlock Block of its exit request (0 = none).
    /// @param exitTime Timestamp of its exit request (0 = none).
    /// @param openPanels Panels it was drawn on whose task has not been finalized yet.
    /// @param slot Its position in the pool's member list plus one (0 = not registered). A
    /// withdrawal frees the slot (it names nobody, the zero address, until taken); the next
    /// registration takes a freed slot if there is one.
    struct Member {
        uint96 bond;
        uint64 activeSince;
        uint64 exitBlock;
        uint32 openPanels;
        uint64 exitTime;
        uint32 slot;
    }

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when an address bonds and joins the pool.
    /// @param index Its position in the member list ({candidateAt}): `slot - 1`.
    event VerifierRegistered(address indexed account, uint256 bond, uint256 index);

    /// @notice Emitted when a member asks to leave; it may withdraw from `withdrawableAt` on
    /// (and once it sits on no unsettled panel).
    event ExitRequested(address indexed account, uint256 withdrawableAt);

    /// @notice Emitted when a member that asked to leave takes back what is left of its bond.
    event BondWithdrawn(address indexed account, uint256 amount);

    /// @notice Emitted when the market draws the panel of a task (its members, in draw order).
    event Enlisted(uint256 indexed taskId, address[] members);

    /// @notice Emitted when the market releases the panel of a finalized task; `slashed` is
    /// the total taken from its members and sent to the market.
    event Dismissed(uint256 indexed taskId, address[] members, uint256 slashed);

    /// @notice Emitted for each member of a task's panel that is slashed.
    event VerifierSlashed(uint256 indexed taskId, address indexed member, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice Thrown when the pool is deployed with a zero bond.
    error ZeroBond();
    /// @notice Thrown when the slash is zero or larger than the bond.
    error InvalidSlashAmount(uint256 slashAmount, uint256 bond);
    /// @notice Thrown when the pool is deployed with a zero unbonding period.
    error ZeroUnbondingPeriod();
    /// @notice Thrown when {register} is sent anything but the bond.
    error WrongBond(uint256 sent, uint256 required);
    /// @notice Thrown when an address that is registered (and has not withdrawn) registers again.
    error AlreadyRegistered(address account);
    /// @notice Thrown when an address that is not registered asks to leave or withdraw.
    error NotRegistered(address account);
    /// @notice Thrown when a member asks to leave a second time.
    error ExitAlreadyRequested(address account, uint256 exitBlock);
    /// @notice Thrown when a member withdraws without having asked to leave.
    error ExitNotRequested(address account);
    /// @notice Thrown when a member withdraws before the unbonding period is over.
    error StillUnbonding(address account, uint256 availableAt);
    /// @notice Thrown when a member withdraws while a panel it sits on is unsettled.
    error OnUnsettledPanel(address account, uint256 openPanels);
    /// @notice Thrown when anyone but the market calls a function reserved to it.
    error NotMarket(address caller);

    /*//////////////////////////////////////////////////////////////
                                ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Joins the pool with exactly {verifierBond}.
    /// @dev Any address without a live registration (never registered, or withdrawn). The
    /// registrant takes the slot of a member that withdrew, if any, else is appended to the
    /// member list. It is eligible for panels requested in a later block than this one (so
    /// taking a freed slot changes no pending draw: the slot's new occupant is ineligible for it).
    /// Emits a {VerifierRegistered} event.
    function register() external payable;

    /// @notice Asks to leave the pool. The member is not drawn for panels requested after this
    /// block; it is still drawn for panels requested before or in it (nobody escapes a draw
    /// whose seed is pending).
    /// @dev A registered member, once. Emits an {ExitRequested} event.
    function requestExit() external;

    /// @notice Pays the caller what is left of its bond, ends its registration and frees its slot.
    /// @dev A member that asked to leave, once `unbondingPeriod` seconds have passed since and
    /// no panel it sits on is unsettled. Pays with {Address-sendValue} after zeroing the record.
    /// Emits a {BondWithdrawn} event.
    /// @return amount What was paid (the bond less any slash).
    function withdrawBond() external returns (uint256 amount);

    /// @notice Draws and enlists the panel of task `taskId` (market only): up to `needed`
    /// distinct members, in draw order. Candidate j is the member at index
    /// `uint256(keccak256(abi.encode(seed, j))) % poolSize`; it is skipped if it was not
    /// eligible as of `requestBlock` ({candidateAt}), is `initiator`, is already drawn, or holds
    /// a role in the task ({ILearningMarket-roleOf}). At most `8 * needed + 32` candidates are tried.
    /// @dev Each accepted candidate is a uniform index of the list, so the panel is a uniform
    /// sample without replacement of the eligible, non-excluded seats: an owner's number of
    /// seats on it is hypergeometric (docs/threat-model.md). Emits an {Enlisted} event.
    /// @param poolSize The list's length at the request: members appended later are never drawn.
    /// @return members The members drawn, fewer than `needed` if the tries ran out.
    function drawPanel(
        uint256 taskId,
        bytes32 seed,
        uint256 poolSize,
        uint256 requestBlock,
        uint256 needed,
        address initiator
    ) external returns (address[] memory members);

    /// @notice Releases the panel of task `taskId` and slashes each member whose bit is set in
    /// `slashMask` (bit i: `members[i]`) by `min(slashAmount, bond)`; the slashed total is sent
    /// to the market (market only).
    /// @dev Emits a {VerifierSlashed} event per slash and a {Dismissed} event.
    /// @return slashed The total taken and sent to the market.
    function dismiss(uint256 taskId, address[] calldata members, uint256 slashMask)
        external
        returns (uint256 slashed);

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The market this pool serves (its deployer).
    function market() external view returns (address);

    /// @notice The bond of one seat (wei).
    function verifierBond() external view returns (uint256);

    /// @notice What a member loses for each panel on which it does not reveal or is outside
    /// tolerance (wei, at most the bond).
    function slashAmount() external view returns (uint256);

    /// @notice Seconds between an exit request and the withdrawal it allows.
    function unbondingPeriod() external view returns (uint256);

    /// @notice Length of the member list (its slots, live or freed).
    function size() external view returns (uint256);

    /// @notice Members registered, not slashed, and not leaving.
    function activeCount() external view returns (uint256);

    /// @notice The member at `index` of the list (the zero address for a freed slot), and whether
    /// it may be drawn for a panel requested in block `requestBlock`.
    /// @dev Eligible: registered before `requestBlock` (`0 < activeSince < requestBlock`), not
    /// slashed since, and no exit requested before `requestBlock`. Only a change that makes a
    /// member *ineligible* (a slash, a withdrawal) can happen after the request; so once the
    /// seed is known, an owner of seats can at most remove one of its own members from a panel,
    /// which the draw replaces by the next candidate of its sequence: never a gain.
    function candidateAt(uint256 index, uint256 requestBlock) external view returns (address account, bool eligible);

    /// @notice The pool's record of `account`.
    function memberOf(address account) external view returns (Member memory);

    /// @notice What `account` has in the pool (wei).
    function bondOf(address account) external view returns (uint256);
}
