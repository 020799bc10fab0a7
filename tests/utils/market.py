"""Driving a market task through its phases in tests.

`TaskHandle` remembers what the initiator committed to (test digest, salt, deadlines) and
what each contributor and verifier committed, so tests can open commitments, move the
chain's clock to the edge of any window, and check balances to the wei.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak

from learning_market.commitments import model_commitment, score_commitment
from learning_market.commitments import test_set_commitment as commitment_to_test_set
from learning_market.phases import BPS

MIN_WINDOW = 60  # seconds: the market's minimum window in tests

# Phase and Role, as the contract's enums number them.
PHASES = (
    "None",
    "Commit",
    "Reveal",
    "TestReveal",
    "ScoreCommit",
    "ScoreReveal",
    "Finalizing",
    "Finalized",
    "Cancelled",
    "Unfulfilled",
    "Abandoned",
)
PHASE = {name: index for index, name in enumerate(PHASES)}
ROLE = {"None": 0, "Contributor": 1, "Verifier": 2}

DEFAULT_REWARD = 10**18
DEFAULT_CONTRIBUTOR_STAKE = 10**16
DEFAULT_VERIFIER_STAKE = 2 * 10**16

__all__ = ["BPS", "commitment_to_test_set", "model_commitment", "score_commitment"]  # with the helpers below


def digest(label: str) -> bytes:
    """A stand-in SHA-256 digest of a file named `label`."""
    return hashlib.sha256(label.encode()).digest()


def salt(label: str) -> bytes:
    return keccak(text=f"salt:{label}")


@dataclass
class TaskHandle:
    """A created task and the secrets needed to drive it."""

    market: Any
    chain: Any
    task_id: int
    initiator: Any
    params: dict[str, Any]
    reward: int
    test_digest: bytes
    test_salt: bytes
    models: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)  # address -> (digest, salt)
    score_secrets: dict[str, tuple[list[int], bytes]] = field(default_factory=dict)

    # ----------------------------------------------------------------- time
    def deadline(self, name: str) -> int:
        return int(self.params[f"{name}Deadline"])

    def at(self, timestamp: int) -> None:
        """Makes the next transaction's block carry `timestamp`."""
        self.chain.pending_timestamp = timestamp

    def at_deadline(self, name: str, offset: int = 0) -> None:
        self.at(self.deadline(name) + offset)

    def after(self, name: str) -> None:
        """Moves to the first second after the named deadline."""
        self.at(self.deadline(name) + 1)

    # -------------------------------------------------------------- actions
    def commit(self, contributor: Any, label: str | None = None, **tx: Any) -> Any:
        label = label or f"model-{contributor.address}"
        model, secret = digest(label), salt(label)
        self.models[contributor.address] = (model, secret)
        commitment = model_commitment(
            self.chain.chain_id, self.market.address, self.task_id, contributor.address, model, secret
        )
        tx.setdefault("value", self.params["contributorStake"])
        return self.market.commitModel(self.task_id, commitment, sender=contributor, **tx)

    def join(self, verifier: Any, **tx: Any) -> Any:
        tx.setdefault("value", self.params["verifierStake"])
        return self.market.joinAsVerifier(self.task_id, sender=verifier, **tx)

    def reveal(self, contributor: Any, uri: str = "") -> Any:
        model, secret = self.models[contributor.address]
        return self.market.revealModel(self.task_id, model, secret, uri or f"store://{model.hex()}", sender=contributor)

    def reveal_test_set(self, uri: str = "store://test") -> Any:
        return self.market.revealTestSet(self.task_id, self.test_digest, self.test_salt, uri, sender=self.initiator)

    def commit_scores(self, verifier: Any, scores: list[int]) -> Any:
        secret = salt(f"scores-{verifier.address}")
        self.score_secrets[verifier.address] = (list(scores), secret)
        commitment = score_commitment(
            self.chain.chain_id, self.market.address, self.task_id, verifier.address, list(scores), secret
        )
        return self.market.commitScores(self.task_id, commitment, sender=verifier)

    def reveal_scores(self, verifier: Any) -> Any:
        scores, secret = self.score_secrets[verifier.address]
        return self.market.revealScores(self.task_id, scores, secret, sender=verifier)

    def finalize(self, caller: Any, max_steps: int = 1_000) -> Any:
        return self.market.finalize(self.task_id, max_steps, sender=caller)

    def phase(self) -> str:
        return PHASES[self.market.phaseOf(self.task_id)]


def default_params(now: int, test_commitment: bytes, **overrides: Any) -> dict[str, Any]:
    """Task parameters with each window `MIN_WINDOW * 2` long, starting after `now`."""
    window = 2 * MIN_WINDOW
    params: dict[str, Any] = {
        "specDigest": digest("spec"),
        "testSetCommitment": test_commitment,
        "commitDeadline": now + window,
        "revealDeadline": now + 2 * window,
        "testRevealDeadline": now + 3 * window,
        "scoreCommitDeadline": now + 4 * window,
        "scoreRevealDeadline": now + 5 * window,
        "contributorStake": DEFAULT_CONTRIBUTOR_STAKE,
        "verifierStake": DEFAULT_VERIFIER_STAKE,
        "maxContributors": 8,
        "maxVerifiers": 5,
        "verifierFeeBps": 1_000,
        "baselineScore": 1_000,
        "toleranceBps": 200,
        "parentTaskId": 0,
    }
    params.update(overrides)
    return params


def as_tuple(params: dict[str, Any]) -> tuple:
    """TaskParams in the struct's field order."""
    order = (
        "specDigest",
        "testSetCommitment",
        "commitDeadline",
        "revealDeadline",
        "testRevealDeadline",
        "scoreCommitDeadline",
        "scoreRevealDeadline",
        "contributorStake",
        "verifierStake",
        "maxContributors",
        "maxVerifiers",
        "verifierFeeBps",
        "baselineScore",
        "toleranceBps",
        "parentTaskId",
    )
    return tuple(params[key] for key in order)


def open_task(
    market: Any,
    chain: Any,
    initiator: Any,
    reward: int = DEFAULT_REWARD,
    label: str = "test",
    test_set_owner: Any = None,
    **overrides: Any,
) -> TaskHandle:
    """Creates a task on any deployment (the `create_task` fixture serves the main one).

    `test_set_owner` names the address the test set commitment is made for (the initiator by
    default), to build a commitment that the initiator cannot open.
    """
    test_digest, test_salt = digest(f"test-set-{label}"), salt(f"test-set-{label}")
    owner = getattr(test_set_owner or initiator, "address", test_set_owner or initiator)
    commitment = commitment_to_test_set(
        chain.chain_id, market.address, owner, test_digest, test_salt
    )
    params = default_params(chain.pending_timestamp, commitment, **overrides)
    market.createTask(as_tuple(params), "store://spec", value=reward, sender=initiator)
    return TaskHandle(
        market=market,
        chain=chain,
        task_id=market.taskCount(),
        initiator=initiator,
        params=params,
        reward=reward,
        test_digest=test_digest,
        test_salt=test_salt,
    )
