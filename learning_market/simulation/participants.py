"""The simulated participants: the honest roles of `learning_market.roles`, each with a name, its
private data, and how it plays. Every behaviour but HONEST and PRIVATE is an attack the protocol must
answer; each is a thin wrapper: different data, a changed model file, a step left to a person (so an
agent never takes it), or a transaction sent past the honest role's checks (the market itself must
refuse it)."""

from __future__ import annotations

import copy
import dataclasses
import random
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

import torch

from learning_market.checks import (
    PreflightRefusal,
    Reason,
    fetch_verified,
    require_joinable,
)
from learning_market.keyring import KeyringError, ModelSecret, TrainedModel
from learning_market.phases import BPS, Role
from learning_market.roles.contributor import AuditPolicy, CommitPlan, Contributor
from learning_market.roles.files import fetch_model, fetch_spec
from learning_market.roles.initiator import FusedModel, Initiator
from learning_market.roles.verifier import Verifier
from ml import (
    Architecture,
    Attack,
    Dataset,
    Model,
    PrivacySpent,
    TrainResult,
    build_model,
    composed_guarantee,
    contributor_seed,
    encode_model,
    scale_update,
    train,
)


class ContributorBehaviour(StrEnum):
    """How a contributor plays."""

    HONEST = "honest"
    PRIVATE = "private"  # honest, trains with DP-SGD and records its (epsilon, delta) in its model files
    FREE_RIDER = "free-rider"  # commits (and stakes) but never reveals
    COPIER = "copier"  # replays another's commitment, then that one's reveal
    POISONER = "poisoner"  # mounts an attack (ml.attacks): poisoned data, and for some a scaled update
    RESUBMITTER = "resubmitter"  # submits the round's starting model, slightly perturbed: no data, no training
    DUPLICATOR = "duplicator"  # one of k addresses submitting byte-variants of one model (the first trains)
    CROSS_TASK_COPIER = "cross-task copier"  # submits a model revealed in the previous round's task
    CROSS_TASK_NEAR_COPIER = "cross-task near-copier"  # submits a byte-variant of such a model
    OFF_SPEC = "off-spec"  # submits a model of another architecture than the spec's, trained on its data


class VerifierBehaviour(StrEnum):
    HONEST = "honest"
    DISHONEST = "dishonest"  # reports made-up scores
    SYBIL = "sybil"  # a seat of the initiator's: in its tasks, scores the start perfect and every model 0
    SQUATTER = "squatter"  # holds a seat and never scores


def any_audit() -> AuditPolicy:
    """The audit policy of an attacker: it stakes whatever the audit shards say (its own model may disagree
    with honest labels by design, or guess)."""
    return AuditPolicy(BPS, BPS)


@dataclass
class Trainer(Contributor):
    """A simulated contributor that trains: the spec's training with a seed of its own for each task
    (`ml.contributor_seed` of the simulation's seed, the task and its index)."""

    seed: int = 0
    index: int = 0

    def train(
        self, task_id: int, data: Dataset | str | Path, overrides: dict[str, Any] | None = None, progress: bool = False
    ) -> TrainedModel:
        seeded = {**(overrides or {}), "seed": contributor_seed(self.seed, task_id, self.index)}
        return super().train(task_id, data, seeded, progress)


@dataclass
class PrivateTrainer(Trainer):
    """Trains with DP-SGD (`training` holds its private round: steps, batches, `privacy`) and records in each
    model file the (epsilon, delta) composed over every training it has done on its data so far."""

    spent: list[PrivacySpent] = field(default_factory=list)

    def model_file(self, task_id: int, trained: TrainResult, architecture: Architecture) -> bytes:
        assert trained.privacy is not None, "a private trainer trains with privacy"
        self.spent.append(trained.privacy)
        claim = composed_guarantee(self.spent, trained.privacy.delta)
        return encode_model(trained.model, architecture, privacy=claim)


