"""The contributor: trains on its private data, checks the task's audit shards against its own model
and data before it stakes, stores its model file, commits, reveals once the panel is drawn.

Its data never leaves it: only the trained model's file (and its digest) does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from content import digest_to_cid
from learning_market.checks import (
    PreflightRefusal,
    Reason,
    TaskState,
    fetch_verified,
    require_digest_unrevealed,
    require_joinable,
    require_model_unrevealed,
    require_newcomer,
    require_phase,
    require_role,
    store_file,
)
from learning_market.commitments import model_commitment, new_salt
from learning_market.keyring import ModelSecret, TrainedModel
from learning_market.phases import BPS, Phase, Role
from learning_market.roles.anyone import Participant
from learning_market.roles.files import (
    concatenate,
    decode_model_file,
    fetch_model,
    fetch_shards,
    fetch_spec,
    load_dataset_file,
    require_fits,
    revealed_shards,
)
from learning_market.roles.policy import Offer
from ml import (
    Architecture,
    Dataset,
    Model,
    TrainConfig,
    TrainResult,
    accuracy_bps,
    build_model,
    encode_model,
    set_seed,
    train,
)


@dataclass(frozen=True)
class CommitPlan:
    """What a commit would send: the model, and the stake the task asks."""

    state: TaskState
    model_digest: bytes
    stake: int


@dataclass(frozen=True)
class AuditCheck:
    """What the task's audit shards say against the contributor's own model and data: the share of audit
    examples its model gets wrong, and the total variation distance between the audit's label
    distribution and its data's (None: no data to compare), both in bps."""

    examples: int
    error_bps: int
    label_distance_bps: int | None


@dataclass(frozen=True)
class AuditPolicy:
    """How much disagreement between the audit shards and its own model and data a contributor accepts
    before it stakes: at most `max_error_bps` of the audit examples wrong for its trained model (a model
    that guesses gets about 90% wrong on ten balanced classes; a trained model gets nearly all wrong only
    when the audit's labels are not those it learned), and at most
    `max_label_distance_bps` of total variation between the label distributions."""

    max_error_bps: int = 9_500
    max_label_distance_bps: int = 5_000

    def refusal(self, task_id: int, check: AuditCheck) -> str | None:
        """Why the audit is refused, in a sentence; None when it is accepted."""
        audit = f"the audit shards of task {task_id} ({check.examples} examples)"
        if check.error_bps > self.max_error_bps:
            return (
                f"{audit} disagree with this contributor's model: it gets {check.error_bps / 100:.2f}% of them wrong, "
                f"beyond the {self.max_error_bps / 100:.2f}% it accepts, so their labels are not those of its data: "
                "nothing is staked."
            )
        if check.label_distance_bps is not None and check.label_distance_bps > self.max_label_distance_bps:
            return (
                f"{audit} have labels distributed {check.label_distance_bps / 100:.2f}% (total variation) away from "
                f"this contributor's data, beyond the {self.max_label_distance_bps / 100:.2f}% it accepts: "
                "nothing is staked."
            )
        return None


def label_distance_bps(first: Dataset, second: Dataset) -> int:
    """Total variation distance between two datasets' label distributions, in bps (rounded down)."""
    classes = max(first.num_classes, second.num_classes)
    shares = [np.bincount(d.y, minlength=classes) / len(d) for d in (first, second)]
    return int(np.floor(np.abs(shares[0] - shares[1]).sum() / 2 * BPS + 1e-9))


