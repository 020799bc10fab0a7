"""Driving tasks to settlement in tests, and measuring claims to the wei.

`play` runs rounds of one or more tasks up to the phase a test needs: audit opened, models
committed, panel drawn, models revealed, test set revealed, scores committed and revealed.
Panel members are named by their draw order: `scores[i]` are the scores of the i-th member
drawn (the starting model's score first). `Actor` lets a mock contract take part.
`claim_measured` claims and returns what the recipient received, net of the gas its sender
paid. `pay_out` settles a task in full and checks every payout to the wei and the
conservation of its funds (what came in = what was paid out + what was burned).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tests.utils.market import (
    PHASE,
    TaskHandle,
    digest,
    model_commitment,
    salt,
    score_commitment,
)

DEADLINE_FIELDS = (
    "auditDeadline",
    "commitDeadline",
    "revealDeadline",
    "testRevealDeadline",
    "scoreCommitDeadline",
    "scoreRevealDeadline",
)


def copy_of(task: TaskHandle) -> TaskHandle:
    """A handle a test may change freely: a module-scoped task's secrets outlive each test's
    chain state (ape reverts the chain after each test, not Python objects)."""
    return replace(task, models=dict(task.models), score_secrets=dict(task.score_secrets))


def deadlines_of(task: TaskHandle) -> dict[str, int]:
    """The task's deadlines, as overrides: a second task created with them runs in step."""
    return {name: task.params[name] for name in DEADLINE_FIELDS}


@dataclass(eq=False)
class Actor:
    """A test-double contract (contracts/mocks/MarketActor.sol) that takes part in tasks itself,
    driven by an operator account. `play` takes actors wherever it takes accounts."""

    contract: Any
    operator: Any

    @property
    def address(self) -> str:
        return self.contract.address

    def register(self, bond: int) -> Any:
        return self.contract.register(value=bond, sender=self.operator)

    def commit(self, task: TaskHandle, label: str | None = None) -> Any:
        label = label or f"model-{self.address}-{task.task_id}"
        model, secret = digest(label), salt(label)
        task.models[self.address] = (model, secret)
        commitment = model_commitment(
            task.chain.chain_id, task.market.address, task.task_id, self.address, model, secret
        )
        value = task.params["contributorStake"]
        return self.contract.commitModel(
            task.task_id, commitment, value=value, sender=self.operator
        )

    def reveal(self, task: TaskHandle) -> Any:
        model, secret = task.models[self.address]
        return self.contract.revealModel(
            task.task_id, model, secret, f"store://{model.hex()}", sender=self.operator
        )

    def commit_scores(self, task: TaskHandle, scores: list[int], available: bool = True) -> Any:
        secret = salt(f"scores-{self.address}-{task.task_id}")
        task.score_secrets[self.address] = (available, list(scores), secret)
        commitment = score_commitment(
            task.chain.chain_id,
            task.market.address,
            task.task_id,
            self.address,
            available,
            list(scores),
            secret,
        )
        return self.contract.commitScores(task.task_id, commitment, sender=self.operator)

    def reveal_scores(self, task: TaskHandle) -> Any:
        available, scores, secret = task.score_secrets[self.address]
        return self.contract.revealScores(
            task.task_id, available, scores, secret, sender=self.operator
        )


def _act(task: TaskHandle, who: Any, action: str, *args: Any) -> Any:
    """`task.<action>(who, ...)` for an account, `who.<action>(task, ...)` for an actor."""
    if isinstance(who, Actor):
        return getattr(who, action)(task, *args)
    return getattr(task, action)(who, *args)


@dataclass
class Round:
    """What happens in one task: the audit is opened; every contributor commits; the panel is
    drawn (by `drawer`); contributors not in `hidden` reveal, in the order given (their
    submission indices); the test set is revealed unless `reveal_test_set` is false; panel
    member i commits `scores[i]` with vote `available[i]` (True by default), and reveals unless
    i is in `withheld`. With `scores` None nobody scores."""

    task: TaskHandle
    contributors: Sequence[Any] = ()
    scores: Sequence[list[int]] | None = None
    hidden: Sequence[Any] = ()
    withheld: Sequence[int] = ()
    reveal_test_set: bool = True
    available: Sequence[bool] | None = None
    drawer: Any = None

    @property
    def revealing(self) -> list[Any]:
        return [c for c in self.contributors if c not in self.hidden]


