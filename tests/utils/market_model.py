"""A reference model of the market, written from the design and the spec, not from the contract.

`TaskModel` holds what one task should hold (deposits, who committed and revealed what,
the clock-driven phase) and predicts, for every action at a given time, either the custom
error the contract must revert with or the effect it must have. `settle` computes every
entitlement the way the protocol design and its recorded deviations describe it.
The state-machine test drives the contract and this model side by side and compares them
after every step.

Where several checks fail at once, the model names the error the contract checks first;
that order is part of what the tests pin (one error per refusal, always the same one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.utils.fast_rpc import Reverted
from tests.utils.market import (
    PHASE,
    ROLE,
    commitment_to_test_set,
    model_commitment,
    score_commitment,
)

BPS = 10_000
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO32 = bytes(32)
SETTLED = ("Finalized", "Cancelled", "Unfulfilled", "Abandoned")
DEADLINES = ("commit", "reveal", "testReveal", "scoreCommit", "scoreReveal")

# The phase graph: every way a task may move on, by time or by an action.
PHASE_EDGES = {
    "Commit": {"Reveal", "Cancelled"},  # commit deadline passes / the initiator cancels
    "Reveal": {"TestReveal", "Unfulfilled"},  # reveal deadline passes, with or without a model
    "TestReveal": {"ScoreCommit", "Abandoned"},  # test set revealed / test reveal deadline passes
    "ScoreCommit": {"ScoreReveal"},
    "ScoreReveal": {"Finalizing"},
    "Finalizing": {"Finalized"},  # finalize completes
    "Finalized": set(),
    "Cancelled": set(),
    "Unfulfilled": set(),
    "Abandoned": set(),
}


def _reachable(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Every phase reachable from each phase in one or more moves (time may cross windows)."""
    closure: dict[str, set[str]] = {}
    for start in graph:
        seen: set[str] = set()
        frontier = list(graph[start])
        while frontier:
            phase = frontier.pop()
            if phase not in seen:
                seen.add(phase)
                frontier.extend(graph[phase])
        closure[start] = seen
    return closure


PHASE_REACHABLE = _reachable(PHASE_EDGES)