@dataclass
class Contributor(Participant):
    """A contributor in one market. An agent trains on `data` (a dataset or the path of an .npz or
    dataset file), with `training` (epochs, seed, lr...) over the spec's hint; before it stakes, the
    task's audit shards must agree with its model and data within `audit_policy`."""

    data: Dataset | str | Path | None = None
    training: dict[str, Any] | None = None
    audit_policy: AuditPolicy = field(default_factory=AuditPolicy)

    STEPS: ClassVar[tuple[str, ...]] = (
        "train", "commit", "request_panel", "draw_panel", "reveal", "finalize", "claim"
    )
    JOIN_STEPS: ClassVar[tuple[str, ...]] = ("train", "commit")

    # ------------------------------------------------------------------ what an agent asks
    def takes_part(self, task_id: int) -> bool:
        """Whether the account committed in the task, or kept a secret to commit with (a commit not mined)."""
        market = self.market
        if self.keyring is not None and self.keyring.has(market.chain_id, market.address, task_id, self.address):
            return True
        return market.role(task_id, self.address) == Role.CONTRIBUTOR

    def offer(self, task_id: int) -> Offer:
        state = self.state(task_id)
        spec = fetch_spec(self.need_store(), state)
        return Offer(
            task_id, state.reward, state.params.contributor_stake, state.params.commit_deadline,
            tuple(spec.input_shape), int(spec.num_classes),
        )

    def act(self, task_id: int, step: str) -> str | None:
        if step == "train":
            if self.data is None:
                raise PreflightRefusal(Reason.BAD_PARAMETER, "this contributor has no training data: give --data.")
            trained = self.train(task_id, self.data, self.training)
            return f"trained model 0x{trained.model_digest.hex()[:12]}…, {trained.local_accuracy_bps / 100:.2f}% " \
                "on its own data"
        if step == "reveal":
            return f"revealed as submission #{self.reveal(task_id)}"
        return super().act(task_id, step)

    # ------------------------------------------------------------------ train
    def check_train(self, task_id: int) -> TaskState:
        """Refuses unless the account can still join the task and has no model trained for it yet."""
        market, state = self.market, self.state(task_id)
        self._require_uncommitted(state)
        keyring = self.need_keyring()
        if keyring.has_trained(market.chain_id, market.address, task_id):
            trained = keyring.last_trained(market.chain_id, market.address, task_id)
            raise PreflightRefusal(
                Reason.ALREADY_TRAINED,
                f"a model is already trained for task {task_id} (0x{trained.model_digest.hex()}): commit it, or "
                "train again with `contributor train`.",
            )
        require_joinable(market, state, self.address, Role.CONTRIBUTOR, None, "training for a task")
        return state

    def _require_uncommitted(self, state: TaskState) -> None:
        """Refuses first (before any window) when the account has committed already: the step is done."""
        if self.market.role(state.task_id, self.address) == Role.CONTRIBUTOR:
            require_newcomer(self.market, state, self.address, Role.CONTRIBUTOR)

    # ------------------------------------------------------------------ train
    def train(
        self,
        task_id: int,
        data: Dataset | str | Path,
        overrides: dict[str, Any] | None = None,
        progress: bool = False,
    ) -> TrainedModel:
        """Trains the task's model on private data (from the spec's initial model if it names one); stores
        the file and remembers it in the keyring as the task's last trained model (what `commit` commits).

        Training follows the spec's hint (`training`), or `ml.TrainConfig`'s defaults, with `overrides`
        (epochs, seed, lr, ...) on top. The spec and the initial model are fetched by the digests the
        chain recorded and checked. `data` is a dataset, or the path of an .npz or dataset file.
        """
        market, store = self.market, self.need_store()
        state = self.state(task_id)
        require_phase(state, Phase.COMMIT, "training for a task")
        spec = fetch_spec(store, state)
        try:
            config = dataclasses.replace(spec.training or TrainConfig(), **(overrides or {}))
        except (TypeError, ValueError) as error:
            raise PreflightRefusal(Reason.BAD_PARAMETER, f"the training settings are not usable: {error}.") from error
        if not isinstance(data, Dataset):
            path, data = data, load_dataset_file(data, int(spec.num_classes))
            require_fits(spec, data, f"data in {path}")
        else:
            require_fits(spec, data, "training data")
        if spec.initial_model is not None:
            initial = fetch_model(store, spec.initial_model, "initial model named by the spec")
            module, architecture = initial.module, initial.architecture
        else:
            set_seed(config.seed)
            module, architecture = build_model(spec.architecture), spec.architecture
        trained = train(module, data, config, progress=progress)
        digest = store_file(store, self.model_file(task_id, trained, architecture), "trained model")
        result = TrainedModel(digest, digest_to_cid(digest), accuracy_bps(trained.model, data))
        self.need_keyring().record_trained(market.chain_id, market.address, task_id, result)
        return result

    def model_file(self, task_id: int, trained: TrainResult, architecture: Architecture) -> bytes:
        """The file of a model just trained for the task: its weights and architecture."""
        return encode_model(trained.model, architecture)

    # ------------------------------------------------------------------ commit
    def check_commit(self, task_id: int, model_digest: bytes | None = None, stake: int | None = None) -> CommitPlan:
        """Refuses unless the model (by default the last one trained for the task) can be committed now."""
        market, state = self.market, self.state(task_id)
        self._require_uncommitted(state)
        required = require_joinable(market, state, self.address, Role.CONTRIBUTOR, stake, "committing a model")
        if model_digest is None:
            model_digest = self.need_keyring().last_trained(market.chain_id, market.address, task_id).model_digest
        model = fetch_model(self.need_store(), model_digest, "model file")
        refusal = self.audit_policy.refusal(task_id, self.check_audit(state, model))
        if refusal is not None:
            raise PreflightRefusal(Reason.AUDIT_DISAGREES, refusal)
        return CommitPlan(state, model_digest, required)

    # ------------------------------------------------------------------ the audit
    def check_audit(self, state: TaskState, model: Model) -> AuditCheck:
        """The task's revealed audit shards (fetched by the digests the chain recorded, and checked) against
        `model` and, when this contributor has its data at hand, against the data's labels."""
        digests, _ = self.market.shards(state.task_id)
        audit = concatenate(fetch_shards(self.need_store(), revealed_shards(state, digests, audit=True), "audit"))
        error = BPS - accuracy_bps(model.module, audit)
        distance = None
        if self.data is not None:
            own = self.data if isinstance(self.data, Dataset) else load_dataset_file(self.data, audit.num_classes)
            distance = label_distance_bps(audit, own)
        return AuditCheck(len(audit), error, distance)

    def commit(self, task_id: int, model_digest: bytes | None = None, stake: int | None = None) -> ModelSecret:
        """Commits to a model in the store (by default the last one trained for the task) and stakes.

        The digest and salt go to the keyring first: without them the commitment cannot be opened. A
        secret kept for the same model by a commit that never reached the chain (the process stopped
        before it was mined) is sent again rather than replaced.
        """
        market = self.market
        plan = self.check_commit(task_id, model_digest, stake)

        def fresh() -> ModelSecret:
            salt = new_salt()
            return ModelSecret(
                plan.model_digest,
                salt,
                model_commitment(market.chain_id, market.address, task_id, self.address, plan.model_digest, salt),
            )

        return self._commit_with_secret(
            task_id,
            fresh,
            lambda kept: isinstance(kept, ModelSecret) and kept.model_digest == plan.model_digest,
            lambda secret: market.commit_model(task_id, secret.commitment, plan.stake, sender=self.account),
        )

    # ------------------------------------------------------------------ reveal
    def check_may_reveal(self, task_id: int) -> TaskState:
        """The task's state, if this contributor may reveal in it now: in the Reveal phase, after the panel draw,
        not revealed yet."""
        market, state = self.market, self.state(task_id)
        require_model_unrevealed(market, state, self.address)  # done, whatever the phase
        require_phase(state, Phase.REVEAL, "revealing a model")
        require_role(market, state, self.address, Role.CONTRIBUTOR, "revealing a model")
        if not state.panel_drawn:
            raise PreflightRefusal(
                Reason.TOO_EARLY,
                f"revealing a model needs the panel of task {task_id}, which is not drawn yet: request and draw it "
                "(anyone may).",
            )
        return state

    def check_reveal(self, task_id: int) -> tuple[ModelSecret, bytes]:
        """The keyring's secret and the model file, if the model can be revealed now (after the panel draw)."""
        state = self.check_may_reveal(task_id)
        secret = self._kept_secret(task_id, ModelSecret)
        require_digest_unrevealed(self.market, state, secret.model_digest)
        data = fetch_verified(self.need_store(), secret.model_digest, "model file")
        decode_model_file(data, secret.model_digest, "model file")
        self.require_shareable_uri("model file")
        return secret, data

    def reveal(self, task_id: int) -> int:
        """Opens the commitment with the digest and salt from the keyring; returns the submission index.

        The model file is taken from the store (checked) and also put into `publish` if given: a model
        in a public store before its reveal could be committed to and revealed first by anyone.
        """
        secret, data = self.check_reveal(task_id)
        uri = self._publish(secret.model_digest, data, "model file")
        return self.market.reveal_model(task_id, secret.model_digest, secret.salt, uri, sender=self.account)
