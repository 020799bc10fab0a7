"""Tasks as a person reads them: one task's parameters, its six deadlines in UTC and how far away,
phase, counts, its shards (which were audited, which are revealed), its panel and their verdicts,
submissions with digests and CIDs, medians and rewards, the settlement (basis, baseline, contested,
slashed, burned), the fused model's accuracy, what one address is owed, and the verifier pool; and
the open tasks of a market with their terms and windows in local time."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from eth_utils import to_checksum_address

from content import ContentStore, digest_to_cid
from learning_market.checks import TaskState, eth, task_state
from learning_market.errors import LearningMarketError
from learning_market.market import MarketClient, PanelMember, Submission
from learning_market.phases import Phase, TaskParams
from learning_market.timeline import DEADLINES, closes_at, duration, local, relative, settled_reason, when

ZERO32 = bytes(32)


@dataclass(frozen=True)
class AccountStanding:
    address: str
    role: str  # initiator | contributor | verifier | none
    owed: int
    claimed: bool


@dataclass(frozen=True)
class PoolOverview:
    """The market's verifier pool: its terms, its size, and one account's record in it."""

    address: str
    bond: int
    slash: int
    unbonding_period: int
    size: int
    active: int


@dataclass(frozen=True)
class TaskOverview:
    state: TaskState
    market: str
    deposited: int
    paid_out: int
    submissions: list[Submission]
    panel: list[PanelMember]
    scores: dict[str, list[int]]  # each panel member's revealed scores, the starting model's first
    shard_digests: list[bytes]  # zero bytes: not revealed
    pool: PoolOverview
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
    panel = market.panel(task_id)
    digests, _ = market.shards(task_id)
    return TaskOverview(
        state=state,
        market=market.address,
        deposited=view.deposited,
        paid_out=view.paid_out,
        submissions=market.submissions(task_id),
        panel=panel,
        scores={m.member: market.scores_of(task_id, m.member) for m in panel if m.revealed},
        shard_digests=digests,
        pool=pool_overview(market),
        account=standing,
    )


def pool_overview(market: MarketClient) -> PoolOverview:
    return PoolOverview(
        market.pool_address, market.verifier_bond, market.slash_amount, market.unbonding_period,
        market.pool_size(), market.active_members(),
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
        return dataclasses.replace(view, fused_accuracy_bps=fused_accuracy(store, view.state, view.shard_digests))
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


def _shards(o: TaskOverview) -> list[str]:
    s = o.state
    if not s.audit_mask:
        return [f"  shards:         {s.params.test_shards}, of which {s.params.audit_shards} to be audited "
                "(not drawn yet)"]
    lines = [
        f"  shards:         {s.params.test_shards}; audited {', '.join(f'#{i}' for i in s.audit_indices)}"
        f" ({'revealed' if s.audit_revealed else 'not revealed'}); test set "
        f"{'revealed' if s.test_revealed else 'not revealed'}"
    ]
    for index, digest in enumerate(o.shard_digests):
        kind = "audit" if index in s.audit_indices else "test "
        lines.append(f"    #{index:<2} {kind} " + (_digest(digest) if digest != ZERO32 else "not revealed"))
    return lines


def _settlement(o: TaskOverview) -> list[str]:
    s = o.state
    t = s.settlement
    if s.phase != Phase.FINALIZED and not (s.phase == Phase.UNFULFILLED and s.panel_drawn):
        return []
    verdict = "contested: no verdict, nobody is paid by it" if t.contested else f"on the {str(t.basis).lower()} shards"
    return [
        f"  verdict:        {verdict} ({t.counted_verifiers} counted of {t.revealed_verifiers} revealed, "
        f"{t.honest_verifiers} honest)",
        f"  baseline:       {_pct(t.baseline)} (the starting model's median {_pct(t.start_median)}, the task's "
        f"{_pct(s.params.baseline_score)})",
        f"  contributors:   {eth(t.contributor_pool)} to share by weight, {eth(t.rewards_total)} paid as rewards",
        f"  panel:          {eth(t.fee_per_verifier)} per honest member, {eth(t.slashed)} slashed",
        f"  burned:         {eth(s.burned)}   initiator refund: {eth(t.initiator_refund)}",
    ]


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
        f"  stake:          contributor {eth(p.contributor_stake)}",
        f"  caps:           {p.max_contributors} contributors, a panel of {p.panel_size}",
        f"  verifier fee:   {_pct(p.verifier_fee_bps)} of the reward",
        f"  baseline:       {_pct(p.baseline_score)}   tolerance: {_pct(p.tolerance_bps)}",
        f"  spec:           {_digest(p.spec_digest)}",
        *_shards(o),
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
        f"  counts:         {s.committed} committed, {s.revealed} revealed, {s.panel_drawn} on the panel",
        f"  escrow:         {eth(o.deposited)} paid in, {eth(o.paid_out)} paid out",
        *_settlement(o),
        "",
        f"Submissions ({len(o.submissions)}, in reveal order)",
    ]
    scored = phase == Phase.FINALIZED
    for sub in o.submissions:
        median = _pct(sub.median_score) if scored else "-"
        reward = eth(sub.reward) if scored else "-"
        lines.append(f"  #{sub.index} {sub.contributor}  median {median}  reward {reward}")
        lines.append(f"      model {_digest(sub.model_digest)}")
    if s.panel_seed_block and not s.panel_drawn:
        panel_head = f"Panel (requested: its seed is block {s.panel_seed_block}; not drawn yet)"
    else:
        panel_head = f"Panel ({len(o.panel)}, in draw order)"
    lines += ["", panel_head]
    for m in o.panel:
        vote = ("test set" if m.test_set_available else "audit shards") if m.revealed else "-"
        verdict = ("honest" if m.honest else "slashed" if m.slashed else "not counted") if scored else "-"
        scores = o.scores.get(m.member)
        shown = ", ".join(_pct(x) for x in scores) if scores else "-"
        lines.append(
            f"  {m.member}  committed {'yes' if m.committed else 'no'}  revealed {'yes' if m.revealed else 'no'}"
            f"  scored on {vote}  {verdict}"
        )
        lines.append(f"      scores (start first): {shown}")
    pool = o.pool
    lines += [
        "",
        f"Verifier pool {pool.address}: {pool.active} active of {pool.size} seats; bond {eth(pool.bond)}, "
        f"slash {eth(pool.slash)}, unbonding {duration(pool.unbonding_period)}",
    ]
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
            f"  stake: contributor {eth(p.contributor_stake)}; a panel of {p.panel_size} drawn from the pool",
            f"  taken: {s.committed}/{p.max_contributors} contributors; shards {p.test_shards}, "
            f"{p.audit_shards} audited",
            f"  verifier fee {_pct(p.verifier_fee_bps)}, baseline {_pct(p.baseline_score)}, "
            f"tolerance {_pct(p.tolerance_bps)}",
            "  windows (each until, inclusive):",
            *(
                f"    {label + ':':<14}{local(getattr(p, field))} ({relative(getattr(p, field), now)})"
                for label, field in DEADLINES
            ),
        ]
    return "\n".join(lines)
