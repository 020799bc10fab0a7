"""What an initiator offers and asks in a task, and the task parameters that follow from it; and the
terms a market is deployed with (its verifier pool's bond, slash and unbonding period, its forfeit)."""

from __future__ import annotations

from dataclasses import dataclass

from learning_market.errors import LearningMarketError
from learning_market.phases import TaskParams

DEFAULT_FORFEIT_BPS = 500  # share of the reward burned when a task ends without a model


@dataclass(frozen=True)
class PoolTerms:
    """The verifier pool's constructor arguments, which the market's constructor passes on: the bond of
    one seat and what a member loses per bad panel (wei), and the seconds between an exit request and
    the withdrawal."""

    verifier_bond: int = 10**17
    slash_amount: int = 5 * 10**16
    unbonding_period: int = 86_400

    def __post_init__(self) -> None:
        if self.verifier_bond >= 2**96:
            raise LearningMarketError(f"the verifier bond ({self.verifier_bond:,} wei) must be less than 2**96 wei.")
        if not 0 < self.slash_amount <= self.verifier_bond:
            raise LearningMarketError(
                f"the slash amount ({self.slash_amount:,} wei) must be more than 0 and at most the bond "
                f"({self.verifier_bond:,} wei): lower --slash-amount or raise --verifier-bond."
            )


DEFAULT_POOL_TERMS = PoolTerms()


@dataclass(frozen=True)
class TaskTerms:
    """What an initiator offers and asks: amounts in wei, scores in bps, windows in seconds.

    The test set is cut into `test_shards` shards (K) of which `audit_shards` (A) are drawn at random and
    published before anyone stakes; the other K - A are the test set the panel scores on. The panel of
    `panel_size` members (odd, at least 3) is drawn from the market's verifier pool."""

    reward: int = 10**18
    contributor_stake: int = 10**16
    max_contributors: int = 32
    panel_size: int = 3
    verifier_fee_bps: int = 1_000
    baseline_score: int = 1_000  # chance on ten classes
    tolerance_bps: int = 300
    test_shards: int = 8
    audit_shards: int = 2
    window: int = 3_600  # each phase's length; at least the market's minWindow

    def task_params(
        self, spec_digest: bytes, test_set_commitment: bytes, start: int, parent_task_id: int = 0
    ) -> TaskParams:
        """The task's parameters, its six windows each `window` seconds long from `start`."""
        return TaskParams(
            spec_digest=spec_digest,
            test_set_commitment=test_set_commitment,
            audit_deadline=start + self.window,
            commit_deadline=start + 2 * self.window,
            reveal_deadline=start + 3 * self.window,
            test_reveal_deadline=start + 4 * self.window,
            score_commit_deadline=start + 5 * self.window,
            score_reveal_deadline=start + 6 * self.window,
            contributor_stake=self.contributor_stake,
            max_contributors=self.max_contributors,
            panel_size=self.panel_size,
            verifier_fee_bps=self.verifier_fee_bps,
            baseline_score=self.baseline_score,
            tolerance_bps=self.tolerance_bps,
            test_shards=self.test_shards,
            audit_shards=self.audit_shards,
            parent_task_id=parent_task_id,
        )
