"""Driving a market task through its phases in tests (mechanism v2).

`TaskHandle` remembers what the initiator committed to (its test set's K shards, their salts,
the deadlines) and what each contributor and panel member committed, so tests can open
commitments, move the chain's clock (and block number) to the edge of any window, and check
balances to the wei. Panels are drawn at random from the pool: a test names panel members by
their draw order (`task.panel()`), never by guessing who was drawn.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import requests
from eth_utils import keccak

from learning_market.commitments import audit_indices as bits
from learning_market.commitments import model_commitment, score_commitment, shard_commitment
from learning_market.commitments import test_set_commitment as commitment_to_test_set

MIN_WINDOW = 60  # seconds: the market's minimum window in tests
BPS = 10_000
HASH_WINDOW = 256  # blocks whose hash the EVM serves

# The market's deployment in tests (see tests/utils/deploy.py).
VERIFIER_BOND = 10**17
SLASH_AMOUNT = 5 * 10**16
UNBONDING_PERIOD = 3_600  # seconds: longer than a whole default task
FORFEIT_BPS = 500

# Phase, Role and Basis, as the contract's enums number them.
PHASES = (
    "None",
    "Audit",
    "Commit",
    "Reveal",
    "TestReveal",
    "ScoreCommit",
    "ScoreReveal",
    "Finalizing",
    "Finalized",
    "Cancelled",
    "Unfulfilled",
    "Void",
)
PHASE = {name: index for index, name in enumerate(PHASES)}
ROLE = {"None": 0, "Contributor": 1, "Verifier": 2}
BASIS = {"Test": 0, "Audit": 1}
DEADLINES = ("audit", "commit", "reveal", "testReveal", "scoreCommit", "scoreReveal")

DEFAULT_REWARD = 10**18
DEFAULT_CONTRIBUTOR_STAKE = 10**16
DEFAULT_TEST_SHARDS = 8
DEFAULT_AUDIT_SHARDS = 2


def digest(label: str) -> bytes:
    """A stand-in SHA-256 digest of a file named `label`."""
    return hashlib.sha256(label.encode()).digest()


def salt(label: str) -> bytes:
    return keccak(text=f"salt:{label}")


def mine_blocks(chain: Any, blocks: int, timestamp: int | None = None) -> None:
    """Mines `blocks` empty blocks, each stamped `timestamp` exactly (by default the pending
    block's): block numbers move, the clock does not. Each block's timestamp is set just before
    it is mined, one request after another (anvil runs the requests of a JSON-RPC batch
    concurrently, and `anvil_mine` may stamp its blocks a second later than the timestamp set)."""
    stamp = chain.pending_timestamp if timestamp is None else timestamp
    with requests.Session() as session:
        for i in range(blocks):
            for method, params in (("evm_setNextBlockTimestamp", [stamp]), ("evm_mine", [])):
                reply = session.post(
                    chain.provider.web3.provider.endpoint_uri,
                    json={"jsonrpc": "2.0", "id": i, "method": method, "params": params},
                    timeout=60,
                ).json()
                assert "error" not in reply, reply
    chain.pending_timestamp = stamp


@dataclass
class TestSet:
    """An initiator's K shards: each a digest under its own salt."""

    __test__ = False  # not a pytest class

    digests: list[bytes]
    salts: list[bytes]

    @classmethod
    def build(cls, label: str, shards: int) -> TestSet:
        return cls(
            [digest(f"shard-{label}-{i}") for i in range(shards)],
            [salt(f"shard-{label}-{i}") for i in range(shards)],
        )

    @property
    def commitments(self) -> list[bytes]:
        return [shard_commitment(d, s) for d, s in zip(self.digests, self.salts, strict=True)]

    def commitment(self, chain_id: int, market: str, initiator: str) -> bytes:
        return commitment_to_test_set(chain_id, market, initiator, self.commitments)

    def openings(self, mask: int) -> tuple[list[bytes], list[bytes]]:
        """Digests and salts of the shards in `mask`, in increasing index order."""
        indices = bits(mask)
        return [self.digests[i] for i in indices], [self.salts[i] for i in indices]

    def complement(self, mask: int) -> int:
        return ((1 << len(self.digests)) - 1) & ~mask


@dataclass
class TaskHandle:
    """A created task and the secrets needed to drive it."""

    market: Any
    chain: Any
    task_id: int
    initiator: Any
    params: dict[str, Any]
    reward: int
    test_set: TestSet
    accounts: dict[str, Any]  # address -> account object, to act for drawn panel members
    models: dict[str, tuple[bytes, bytes]] = field(
        default_factory=dict
    )  # address -> (digest, salt)
    score_secrets: dict[str, tuple[bool, list[int], bytes]] = field(default_factory=dict)

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

    def mine(self, blocks: int = 1) -> None:
        """Mines `blocks` empty blocks, all at the pending timestamp: block numbers move, the
        clock does not."""
        mine_blocks(self.chain, blocks)

    def view(self) -> Any:
        return self.market.getTask(self.task_id)

    # ---------------------------------------------------------------- audit
    def audit_mask(self) -> int:
        return int(self.view().auditMask)

    def draw_audit(self, caller: Any = None) -> Any:
        """Draws the audit, first mining a block if its seed block is not mined yet."""
        seed_block = int(self.view().auditSeedBlock)
        if self.chain.blocks.head.number < seed_block:
            self.mine(seed_block - self.chain.blocks.head.number)
        return self.market.drawAudit(self.task_id, sender=caller or self.initiator)

    def reveal_audit(self, uri: str = "store://audit", sender: Any = None) -> Any:
        digests, salts = self.test_set.openings(self.audit_mask())
        return self.market.revealAudit(
            self.task_id,
            self.test_set.commitments,
            digests,
            salts,
            uri,
            sender=sender or self.initiator,
        )

    def open_audit(self) -> None:
        """Draws and reveals the audit: the task enters Commit."""
        self.draw_audit()
        self.reveal_audit()

    def reveal_test_set(self, uri: str = "store://test", sender: Any = None) -> Any:
        digests, salts = self.test_set.openings(self.test_set.complement(self.audit_mask()))
        return self.market.revealTestSet(
            self.task_id,
            self.test_set.commitments,
            digests,
            salts,
            uri,
            sender=sender or self.initiator,
        )

    # -------------------------------------------------------- models, panel
    def commit(self, contributor: Any, label: str | None = None, **tx: Any) -> Any:
        label = label or f"model-{contributor.address}-{self.task_id}"
        model, secret = digest(label), salt(label)
        self.models[contributor.address] = (model, secret)
        commitment = model_commitment(
            self.chain.chain_id,
            self.market.address,
            self.task_id,
            contributor.address,
            model,
            secret,
        )
        tx.setdefault("value", self.params["contributorStake"])
        return self.market.commitModel(self.task_id, commitment, sender=contributor, **tx)

    def request_panel(self, caller: Any) -> Any:
        return self.market.requestPanel(self.task_id, sender=caller)

    def draw_panel(self, caller: Any) -> Any:
        """Draws the panel, first mining a block if its seed block is not mined yet."""
        seed_block = int(self.view().panelSeedBlock)
        if self.chain.blocks.head.number < seed_block:
            self.mine(seed_block - self.chain.blocks.head.number)
        return self.market.drawPanel(self.task_id, sender=caller)

    def open_panel(self, caller: Any) -> list[Any]:
        """Requests and draws the panel; returns its members in draw order."""
        self.request_panel(caller)
        self.draw_panel(caller)
        return self.panel()

    def panel(self) -> list[Any]:
        """The panel's members (account objects), in draw order."""
        return [self.accounts[m.member] for m in self.market.getPanel(self.task_id)]

    def reveal(self, contributor: Any, uri: str = "") -> Any:
        model, secret = self.models[contributor.address]
        return self.market.revealModel(
            self.task_id, model, secret, uri or f"store://{model.hex()}", sender=contributor
        )

    # -------------------------------------------------------------- scoring
    def commit_scores(self, verifier: Any, scores: list[int], available: bool = True) -> Any:
        secret = salt(f"scores-{verifier.address}-{self.task_id}")
        self.score_secrets[verifier.address] = (available, list(scores), secret)
        commitment = score_commitment(
            self.chain.chain_id,
            self.market.address,
            self.task_id,
            verifier.address,
            available,
            list(scores),
            secret,
        )
        return self.market.commitScores(self.task_id, commitment, sender=verifier)

    def reveal_scores(self, verifier: Any) -> Any:
        available, scores, secret = self.score_secrets[verifier.address]
        return self.market.revealScores(self.task_id, available, scores, secret, sender=verifier)

    def finalize(self, caller: Any, max_steps: int = 10_000) -> Any:
        return self.market.finalize(self.task_id, max_steps, sender=caller)

    def phase(self) -> str:
        return PHASES[self.market.phaseOf(self.task_id)]


def default_params(now: int, test_commitment: bytes, **overrides: Any) -> dict[str, Any]:
    """Task parameters with each window `MIN_WINDOW * 2` long, starting after `now`."""
    window = 2 * MIN_WINDOW
    params: dict[str, Any] = {
        "specDigest": digest("spec"),
        "testSetCommitment": test_commitment,
        "auditDeadline": now + window,
        "commitDeadline": now + 2 * window,
        "revealDeadline": now + 3 * window,
        "testRevealDeadline": now + 4 * window,
        "scoreCommitDeadline": now + 5 * window,
        "scoreRevealDeadline": now + 6 * window,
        "contributorStake": DEFAULT_CONTRIBUTOR_STAKE,
        "maxContributors": 8,
        "panelSize": 3,
        "verifierFeeBps": 1_000,
        "baselineScore": 1_000,
        "toleranceBps": 200,
        "testShards": DEFAULT_TEST_SHARDS,
        "auditShards": DEFAULT_AUDIT_SHARDS,
        "parentTaskId": 0,
    }
    params.update(overrides)
    return params


PARAM_ORDER = (
    "specDigest",
    "testSetCommitment",
    "auditDeadline",
    "commitDeadline",
    "revealDeadline",
    "testRevealDeadline",
    "scoreCommitDeadline",
    "scoreRevealDeadline",
    "contributorStake",
    "maxContributors",
    "panelSize",
    "verifierFeeBps",
    "baselineScore",
    "toleranceBps",
    "testShards",
    "auditShards",
    "parentTaskId",
)


def as_tuple(params: dict[str, Any]) -> tuple:
    """TaskParams in the struct's field order."""
    return tuple(params[key] for key in PARAM_ORDER)


def open_task(
    market: Any,
    chain: Any,
    initiator: Any,
    accounts: dict[str, Any],
    reward: int = DEFAULT_REWARD,
    label: str = "test",
    test_set_owner: Any = None,
    test_set: TestSet | None = None,
    **overrides: Any,
) -> TaskHandle:
    """Creates a task (in the Audit phase) on any deployment.

    `test_set_owner` names the address the test set commitment is made for (the initiator by
    default), to build a commitment that the initiator cannot open; `test_set` replaces the
    shards built from `label`.
    """
    shards = overrides.get("testShards", DEFAULT_TEST_SHARDS)
    test_set = test_set or TestSet.build(f"{label}-{market.address}", shards)
    owner = getattr(test_set_owner or initiator, "address", test_set_owner or initiator)
    commitment = test_set.commitment(chain.chain_id, market.address, owner)
    params = default_params(chain.pending_timestamp, commitment, **overrides)
    market.createTask(as_tuple(params), "store://spec", value=reward, sender=initiator)
    return TaskHandle(
        market=market,
        chain=chain,
        task_id=market.taskCount(),
        initiator=initiator,
        params=params,
        reward=reward,
        test_set=test_set,
        accounts=accounts,
    )
