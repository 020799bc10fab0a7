"""The contributor: trains on its private shard, stores its model file, commits, reveals, claims.

Its data never leaves it: only the trained model's file (and its digest) does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ml import Dataset, TaskSpec, TrainConfig, accuracy_bps, build_model, decode_model, encode_model, flip_labels, train
from content import ContentStore

from learning_market.commitments import model_commitment, new_salt
from learning_market.market import MarketClient


class ContributorBehaviour(str, Enum):
    """How a contributor plays. Everything but HONEST is an attack the protocol must answer."""

    HONEST = "honest"
    FREE_RIDER = "free-rider"  # commits (and stakes) but never reveals
    COPIER = "copier"  # copies another's commitment, then replays that one's reveal
    POISONER = "poisoner"  # trains on flipped labels


@dataclass
class Contributor:
    """One contributor in one market. `shard` is its private data."""

    name: str
    account: Any
    market: MarketClient
    store: ContentStore
    shard: Dataset
    train_config: TrainConfig
    behaviour: ContributorBehaviour = ContributorBehaviour.HONEST
    model_digest: bytes | None = None
    local_accuracy_bps: int | None = None  # the trained model on its own shard
    _salt: bytes = field(default=b"", repr=False)
    _commitment: bytes | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return str(self.account.address)

    def train(self, spec: TaskSpec, *, progress: bool = True) -> bytes:
        """Trains the task's model (from its initial model file if it names one); stores the file."""
        if spec.initial_model is not None:
            initial = decode_model(self.store.get(spec.initial_model), spec.initial_model)
            model, architecture = initial.module, initial.architecture
        else:
            model, architecture = build_model(spec.architecture), spec.architecture
        poisoned = self.behaviour is ContributorBehaviour.POISONER
        data = flip_labels(self.shard, seed=self.train_config.seed) if poisoned else self.shard
        trained = train(model, data, self.train_config, progress=progress).model
        self.local_accuracy_bps = accuracy_bps(trained, self.shard)
        self.model_digest = self.store.put(encode_model(trained, architecture))
        return self.model_digest

    def commit(self, task_id: int, copy_of: Contributor | None = None) -> bytes:
        """Commits to the trained model (a copier commits to `copy_of`'s commitment instead)."""
        if self.behaviour is ContributorBehaviour.COPIER and copy_of is not None:
            self._commitment = copy_of._commitment
        else:
            if self.model_digest is None:
                raise RuntimeError(f"{self.name} has no model to commit to: train first")
            self._salt = new_salt()
            self._commitment = model_commitment(
                self.market.chain_id, self.market.address, task_id, self.address, self.model_digest, self._salt
            )
        stake = self.market.params(task_id).contributor_stake
        assert self._commitment is not None
        self.market.commit_model(task_id, self._commitment, stake, sender=self.account)
        return self._commitment

    def reveal(self, task_id: int, copy_of: Contributor | None = None) -> int | None:
        """Opens the commitment; returns the submission index (a free rider reveals nothing).

        A copier replays `copy_of`'s digest and salt, which the market refuses (`MarketRefusal`).
        """
        if self.behaviour is ContributorBehaviour.FREE_RIDER:
            return None
        if self.behaviour is ContributorBehaviour.COPIER and copy_of is not None:
            assert copy_of.model_digest is not None
            digest, salt = copy_of.model_digest, copy_of._salt
        else:
            assert self.model_digest is not None
            digest, salt = self.model_digest, self._salt
        return self.market.reveal_model(task_id, digest, salt, self.store.uri(digest), sender=self.account)

    def claim(self, task_id: int) -> int:
        return self.market.claim(task_id, sender=self.account)
