"""Tasks as a person reads them: one task's parameters, deadlines in UTC and how far away, phase,
counts, submissions with digests and CIDs, medians and rewards, verifiers, the fused model's accuracy
and what one address is owed; and the open tasks of a market with their terms and windows in local
time."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from eth_utils import to_checksum_address

from content import ContentStore, digest_to_cid
from learning_market.checks import TaskState, eth, task_state
from learning_market.errors import LearningMarketError
from learning_market.market import MarketClient, Submission, VerifierStatus
from learning_market.phases import Phase, TaskParams
from learning_market.timeline import DEADLINES, closes_at, local, relative, settled_reason, when

ZERO32 = bytes(32)


@dataclass(frozen=True)
class AccountStanding:
    address: str
    role: str  # initiator | contributor | verifier | none
    owed: int
    claimed: bool


@dataclass(frozen=True)
class TaskOverview:
    state: TaskState
    market: str
    deposited: int
    paid_out: int
    submissions: list[Submission]
    verifiers: list[VerifierStatus]
    account: AccountStanding | None
    fused_accuracy_bps: int | None = None  # the fused model on the task's test set, when computed
    fused_note: str | None = None  # why it was not


def overview(market: MarketClient, task_id: int, account: str | None = None) -> TaskOverview:
    state = task_state(market, task_id)
    view = market.task(task_id)
    standing = None
    if account is not None:
        address = to_checksum_address(account)
        role = "initiator" if address == state.initiator else market.role(task_id, address).name.lower()
        standing = AccountStanding(address, role, market.owed(task_id, address), market.has_claimed(task_id, address))
    return TaskOverview(
        state=state,
        market=market.address,
        deposited=view.deposited,
        paid_out=view.paid_out,
        submissions=market.submissions(task_id),
        verifiers=market.verifiers(task_id),
        account=standing,
    )


def with_fused_accuracy(
    market: MarketClient, task_id: int, account: str | None, store: ContentStore | None
) -> TaskOverview:
    """The overview, with the fused model's accuracy on the task's test set when the fused model is published
    and `store` holds (or fetches) both files; otherwise a note on why it is not computed."""
    view = overview(market, task_id, account)
    if view.state.fused_digest == ZERO32:
        return view
    if store is None:
        return dataclasses.replace(view, fused_note="give --store, or --fetch, where the test set and fused model are")
    from learning_market.roles.files import fused_accuracy  # loads torch: only when asked

    try:
        return dataclasses.replace(view, fused_accuracy_bps=fused_accuracy(store, view.state))
    except LearningMarketError as error:
        return dataclasses.replace(view, fused_note=str(error).rstrip("."))


def _digest(value: bytes) -> str:
    return f"0x{value.hex()}  {digest_to_cid(value)}"


def _pct(bps: int) -> str:
    return f"{bps / 100:.2f}%"


def _until(phase: Phase, params: TaskParams, now: int) -> str:
    if phase == Phase.FINALIZING:
        return " (every score is in: anyone may run finalize)"
    closes = closes_at(phase, params)
    return "" if closes is None else f", until {when(closes, now)}"


def _settled(phase: Phase, params: TaskParams, now: int) -> str:
    reason = "" if phase == Phase.FINALIZED else f"{settled_reason(phase, params, now)}; "
    return f" ({reason}claims are open)"


def format_overview(o: TaskOverview) -> str:
    s, p, now = o.state, o.state.params, o.state.now
    phase = s.phase
    lines = [
        f"Task {s.task_id} in market {o.market}",
        f"  phase:          {phase}"
        + (_settled(phase, p, now) if phase.settled else _until(phase, p, now)),
        f"  chain time:     {when(now, now).split(' (')[0]}",
        f"  initiator:      {s.initiator}",
        f"  parent task:    {p.parent_task_id or '-'}",
        f"  reward:         {eth(s.reward)}",
        f"  stakes:         contributor {eth(p.contributor_stake)}, verifier {eth(p.verifier_stake)}",
        f"  caps:           {p.max_contributors} contributors, {p.max_verifiers} verifiers",
        f"  verifier fee:   {_pct(p.verifier_fee_bps)} of the reward",
        f"  baseline:       {_pct(p.baseline_score)}   tolerance: {_pct(p.tolerance_bps)}",
        f"  spec:           {_digest(p.spec_digest)}",
        "  test set:       " + (_digest(s.test_digest) if s.test_digest != ZERO32 else "not revealed"),
        "  fused model:    " + (_digest(s.fused_digest) if s.fused_digest != ZERO32 else "not published"),
        *(
            [f"  fused accuracy: {_pct(o.fused_accuracy_bps)} on the task's test set"]
            if o.fused_accuracy_bps is not None
            else [f"  fused accuracy: not computed ({o.fused_note})"] if o.fused_note else []
        ),
        "  deadlines (each inclusive):",
    ]
    for label, field in DEADLINES:
        lines.append(f"    {label + ':':<14}{when(getattr(p, field), now)}")
    lines += [
        f"  counts:         {s.committed} committed, {s.revealed} revealed, {s.verifiers} verifiers",
        f"  escrow:         {eth(o.deposited)} paid in, {eth(o.paid_out)} paid out",
        "",
        f"Submissions ({len(o.submissions)}, in reveal order)",
    ]
    scored = phase == Phase.FINALIZED
    settled = phase in (Phase.FINALIZED, Phase.ABANDONED)
    for sub in o.submissions:
        median = _pct(sub.median_score) if scored else "-"
        reward = eth(sub.reward) if settled else "-"
        lines.append(f"  #{sub.index} {sub.contributor}  median {median}  reward {reward}")
        lines.append(f"      model {_digest(sub.model_digest)}")
    lines += ["", f"Verifiers ({len(o.verifiers)}, in join order)"]
    for v in o.verifiers:
        honest = ("yes" if v.honest else "no") if scored else "-"
        lines.append(
            f"  {v.verifier}  committed {'yes' if v.committed else 'no'}  revealed {'yes' if v.revealed else 'no'}"
            f"  honest {honest}"
        )
    if o.account is not None:
        a = o.account
        if a.claimed:
            owed = "has claimed already"
        elif phase.settled:
            owed = f"is owed {eth(a.owed)}"
        else:
            owed = "is owed nothing yet: claims open when the task is settled"
        lines += ["", f"Account {a.address} ({a.role}) {owed}"]
    return "\n".join(lines)


# ------------------------------------------------------------------ the open tasks of a market


def market_tasks(market: MarketClient, settled: bool = False, limit: int = 50) -> list[TaskState]:
    """The latest `limit` tasks, oldest first: those still open (not settled), or all with `settled`."""
    count = market.task_count()
    states = [task_state(market, task_id) for task_id in range(max(1, count - limit + 1), count + 1)]
    return [s for s in states if settled or not s.phase.settled]


def format_tasks(states: list[TaskState], market: str) -> str:
    """Each task's phase, terms, takers and windows, in local time."""
    if not states:
        return f"No open task in the market at {market}."
    lines = [f"Tasks in the market at {market} (times are local, {local(states[0].now).split()[-1]})"]
    for s in states:
        p, now = s.params, s.now
        closes = closes_at(s.phase, p)
        phase = f"{s.phase}" + ("" if closes is None else f" until {local(closes)} ({relative(closes, now)})")
        lines += [
            "",
            f"Task {s.task_id}: {phase}" + (f", round after task {p.parent_task_id}" if p.parent_task_id else ""),
            f"  reward {eth(s.reward)}",
            f"  stakes: contributor {eth(p.contributor_stake)}, verifier {eth(p.verifier_stake)}",
            f"  taken: {s.committed}/{p.max_contributors} contributors, {s.verifiers}/{p.max_verifiers} verifiers",
            f"  verifier fee {_pct(p.verifier_fee_bps)}, baseline {_pct(p.baseline_score)}, "
            f"tolerance {_pct(p.tolerance_bps)}",
            "  windows (each until, inclusive):",
            *(
                f"    {label + ':':<14}{local(getattr(p, field))} ({relative(getattr(p, field), now)})"
                for label, field in DEADLINES
            ),
        ]
    return "\n".join(lines)
