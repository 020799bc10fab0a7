"""The one door to the deployed market: typed views and actions, refusals as sentences, gas per
action, the market's events, and the chain's clock. Nothing else in the package touches the contract;
how it is reached (through ape, or straight over JSON-RPC) is the node's business (`nodes`)."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from eth_utils import to_checksum_address

from learning_market.commitments import audit_indices, test_indices
from learning_market.errors import ClockError, NetworkError
from learning_market.nodes import ContractReverted, Node, Receipt
from learning_market.phases import Basis, Phase, Role, TaskParams
from learning_market.refusals import MarketRefusal

LOG_RANGE = 10_000  # blocks per eth_getLogs request (public nodes cap the range)
HASH_WINDOW = 256  # blocks whose hash the EVM serves: a draw's seed block must be this recent
SLASHED = 2**64 - 1  # IVerifierPool.Member.activeSince of a slashed member
BLOCK_WAIT = 180.0  # seconds to wait for a block on a network whose clock cannot be moved


@dataclass
class GasLedger:
    """Gas used by every transaction sent through a client, by action name."""

    used: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def record(self, action: str, gas: int) -> None:
        self.used[action].append(gas)

    def rows(self) -> list[dict[str, Any]]:
        """One row per action: how many times, mean, max and total gas."""
        return [
            {"action": action, "count": len(gas), "mean": sum(gas) // len(gas), "max": max(gas), "total": sum(gas)}
            for action, gas in self.used.items()
        ]


@dataclass(frozen=True)
class Submission:
    """A revealed model as the market reports it."""

    index: int
    contributor: str
    model_digest: bytes
    median_score: int
    reward: int


@dataclass(frozen=True)
class PanelMember:
    """A member of a task's panel (ILearningMarket.PanelMemberView), in draw order."""

    member: str
    committed: bool
    revealed: bool
    test_set_available: bool
    counted: bool
    honest: bool
    slashed: bool


@dataclass(frozen=True)
class Settlement:
    """The outcome of finalize (ILearningMarket.Settlement), zero before it completes."""

    total_weight: int
    start_median: int
    baseline: int
    basis: Basis
    contributor_pool: int
    rewards_total: int
    fee_per_verifier: int
    honest_verifiers: int
    counted_verifiers: int
    revealed_verifiers: int
    slashed: int
    burned: int
    initiator_refund: int
    contested: bool

    @classmethod
    def from_chain(cls, struct: Any) -> Settlement:
        values = [int(v) for v in struct]
        values[3] = Basis(values[3])
        values[-1] = bool(values[-1])
        return cls(*values)


@dataclass(frozen=True)
class TaskView:
    """One read of a task (ILearningMarket.TaskView), typed."""

    params: TaskParams
    initiator: str
    phase: Phase
    reward: int
    committed: int
    revealed: int
    audit_seed_block: int
    audit_mask: int
    audit_revealed: bool
    test_revealed: bool
    panel_seed_block: int
    panel_request_block: int
    pool_size_at_request: int
    panel_drawn: int
    fused_digest: bytes
    deposited: int
    paid_out: int
    burned: int
    settlement: Settlement

    @property
    def audit_indices(self) -> list[int]:
        """The audited shards, in increasing order (empty before the audit draw)."""
        return audit_indices(self.audit_mask)

    @property
    def test_indices(self) -> list[int]:
        """The shards not audited (the test set), in increasing order (all K before the audit draw)."""
        return test_indices(self.audit_mask, self.params.test_shards)


@dataclass(frozen=True)
class PoolMember:
    """The pool's record of an address (IVerifierPool.Member): its bond, its registration block
    (0: not registered; 2**64 - 1: slashed), its exit request, its open panels and its slot."""

    bond: int
    active_since: int
    exit_block: int
    open_panels: int
    exit_time: int
    slot: int

    @property
    def registered(self) -> bool:
        return self.slot != 0

    @property
    def slashed(self) -> bool:
        return self.active_since == SLASHED

    @property
    def exiting(self) -> bool:
        return self.exit_block != 0


@dataclass(frozen=True)
class Sent:
    """A transaction the client sent and saw mined."""

    action: str
    tx_hash: str
    gas: int
    block: int


@dataclass(frozen=True)
class PublishedModel:
    """A model made public on chain: revealed in a task (`index`: its reveal index) or published as the
    task's fused model (`index` None), by the log at `position` (block number, log index)."""

    task_id: int
    index: int | None
    model_digest: bytes
    position: tuple[int, int]


