"""The market's enums and task parameters as Python sees them (mechanism v2)."""

from __future__ import annotations

from dataclasses import astuple, dataclass
from enum import IntEnum

BPS = 10_000  # basis points in one: scores, fees, baselines and tolerances are in bps


class Phase(IntEnum):
    """ILearningMarket.Phase, in the contract's order."""

    NONE = 0
    AUDIT = 1
    COMMIT = 2
    REVEAL = 3
    TEST_REVEAL = 4
    SCORE_COMMIT = 5
    SCORE_REVEAL = 6
    FINALIZING = 7
    FINALIZED = 8
    CANCELLED = 9
    UNFULFILLED = 10
    VOID = 11

    @property
    def settled(self) -> bool:
        """Whether claims are open."""
        return self in (Phase.FINALIZED, Phase.CANCELLED, Phase.UNFULFILLED, Phase.VOID)

    def __str__(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))


class Role(IntEnum):
    """ILearningMarket.Role: a panel member drawn for the task is its Verifier."""

    NONE = 0
    CONTRIBUTOR = 1
    VERIFIER = 2


class Basis(IntEnum):
    """ILearningMarket.Basis: what the panel's counted scores were computed on."""

    TEST = 0
    AUDIT = 1

    def __str__(self) -> str:
        return self.name.capitalize()


@dataclass(frozen=True)
class TaskParams:
    """ILearningMarket.TaskParams, field for field (deadlines in unix seconds, amounts in wei)."""

    spec_digest: bytes
    test_set_commitment: bytes
    audit_deadline: int
    commit_deadline: int
    reveal_deadline: int
    test_reveal_deadline: int
    score_commit_deadline: int
    score_reveal_deadline: int
    contributor_stake: int
    max_contributors: int
    panel_size: int
    verifier_fee_bps: int
    baseline_score: int
    tolerance_bps: int
    test_shards: int
    audit_shards: int
    parent_task_id: int = 0

    def as_tuple(self) -> tuple:
        """The struct as the ABI encodes it."""
        return astuple(self)

    @classmethod
    def from_chain(cls, struct: tuple) -> TaskParams:
        return cls(*(bytes(v) if isinstance(v, (bytes, bytearray)) else int(v) for v in struct))
