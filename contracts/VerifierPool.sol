// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ILearningMarket, ILearningMarketTypes} from "../interfaces/ILearningMarket.sol";
import {IVerifierPool} from "../interfaces/IVerifierPool.sol";
import {Randomness} from "./libraries/Randomness.sol";

/// @title VerifierPool
/// @notice The market-wide pool of bonded verifiers (see {IVerifierPool}).
/// @dev Deployed by {LearningMarket} in its constructor: `market` is that contract, and only it
/// may draw a panel ({drawPanel}), {dismiss} it and slash. The pool and its market are a
/// trusted pair deployed together; the pool's outgoing calls are views of the market during a
/// draw ({ILearningMarket-roleOf}), the payment of a withdrawing member and the slashed funds
/// sent to the market, both made last, under a reentrancy guard, after every state change.
/// A withdrawn member's slot in the member list goes to the next registrant, so the list holds
/// no dead entries for long; a panel requested before the reuse cannot see the newcomer (it
/// registered after the request). Loops are bounded: a draw tries at most `8 * needed + 32`
/// candidates, a dismissal walks one panel.
contract VerifierPool is IVerifierPool, ReentrancyGuardTransient {
    /// @dev `activeSince` of a slashed member: it is never eligible again until it re-registers.
    uint64 private constant SLASHED = type(uint64).max;

    /// @inheritdoc IVerifierPool
    address public immutable market;
    /// @inheritdoc IVerifierPool
    uint256 public immutable verifierBond;
    /// @inheritdoc IVerifierPool
    uint256 public immutable slashAmount;
    /// @inheritdoc IVerifierPool
    uint256 public immutable unbondingPeriod;

    /// @inheritdoc IVerifierPool
    uint256 public activeCount;

    address[] private _list;
    /// @dev Slots (index + 1) of members that withdrew, for the next registrants to reuse.
    uint32[] private _freeSlots;
    mapping(address account => Member) private _members;

    /// @param verifierBond_ The bond of one seat (wei, > 0, at most 2^96 - 1: the market takes a uint96).
    /// @param slashAmount_ The slash for a missing or out-of-tolerance reveal (0 < slash <= bond).
    /// @param unbondingPeriod_ Seconds between an exit request and the withdrawal (> 0). Make it
    /// longer than a task's whole life, so that a member cannot leave between a panel request
    /// and its draw (about 256 blocks) nor dodge a slash.
    constructor(uint96 verifierBond_, uint96 slashAmount_, uint64 unbondingPeriod_) {
        if (verifierBond_ == 0) revert ZeroBond();
        if (slashAmount_ == 0 || slashAmount_ > verifierBond_) revert InvalidSlashAmount(slashAmount_, verifierBond_);
        if (unbondingPeriod_ == 0) revert ZeroUnbondingPeriod();
        market = msg.sender;
        verifierBond = verifierBond_;
        slashAmount = slashAmount_;
        unbondingPeriod = unbondingPeriod_;
    }

    modifier onlyMarket() {
        if (msg.sender != market) revert NotMarket(msg.sender);
        _;
    }

    /*//////////////////////////////////////////////////////////////
                              MEMBERSHIP
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVerifierPool
    function register() external payable {
        if (msg.value != verifierBond) revert WrongBond(msg.value, verifierBond);
        Member storage member = _members[msg.sender];
        if (member.activeSince != 0) revert AlreadyRegistered(msg.sender);

        // Unregistered means never registered or withdrawn (the record deleted): no slot yet.
        uint256 slot;
        uint256 free = _freeSlots.length;
        if (free != 0) {
            // A withdrawn member's slot: the list never fills with dead entries.
            slot = _freeSlots[free - 1];
            _freeSlots.pop();
            _list[slot - 1] = msg.sender;
        } else {
            _list.push(msg.sender);
            slot = _list.length;
        }
        member.slot = uint32(slot); // fits: at most one slot per bond ever paid, far below 2^32
        member.bond = uint96(msg.value); // fits: equals the bond, a uint96 (constructor)
        member.activeSince = uint64(block.number);
        ++activeCount;
        emit VerifierRegistered(msg.sender, msg.value, slot - 1);
    }

    /// @inheritdoc IVerifierPool
    function requestExit() external {
        Member storage member = _members[msg.sender];
        uint64 since = member.activeSince;
        if (since == 0) revert NotRegistered(msg.sender);
        if (member.exitBlock != 0) revert ExitAlreadyRequested(msg.sender, member.exitBlock);

        member.exitBlock = uint64(block.number);
        member.exitTime = uint64(block.timestamp);
        if (since != SLASHED) --activeCount; // a slashed member was counted out when slashed
        emit ExitRequested(msg.sender, block.timestamp + unbondingPeriod);
    }

    /// @inheritdoc IVerifierPool
    function withdrawBond() external nonReentrant returns (uint256 amount) {
        Member storage member = _members[msg.sender];
        if (member.activeSince == 0) revert NotRegistered(msg.sender);
        if (member.exitBlock == 0) revert ExitNotRequested(msg.sender);
        uint256 availableAt = uint256(member.exitTime) + unbondingPeriod;
        if (block.timestamp < availableAt) revert StillUnbonding(msg.sender, availableAt);
        if (member.openPanels != 0) revert OnUnsettledPanel(msg.sender, member.openPanels);

        amount = member.bond;
        uint32 slot = member.slot;
        _freeSlots.push(slot);
        delete _list[slot - 1]; // a freed slot names nobody until a registrant takes it: no second ticket
        delete _members[msg.sender];
        emit BondWithdrawn(msg.sender, amount);

        Address.sendValue(payable(msg.sender), amount);
    }

    /*//////////////////////////////////////////////////////////////
                                PANELS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVerifierPool
    function drawPanel(
        uint256 taskId,
        bytes32 seed,
        uint256 poolSize,
        uint256 requestBlock,
        uint256 needed,
        address initiator
    ) external onlyMarket returns (address[] memory members) {
        address[] memory drawn = new address[](needed);
        // slither-disable-next-line uninitialized-local (nobody found yet)
        uint256 found;
        uint256 tries = poolSize == 0 ? 0 : 8 * needed + 32;
        for (uint256 j; j < tries && found < needed; ++j) {
            address account = _list[Randomness.at(seed, j, poolSize)];
            Member storage member = _members[account];
            if (!_eligible(member, requestBlock) || account == initiator || _contains(drawn, found, account)) {
                continue;
            }
            // A contributor of the task never scores it.
            // slither-disable-next-line calls-loop (a view of this pool's own market; bounded by `tries`)
            if (ILearningMarket(market).roleOf(taskId, account) != ILearningMarketTypes.Role.None) continue;
            ++member.openPanels;
            drawn[found++] = account;
        }
        members = new address[](found);
        for (uint256 i; i < found; ++i) {
            members[i] = drawn[i];
        }
        emit Enlisted(taskId, members);
    }

    /// @inheritdoc IVerifierPool
    function dismiss(uint256 taskId, address[] calldata members, uint256 slashMask)
        external
        onlyMarket
        nonReentrant
        returns (uint256 slashed)
    {
        uint256 slash = slashAmount;
        // slither-disable-next-line uninitialized-local (nobody deactivated yet)
        uint256 deactivated;
        for (uint256 i; i < members.length; ++i) {
            Member storage member = _members[members[i]];
            --member.openPanels;
            if (slashMask & (1 << i) == 0) continue;
            uint256 bond = member.bond;
            uint256 amount = bond < slash ? bond : slash;
            member.bond = uint96(bond - amount); // fits: at most the bond, a uint96
            if (member.activeSince != SLASHED) {
                if (member.exitBlock == 0) ++deactivated; // it was active
                member.activeSince = SLASHED;
            }
            slashed += amount;
            emit VerifierSlashed(taskId, members[i], amount);
        }
        activeCount -= deactivated;
        emit Dismissed(taskId, members, slashed);

        if (slashed != 0) Address.sendValue(payable(market), slashed);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IVerifierPool
    function size() external view returns (uint256) {
        return _list.length;
    }

    /// @inheritdoc IVerifierPool
    function candidateAt(uint256 index, uint256 requestBlock) external view returns (address account, bool eligible) {
        account = _list[index];
        eligible = _eligible(_members[account], requestBlock);
    }

    /// @dev See {IVerifierPool-candidateAt}. `activeSince` is SLASHED (above any block number)
    /// once slashed, and 0 once withdrawn.
    function _eligible(Member storage member, uint256 requestBlock) private view returns (bool) {
        uint256 since = member.activeSince;
        uint256 exitBlock = member.exitBlock;
        return since != 0 && since < requestBlock && (exitBlock == 0 || exitBlock >= requestBlock);
    }

    /// @dev Whether `account` is among the first `count` entries of `list`.
    function _contains(address[] memory list, uint256 count, address account) private pure returns (bool) {
        for (uint256 i; i < count; ++i) {
            if (list[i] == account) return true;
        }
        return false;
    }

    /// @inheritdoc IVerifierPool
    function memberOf(address account) external view returns (Member memory) {
        return _members[account];
    }

    /// @inheritdoc IVerifierPool
    function bondOf(address account) external view returns (uint256) {
        return _members[account].bond;
    }
}
