"""The one door to the deployed market: typed views and actions, refusals as sentences, gas per
action, the market's events, and the chain's clock. Nothing else in the package touches the contract;
how it is reached (through ape, or straight over JSON-RPC) is the node's business (`nodes`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from eth_utils import to_checksum_address

from learning_market.errors import ClockError
from learning_market.nodes import ContractReverted, Node, Receipt
from learning_market.phases import Phase, Role, TaskParams
from learning_market.refusals import MarketRefusal

LOG_RANGE = 10_000  # blocks per eth_getLogs request (public nodes cap the range)


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
class VerifierStatus:
    verifier: str
    committed: bool
    revealed: bool
    honest: bool


@dataclass(frozen=True)
class TaskView:
    """One read of a task (ILearningMarket.TaskView), typed."""

    params: TaskParams
    initiator: str
    phase: Phase
    reward: int
    committed: int
    revealed: int
    verifiers: int
    test_digest: bytes
    fused_digest: bytes
    deposited: int
    paid_out: int


@dataclass(frozen=True)
class Sent:
    """A transaction the client sent and saw mined."""

    action: str
    tx_hash: str
    gas: int
    block: int


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
    """The market on one node, used by one process; every transaction's gas goes to `gas`, and every
    transaction mined is in `sent` (its action, hash, gas and block).

    A custom-error revert becomes a `MarketRefusal` that says why (ape's call trace of it goes to the
    logger at debug level).
    """

    def __init__(self, node: Node, gas: GasLedger | None = None) -> None:
        self.node = node
        self.gas = gas if gas is not None else GasLedger()
        self.sent: list[Sent] = []

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
    def max_verifiers_cap(self) -> int:
        """The most verifiers any task may take (the contract's MAX_VERIFIERS_CAP)."""
        return int(self._view("MAX_VERIFIERS_CAP"))

    @cached_property
    def min_window(self) -> int:
        """The shortest window between two deadlines, in seconds."""
        return int(self._view("minWindow"))

    # ------------------------------------------------------------------ views
    def _view(self, method: str, *args: Any) -> Any:
        try:
            return self.node.call(method, *args)
        except ContractReverted as error:
            raise MarketRefusal(method, error.name, error.inputs) from error

    def task_count(self) -> int:
        return int(self._view("taskCount"))

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
            verifiers=int(view.verifierCount),
            test_digest=bytes(view.testDigest),
            fused_digest=bytes(view.fusedModelDigest),
            deposited=int(view.deposited),
            paid_out=int(view.paidOut),
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

    def verifiers(self, task_id: int) -> list[VerifierStatus]:
        return [
            VerifierStatus(to_checksum_address(str(v.verifier)), bool(v.committed), bool(v.revealed), bool(v.honest))
            for v in self._view("getVerifiers", task_id)
        ]

    def role(self, task_id: int, account: str) -> Role:
        return Role(self._view("roleOf", task_id, to_checksum_address(account)))

    def owed(self, task_id: int, account: str) -> int:
        return int(self._view("owed", task_id, to_checksum_address(account)))

    def has_claimed(self, task_id: int, account: str) -> bool:
        return bool(self._view("hasClaimed", task_id, to_checksum_address(account)))

    # ------------------------------------------------------------------ events
    def _events(self, event: str, from_block: int, to_block: int, topics: list[Any] | None = None) -> list[dict]:
        """Every `event` of the market in the blocks, oldest first, asked `LOG_RANGE` blocks at a time."""
        found = []
        for start in range(from_block, to_block + 1, LOG_RANGE):
            for log in self.node.logs(event, start, min(to_block, start + LOG_RANGE - 1), topics):
                found.append({**self.node.abi.decode_event(event, log), "_block": log["blockNumber"]})
        return found

    def tasks_announced(self, from_block: int, to_block: int, initiator: str | None = None) -> list[TaskAnnounced]:
        """The tasks created in the blocks (by `initiator` only, if given), oldest first."""
        topics = None if initiator is None else [None, "0x" + bytes(12).hex() + to_checksum_address(initiator)[2:]]
        return [
            TaskAnnounced(int(e["taskId"]), to_checksum_address(e["initiator"]), int(e["parentTaskId"]),
                          int(e["reward"]), str(e["specUri"]), int(e["_block"]))
            for e in self._events("TaskCreated", from_block, to_block, topics)
        ]

    def claims(self, task_id: int, from_block: int = 0) -> dict[str, int]:
        """What each account has claimed in the task (by `Claimed` events), by account."""
        topic = "0x" + task_id.to_bytes(32, "big").hex()
        return {
            to_checksum_address(e["account"]): int(e["amount"])
            for e in self._events("Claimed", from_block, self.block_number(), [topic])
        }

    # ---------------------------------------------------------------- actions
    def _send(self, action: str, *args: Any, sender: Any, value: int = 0) -> Receipt:
        """Sends a transaction; a custom-error revert becomes a `MarketRefusal` that says why."""
        try:
            receipt = self.node.transact(action, *args, sender=sender, value=value)
        except ContractReverted as error:
            raise MarketRefusal(action, error.name, error.inputs) from error
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

    def commit_model(self, task_id: int, commitment: bytes, stake: int, sender: Any) -> None:
        self._send("commitModel", task_id, commitment, sender=sender, value=stake)

    def join_as_verifier(self, task_id: int, stake: int, sender: Any) -> None:
        self._send("joinAsVerifier", task_id, sender=sender, value=stake)

    def reveal_model(self, task_id: int, model_digest: bytes, salt: bytes, uri: str, sender: Any) -> int:
        receipt = self._send("revealModel", task_id, model_digest, salt, uri, sender=sender)
        return int(self._logged(receipt, "ModelRevealed")["submissionIndex"])

    def reveal_test_set(self, task_id: int, test_digest: bytes, salt: bytes, uri: str, sender: Any) -> None:
        self._send("revealTestSet", task_id, test_digest, salt, uri, sender=sender)

    def commit_scores(self, task_id: int, commitment: bytes, sender: Any) -> None:
        self._send("commitScores", task_id, commitment, sender=sender)

    def reveal_scores(self, task_id: int, scores: list[int], salt: bytes, sender: Any) -> None:
        self._send("revealScores", task_id, scores, salt, sender=sender)

    def finalize(self, task_id: int, max_steps: int, sender: Any) -> None:
        """One finalize transaction of at most `max_steps` steps."""
        self._send("finalize", task_id, max_steps, sender=sender)

    def claim(self, task_id: int, sender: Any, to: str | None = None) -> None:
        """Pays what `sender` is owed to itself, or to `to` (claimTo)."""
        if to is None:
            self._send("claim", task_id, sender=sender)
        else:
            self._send("claimTo", task_id, to_checksum_address(to), sender=sender)

    def publish_fused_model(self, task_id: int, digest: bytes, uri: str, sender: Any) -> None:
        self._send("publishFusedModel", task_id, digest, uri, sender=sender)