@dataclass
class Poisoner(Trainer):
    """Trains on poisoned data (its `data` is already `ml.poison`ed); for a model-replacement attack
    (`attack.poisons_updates`), submits its update from the task's initial model scaled by `attack.scale`."""

    attack: Attack | None = None
    audit_policy: AuditPolicy = field(default_factory=any_audit)

    def model_file(self, task_id: int, trained: TrainResult, architecture: Architecture) -> bytes:
        assert self.attack is not None, "a poisoner needs an attack"
        model = Model(trained.model, architecture)
        if self.attack.poisons_updates:
            store = self.need_store()
            spec = fetch_spec(store, self.state(task_id))
            if spec.initial_model is not None:
                initial = fetch_model(store, spec.initial_model, "initial model named by the spec")
                model = scale_update(model, initial, self.attack.scale)
        return encode_model(model.module, architecture)


def perturbed(model: Model, scale: float, seed: int) -> Model:
    """The model with every parameter moved by Gaussian noise of `scale`: other bytes, the same function."""
    noisy = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in noisy.module.state_dict().values():
            if tensor.is_floating_point():
                tensor.add_(torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype) * scale)
    return noisy


NOISE = 1e-6  # far below any training update: a byte-variant, not a new model


@dataclass
class Resubmitter(Trainer):
    """Submits the round's starting model (the spec's initial model: the parent's fused model after the first
    round) with a little noise, instead of what it trained."""

    audit_policy: AuditPolicy = field(default_factory=any_audit)

    def model_file(self, task_id: int, trained: TrainResult, architecture: Architecture) -> bytes:
        spec = fetch_spec(self.need_store(), self.state(task_id))
        assert spec.initial_model is not None, "every round names its starting model"
        start = fetch_model(self.need_store(), spec.initial_model, "starting model named by the spec")
        return encode_model(perturbed(start, NOISE, task_id).module, architecture)


@dataclass
class Duplicate(Trainer):
    """Submits a byte-variant of `original`'s model for the task (it trains first: one of k addresses of one
    owner with one model)."""

    original: Contributor | None = None
    audit_policy: AuditPolicy = field(default_factory=any_audit)

    def model_file(self, task_id: int, trained: TrainResult, architecture: Architecture) -> bytes:
        assert self.original is not None, "a duplicate needs the model it copies"
        market, keyring = self.market, self.original.need_keyring()
        if not keyring.has_trained(market.chain_id, market.address, task_id):
            raise PreflightRefusal(Reason.TOO_EARLY, f"the model to duplicate in task {task_id} is not trained yet.")
        digest = keyring.last_trained(market.chain_id, market.address, task_id).model_digest
        model = fetch_model(self.need_store(), digest, "model to duplicate")
        return encode_model(perturbed(model, NOISE, task_id * 1_000 + self.index).module, architecture)


@dataclass
class CrossTaskCopier(Trainer):
    """From the second round on, commits to the first model revealed in the previous round's task (public
    since its reveal) instead of its own, and reveals it; the market refuses a digest revealed in any task
    (`DuplicateModel`). In the first round, it plays honestly."""

    audit_policy: AuditPolicy = field(default_factory=any_audit)

    def model_file(self, task_id: int, trained: TrainResult, architecture: Architecture) -> bytes:
        previous = self._previous_submissions(task_id)
        if not previous:
            return super().model_file(task_id, trained, architecture)
        return fetch_verified(self.need_store(), previous[0].model_digest, "model revealed in the previous task")

    def _previous_submissions(self, task_id: int) -> list[Any]:
        parent = self.state(task_id).params.parent_task_id  # the previous round, whose fused model it starts from
        return self.market.submissions(parent) if parent else []

    def check_reveal(self, task_id: int) -> tuple[ModelSecret, bytes]:
        """The honest checks but the market-wide duplicate one, which the market itself must enforce."""
        self.check_may_reveal(task_id)
        secret = self._kept_secret(task_id, ModelSecret)
        return secret, fetch_verified(self.need_store(), secret.model_digest, "model file")


@dataclass
class CrossTaskNearCopier(CrossTaskCopier):
    """From the second round on, commits to a byte-variant of the first model revealed in the previous round's
    task: a new digest, which the market takes, and the same model, which the panel scores 0 (a near-duplicate
    of a model public before its commit). In the first round, it plays honestly."""

    def model_file(self, task_id: int, trained: TrainResult, architecture: Architecture) -> bytes:
        previous = self._previous_submissions(task_id)
        if not previous:
            return super().model_file(task_id, trained, architecture)
        original = fetch_model(self.need_store(), previous[0].model_digest, "model revealed in the previous task")
        return encode_model(perturbed(original, NOISE, task_id).module, architecture)


