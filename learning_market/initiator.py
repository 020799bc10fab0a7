"""The initiator: publishes the task spec, commits to a test set, escrows the reward, reveals the
test set, fuses the paid models, publishes the fused model and opens the next round."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from content import ContentStore, sha256_digest
from ml import Dataset, Model, TaskSpec, decode_model, encode_dataset, encode_model, fuse

from learning_market.commitments import new_salt, test_set_commitment
from learning_market.market import MarketClient
from learning_market.phases import Phase, TaskParams


@dataclass(frozen=True)
class TaskTerms:
    """What an initiator offers and asks: amounts in wei, scores in bps, windows in seconds."""

    reward: int = 10**18
    contributor_stake: int = 10**16
    verifier_stake: int = 2 * 10**16
    max_contributors: int = 32
    max_verifiers: int = 9
    verifier_fee_bps: int = 1_000
    baseline_score: int = 1_000  # chance on ten classes
    tolerance_bps: int = 300
    window: int = 3_600  # each phase's length; at least the market's minWindow

    def task_params(
        self, spec_digest: bytes, test_set_commitment: bytes, start: int, window: int, parent_task_id: int = 0
    ) -> TaskParams:
        """The task's parameters, its five windows each `window` seconds long from `start`."""
        return TaskParams(
            spec_digest=spec_digest,
            test_set_commitment=test_set_commitment,
            commit_deadline=start + window,
            reveal_deadline=start + 2 * window,
            test_reveal_deadline=start + 3 * window,
            score_commit_deadline=start + 4 * window,
            score_reveal_deadline=start + 5 * window,
            contributor_stake=self.contributor_stake,
            verifier_stake=self.verifier_stake,
            max_contributors=self.max_contributors,
            max_verifiers=self.max_verifiers,
            verifier_fee_bps=self.verifier_fee_bps,
            baseline_score=self.baseline_score,
            tolerance_bps=self.tolerance_bps,
            parent_task_id=parent_task_id,
        )


@dataclass(frozen=True)
class FusedModel:
    model: Model
    digest: bytes
    members: int  # how many paid submissions went into it


@dataclass
class Initiator:
    """One initiator in one market. `validation` is its own data, used by the stacking fusion."""

    name: str
    account: Any
    market: MarketClient
    store: ContentStore
    validation: Dataset
    lazy: bool = False  # never reveals the test set
    _test_files: dict[int, tuple[bytes, bytes]] = field(default_factory=dict, repr=False)

    @property
    def address(self) -> str:
        return str(self.account.address)

    def create_task(self, spec: TaskSpec, test_set: Dataset, terms: TaskTerms, parent_task_id: int = 0) -> int:
        """Stores the spec, commits to the test set (kept private until its reveal), escrows the reward."""
        spec_digest = self.store.put(spec.to_json_bytes())
        test_file = encode_dataset(test_set)
        test_digest, salt = sha256_digest(test_file), new_salt()
        commitment = test_set_commitment(self.market.chain_id, self.market.address, self.address, test_digest, salt)
        window = max(terms.window, self.market.min_window())
        params = terms.task_params(spec_digest, commitment, self.market.now(), window, parent_task_id)
        task_id = self.market.create_task(params, self.store.uri(spec_digest), terms.reward, sender=self.account)
        self._test_files[task_id] = (test_file, salt)
        return task_id

    def reveal_test_set(self, task_id: int) -> bool:
        """Publishes the test set file and opens the commitment; a lazy initiator does neither."""
        if self.lazy:
            return False
        test_file, salt = self._test_files[task_id]
        digest = self.store.put(test_file)
        self.market.reveal_test_set(task_id, digest, salt, self.store.uri(digest), sender=self.account)
        return True

    def fuse(self, task_id: int, strategy: str, *, num_byzantine: int = 0) -> FusedModel | None:
        """Fuses the paid submissions, weighted by their rewards; None when nothing was paid."""
        paid = [s for s in self.market.submissions(task_id) if s.reward > 0]
        if not paid:
            return None
        models = [decode_model(self.store.get(s.model_digest), s.model_digest) for s in paid]
        fused = fuse(
            strategy,
            models,
            [float(s.reward) for s in paid],
            validation=self.validation,
            num_byzantine=min(num_byzantine, max(0, (len(paid) - 3) // 2)),
        )
        digest = self.store.put(encode_model(fused.module, fused.architecture))
        return FusedModel(fused, digest, len(paid))

    def publish(self, task_id: int, fused: FusedModel) -> None:
        """Records the fused model on chain: the next round may then name this task as parent."""
        if self.market.phase(task_id) != Phase.FINALIZED:
            return
        self.market.publish_fused_model(task_id, fused.digest, self.store.uri(fused.digest), sender=self.account)

    def claim(self, task_id: int) -> int:
        return self.market.claim(task_id, sender=self.account)
