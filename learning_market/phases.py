"""The market's enums and task parameters as Python sees them."""

from __future__ import annotations

from dataclasses import astuple, dataclass
from enum import IntEnum

BPS = 10_000  # basis points in one: scores, fees, baselines and tolerances are in bps


class Phase(IntEnum):
    """ILearningMarket.Phase, in the contract's order."""

    NONE = 0
    COMMIT = 1
    REVEAL = 2
    TEST_REVEAL = 3
    SCORE_COMMIT = 4
    SCORE_REVEAL = 5
    FINALIZING = 6
    FINALIZED = 7
    CANCELLED = 8
    UNFULFILLED = 9
    ABANDONED = 10

    @property
    def settled(self) -> bool:
        """Whether claims are open."""
        return self in (Phase.FINALIZED, Phase.CANCELLED, Phase.UNFULFILLED, Phase.ABANDONED)

    def __str__(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))


class Role(IntEnum):
    """ILearningMarket.Role."""

    NONE = 0
    CONTRIBUTOR = 1
    VERIFIER = 2


@dataclass(frozen=True)
class TaskParams:
    """ILearningMarket.TaskParams, field for field (deadlines in unix seconds, amounts in wei)."""

    spec_digest: bytes
    test_set_commitment: bytes
    commit_deadline: int
    reveal_deadline: int
    test_reveal_deadline: int
    score_commit_deadline: int
    score_reveal_deadline: int
    contributor_stake: int
    verifier_stake: int
    max_contributors: int
    max_verifiers: int
    verifier_fee_bps: int
    baseline_score: int
    tolerance_bps: int
    parent_task_id: int = 0

    def as_tuple(self) -> tuple:
        """The struct as the ABI encodes it."""
        return astuple(self)

    @classmethod
    def from_chain(cls, struct: tuple) -> TaskParams:
        return cls(*(bytes(v) if isinstance(v, (bytes, bytearray)) else int(v) for v in struct))
