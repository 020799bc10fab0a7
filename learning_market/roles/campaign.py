"""An initiator's campaign: rounds of one task, each on a fresh test set (a revealed test set is public),
each starting from the last round's fused model. What was created is read back from the chain and the
keyring (`Initiator.campaign_rounds`), so a campaign resumes after a crash without creating a round twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from content import sha256_digest
from learning_market.terms import TaskTerms
from ml import Dataset, TaskSpec, encode_dataset

DEFAULT_START_MARGIN = 60  # seconds before the first window starts, for the creating transaction to be mined


@dataclass
class Campaign:
    """Rounds of a task: `spec` for the first (the later ones start from the fused model), one test set
    per round, the same `terms`. `from_block` is where to look for its rounds on chain; `rounds` and
    `scanned` remember what was found (round index -> task id, and the last block read)."""

    spec: TaskSpec
    test_sets: Sequence[Dataset]
    terms: TaskTerms
    start_margin: int = DEFAULT_START_MARGIN
    from_block: int = 0
    rounds: dict[int, int] = field(default_factory=dict)
    scanned: int = -1

    def __post_init__(self) -> None:
        if not self.test_sets:
            raise ValueError("a campaign needs a test set per round, and none was given")

    @cached_property
    def _digests(self) -> list[bytes]:
        return [sha256_digest(encode_dataset(test_set)) for test_set in self.test_sets]

    def test_digests(self) -> list[bytes]:
        """The SHA-256 of each round's test set file, in round order."""
        return self._digests
