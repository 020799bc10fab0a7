"""Pre-flight checks: each explains, in a sentence and before any transaction, why an action would
be refused (wrong phase and when the right one opens or closed, stake or balance too low, a fetched
file that does not match its digest, a commitment already made or opened, a caller without the role).

The market checks all of this again; these checks only spare a wasted transaction and say why in
words. Chain state may move between a check and the transaction: the market's own refusal
(`MarketRefusal`) then explains it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Any

from eth_utils import to_checksum_address

from content import DigestMismatch, StoreError, StoreMissing, StoreUnavailable
from learning_market.errors import LearningMarketError
from learning_market.market import MarketClient, PanelMember, TaskView
from learning_market.phases import BPS, Phase, Role, TaskParams
from learning_market.timeline import ORDER, SETTLED, closes_at, in_phase_until, opening, settled_reason, when

ZERO32 = bytes(32)
WEI_PER_ETH = 10**18


class Reason(StrEnum):
    """Why a pre-flight check refused (for programs; people read the sentence)."""

    NO_TASK = "no-task"
    TOO_EARLY = "too-early"
    DEADLINE_PASSED = "deadline-passed"
    SETTLED = "settled"
    NOT_SETTLED = "not-settled"
    NOT_INITIATOR = "not-initiator"
    NOT_PARTICIPANT = "not-participant"
    ALREADY_PARTICIPANT = "already-participant"
    ALREADY_COMMITTED = "already-committed"
    NOT_COMMITTED = "not-committed"
    ALREADY_REVEALED = "already-revealed"
    TASK_FULL = "task-full"
    STAKE_TOO_LOW = "stake-too-low"
    STAKE_TOO_HIGH = "stake-too-high"
    BALANCE_TOO_LOW = "balance-too-low"
    DIGEST_MISMATCH = "digest-mismatch"
    FILE_MISSING = "file-missing"
    STORE_UNAVAILABLE = "store-unavailable"
    BAD_FILE = "bad-file"
    DUPLICATE_MODEL = "duplicate-model"
    COMMITMENTS_EXIST = "commitments-exist"
    ALREADY_PUBLISHED = "already-published"
    NOTHING_OWED = "nothing-owed"
    ALREADY_CLAIMED = "already-claimed"
    BAD_PARAMETER = "bad-parameter"
    ALREADY_FINALIZED = "already-finalized"
    NOTHING_PAID = "nothing-paid"
    ALREADY_TRAINED = "already-trained"
    PRIVATE_URI = "private-uri"
    SEED_NOT_MINED = "seed-not-mined"
    ALREADY_DRAWN = "already-drawn"
    AUDIT_DISAGREES = "audit-disagrees"
    NOT_REGISTERED = "not-registered"
    ALREADY_REGISTERED = "already-registered"
    UNBONDING = "unbonding"
    NO_COMMITMENTS = "no-commitments"
    ALREADY_REQUESTED = "already-requested"
    EXIT_REQUESTED = "exit-requested"

    @property
    def done(self) -> bool:
        """The step was taken already: nothing is left to do."""
        return self in _DONE

    @property
    def waiting(self) -> bool:
        """The step is not due yet: its phase opens later."""
        return self in (Reason.TOO_EARLY, Reason.NOT_SETTLED, Reason.SEED_NOT_MINED, Reason.UNBONDING)

    @property
    def closed(self) -> bool:
        """The step will never be possible for this account in this task (its window closed, the task
        settled without it, the account holds no role for it, or there is nothing to take)."""
        return self in _CLOSED


_DONE = frozenset({
    Reason.ALREADY_COMMITTED,
    Reason.ALREADY_REVEALED,
    Reason.ALREADY_PUBLISHED,
    Reason.ALREADY_CLAIMED,
    Reason.ALREADY_FINALIZED,
    Reason.ALREADY_TRAINED,
    Reason.ALREADY_DRAWN,
    Reason.ALREADY_REGISTERED,
    Reason.ALREADY_REQUESTED,
    Reason.EXIT_REQUESTED,
})
_CLOSED = frozenset({
    Reason.NO_TASK,
    Reason.DEADLINE_PASSED,
    Reason.SETTLED,
    Reason.NOT_INITIATOR,
    Reason.NOT_PARTICIPANT,
    Reason.ALREADY_PARTICIPANT,
    Reason.NOT_COMMITTED,
    Reason.TASK_FULL,
    Reason.STAKE_TOO_LOW,
    Reason.STAKE_TOO_HIGH,
    Reason.DUPLICATE_MODEL,
    Reason.COMMITMENTS_EXIST,
    Reason.NOTHING_OWED,
    Reason.NOTHING_PAID,
    Reason.BAD_PARAMETER,
    Reason.AUDIT_DISAGREES,
    Reason.NOT_REGISTERED,
    Reason.NO_COMMITMENTS,
})


class PreflightRefusal(LearningMarketError):
    """An action that would be refused; `str()` is one sentence saying why and what to do."""

    def __init__(self, reason: Reason, sentence: str) -> None:
        self.reason = reason
        super().__init__(sentence)


def eth(wei: int) -> str:
    """`0.01 ETH (10,000,000,000,000,000 wei)` (ETH to 6 decimals, rounded down); `2 wei` below a micro-ETH."""
    if wei < WEI_PER_ETH // 10**6:
        return f"{wei:,} wei"
    amount = (Decimal(wei) / WEI_PER_ETH).quantize(Decimal("0.000001"), rounding=ROUND_DOWN).normalize()
    return f"{amount:f} ETH ({wei:,} wei)"


# ------------------------------------------------------------------ the task


@dataclass(frozen=True)
class TaskState(TaskView):
    """One read of a task, its id, and the chain time it was read at."""

    task_id: int
    now: int


def task_state(market: MarketClient, task_id: int) -> TaskState:
    """The task as the chain sees it now; refuses an id that names no task."""
    count = market.task_count()
    if not 1 <= task_id <= count:
        raise PreflightRefusal(
            Reason.NO_TASK,
            f"there is no task {task_id} in the market at {market.address}, whose task ids run from 1 to {count}.",
        )
    view = market.task(task_id)
    return TaskState(**{f.name: getattr(view, f.name) for f in fields(view)}, task_id=task_id, now=market.now())


# ------------------------------------------------------------------ phases


def phase_sentence(task_id: int, action: str, current: Phase, required: Phase, params: TaskParams, now: int) -> str:
    """Why `action`, which needs `required`, cannot happen while the task is in `current`; and when it can."""
    act = action
    if current in SETTLED and current != required:
        return f"{act} is no longer possible: task {task_id} is {settled_reason(current, params, now)}."
    if required == Phase.FINALIZED:
        if current == Phase.FINALIZING:
            return (
                f"{act} needs task {task_id} to be finalized: every score is in, so run finalize first "
                "(anyone may)."
            )
        return (
            f"{act} needs task {task_id} to be finalized, {opening(required, params, now)}; the task is "
            f"{in_phase_until(current, params, now)}."
        )
    if ORDER.index(current) < ORDER.index(required):
        return (
            f"{act} needs phase {required} of task {task_id}, which opens {opening(required, params, now)}; "
            f"the task is {in_phase_until(current, params, now)}."
        )
    deadline = closes_at(required, params)
    closed = "has closed" if deadline is None else f"closed at {when(deadline, now)}"
    return (
        f"{act} needs phase {required} of task {task_id}, which {closed}; the task is now "
        f"{in_phase_until(current, params, now)}."
    )


def phase_reason(current: Phase, required: Phase) -> Reason:
    if current in SETTLED:
        return Reason.SETTLED
    if required == Phase.FINALIZED or ORDER.index(current) < ORDER.index(required):
        return Reason.TOO_EARLY
    return Reason.DEADLINE_PASSED


def require_phase(state: TaskState, required: Phase, action: str) -> None:
    """Refuses unless the task is in `required` now, saying which phase it is in and when `required` opens/closed."""
    if state.phase != required:
        raise PreflightRefusal(
            phase_reason(state.phase, required),
            phase_sentence(state.task_id, action, state.phase, required, state.params, state.now),
        )


def require_settled(state: TaskState, action: str) -> None:
    """Refuses unless claims are open (the task is finalized, cancelled, unfulfilled or void)."""
    if state.phase not in SETTLED:
        raise PreflightRefusal(
            Reason.NOT_SETTLED,
            phase_sentence(state.task_id, action, state.phase, Phase.FINALIZED, state.params, state.now),
        )


# ------------------------------------------------------------------ roles


def require_initiator(state: TaskState, address: str, action: str) -> None:
    if to_checksum_address(address) != state.initiator:
        raise PreflightRefusal(
            Reason.NOT_INITIATOR,
            f"{action} is for the initiator of task {state.task_id} ({state.initiator}), "
            f"not {to_checksum_address(address)}.",
        )


def require_newcomer(market: MarketClient, state: TaskState, address: str, role: Role = Role.CONTRIBUTOR) -> None:
    """Refuses an address that may not commit a model in the task: the initiator, a participant, a full
    task. (Panel members take no step to join: the draw makes them.)"""
    address = to_checksum_address(address)
    wanted = role.name.lower()
    if address == state.initiator:
        raise PreflightRefusal(
            Reason.ALREADY_PARTICIPANT,
            f"{address} is the initiator of task {state.task_id} and cannot also be a {wanted} in it.",
        )
    held = market.role(state.task_id, address)
    if held == role:
        raise PreflightRefusal(
            Reason.ALREADY_COMMITTED, f"{address} has already committed a model in task {state.task_id}."
        )
    if held != Role.NONE:
        raise PreflightRefusal(
            Reason.ALREADY_PARTICIPANT,
            f"{address} is already a {held.name.lower()} in task {state.task_id}, and an address holds one role "
            "per task.",
        )
    if state.committed >= state.params.max_contributors:
        raise PreflightRefusal(
            Reason.TASK_FULL, f"task {state.task_id} already has its maximum of {state.params.max_contributors} "
            "contributors."
        )


def require_role(market: MarketClient, state: TaskState, address: str, role: Role, action: str) -> None:
    address = to_checksum_address(address)
    if market.role(state.task_id, address) != role:
        joined = "committed a model in" if role == Role.CONTRIBUTOR else "were drawn for the panel of"
        raise PreflightRefusal(
            Reason.NOT_PARTICIPANT,
            f"{action} is for those who {joined} task {state.task_id}, and {address} has not"
            + (" been." if role == Role.VERIFIER else "."),
        )


def require_model_unrevealed(market: MarketClient, state: TaskState, address: str) -> None:
    address = to_checksum_address(address)
    for submission in market.submissions(state.task_id):
        if to_checksum_address(submission.contributor) == address:
            raise PreflightRefusal(
                Reason.ALREADY_REVEALED,
                f"{address} has already revealed its model in task {state.task_id} (submission "
                f"#{submission.index}, digest 0x{submission.model_digest.hex()}).",
            )


def require_digest_unrevealed(market: MarketClient, state: TaskState, digest: bytes) -> None:
    """Refuses a model digest already revealed in any task of the market (the market takes each model once)."""
    revealed_in = market.revealed_in(digest)
    if revealed_in:
        where = "this task" if revealed_in == state.task_id else f"task {revealed_in}"
        raise PreflightRefusal(
            Reason.DUPLICATE_MODEL,
            f"model 0x{digest.hex()} was already revealed in {where}, and the market takes each model once, "
            "in any task.",
        )


def panel_status(market: MarketClient, state: TaskState, address: str) -> PanelMember:
    """The account's seat on the task's panel (it must hold one)."""
    address = to_checksum_address(address)
    return next(m for m in market.panel(state.task_id) if m.member == address)


def require_scores_uncommitted(market: MarketClient, state: TaskState, address: str) -> None:
    if panel_status(market, state, address).committed:
        raise PreflightRefusal(
            Reason.ALREADY_COMMITTED,
            f"{to_checksum_address(address)} has already committed its scores in task {state.task_id}.",
        )


def require_scores_committed_unrevealed(market: MarketClient, state: TaskState, address: str) -> None:
    status = panel_status(market, state, address)
    address = to_checksum_address(address)
    if status.revealed:
        raise PreflightRefusal(
            Reason.ALREADY_REVEALED, f"{address} has already revealed its scores in task {state.task_id}."
        )
    if not status.committed:
        raise PreflightRefusal(
            Reason.NOT_COMMITTED,
            f"{address} never committed scores in task {state.task_id}, so it has none to reveal.",
        )


# ------------------------------------------------------------------ draws


def require_seed_mined(market: MarketClient, state: TaskState, seed_block: int, what: str) -> None:
    """Refuses a draw before the block after its seed block is mined: the seed's hash exists from then on,
    and a node estimates (and checks) a transaction against its latest block."""
    head = market.block_number()
    if head <= seed_block:
        raise PreflightRefusal(
            Reason.SEED_NOT_MINED,
            f"the {what} of task {state.task_id} reads the hash of block {seed_block}, and the chain is at block "
            f"{head}: wait for the next block.",
        )


# ------------------------------------------------------------------ money


def require_stake(required: int, offered: int | None, role: Role = Role.CONTRIBUTOR) -> None:
    """Refuses a stake the caller offers (`--stake`) that is not the task's; None offers the task's own."""
    if offered is None or offered == required:
        return
    wanted = role.name.lower()
    if offered < required:
        raise PreflightRefusal(
            Reason.STAKE_TOO_LOW,
            f"the {wanted} stake of this task is {eth(required)}, so a stake of {eth(offered)} is too low.",
        )
    raise PreflightRefusal(
        Reason.STAKE_TOO_HIGH,
        f"the {wanted} stake of this task is exactly {eth(required)}, so a stake of {eth(offered)} would be refused.",
    )


def require_balance(market: MarketClient, address: str, value: int, what: str) -> None:
    """Refuses when `address` holds less than `value` (the gas comes on top)."""
    balance = market.balance(address)
    if balance < value:
        raise PreflightRefusal(
            Reason.BALANCE_TOO_LOW,
            f"{to_checksum_address(address)} holds {eth(balance)}, less than the {eth(value)} of {what} "
            "(and the gas comes on top).",
        )


def require_joinable(
    market: MarketClient, state: TaskState, address: str, role: Role, offered: int | None, action: str
) -> int:
    """Refuses unless `address` can commit a model in the task now, staking the task's contributor stake
    (which `offered`, if given, must be); returns that stake."""
    require_phase(state, Phase.COMMIT, action)
    require_newcomer(market, state, address, role)
    required = state.params.contributor_stake
    require_stake(required, offered, role)
    require_balance(market, address, required, f"the {role.name.lower()} stake")
    return required


# ------------------------------------------------------------------ files


def fetch_verified(store: Any, digest: bytes, what: str) -> bytes:
    """The bytes of `digest` from the store, refused unless their SHA-256 is that digest."""
    try:
        return store.get(digest)
    except DigestMismatch as error:
        raise PreflightRefusal(
            Reason.DIGEST_MISMATCH,
            f"the {what} in the store does not match its digest 0x{digest.hex()} (it was corrupted or replaced), "
            "so it is not used: fetch it again.",
        ) from error
    except StoreMissing as error:
        raise PreflightRefusal(Reason.FILE_MISSING, f"the {what} is missing: {error}") from error
    except StoreUnavailable as error:
        raise PreflightRefusal(Reason.STORE_UNAVAILABLE, f"the {what} cannot be fetched: {error}") from error


def store_file(store: Any, data: bytes, what: str) -> bytes:
    """Puts `data` into the store and returns its digest, refused in a sentence if the store cannot take it."""
    try:
        return store.put(data)
    except StoreError as error:
        raise PreflightRefusal(Reason.STORE_UNAVAILABLE, f"the {what} cannot be stored: {error}") from error


# ------------------------------------------------------------------ a new task


def require_terms(market: MarketClient, terms: Any) -> None:
    """Refuses task terms (`roles.TaskTerms`) that the market would refuse, each in a sentence."""

    def bad(sentence: str) -> PreflightRefusal:
        return PreflightRefusal(Reason.BAD_PARAMETER, sentence)

    if terms.reward <= 0:
        raise bad("a task needs a reward above zero.")
    if terms.contributor_stake <= 0:
        raise PreflightRefusal(
            Reason.STAKE_TOO_LOW, "the contributor stake must be above zero, or nothing is at stake."
        )
    cap = market.max_contributors_cap
    if not 1 <= terms.max_contributors <= cap:
        raise bad(f"the most contributors a task may take is 1 to {cap}, not {terms.max_contributors}.")
    largest = market.max_panel_size
    if not (3 <= terms.panel_size <= largest and terms.panel_size % 2 == 1):
        raise bad(f"a panel is an odd number of verifiers from 3 to {largest}, not {terms.panel_size}.")
    shards = market.max_test_shards
    if not 2 <= terms.test_shards <= shards:
        raise bad(f"a test set is cut into 2 to {shards} shards, not {terms.test_shards}.")
    if not 1 <= terms.audit_shards < terms.test_shards:
        raise bad(
            f"the audit takes 1 to {terms.test_shards - 1} of the {terms.test_shards} shards, not {terms.audit_shards}."
        )
    for name, value in (
        ("verifier fee", terms.verifier_fee_bps),
        ("baseline", terms.baseline_score),
        ("tolerance", terms.tolerance_bps),
    ):
        if not 0 <= value <= BPS:
            raise bad(f"the {name} is in basis points, 0 to {BPS}, not {value}.")
    if terms.window < market.min_window:
        raise bad(
            f"a window of {terms.window} s is shorter than this market's minimum window of {market.min_window} s."
        )


def require_parent(parent: TaskState, initiator: str, initial_model: bytes | None) -> None:
    """Refuses a parent task that the market would refuse for a new round starting from `initial_model`."""
    if parent.initiator != to_checksum_address(initiator):
        raise PreflightRefusal(
            Reason.BAD_PARAMETER, f"task {parent.task_id} cannot be the parent: its initiator is {parent.initiator}."
        )
    if parent.fused_digest == ZERO32:
        raise PreflightRefusal(
            Reason.BAD_PARAMETER,
            f"task {parent.task_id} cannot be the parent yet: its fused model is not published (fuse-and-publish).",
        )
    if initial_model != parent.fused_digest:
        raise PreflightRefusal(
            Reason.BAD_PARAMETER,
            f"a round after task {parent.task_id} starts from its fused model 0x{parent.fused_digest.hex()}, so the "
            "spec must name it as its initial model.",
        )
