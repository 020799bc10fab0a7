"""The initiator: publishes the task spec (naming the starting model), cuts its test set into K shards
and commits to them, escrows the reward, draws the audit and reveals the audited shards at once,
reveals the other shards (the test set) after the models, fuses the paid models and publishes the
fused model (the next round's start), or cancels."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from content import sha256_digest
from learning_market.checks import (
    PreflightRefusal,
    Reason,
    TaskState,
    require_balance,
    require_initiator,
    require_parent,
    require_phase,
    require_terms,
    store_file,
)
from learning_market.commitments import new_salt, shard_commitment, test_set_commitment
from learning_market.errors import LearningMarketError
from learning_market.keyring import KeyringError, TestSetSecret
from learning_market.phases import Phase, TaskParams
from learning_market.roles.anyone import Participant
from learning_market.roles.campaign import DEFAULT_START_MARGIN, Campaign
from learning_market.roles.files import (
    cut_into_shards,
    fetch_model,
    fetch_spec,
    require_fits,
    require_initial_model_fits,
    with_initial_model,
)
from learning_market.terms import TaskTerms
from ml import (
    FUSIONS,
    STRATEGIES,
    Dataset,
    Exclusion,
    FusionError,
    FusionSettings,
    Model,
    NothingToFuse,
    TaskSpec,
    build_model,
    encode_dataset,
    encode_model,
    fuse_models,
    set_seed,
)
from ml.fusion import OUTPUT_STRATEGIES

# what an initiator may fuse by: a named fusion of ml.FUSIONS (a strategy and its settings: krum,
# median+clip, ensemble+distil...) or a bare strategy of ml.STRATEGIES with default settings
FUSION_NAMES: tuple[str, ...] = tuple(FUSIONS) + tuple(s for s in STRATEGIES if s not in FUSIONS)


REFERENCE_SEED = 0  # the seed of the reference model a first round starts from when the spec names none


@dataclass(frozen=True)
class CreatedTask:
    task_id: int
    spec_digest: bytes
    test_digest: bytes  # the whole test set's file (before it was cut into shards)
    params: TaskParams
    secret: Path  # where the keyring keeps the test set secret (its shards' digests, salts and files)
    audit: tuple[int, ...] = ()  # the audited shards, if the audit was drawn and revealed at creation


@dataclass(frozen=True)
class FusedModel:
    """The fused model of a task's paid submissions, its file, and which submissions went into it.

    `fused` and `excluded` name submissions by their index in the task. When no paid model could be
    fused (every one excluded), the model is the task's initial model, unchanged (`kept_initial`):
    the round ends where it started rather than not at all."""

    model: Model
    digest: bytes
    file: bytes
    fused: tuple[int, ...]  # indices of the submissions fused
    excluded: tuple[Exclusion, ...]  # every other revealed submission, with the reason
    kept_initial: bool = False

    @property
    def members(self) -> int:
        """How many paid submissions went into it."""
        return len(self.fused)

    def summary(self, fusion: str) -> str:
        """`fused 3 paid model(s) by 'krum' into 0x…; excluded #2: not paid (weight 0)`."""
        head = (
            f"no paid model could be fused by {fusion!r}: the initial model 0x{self.digest.hex()[:12]}… is kept"
            if self.kept_initial
            else f"fused {self.members} paid model(s) by {fusion!r} into 0x{self.digest.hex()[:12]}…"
        )
        return "; excluded ".join([head, *(f"#{e.index}: {e.reason}" for e in self.excluded)])


def fusion_plan(name: str, num_byzantine: int | None = None) -> tuple[str, FusionSettings]:
    """The strategy and settings of a fusion named in FUSION_NAMES; `num_byzantine`, if given, replaces
    krum's f (the models it tolerates). Raises a PreflightRefusal for any other name."""
    if name in FUSIONS:
        strategy, settings = FUSIONS[name]
    elif name in STRATEGIES:
        strategy, settings = name, FusionSettings()
    else:
        raise PreflightRefusal(
            Reason.BAD_PARAMETER, f"{name!r} is not a fusion; use one of {', '.join(FUSION_NAMES)}."
        )
    if num_byzantine is not None:
        settings = dataclasses.replace(settings, num_byzantine=num_byzantine)
    return strategy, settings