def median(values: list[int]) -> int:
    """The middle value; for an even count, the floor of the mean of the two middle ones."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2


def err(name: str, *args: object) -> Reverted:
    return Reverted(name, tuple(args))


@dataclass
class Settlement:
    """Everything a settled task owes, by address, and the Settlement struct if finalized."""

    owed: dict[str, int]
    medians: list[int]
    rewards: list[int]  # per submission, on top of the stake
    struct: tuple = (0, 0, 0, 0, 0, 0, 0)


@dataclass
class TaskModel:
    task_id: int
    initiator: str
    reward: int
    params: dict
    test_digest: bytes
    test_salt: bytes
    commitments: dict[str, bytes] = field(default_factory=dict)  # contributor -> commitment sent
    revealed: list[str] = field(default_factory=list)  # contributors, in reveal order
    revealed_digests: list[bytes] = field(default_factory=list)
    verifiers: list[str] = field(default_factory=list)  # in join order
    score_commitments: dict[str, bytes] = field(default_factory=dict)
    score_reveals: dict[str, list[int]] = field(default_factory=dict)
    cancelled: bool = False
    test_revealed: bool = False
    finalize_steps: int = 0
    finalized: bool = False
    fused_digest: bytes = ZERO32
    paid: dict[str, int] = field(default_factory=dict)  # account -> what its claim paid

    # ------------------------------------------------------------------ state
    def deadline(self, name: str) -> int:
        return int(self.params[f"{name}Deadline"])

    def phase(self, now: int) -> str:
        if self.cancelled:
            return "Cancelled"
        if now <= self.deadline("commit"):
            return "Commit"
        if now <= self.deadline("reveal"):
            return "Reveal"
        if not self.revealed:
            return "Unfulfilled"
        if not self.test_revealed:
            return "TestReveal" if now <= self.deadline("testReveal") else "Abandoned"
        if now <= self.deadline("scoreCommit"):
            return "ScoreCommit"
        if now <= self.deadline("scoreReveal"):
            return "ScoreReveal"
        return "Finalized" if self.finalized else "Finalizing"

    def role(self, account: str) -> str:
        if account in self.commitments:
            return "Contributor"
        if account in self.verifiers:
            return "Verifier"
        return "None"

    @property
    def c_stake(self) -> int:
        return int(self.params["contributorStake"])

    @property
    def v_stake(self) -> int:
        return int(self.params["verifierStake"])

    def deposited(self) -> int:
        return (
            self.reward + len(self.commitments) * self.c_stake + len(self.verifiers) * self.v_stake
        )

    def paid_out(self) -> int:
        return sum(self.paid.values())

    def accounts(self) -> list[str]:
        """Everyone who may be owed something in the task."""
        return [self.initiator, *self.commitments, *self.verifiers]

    def _wrong_phase(self, now: int, required: str) -> Reverted | None:
        current = self.phase(now)
        if current != required:
            return err("WrongPhase", self.task_id, PHASE[current], PHASE[required])
        return None

    def _newcomer(self, sender: str, value: int, stake: int) -> Reverted | None:
        if sender == self.initiator:
            return err("InitiatorCannotParticipate", self.task_id)
        if self.role(sender) != "None":
            return err("AlreadyParticipant", self.task_id, sender, ROLE[self.role(sender)])
        if value != stake:
            return err("WrongStake", value, stake)
        return None

    # ---------------------------------------------------------------- actions
    # Each expect_* returns the error the contract must revert with, or None; apply_* records
    # the effect of an action that succeeded.
    def expect_cancel(self, sender: str, now: int) -> Reverted | None:
        if sender != self.initiator:
            return err("NotInitiator", self.task_id, sender)
        if e := self._wrong_phase(now, "Commit"):
            return e
        if self.commitments:
            return err("CommitmentsExist", self.task_id, len(self.commitments))
        return None

    def expect_commit_model(
        self, sender: str, commitment: bytes, value: int, now: int
    ) -> Reverted | None:
        if e := self._wrong_phase(now, "Commit"):
            return e
        if commitment == ZERO32:
            return err("ZeroDigest")
        if e := self._newcomer(sender, value, self.c_stake):
            return e
        if len(self.commitments) == self.params["maxContributors"]:
            return err("TaskFull", self.task_id, ROLE["Contributor"], len(self.commitments))
        return None

    def expect_join(self, sender: str, value: int, now: int) -> Reverted | None:
        if e := self._wrong_phase(now, "Commit"):
            return e
        if e := self._newcomer(sender, value, self.v_stake):
            return e
        if len(self.verifiers) == self.params["maxVerifiers"]:
            return err("TaskFull", self.task_id, ROLE["Verifier"], len(self.verifiers))
        return None

    def expect_reveal_model(
        self, chain_id: int, market: str, sender: str, digest: bytes, secret: bytes, now: int
    ) -> Reverted | None:
        if e := self._wrong_phase(now, "Reveal"):
            return e
        if self.role(sender) != "Contributor":
            return err("NotContributor", self.task_id, sender)
        if sender in self.revealed:
            return err("AlreadyRevealed", self.task_id, sender)
        if (
            model_commitment(chain_id, market, self.task_id, sender, digest, secret)
            != self.commitments[sender]
        ):
            return err("CommitmentMismatch", self.task_id, sender)
        if digest == ZERO32:
            return err("ZeroDigest")
        if digest in self.revealed_digests:
            return err("DuplicateModel", self.task_id, digest)
        return None

    def expect_reveal_test_set(
        self, chain_id: int, market: str, sender: str, digest: bytes, secret: bytes, now: int
    ) -> Reverted | None:
        if sender != self.initiator:
            return err("NotInitiator", self.task_id, sender)
        if e := self._wrong_phase(now, "TestReveal"):
            return e
        if (
            commitment_to_test_set(chain_id, market, sender, digest, secret)
            != self.params["testSetCommitment"]
        ):
            return err("CommitmentMismatch", self.task_id, sender)
        if digest == ZERO32:
            return err("ZeroDigest")
        return None

    def expect_commit_scores(self, sender: str, commitment: bytes, now: int) -> Reverted | None:
        if e := self._wrong_phase(now, "ScoreCommit"):
            return e
        if self.role(sender) != "Verifier":
            return err("NotVerifier", self.task_id, sender)
        if commitment == ZERO32:
            return err("ZeroDigest")
        if sender in self.score_commitments:
            return err("ScoresAlreadyCommitted", self.task_id, sender)
        return None

    def expect_reveal_scores(
        self, chain_id: int, market: str, sender: str, scores: list[int], secret: bytes, now: int
    ) -> Reverted | None:
        if e := self._wrong_phase(now, "ScoreReveal"):
            return e
        if self.role(sender) != "Verifier":
            return err("NotVerifier", self.task_id, sender)
        if sender not in self.score_commitments:
            return err("ScoresNotCommitted", self.task_id, sender)
        if sender in self.score_reveals:
            return err("ScoresAlreadyRevealed", self.task_id, sender)
        if len(scores) != len(self.revealed):
            return err("ScoreCountMismatch", self.task_id, len(scores), len(self.revealed))
        for index, score in enumerate(scores):
            if score > BPS:
                return err("ScoreOutOfRange", self.task_id, index, score)
        if (
            score_commitment(chain_id, market, self.task_id, sender, scores, secret)
            != self.score_commitments[sender]
        ):
            return err("CommitmentMismatch", self.task_id, sender)
        return None

    def finalize_steps_needed(self) -> int:
        """Pass 1: one step per submission when anyone scored; pass 2: one per submission
        when rewards are pro rata (someone scored and some submission beat the baseline)."""
        if not self.score_reveals:
            return 0
        n = len(self.revealed)
        return 2 * n if self.settle().struct[0] > 0 else n

    def expect_finalize(self, max_steps: int, now: int) -> Reverted | None:
        if max_steps == 0:
            return err("ZeroSteps")
        return self._wrong_phase(now, "Finalizing")

    def apply_finalize(self, max_steps: int) -> bool:
        """Takes the steps; returns whether finalize is done."""
        needed = self.finalize_steps_needed()
        self.finalize_steps = min(needed, self.finalize_steps + max_steps)
        self.finalized = self.finalize_steps == needed
        return self.finalized

    def expect_claim(self, sender: str, recipient: str, now: int) -> Reverted | None:
        if recipient == ZERO_ADDRESS:
            return err("ZeroRecipient")
        if sender in self.paid:
            return err("AlreadyClaimed", self.task_id, sender)
        phase = self.phase(now)
        if phase not in SETTLED:
            return err("WrongPhase", self.task_id, PHASE[phase], PHASE["Finalized"])
        if self.settle(now).owed.get(sender, 0) == 0:
            return err("NothingToClaim", self.task_id, sender)
        return None

    def expect_publish(self, sender: str, digest: bytes, now: int) -> Reverted | None:
        if sender != self.initiator:
            return err("NotInitiator", self.task_id, sender)
        if e := self._wrong_phase(now, "Finalized"):
            return e
        if digest == ZERO32:
            return err("ZeroDigest")
        if self.fused_digest != ZERO32:
            return err("FusedModelAlreadyPublished", self.task_id, self.fused_digest)
        return None

    # -------------------------------------------------------------- settlement
    def settle(self, now: int | None = None) -> Settlement:
        """What everyone is owed once the task is settled (the phase at `now`, or Finalized).

        Cancelled: the reward to the initiator, stakes back to verifiers. Unfulfilled: the
        reward and every (forfeited) contributor stake to the initiator, stakes back to
        verifiers. Abandoned: each revealed contributor its stake and an equal share of the
        reward plus forfeited stakes, verifiers their stakes, the initiator the dust.
        Finalized: medians, weights above the baseline, pro-rata rewards (equal split when
        nobody scored), the fee plus non-honest verifiers' stakes shared by honest verifiers,
        the rest to the initiator.
        """
        phase = "Finalized" if now is None else self.phase(now)
        owed = dict.fromkeys(self.accounts(), 0)
        n = len(self.revealed)
        forfeited = (len(self.commitments) - n) * self.c_stake
        if phase == "Cancelled":
            owed[self.initiator] = self.reward
            for v in self.verifiers:
                owed[v] = self.v_stake
            return Settlement(owed, [0] * n, [0] * n)
        if phase == "Unfulfilled":
            owed[self.initiator] = self.reward + forfeited
            for v in self.verifiers:
                owed[v] = self.v_stake
            return Settlement(owed, [0] * n, [0] * n)
        if phase == "Abandoned":
            pool = self.reward + forfeited
            share = pool // n
            for c in self.revealed:
                owed[c] = self.c_stake + share
            for v in self.verifiers:
                owed[v] = self.v_stake
            owed[self.initiator] = pool - share * n
            return Settlement(owed, [0] * n, [share] * n)
        assert phase == "Finalized", f"task {self.task_id} is not settled ({phase})"

        revealed_verifiers = [v for v in self.verifiers if v in self.score_reveals]
        baseline, tolerance = self.params["baselineScore"], self.params["toleranceBps"]
        fee = self.reward * self.params["verifierFeeBps"] // BPS
        pool = self.reward - fee + forfeited
        if revealed_verifiers:
            medians = [
                median([self.score_reveals[v][i] for v in revealed_verifiers]) for i in range(n)
            ]
        else:
            medians = [0] * n
        weights = [max(0, m - baseline) for m in medians]
        total_weight = sum(weights)
        if not revealed_verifiers:
            rewards = [pool // n] * n
        elif total_weight == 0:
            rewards = [0] * n
        else:
            rewards = [pool * w // total_weight for w in weights]
        honest = [
            v
            for v in revealed_verifiers
            if all(
                abs(score - m) <= tolerance
                for score, m in zip(self.score_reveals[v], medians, strict=True)
            )
        ]
        fee_pool = fee + (len(self.verifiers) - len(honest)) * self.v_stake
        fee_each = fee_pool // len(honest) if honest else 0
        for c, reward in zip(self.revealed, rewards, strict=True):
            owed[c] = self.c_stake + reward
        for v in honest:
            owed[v] = self.v_stake + fee_each
        others = sum(owed.values())
        refund = self.deposited() - others
        owed[self.initiator] = refund
        struct = (
            total_weight,
            pool,
            sum(rewards),
            fee_each,
            len(honest),
            len(revealed_verifiers),
            refund,
        )
        return Settlement(owed, medians, rewards, struct)
