"""Driving tasks to settlement in tests, and measuring claims to the wei.

`new_task` creates a task like the `create_task` fixture does, but can be used from fixtures
of any scope (a module builds one task once; ape's isolation reverts each test's changes).
`play` runs rounds of one or more tasks up to the phase a test needs (`Actor` lets a mock
contract take part). `claim_measured` claims and returns what the recipient received, net of
the gas its sender paid (this anvil charges gas). `pay_out` settles a task in full and checks
every payout to the wei and the conservation of its funds.
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

DEADLINES = (
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
    return {name: task.params[name] for name in DEADLINES}


@dataclass(eq=False)
class Actor:
    """A test-double contract (contracts/mocks/MarketActor.sol) that holds a role in tasks
    itself, driven by an operator account. `play` takes actors wherever it takes accounts."""

    contract: Any
    operator: Any

    @property
    def address(self) -> str:
        return self.contract.address

    def commit(self, task: TaskHandle, label: str | None = None) -> Any:
        label = label or f"model-{self.address}"
        model, secret = digest(label), salt(label)
        task.models[self.address] = (model, secret)
        commitment = model_commitment(
            task.chain.chain_id, task.market.address, task.task_id, self.address, model, secret
        )
        value = task.params["contributorStake"]
        return self.contract.commitModel(
            task.task_id, commitment, value=value, sender=self.operator
        )

    def join(self, task: TaskHandle) -> Any:
        return self.contract.joinAsVerifier(
            task.task_id, value=task.params["verifierStake"], sender=self.operator
        )

    def reveal(self, task: TaskHandle) -> Any:
        model, secret = task.models[self.address]
        return self.contract.revealModel(
            task.task_id, model, secret, f"store://{model.hex()}", sender=self.operator
        )

    def commit_scores(self, task: TaskHandle, scores: list[int]) -> Any:
        secret = salt(f"scores-{self.address}")
        task.score_secrets[self.address] = (list(scores), secret)
        commitment = score_commitment(
            task.chain.chain_id,
            task.market.address,
            task.task_id,
            self.address,
            list(scores),
            secret,
        )
        return self.contract.commitScores(task.task_id, commitment, sender=self.operator)

    def reveal_scores(self, task: TaskHandle) -> Any:
        scores, secret = task.score_secrets[self.address]
        return self.contract.revealScores(task.task_id, scores, secret, sender=self.operator)


def _act(task: TaskHandle, who: Any, action: str, *args: Any) -> Any:
    """`task.<action>(who, ...)` for an account, `who.<action>(task, ...)` for an actor."""
    if isinstance(who, Actor):
        return getattr(who, action)(task, *args)
    return getattr(task, action)(who, *args)


@dataclass
class Round:
    """What happens in one task: every contributor commits and every verifier joins;
    contributors not in `hidden` reveal, in the order given (their submission indices); the
    test set is revealed unless `reveal_test_set` is false; each verifier in `scores` commits
    its scores and reveals them unless it is in `withheld`."""

    task: TaskHandle
    contributors: Sequence[Any] = ()
    verifiers: Sequence[Any] = ()
    scores: dict[Any, list[int]] | None = None
    hidden: Sequence[Any] = ()
    withheld: Sequence[Any] = ()
    reveal_test_set: bool = True

    @property
    def revealing(self) -> list[Any]:
        return [c for c in self.contributors if c not in self.hidden]


def play(*rounds: Round) -> None:
    """Plays rounds of tasks that share their deadlines, phase by phase, and stops inside the
    ScoreReveal window (a round stops earlier when it cannot go on: no model revealed, no
    test set, or `scores` None)."""
    first = rounds[0].task
    assert all(deadlines_of(r.task) == deadlines_of(first) for r in rounds), (
        "rounds must share deadlines"
    )
    for r in rounds:
        for contributor in r.contributors:
            _act(r.task, contributor, "commit")
        for verifier in r.verifiers:
            _act(r.task, verifier, "join")
    rounds = tuple(r for r in rounds if r.revealing)
    if not rounds:
        return
    first.after("commit")
    for r in rounds:
        for contributor in r.revealing:
            _act(r.task, contributor, "reveal")
    rounds = tuple(r for r in rounds if r.reveal_test_set)
    if not rounds:
        return
    first.after("reveal")
    for r in rounds:
        r.task.reveal_test_set()
    rounds = tuple(r for r in rounds if r.scores is not None)
    for r in rounds:
        for verifier, verifier_scores in r.scores.items():
            _act(r.task, verifier, "commit_scores", verifier_scores)
    if not rounds:
        return
    first.after("scoreCommit")
    for r in rounds:
        for verifier in r.scores:
            if verifier not in r.withheld:
                _act(r.task, verifier, "reveal_scores")


def finalize_all(task: TaskHandle, caller: Any, max_steps: int = 1_000) -> list[Any]:
    """Moves past the score reveal deadline (unless the chain is already there) and calls
    finalize until it is done; returns the receipts."""
    if task.chain.blocks.head.timestamp <= task.deadline("scoreReveal"):
        task.after("scoreReveal")
    finalized = PHASE["Finalized"]
    receipts = [task.finalize(caller, max_steps)]
    while (
        task.market.phaseOf(task.task_id) != finalized
    ):  # cheaper than each receipt's return value
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


def pay_out(task: TaskHandle, payouts: dict[Any, int]) -> None:
    """Has every account owed something claim, and checks to the wei that each receives its
    `payouts` entry (an account expected to get 0 must be owed 0); that the payouts add up to
    everything the task took in; that afterwards the task has paid all of it out and owes
    nobody anything; and that the market's balance fell by exactly the task's deposits."""
    market, task_id = task.market, task.task_id
    deposited = market.getTask(task_id).deposited
    assert sum(payouts.values()) == deposited, (
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
    assert market.getTask(task_id).paidOut == deposited
    assert [market.owed(task_id, account) for account in payouts] == [0] * len(payouts)
    assert market_before - market.balance == deposited
