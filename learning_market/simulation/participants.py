"""The simulated participants: the honest roles of `learning_market.roles`, each with a name, its
private data, and how it plays. Every behaviour but HONEST is an attack the protocol must answer;
each is a thin wrapper: an explicit parameter of an honest step, a step left out, or a transaction
sent past the honest role's checks (the market itself must refuse it)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from learning_market.keyring import ModelSecret
from learning_market.phases import BPS
from learning_market.roles.contributor import Contributor
from learning_market.roles.verifier import Verifier
from ml import Dataset, accuracy_bps, decode_model, flip_labels


class ContributorBehaviour(StrEnum):
    """How a contributor plays."""

    HONEST = "honest"
    FREE_RIDER = "free-rider"  # commits (and stakes) but never reveals
    COPIER = "copier"  # replays another's commitment, then that one's reveal
    POISONER = "poisoner"  # trains on flipped labels


class VerifierBehaviour(StrEnum):
    HONEST = "honest"
    DISHONEST = "dishonest"  # reports made-up scores


@dataclass
class SimulatedContributor:
    """A contributor with its private shard and its training settings (`epochs`, `seed`)."""

    name: str
    role: Contributor
    shard: Dataset
    training: dict[str, Any]
    behaviour: ContributorBehaviour = ContributorBehaviour.HONEST
    local_accuracy_bps: int | None = None  # its last trained model on its own shard

    @property
    def address(self) -> str:
        return self.role.address

    def train(self, task_id: int, progress: bool) -> None:
        """Trains for the task (a poisoner on flipped labels); a copier has nothing to train."""
        if self.behaviour is ContributorBehaviour.COPIER:
            return
        poisoned = self.behaviour is ContributorBehaviour.POISONER
        data = flip_labels(self.shard, seed=self.training["seed"]) if poisoned else self.shard
        trained = self.role.train(task_id, data, self.training, progress=progress)
        self.local_accuracy_bps = trained.local_accuracy_bps
        if poisoned:  # its accuracy on its own (true) labels, not on the flipped ones it trained on
            store = self.role.need_store()
            model = decode_model(store.get(trained.model_digest), trained.model_digest)
            self.local_accuracy_bps = accuracy_bps(model.module, self.shard)

    def commit(self, task_id: int, victim: SimulatedContributor) -> None:
        """Commits to its model; a copier sends the victim's commitment, as seen on chain."""
        if self.behaviour is ContributorBehaviour.COPIER:
            stake = self.role.market.params(task_id).contributor_stake
            copied = victim.secret(task_id).commitment
            self.role.market.commit_model(task_id, copied, stake, sender=self.role.account)
        else:
            self.role.commit(task_id)

    def reveal(self, task_id: int, victim: SimulatedContributor) -> None:
        """Reveals its model; a free rider does not; a copier replays the victim's digest and salt, which
        the market refuses (`MarketRefusal`)."""
        if self.behaviour is ContributorBehaviour.FREE_RIDER:
            return
        if self.behaviour is ContributorBehaviour.COPIER:
            secret = victim.secret(task_id)
            uri = self.role.need_store().uri(secret.model_digest)
            self.role.market.reveal_model(task_id, secret.model_digest, secret.salt, uri, sender=self.role.account)
        else:
            self.role.reveal(task_id)

    def secret(self, task_id: int) -> ModelSecret:
        """Its commitment's secret, from its keyring (what a copier reads from its transactions)."""
        market = self.role.market
        secret = self.role.need_keyring().load(market.chain_id, market.address, task_id, self.address)
        assert isinstance(secret, ModelSecret)
        return secret


@dataclass
class SimulatedVerifier:
    name: str
    role: Verifier
    behaviour: VerifierBehaviour = VerifierBehaviour.HONEST
    seed: int = 0

    @property
    def address(self) -> str:
        return self.role.address

    def commit_scores(self, task_id: int) -> None:
        """Scores every submission and commits; a dishonest verifier commits made-up scores instead."""
        if self.behaviour is VerifierBehaviour.DISHONEST:
            rng = random.Random(self.seed)
            made_up = [rng.randrange(0, BPS + 1) for _ in self.role.market.submissions(task_id)]
            self.role.commit_scores(task_id, made_up)
        else:
            self.role.commit_scores(task_id)