def other_architecture(architecture: Architecture) -> Architecture:
    """An architecture of the same inputs and classes as `architecture`, but another: logistic for any other,
    a small MLP for a logistic one."""
    shape = {"input_shape": list(architecture["input_shape"]), "num_classes": architecture["num_classes"]}
    if architecture["name"] == "logistic":
        return {"name": "mlp", **shape, "hidden_sizes": [16]}
    return {"name": "logistic", **shape}


@dataclass
class OffSpec(Trainer):
    """Trains a model of another architecture than the spec's (same inputs and classes) on its data, with the
    spec's training, and submits it."""

    audit_policy: AuditPolicy = field(default_factory=any_audit)

    def model_file(self, task_id: int, trained: TrainResult, architecture: Architecture) -> bytes:
        assert isinstance(self.data, Dataset), "a simulated contributor holds its shard"
        spec = fetch_spec(self.need_store(), self.state(task_id))
        other = other_architecture(architecture)
        module = build_model(other)
        config = dataclasses.replace(spec.training, seed=contributor_seed(self.seed, task_id, self.index))
        train(module, self.data, config, progress=False)
        return encode_model(module, other)


@dataclass
class FreeRider(Trainer):
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
        self.check_may_reveal(task_id)
        return self.victim_secret(task_id), b""

    def reveal(self, task_id: int) -> int:
        secret, _ = self.check_reveal(task_id)
        uri = self.need_store().uri(secret.model_digest)
        return self.market.reveal_model(task_id, secret.model_digest, secret.salt, uri, sender=self.account)


@dataclass
class DishonestVerifier(Verifier):
    """Commits made-up scores (the starting model's and every submission's) instead of its own."""

    seed: int = 0

    def act(self, task_id: int, step: str) -> str | None:
        if step == "commit_scores":
            rng = random.Random(self.seed)
            made_up = [rng.randrange(0, BPS + 1) for _ in range(len(self.market.submissions(task_id)) + 1)]
            self.commit_scores(task_id, made_up)
            return "made-up scores " + ", ".join(f"{s / 100:.2f}%" for s in made_up)
        return super().act(task_id, step)


@dataclass
class SybilVerifier(Verifier):
    """A pool seat the initiator holds under another address: in the tasks of `owner`, it commits the starting
    model's score as perfect and every submission's as 0, so that no model beats the baseline and the reward
    would go back to the initiator with the models; in other tasks it scores honestly."""

    owner: str = ""

    def act(self, task_id: int, step: str) -> str | None:
        if step == "commit_scores" and self.state(task_id).initiator == self.owner:
            denial = [BPS] + [0] * len(self.market.submissions(task_id))
            self.commit_scores(task_id, denial)
            return "scores for its owner: the start 100.00%, every model 0.00%"
        return super().act(task_id, step)


@dataclass
class SeatSquatter(Verifier):
    """Holds a seat in the pool and never scores: its scores are a person's to send, and nobody sends them."""

    MANUAL_STEPS: ClassVar[tuple[str, ...]] = ("commit_scores", "reveal_scores")


@dataclass
class RecordingInitiator(Initiator):
    """The honest initiator, which also keeps what each fusion gave (task id -> fused model), for the report."""

    fusions: dict[int, FusedModel] = field(default_factory=dict)

    def fuse(
        self, task_id: int, fusion: str, validation: Dataset | None = None, num_byzantine: int | None = None
    ) -> FusedModel:
        fused = super().fuse(task_id, fusion, validation, num_byzantine)
        self.fusions[task_id] = fused
        return fused


@dataclass
class LazyInitiator(RecordingInitiator):
    """Withholds its test set: reveals the audit shards, never the rest."""

    MANUAL_STEPS: ClassVar[tuple[str, ...]] = ("cancel", "reveal_test_set")


@dataclass
class SimulatedContributor:
    """A contributor's role, its name, its private shard (true labels) and how it plays."""

    name: str
    role: Contributor
    shard: Dataset
    behaviour: ContributorBehaviour = ContributorBehaviour.HONEST
    attack: Attack | None = None  # a poisoner's

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