@dataclass(frozen=True)
class TaskAnnounced:
    """A TaskCreated event: a task, who created it, its parent, where its spec is, and when."""

    task_id: int
    initiator: str
    parent_task_id: int
    reward: int
    spec_uri: str
    block: int


class MarketClient:
    """The market (and its verifier pool) on one node, used by one process; every transaction's gas goes
    to `gas`, and every transaction mined is in `sent` (its action, hash, gas and block).

    A custom-error revert becomes a `MarketRefusal` that says why (ape's call trace of it goes to the
    logger at debug level).
    """

    def __init__(self, node: Node, gas: GasLedger | None = None) -> None:
        self.node = node
        self.gas = gas if gas is not None else GasLedger()
        self.sent: list[Sent] = []
        self._public: list[PublishedModel] = []  # public_models(), read up to block _public_scanned
        self._public_scanned = -1

    @property
    def address(self) -> str:
        return self.node.address

    @cached_property
    def chain_id(self) -> int:
        return int(self.node.chain_id)

    @property
    def is_local(self) -> bool:
        """Whether the chain's clock may be moved (a local development chain)."""
        return bool(self.node.is_local)

    @cached_property
    def pool_node(self) -> Node:
        """The node's view of the market's verifier pool (its own contract, deployed by the market)."""
        return self.node.sibling(self.pool_address, "VerifierPool")

    @cached_property
    def pool_address(self) -> str:
        return to_checksum_address(str(self._view("verifierPool")))

    # ------------------------------------------------------------------ clock
    def now(self) -> int:
        """The timestamp of the latest block: what the contract's views see."""
        return self.node.head()[1]

    def block_number(self) -> int:
        return self.node.head()[0]

    def advance_past(self, deadline: int) -> None:
        """Moves the chain's clock past `deadline` (a local chain only: elsewhere, time must pass)."""
        if self.now() > deadline:
            return
        if not self.is_local:
            raise ClockError(f"deadline {deadline} has not passed yet (chain time {self.now()}): try again later.")
        self.node.mine(deadline + 1)

    def mine(self) -> None:
        """One more block, a second later (a local chain only)."""
        if not self.is_local:
            raise ClockError("blocks come at the network's pace here: wait for the next one.")
        self.node.mine(self.now() + 1)

    def wait_for_block(self, number: int, timeout: float = BLOCK_WAIT) -> None:
        """Returns once block `number` is mined: a local chain mines up to it at once; elsewhere this waits
        for the network (at most `timeout` seconds), as a draw waits for its seed block."""
        while (head := self.block_number()) < number:
            if self.is_local:
                self.mine()
                continue
            if timeout <= 0:
                raise NetworkError(f"block {number} was not mined in time (the head is {head}): try again later.")
            time.sleep(min(2.0, timeout))
            timeout -= 2.0

    def balance(self, address: str) -> int:
        return self.node.balance(address)

    def waiting_transactions(self, address: str) -> int:
        """How many transactions of `address` the node holds that are not mined yet."""
        mined, pending = self.node.nonces(address)
        return max(0, pending - mined)

    # ------------------------------------------------------------- constants
    @cached_property
    def max_contributors_cap(self) -> int:
        """The most contributors any task may take (the contract's MAX_CONTRIBUTORS_CAP)."""
        return int(self._view("MAX_CONTRIBUTORS_CAP"))

    @cached_property
    def max_panel_size(self) -> int:
        """The largest panel a task may ask (the contract's MAX_PANEL_SIZE)."""
        return int(self._view("MAX_PANEL_SIZE"))

    @cached_property
    def max_test_shards(self) -> int:
        """The most shards a test set may be cut into (the contract's MAX_TEST_SHARDS)."""
        return int(self._view("MAX_TEST_SHARDS"))

    @cached_property
    def min_window(self) -> int:
        """The shortest window between two deadlines, in seconds."""
        return int(self._view("minWindow"))

    @cached_property
    def forfeit_bps(self) -> int:
        """Share of the reward burned when a task ends without a model (cancelled, void, unfulfilled)."""
        return int(self._view("forfeitBps"))

    # ------------------------------------------------------------------ views
    def _view(self, method: str, *args: Any) -> Any:
        try:
            return self.node.call(method, *args)
        except ContractReverted as error:
            raise MarketRefusal(method, error.name, error.inputs) from error

    def task_count(self) -> int:
        return int(self._view("taskCount"))

    def total_burned(self) -> int:
        return int(self._view("totalBurned"))

    def phase(self, task_id: int) -> Phase:
        return Phase(self._view("phaseOf", task_id))

    def task(self, task_id: int) -> TaskView:
        view = self._view("getTask", task_id)
        return TaskView(
            params=TaskParams.from_chain(tuple(view.params)),
            initiator=to_checksum_address(str(view.initiator)),
            phase=Phase(int(view.phase)),
            reward=int(view.reward),
            committed=int(view.committedCount),
            revealed=int(view.revealedCount),
            audit_seed_block=int(view.auditSeedBlock),
            audit_mask=int(view.auditMask),
            audit_revealed=bool(view.auditRevealed),
            test_revealed=bool(view.testRevealed),
            panel_seed_block=int(view.panelSeedBlock),
            panel_request_block=int(view.panelRequestBlock),
            pool_size_at_request=int(view.poolSizeAtRequest),
            panel_drawn=int(view.panelDrawn),
            fused_digest=bytes(view.fusedModelDigest),
            deposited=int(view.deposited),
            paid_out=int(view.paidOut),
            burned=int(view.burned),
            settlement=Settlement.from_chain(tuple(view.settlement)),
        )

    def params(self, task_id: int) -> TaskParams:
        return self.task(task_id).params

    def submissions(self, task_id: int) -> list[Submission]:
        views = self._view("getSubmissions", task_id, 0, 2**256 - 1)
        return [
            Submission(i, to_checksum_address(str(v.contributor)), bytes(v.modelDigest), int(v.medianScore),
                       int(v.reward))
            for i, v in enumerate(views)
        ]

    def panel(self, task_id: int) -> list[PanelMember]:
        """The task's panel in draw order (empty before the draw)."""
        return [
            PanelMember(to_checksum_address(str(v.member)), bool(v.committed), bool(v.revealed),
                        bool(v.testSetAvailable), bool(v.counted), bool(v.honest), bool(v.slashed))
            for v in self._view("getPanel", task_id)
        ]

    def scores_of(self, task_id: int, verifier: str) -> list[int]:
        """A panel member's revealed scores: the starting model's first (empty before it reveals)."""
        return [int(s) for s in self._view("scoresOf", task_id, to_checksum_address(verifier))]

    def shards(self, task_id: int) -> tuple[list[bytes], int]:
        """The K shard digests revealed so far (zero bytes: not revealed) and the audit mask."""
        digests, mask = self._view("getShards", task_id)
        return [bytes(d) for d in digests], int(mask)

    def task_seed(self, task_id: int) -> bytes:
        """The task's public randomness, fixed by the panel draw (zero before)."""
        return bytes(self._view("taskSeed", task_id))

    def revealed_in(self, model_digest: bytes) -> int:
        """The task in which a model digest was revealed, market-wide (0: never)."""
        return int(self._view("revealedIn", model_digest))

    def role(self, task_id: int, account: str) -> Role:
        return Role(self._view("roleOf", task_id, to_checksum_address(account)))

    def owed(self, task_id: int, account: str) -> int:
        return int(self._view("owed", task_id, to_checksum_address(account)))

    def has_claimed(self, task_id: int, account: str) -> bool:
        return bool(self._view("hasClaimed", task_id, to_checksum_address(account)))

    # ------------------------------------------------------------------ the pool's views
    def _pool_view(self, method: str, *args: Any) -> Any:
        try:
            return self.pool_node.call(method, *args)
        except ContractReverted as error:
            raise MarketRefusal(method, error.name, error.inputs, by="verifier pool") from error

    @cached_property
    def verifier_bond(self) -> int:
        """The bond of one seat in the pool (wei)."""
        return int(self._pool_view("verifierBond"))

    @cached_property
    def slash_amount(self) -> int:
        """What a member loses per panel on which it does not reveal or strays (wei)."""
        return int(self._pool_view("slashAmount"))

    @cached_property
    def unbonding_period(self) -> int:
        """Seconds between an exit request and the withdrawal it allows."""
        return int(self._pool_view("unbondingPeriod"))

    def pool_size(self) -> int:
        """The pool's member list length (its slots, live or freed)."""
        return int(self._pool_view("size"))

    def active_members(self) -> int:
        """Members registered, not slashed and not leaving."""
        return int(self._pool_view("activeCount"))

    def pool_member(self, account: str) -> PoolMember:
        return PoolMember(*(int(v) for v in self._pool_view("memberOf", to_checksum_address(account))))

    def candidate_at(self, index: int, request_block: int) -> tuple[str, bool]:
        """The member at `index` of the pool's list, and whether a panel requested in `request_block`
        may draw it."""
        account, eligible = self._pool_view("candidateAt", index, request_block)
        return to_checksum_address(str(account)), bool(eligible)

    # ------------------------------------------------------------------ events
    def _events(
        self, event: str, from_block: int, to_block: int, topics: list[Any] | None = None, node: Node | None = None
    ) -> list[dict]:
        """Every `event` of the market (or `node`'s contract) in the blocks, oldest first, asked `LOG_RANGE`
        blocks at a time."""
        node = node or self.node
        found = []
        for start in range(from_block, to_block + 1, LOG_RANGE):
            for log in node.logs(event, start, min(to_block, start + LOG_RANGE - 1), topics):
                found.append({**node.abi.decode_event(event, log), "_block": log["blockNumber"],
                              "_position": (log["blockNumber"], log["logIndex"])})
        return found

    @staticmethod
    def _topic(task_id: int) -> str:
        return "0x" + task_id.to_bytes(32, "big").hex()

    def tasks_announced(self, from_block: int, to_block: int, initiator: str | None = None) -> list[TaskAnnounced]:
        """The tasks created in the blocks (by `initiator` only, if given), oldest first."""
        topics = None if initiator is None else [None, "0x" + bytes(12).hex() + to_checksum_address(initiator)[2:]]
        return [
            TaskAnnounced(int(e["taskId"]), to_checksum_address(e["initiator"]), int(e["parentTaskId"]),
                          int(e["reward"]), str(e["specUri"]), int(e["_block"]))
            for e in self._events("TaskCreated", from_block, to_block, topics)
        ]

    def public_models(self, rescan: bool = False) -> list[PublishedModel]:
        """Every model made public in the market so far, in chain order: each task's reveals (`ModelRevealed`)
        and fused models (`FusedModelPublished`). Read from block 0 on the first call (or with `rescan`, after
        a reorganisation), then only the new blocks."""
        if rescan:
            self._public, self._public_scanned = [], -1
        head = self.block_number()
        if head > self._public_scanned:
            found = [
                PublishedModel(int(e["taskId"]), int(e["submissionIndex"]), bytes(e["modelDigest"]), e["_position"])
                for e in self._events("ModelRevealed", self._public_scanned + 1, head)
            ] + [
                PublishedModel(int(e["taskId"]), None, bytes(e["fusedModelDigest"]), e["_position"])
                for e in self._events("FusedModelPublished", self._public_scanned + 1, head)
            ]
            self._public += sorted(found, key=lambda model: model.position)
            self._public_scanned = head
        return list(self._public)

    def commit_positions(self, task_id: int) -> dict[str, tuple[int, int]]:
        """Where each contributor's model commitment in the task was logged (block number, log index), by
        account."""
        return {
            to_checksum_address(e["contributor"]): e["_position"]
            for e in self._events("ModelCommitted", 0, self.block_number(), [self._topic(task_id)])
        }

    def claims(self, task_id: int, from_block: int = 0) -> dict[str, int]:
        """What each account has claimed in the task (by `Claimed` events), by account."""
        return {
            to_checksum_address(e["account"]): int(e["amount"])
            for e in self._events("Claimed", from_block, self.block_number(), [self._topic(task_id)])
        }

    def shard_uri(self, task_id: int, audit: bool, from_block: int = 0) -> str | None:
        """The URI the initiator gave with its audit (`audit`) or test set reveal, or None before it."""
        event = "AuditRevealed" if audit else "TestSetRevealed"
        found = self._events(event, from_block, self.block_number(), [self._topic(task_id)])
        return str(found[-1]["uri"]) if found else None

    # ---------------------------------------------------------------- actions
    def _send(self, action: str, *args: Any, sender: Any, value: int = 0, pool: bool = False) -> Receipt:
        """Sends a transaction; a custom-error revert becomes a `MarketRefusal` that says why."""
        node = self.pool_node if pool else self.node
        try:
            receipt = node.transact(action, *args, sender=sender, value=value)
        except ContractReverted as error:
            raise MarketRefusal(action, error.name, error.inputs, by="verifier pool" if pool else "market") \
                from error
        self.gas.record(action, receipt.gas_used)
        self.sent.append(Sent(action, receipt.tx_hash, receipt.gas_used, receipt.block_number))
        return receipt

    def _logged(self, receipt: Receipt, event: str) -> dict[str, Any]:
        topic = self.node.abi.event_topic(event)
        log = next(x for x in receipt.logs if x["topics"][0] == topic and x["address"] == self.address)
        return self.node.abi.decode_event(event, log)

    def create_task(self, params: TaskParams, spec_uri: str, reward: int, sender: Any) -> int:
        receipt = self._send("createTask", params.as_tuple(), spec_uri, sender=sender, value=reward)
        return int(self._logged(receipt, "TaskCreated")["taskId"])

    def cancel_task(self, task_id: int, sender: Any) -> None:
        self._send("cancelTask", task_id, sender=sender)

    def draw_audit(self, task_id: int, sender: Any) -> int:
        """Draws the audit sample; returns its mask (bit i: shard i is audited)."""
        receipt = self._send("drawAudit", task_id, sender=sender)
        return int(self._logged(receipt, "AuditDrawn")["auditMask"])

    def reveal_audit(
        self, task_id: int, shard_commitments: list[bytes], digests: list[bytes], salts: list[bytes], uri: str,
        sender: Any,
    ) -> None:
        self._send("revealAudit", task_id, shard_commitments, digests, salts, uri, sender=sender)

    def reveal_test_set(
        self, task_id: int, shard_commitments: list[bytes], digests: list[bytes], salts: list[bytes], uri: str,
        sender: Any,
    ) -> None:
        self._send("revealTestSet", task_id, shard_commitments, digests, salts, uri, sender=sender)

    def commit_model(self, task_id: int, commitment: bytes, stake: int, sender: Any) -> None:
        self._send("commitModel", task_id, commitment, sender=sender, value=stake)

    def request_panel(self, task_id: int, sender: Any) -> int:
        """Requests the panel draw; returns the block whose hash will seed it."""
        receipt = self._send("requestPanel", task_id, sender=sender)
        return int(self._logged(receipt, "PanelRequested")["seedBlock"])

    def draw_panel(self, task_id: int, sender: Any) -> list[str]:
        """Draws the panel; returns its members in draw order."""
        receipt = self._send("drawPanel", task_id, sender=sender)
        return [to_checksum_address(m) for m in self._logged(receipt, "PanelDrawn")["members"]]

    def reveal_model(self, task_id: int, model_digest: bytes, salt: bytes, uri: str, sender: Any) -> int:
        receipt = self._send("revealModel", task_id, model_digest, salt, uri, sender=sender)
        return int(self._logged(receipt, "ModelRevealed")["submissionIndex"])

    def commit_scores(self, task_id: int, commitment: bytes, sender: Any) -> None:
        self._send("commitScores", task_id, commitment, sender=sender)

    def reveal_scores(
        self, task_id: int, test_set_available: bool, scores: list[int], salt: bytes, sender: Any
    ) -> None:
        self._send("revealScores", task_id, test_set_available, scores, salt, sender=sender)

    def finalize(self, task_id: int, max_steps: int, sender: Any) -> bool:
        """One finalize transaction of at most `max_steps` steps; returns whether the task is now settled."""
        self._send("finalize", task_id, max_steps, sender=sender)
        return self.phase(task_id).settled

    def claim(self, task_id: int, sender: Any, to: str | None = None) -> None:
        """Pays what `sender` is owed to itself, or to `to` (claimTo)."""
        if to is None:
            self._send("claim", task_id, sender=sender)
        else:
            self._send("claimTo", task_id, to_checksum_address(to), sender=sender)

    def publish_fused_model(self, task_id: int, digest: bytes, uri: str, sender: Any) -> None:
        self._send("publishFusedModel", task_id, digest, uri, sender=sender)

    # ---------------------------------------------------------------- the pool's actions
    def register(self, sender: Any) -> None:
        """Bonds `sender` into the verifier pool with the pool's bond."""
        self._send("register", sender=sender, value=self.verifier_bond, pool=True)

    def request_exit(self, sender: Any) -> None:
        self._send("requestExit", sender=sender, pool=True)

    def withdraw_bond(self, sender: Any) -> None:
        self._send("withdrawBond", sender=sender, pool=True)
