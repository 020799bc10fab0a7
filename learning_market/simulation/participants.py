"""The simulated participants: the honest roles of `learning_market.roles`, each with a name, its
private data, and how it plays. Every behaviour but HONEST is an attack the protocol must answer;
each is a thin wrapper: different data, a step left to a person (so an agent never takes it), or a
transaction sent past the honest role's checks (the market itself must refuse it)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from learning_market.checks import PreflightRefusal, Reason, require_joinable, require_phase, require_role
from learning_market.keyring import KeyringError, ModelSecret
from learning_market.phases import BPS, Phase, Role
from learning_market.roles.contributor import CommitPlan, Contributor
from learning_market.roles.initiator import Initiator
from learning_market.roles.verifier import Verifier
from ml import Dataset


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
class FreeRider(Contributor):
    """Commits and stakes, and never reveals."""

    MANUAL_STEPS: ClassVar[tuple[str, ...]] = ("reveal",)


@dataclass
class Copier(Contributor):
    """Trains nothing: commits to the victim's commitment as seen on chain, then replays the victim's
    reveal, which the market refuses (`CommitmentMismatch`)."""

    victim: Contributor | None = None

    STEPS: ClassVar[tuple[str, ...]] = ("commit", "reveal", "finalize", "claim")
    JOIN_STEPS: ClassVar[tuple[str, ...]] = ("commit",)

    def victim_secret(self, task_id: int) -> ModelSecret:
        """The victim's commitment and, once revealed, its opening (what a copier reads from its transactions)."""
        assert self.victim is not None, "a copier needs a victim"
        market = self.market
        try:
            secret = self.victim.need_keyring().load(market.chain_id, market.address, task_id, self.victim.address)
        except KeyringError as error:
            raise PreflightRefusal(Reason.TOO_EARLY, f"there is no commitment to copy in task {task_id} yet.") \
                from error
        assert isinstance(secret, ModelSecret)
        return secret

    def check_commit(self, task_id: int, model_digest: bytes | None = None, stake: int | None = None) -> CommitPlan:
        state = self.state(task_id)
        required = require_joinable(self.market, state, self.address, Role.CONTRIBUTOR, stake, "committing a model")
        return CommitPlan(state, self.victim_secret(task_id).model_digest, required)

    def commit(self, task_id: int, model_digest: bytes | None = None, stake: int | None = None) -> ModelSecret:
        plan = self.check_commit(task_id, model_digest, stake)
        copied = self.victim_secret(task_id)
        self.market.commit_model(task_id, copied.commitment, plan.stake, sender=self.account)
        return copied

    def check_reveal(self, task_id: int) -> tuple[ModelSecret, bytes]:
        market, state = self.market, self.state(task_id)
        require_phase(state, Phase.REVEAL, "revealing a model")
        require_role(market, state, self.address, Role.CONTRIBUTOR, "revealing a model")
        if any(s.contributor == self.address for s in market.submissions(task_id)):
            raise PreflightRefusal(Reason.ALREADY_REVEALED, f"{self.address} has already revealed in task {task_id}.")
        return self.victim_secret(task_id), b""

    def reveal(self, task_id: int) -> int:
        secret, _ = self.check_reveal(task_id)
        uri = self.need_store().uri(secret.model_digest)
        return self.market.reveal_model(task_id, secret.model_digest, secret.salt, uri, sender=self.account)


@dataclass
class DishonestVerifier(Verifier):
    """Commits made-up scores instead of its own."""

    seed: int = 0

    def act(self, task_id: int, step: str) -> str | None:
        if step == "commit_scores":
            rng = random.Random(self.seed)
            made_up = [rng.randrange(0, BPS + 1) for _ in self.market.submissions(task_id)]
            self.commit_scores(task_id, made_up)
            return "made-up scores " + ", ".join(f"{s / 100:.2f}%" for s in made_up)
        return super().act(task_id, step)


@dataclass
class LazyInitiator(Initiator):
    """Never reveals its test set."""

    MANUAL_STEPS: ClassVar[tuple[str, ...]] = ("cancel", "reveal_test_set")


@dataclass
class SimulatedContributor:
    """A contributor's role, its name, its private shard (true labels) and how it plays."""

    name: str
    role: Contributor
    shard: Dataset
    behaviour: ContributorBehaviour = ContributorBehaviour.HONEST

    @property
    def address(self) -> str:
        return self.role.address


@dataclass
class SimulatedVerifier:
    name: str
    role: Verifier
    behaviour: VerifierBehaviour = VerifierBehaviour.HONEST

    @property
    def address(self) -> str:
        return self.role.address
