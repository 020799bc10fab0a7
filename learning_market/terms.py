"""What an initiator offers and asks in a task, and the task parameters that follow from it."""

from __future__ import annotations

from dataclasses import dataclass

from learning_market.phases import TaskParams


@dataclass(frozen=True)
class TaskTerms:
    """What an initiator offers and asks: amounts in wei, scores in bps, windows in seconds."""

    reward: int = 10**18
    contributor_stake: int = 10**16
    verifier_stake: int = 2 * 10**16
    max_contributors: int = 32
    max_verifiers: int = 9
    verifier_fee_bps: int = 1_000
    baseline_score: int = 1_000  # chance on ten classes
    tolerance_bps: int = 300
    window: int = 3_600  # each phase's length; at least the market's minWindow

    def task_params(
        self, spec_digest: bytes, test_set_commitment: bytes, start: int, parent_task_id: int = 0
    ) -> TaskParams:
        """The task's parameters, its five windows each `window` seconds long from `start`."""
        return TaskParams(
            spec_digest=spec_digest,
            test_set_commitment=test_set_commitment,
            commit_deadline=start + self.window,
            reveal_deadline=start + 2 * self.window,
            test_reveal_deadline=start + 3 * self.window,
            score_commit_deadline=start + 4 * self.window,
            score_reveal_deadline=start + 5 * self.window,
            contributor_stake=self.contributor_stake,
            verifier_stake=self.verifier_stake,
            max_contributors=self.max_contributors,
            max_verifiers=self.max_verifiers,
            verifier_fee_bps=self.verifier_fee_bps,
            baseline_score=self.baseline_score,
            tolerance_bps=self.tolerance_bps,
            parent_task_id=parent_task_id,
        )