def play(*rounds: Round) -> dict[int, list[Any]]:
    """Plays rounds of tasks that share their deadlines, phase by phase, and stops inside the
    ScoreReveal window (a round stops earlier when it cannot go on: no contributor, no model
    revealed, or `scores` None). Returns each task's panel (members in draw order)."""
    first = rounds[0].task
    assert all(deadlines_of(r.task) == deadlines_of(first) for r in rounds), (
        "rounds must share deadlines"
    )
    panels: dict[int, list[Any]] = {}
    for r in rounds:
        if r.task.phase() == "Audit":
            r.task.open_audit()
    for r in rounds:
        for contributor in r.contributors:
            _act(r.task, contributor, "commit")
    rounds = tuple(r for r in rounds if r.contributors)
    if not rounds:
        return panels
    first.after("commit")
    for r in rounds:
        r.task.request_panel(r.drawer or r.task.initiator)
    for r in rounds:
        r.task.draw_panel(r.drawer or r.task.initiator)
        panels[r.task.task_id] = r.task.panel()
    for r in rounds:
        for contributor in r.revealing:
            _act(r.task, contributor, "reveal")
    rounds = tuple(r for r in rounds if r.revealing)
    if not rounds:
        return panels
    first.after("reveal")
    for r in rounds:
        if r.reveal_test_set:
            r.task.reveal_test_set()
    rounds = tuple(r for r in rounds if r.scores is not None)
    if not rounds:
        return panels
    first.after("testReveal")
    for r in rounds:
        for i, (member, member_scores) in enumerate(
            zip(panels[r.task.task_id], r.scores, strict=False)
        ):
            vote = True if r.available is None else r.available[i]
            _act(r.task, member, "commit_scores", member_scores, vote)
    first.after("scoreCommit")
    for r in rounds:
        for i, member in enumerate(panels[r.task.task_id][: len(r.scores)]):
            if i not in r.withheld:
                _act(r.task, member, "reveal_scores")
    return panels


def finalize_all(task: TaskHandle, caller: Any, max_steps: int = 10_000) -> list[Any]:
    """Moves past the score reveal deadline (unless the chain is already past the deadline the
    task needs) and calls finalize until it is done; returns the receipts."""
    if task.phase() != "Finalizing":
        task.after("scoreReveal")
    receipts = [task.finalize(caller, max_steps)]
    while task.market.phaseOf(task.task_id) not in (PHASE["Finalized"], PHASE["Unfulfilled"]):
        receipts.append(task.finalize(caller, max_steps))
    return receipts


def claim_measured(
    market: Any, task_id: int, account: Any, recipient: Any = None
) -> tuple[Any, int]:
    """Claims for `account` (to `recipient` with claimTo); returns the receipt and what the
    recipient received, net of the gas `account` paid when it is the recipient."""
    payee = recipient or account
    before = payee.balance
    if recipient is None:
        receipt = market.claim(task_id, sender=account)
    else:
        receipt = market.claimTo(task_id, recipient, sender=account)
    received = payee.balance - before
    if payee.address == account.address:
        received += receipt.total_fees_paid
    return receipt, received


def move_past(task: TaskHandle, name: str) -> None:
    """Mines a block one second after the named deadline, so that views see the next phase."""
    task.chain.mine(timestamp=task.deadline(name) + 1)


def pay_out(task: TaskHandle, payouts: dict[Any, int], burned: int = 0) -> None:
    """Has every account owed something claim, and checks to the wei that each receives its
    `payouts` entry (an account expected to get 0 must be owed 0); that the payouts and
    `burned` add up to everything the task took in; that afterwards the task has paid all of
    it out but the burned wei and owes nobody anything; and that the market's balance fell by
    exactly the payouts."""
    market, task_id = task.market, task.task_id
    deposited = market.getTask(task_id).deposited
    assert sum(payouts.values()) + burned == deposited, (
        "the hand computation does not add up to the deposits"
    )
    owed = {account.address: market.owed(task_id, account) for account in payouts}
    assert owed == {account.address: amount for account, amount in payouts.items()}
    market_before = market.balance
    for account, amount in payouts.items():
        if amount == 0:
            continue
        receipt, received = claim_measured(market, task_id, account)
        assert received == amount
        logs = list(receipt.decode_logs(market.Claimed))
        assert [(log.taskId, log.account, log.recipient, log.amount) for log in logs] == [
            (task_id, account.address, account.address, amount)
        ]
    view = market.getTask(task_id)
    assert view.paidOut == deposited - burned
    assert view.burned == burned
    assert [market.owed(task_id, account) for account in payouts] == [0] * len(payouts)
    assert market_before - market.balance == deposited - burned
