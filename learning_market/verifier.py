"""The verifier: fetches the revealed models and the test set by digest, scores, commits, reveals."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ml import ModelFileError, accuracy_bps, decode_dataset, decode_model
from content import ContentStore, StoreError

from learning_market.commitments import new_salt, score_commitment
from learning_market.market import MarketClient


class VerifierBehaviour(str, Enum):
    HONEST = "honest"
    DISHONEST = "dishonest"  # reports made-up scores


@dataclass
class Verifier:
    """One verifier in one market."""

    name: str
    account: Any
    market: MarketClient
    store: ContentStore
    behaviour: VerifierBehaviour = VerifierBehaviour.HONEST
    seed: int = 0
    scores: list[int] = field(default_factory=list)
    _salt: bytes = field(default=b"", repr=False)

    @property
    def address(self) -> str:
        return str(self.account.address)

    def join(self, task_id: int) -> None:
        self.market.join_as_verifier(task_id, self.market.params(task_id).verifier_stake, sender=self.account)

    def score(self, task_id: int) -> list[int]:
        """Accuracy (bps) of every submission on the revealed test set, in reveal order.

        Every file is checked against the digest the chain recorded; a model file that does not
        load, or does not fit the test set, scores 0.
        """
        submissions = self.market.submissions(task_id)
        if self.behaviour is VerifierBehaviour.DISHONEST:
            rng = random.Random(self.seed)
            self.scores = [rng.randrange(0, 10_001) for _ in submissions]
            return self.scores
        test_digest = bytes(self.market.task(task_id).testDigest)
        test_set = decode_dataset(self.store.get(test_digest))
        self.scores = [self._score_one(submission.model_digest, test_set) for submission in submissions]
        return self.scores

    def _score_one(self, digest: bytes, test_set: Any) -> int:
        try:
            model = decode_model(self.store.get(digest), digest)
            return accuracy_bps(model.module, test_set)
        except (ModelFileError, StoreError, RuntimeError, ValueError):
            return 0

    def commit_scores(self, task_id: int) -> None:
        self._salt = new_salt()
        commitment = score_commitment(
            self.market.chain_id, self.market.address, task_id, self.address, self.scores, self._salt
        )
        self.market.commit_scores(task_id, commitment, sender=self.account)

    def reveal_scores(self, task_id: int) -> None:
        self.market.reveal_scores(task_id, self.scores, self._salt, sender=self.account)

    def claim(self, task_id: int) -> int:
        return self.market.claim(task_id, sender=self.account)