@dataclass
class Initiator(Participant):
    """The initiator of tasks in one market. An agent fuses a task's paid models by `fusion` (one of
    FUSION_NAMES; `byzantine`, if given, replaces krum's f; stacking and distillation train on
    `validation`), and runs `campaign`'s rounds if given."""

    fusion: str = "average"
    validation: Dataset | None = None
    byzantine: int | None = None
    campaign: Campaign | None = None

    STEPS: ClassVar[tuple[str, ...]] = (
        "draw_audit", "reveal_audit", "cancel", "request_panel", "draw_panel", "reveal_test_set", "finalize",
        "publish_fused", "claim",
    )
    MANUAL_STEPS: ClassVar[tuple[str, ...]] = ("cancel",)
    # its own audit is its to draw at once (and reveal with it), not left to keepers
    ANYONE_STEPS: ClassVar[tuple[str, ...]] = ("request_panel", "draw_panel", "finalize")

    # ------------------------------------------------------------------ what an agent asks
    def takes_part(self, task_id: int) -> bool:
        return self.state(task_id).initiator == self.address

    def act(self, task_id: int, step: str) -> str | None:
        if step == "draw_audit":  # its own audit: drawn and revealed at once
            drawn = self.draw_audit(task_id)
            self.reveal_audit(task_id)
            return f"audit drawn and revealed: shards {', '.join(f'#{i}' for i in drawn)}"
        if step == "reveal_audit":
            return f"audit shards {', '.join(f'#{i}' for i in self.reveal_audit(task_id))} revealed"
        if step == "reveal_test_set":
            return f"test shards {', '.join(f'#{i}' for i in self.reveal_test_set(task_id))} revealed"
        if step == "publish_fused":
            fused = self.fuse_and_publish(task_id, self.fusion, self.validation, num_byzantine=self.byzantine)
            return fused.summary(self.fusion)
        return super().act(task_id, step)

    # ------------------------------------------------------------------ a campaign of rounds
    def campaign_rounds(self) -> dict[int, int]:
        """The campaign's rounds on chain so far: round index -> task id (each round is known by its test
        set, whose secret the keyring keeps)."""
        campaign, market = self.need_campaign(), self.market
        head = market.block_number()
        if head <= campaign.scanned:
            return campaign.rounds
        digests = campaign.test_digests()
        for announced in market.tasks_announced(max(campaign.from_block, campaign.scanned + 1), head, self.address):
            commitment = market.params(announced.task_id).test_set_commitment
            try:
                secret = self._kept_secret(announced.task_id, TestSetSecret, commitment)
            except KeyringError:
                continue  # a task of this account made with another keyring: not this campaign's
            if secret.test_digest in digests:
                campaign.rounds[digests.index(secret.test_digest)] = announced.task_id
        campaign.scanned = head
        return campaign.rounds

    def need_campaign(self) -> Campaign:
        if self.campaign is None:
            raise LearningMarketError("this initiator runs no campaign: give its spec, test sets and terms.")
        return self.campaign

    def market_step(self) -> str | None:
        """"create" when the campaign has a round left and its last round is over for this account."""
        if self.campaign is None:
            return None
        rounds = self.campaign_rounds()
        count = len(rounds)
        if count >= len(self.campaign.test_sets) or (count and not self.finished(rounds[count - 1])):
            return None
        return "create"

    def act_on_market(self, step: str) -> str | None:
        if step != "create":
            return super().act_on_market(step)
        campaign = self.need_campaign()
        rounds = self.campaign_rounds()
        index = len(rounds)
        spec, parent = campaign.spec, 0
        if index:
            previous = self.state(rounds[index - 1])
            spec = fetch_spec(self.need_store(), previous)
            if previous.fused_digest != bytes(32):  # the next round starts from the fused model
                spec, parent = dataclasses.replace(spec, initial_model=previous.fused_digest), previous.task_id
        created = self.create_task(
            spec, campaign.test_sets[index], campaign.terms, parent, campaign.start_margin, reuse_pending=True
        )
        campaign.rounds[index] = created.task_id
        return f"round {index + 1} of {len(campaign.test_sets)}: task {created.task_id} created" + (
            f" from task {parent}'s fused model" if parent else ""
        )

    # ------------------------------------------------------------------ create
    def create_task(
        self,
        spec: TaskSpec,
        test_set: Dataset,
        terms: TaskTerms,
        parent_task_id: int = 0,
        start_margin: int = DEFAULT_START_MARGIN,
        reuse_pending: bool = False,
        open_audit: bool = True,
    ) -> CreatedTask:
        """Stores the spec, cuts the test set into `terms.test_shards` shards of one size and commits to
        them (digests, salts and files kept in the keyring before the transaction, until their reveal),
        escrows the reward; then, with `open_audit`, draws the audit as soon as its seed block is mined
        and reveals the audited shards, so that contributors may commit.

        A first round's spec that names no starting model gets the initiator's reference model: the spec's
        architecture, freshly initialised with seed 0 (the panel scores it as model 0, and the task's
        baseline becomes the better of `baseline_score` and its median). The six deadlines are `window`
        apart, the first one `window + start_margin` after now. The spec (and the starting model) also go
        into `publish` if given, whose URI then goes in the event. With `reuse_pending`, a secret kept for
        the same test set by a creation that never reached the chain is sent again rather than a new one
        made (the caller has checked that no task holds it).
        """
        market, store, keyring = self.market, self.need_store(), self.need_keyring()
        require_terms(market, terms)
        require_fits(spec, test_set, "test set")
        require_balance(market, self.address, terms.reward, "the reward")
        if spec.initial_model is None and not parent_task_id:
            set_seed(REFERENCE_SEED)
            reference = encode_model(build_model(spec.architecture), spec.architecture)
            spec = with_initial_model(store, spec, reference)
        initial_file = require_initial_model_fits(store, spec)
        if parent_task_id:
            require_parent(self.state(parent_task_id), self.address, spec.initial_model)
        self.require_shareable_uri("task spec")

        spec_file = spec.to_json_bytes()
        spec_digest = store_file(store, spec_file, "task spec")
        spec_uri = self._publish(spec_digest, spec_file, "task spec")
        if initial_file is not None:
            self._publish(sha256_digest(initial_file), initial_file, "initial model")
        test_digest = sha256_digest(encode_dataset(test_set))
        kept = [
            (path, secret)
            for path, secret in keyring.pending(market.chain_id, market.address, self.address)
            if reuse_pending and secret.test_digest == test_digest
            and len(secret.shard_digests) == terms.test_shards
        ]
        if kept:
            pending, secret = kept[0]
        else:
            files = tuple(encode_dataset(shard) for shard in cut_into_shards(test_set, terms.test_shards))
            digests = tuple(sha256_digest(file) for file in files)
            salts = tuple(new_salt() for _ in files)
            commitments = [shard_commitment(d, salt) for d, salt in zip(digests, salts, strict=True)]
            commitment = test_set_commitment(market.chain_id, market.address, self.address, commitments)
            secret = TestSetSecret(test_digest, digests, salts, commitment, files)
            pending = keyring.save_pending(market.chain_id, market.address, self.address, secret)

        start = max(market.now(), int(time.time())) + start_margin
        params = terms.task_params(spec_digest, secret.commitment, start, parent_task_id)
        task_id = self._send_or_undo(
            lambda: market.create_task(params, spec_uri, terms.reward, sender=self.account),
            lambda: keyring.discard_pending(market.chain_id, market.address, self.address, secret.commitment),
        )
        path = keyring.assign(pending, market.chain_id, market.address, task_id, self.address)
        self.log(f"task {task_id} created; the secrets of its {terms.test_shards} shards are kept in {path}")
        audit: tuple[int, ...] = ()
        if open_audit:
            market.wait_for_block(self.state(task_id).audit_seed_block + 1)
            self.draw_audit(task_id)
            audit = tuple(self.reveal_audit(task_id))
            self.log(f"task {task_id}: audit shards {', '.join(f'#{i}' for i in audit)} revealed")
        return CreatedTask(task_id, spec_digest, test_digest, market.params(task_id), path, audit)

    # ------------------------------------------------------------------ cancel
    def check_cancel(self, task_id: int) -> TaskState:
        state = self.state(task_id)
        require_initiator(state, self.address, "cancelling a task")
        if state.phase != Phase.AUDIT:
            require_phase(state, Phase.COMMIT, "cancelling a task")
        if state.committed:
            raise PreflightRefusal(
                Reason.COMMITMENTS_EXIST,
                f"task {task_id} can no longer be cancelled: {state.committed} model(s) are committed to it.",
            )
        return state

    def cancel(self, task_id: int) -> None:
        """Cancels a task in which no model is committed yet (its forfeit is burned); then everyone claims."""
        self.check_cancel(task_id)
        self.market.cancel_task(task_id, sender=self.account)

    # ------------------------------------------------------------------ the shards
    def _opening_secret(self, task_id: int, state: TaskState) -> TestSetSecret:
        """The keyring's test set secret, refused unless it opens the task's commitment."""
        market = self.market
        commitment = state.params.test_set_commitment
        secret = self._kept_secret(task_id, TestSetSecret, commitment)
        opened = test_set_commitment(market.chain_id, market.address, self.address, secret.shard_commitments)
        if opened != commitment:
            raise PreflightRefusal(
                Reason.DIGEST_MISMATCH,
                f"the test set secret in the keyring does not open the commitment of task {task_id}, so it was made "
                "for another task.",
            )
        return secret

    def check_reveal_audit(self, task_id: int) -> TestSetSecret:
        """The keyring's test set secret, if the audit shards can be revealed now."""
        state = self.state(task_id)
        require_initiator(state, self.address, "revealing the audit shards")
        if state.audit_revealed:
            raise PreflightRefusal(
                Reason.ALREADY_REVEALED, f"the audit shards of task {task_id} are already revealed."
            )
        require_phase(state, Phase.AUDIT, "revealing the audit shards")
        if not state.audit_mask:
            raise PreflightRefusal(
                Reason.TOO_EARLY, f"the audit of task {task_id} is not drawn yet: draw it first (drawAudit)."
            )
        self.require_shareable_uri("audit shards")
        return self._opening_secret(task_id, state)

    def reveal_audit(self, task_id: int) -> list[int]:
        """Publishes the audited shards (from the keyring) and opens their commitments: the task enters
        Commit. Returns the audited shards' indices."""
        secret = self.check_reveal_audit(task_id)
        return self._reveal_shards(task_id, secret, self.state(task_id).audit_indices, audit=True)

    def check_reveal_test_set(self, task_id: int) -> TestSetSecret:
        """The keyring's test set secret, if the test shards can be revealed now."""
        state = self.state(task_id)
        require_initiator(state, self.address, "revealing the test set")
        if state.test_revealed:
            raise PreflightRefusal(
                Reason.ALREADY_REVEALED, f"the test set of task {task_id} is already revealed."
            )
        require_phase(state, Phase.TEST_REVEAL, "revealing the test set")
        self.require_shareable_uri("test set")
        return self._opening_secret(task_id, state)

    def reveal_test_set(self, task_id: int) -> list[int]:
        """Publishes the shards not audited (from the keyring) and opens their commitments: the panel scores
        on them. Returns their indices."""
        secret = self.check_reveal_test_set(task_id)
        return self._reveal_shards(task_id, secret, self.state(task_id).test_indices, audit=False)

    def _reveal_shards(self, task_id: int, secret: TestSetSecret, indices: list[int], audit: bool) -> list[int]:
        """Each shard file goes into the store (and into `publish` if given); the URI of the first goes in
        the event (every shard is fetched by its digest)."""
        what = "audit shard" if audit else "test shard"
        uris = []
        for index in indices:
            data = secret.shard_files[index]
            digest = store_file(self.need_store(), data, what)
            uris.append(self._publish(digest, data, what))
        digests, salts = secret.openings(indices)
        send = self.market.reveal_audit if audit else self.market.reveal_test_set
        send(task_id, secret.shard_commitments, digests, salts, uris[0], sender=self.account)
        return indices

    # ------------------------------------------------------------------ fuse and publish
    def fuse(
        self, task_id: int, fusion: str, validation: Dataset | None = None, num_byzantine: int | None = None
    ) -> FusedModel:
        """Fuses the task's paid models by `fusion` (see `fusion_plan`), weighted by their rewards, towards
        the spec's architecture and from its initial model, and stores the fused model's file.

        A paid model the fusion cannot take (another architecture, a file that does not load, tensors that
        do not fit) is left out, and so is every unpaid one, each with its reason in `excluded`. When no
        paid model is left, the initial model is kept (`kept_initial`); without one, that is refused.
        """
        state = self.state(task_id)
        require_initiator(state, self.address, "fusing the paid models")
        require_phase(state, Phase.FINALIZED, "fusing the paid models")
        strategy, settings = fusion_plan(fusion, num_byzantine)
        trains = strategy == "stacking" or (strategy in OUTPUT_STRATEGIES and settings.distillation is not None)
        if trains and validation is None:
            raise PreflightRefusal(
                Reason.BAD_PARAMETER, f"the {fusion!r} fusion trains on validation data: pass --validation."
            )
        submissions = self.market.submissions(task_id)
        if not any(s.reward > 0 for s in submissions):
            raise PreflightRefusal(
                Reason.NOTHING_PAID, f"no model of task {task_id} was paid, so there is nothing to fuse."
            )
        store = self.need_store()
        spec = fetch_spec(store, state)
        initial = (
            fetch_model(store, spec.initial_model, "initial model named by the spec")
            if spec.initial_model is not None
            else None
        )
        excluded = {s.index: "not paid (weight 0)" for s in submissions if s.reward <= 0}
        paid: list[tuple[int, Model, int]] = []  # (submission index, model, reward)
        for s in submissions:
            if s.reward <= 0:
                continue
            try:
                paid.append((s.index, fetch_model(store, s.model_digest, f"model of submission #{s.index}"), s.reward))
            except PreflightRefusal as refusal:
                if refusal.reason is not Reason.BAD_FILE:
                    raise  # a store that may yet serve it: tried again
                excluded[s.index] = str(refusal)  # paid, yet not a model: the round goes on without it
        model, fused = initial, ()
        try:
            if paid:
                result = fuse_models(
                    strategy,
                    [model for _, model, _ in paid],
                    [float(reward) for _, _, reward in paid],
                    architecture=spec.architecture,
                    initial=initial,
                    validation=validation,
                    settings=settings,
                )
                model, fused = result.model, tuple(paid[i][0] for i in result.fused)
                excluded.update({paid[e.index][0]: e.reason for e in result.excluded})
        except NothingToFuse as nothing:
            excluded.update({paid[e.index][0]: e.reason for e in nothing.excluded})
        except FusionError as error:
            raise PreflightRefusal(
                Reason.BAD_PARAMETER, f"the paid models of task {task_id} cannot be fused by {fusion!r}: {error}."
            ) from error
        if model is None:
            reasons = "; ".join(f"#{index}: {reason}" for index, reason in sorted(excluded.items()))
            raise PreflightRefusal(
                Reason.NOTHING_PAID,
                f"no paid model of task {task_id} can be fused by {fusion!r} ({reasons}), and its spec names no "
                "initial model to keep.",
            )
        file = encode_model(model.module, model.architecture)
        return FusedModel(
            model,
            store_file(store, file, "fused model"),
            file,
            fused,
            tuple(Exclusion(index, reason) for index, reason in sorted(excluded.items())),
            kept_initial=not fused,
        )

    def check_publish_fused(self, task_id: int) -> TaskState:
        state = self.state(task_id)
        require_initiator(state, self.address, "publishing the fused model")
        require_phase(state, Phase.FINALIZED, "publishing the fused model")
        if state.fused_digest != bytes(32):
            raise PreflightRefusal(
                Reason.ALREADY_PUBLISHED,
                f"task {task_id} already has its fused model 0x{state.fused_digest.hex()}, and it is published once.",
            )
        if not any(s.reward > 0 for s in self.market.submissions(task_id)):
            raise PreflightRefusal(
                Reason.NOTHING_PAID, f"no model of task {task_id} was paid, so there is nothing to fuse."
            )
        self.require_shareable_uri("fused model")
        return state

    def publish_fused(self, task_id: int, fused: FusedModel) -> None:
        """Records the fused model's digest on chain (its file also into `publish` if given): the next
        round may then name this task as its parent."""
        self.check_publish_fused(task_id)
        uri = self._publish(fused.digest, fused.file, "fused model")
        self.market.publish_fused_model(task_id, fused.digest, uri, sender=self.account)

    def fuse_and_publish(
        self,
        task_id: int,
        strategy: str,
        validation: Dataset | None = None,
        num_byzantine: int | None = None,
    ) -> FusedModel:
        self.check_publish_fused(task_id)
        fused = self.fuse(task_id, strategy, validation, num_byzantine)
        self.publish_fused(task_id, fused)
        return fused
