"""A client of the deployed market: typed calls, refusals as sentences, gas per action, the clock."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ape.exceptions import ContractLogicError

from learning_market.phases import Phase, Role, TaskParams
from learning_market.refusals import MarketRefusal


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


class ClockError(RuntimeError):
    """Time cannot be moved on this network: the action must wait for the deadline."""


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


class MarketClient:
    """The market at one address, used by one process; every transaction's gas goes to `gas`."""

    def __init__(self, contract: Any, chain: Any, gas: GasLedger | None = None) -> None:
        self.contract = contract
        self.chain = chain
        self.gas = gas if gas is not None else GasLedger()

    @property
    def address(self) -> str:
        return str(self.contract.address)

    @property
    def chain_id(self) -> int:
        return int(self.chain.chain_id)

    # ------------------------------------------------------------------ clock
    def now(self) -> int:
        """The timestamp of the latest block: what the contract's views see."""
        return int(self.chain.blocks.head.timestamp)

    def advance_past(self, deadline: int) -> None:
        """Moves the chain's clock past `deadline` (a local chain only: elsewhere, time must pass)."""
        if self.now() > deadline:
            return
        if not self.chain.provider.network.is_local:
            raise ClockError(f"deadline {deadline} has not passed yet (chain time {self.now()}): try again later")
        self.chain.mine(timestamp=deadline + 1)

    # ------------------------------------------------------------------ views
    def phase(self, task_id: int) -> Phase:
        return Phase(self.contract.phaseOf(task_id))

    def task(self, task_id: int) -> Any:
        """The TaskView struct (params, initiator, phase, reward, counts, digests, settlement)."""
        return self.contract.getTask(task_id)

    def params(self, task_id: int) -> TaskParams:
        return TaskParams.from_chain(tuple(self.task(task_id).params))

    def submissions(self, task_id: int) -> list[Submission]:
        views = self.contract.getSubmissions(task_id, 0, 2**256 - 1)
        return [
            Submission(i, str(v.contributor), bytes(v.modelDigest), int(v.medianScore), int(v.reward))
            for i, v in enumerate(views)
        ]

    def verifiers(self, task_id: int) -> list[VerifierStatus]:
        return [
            VerifierStatus(str(v.verifier), bool(v.committed), bool(v.revealed), bool(v.honest))
            for v in self.contract.getVerifiers(task_id)
        ]

    def role(self, task_id: int, account: str) -> Role:
        return Role(self.contract.roleOf(task_id, account))

    def owed(self, task_id: int, account: str) -> int:
        return int(self.contract.owed(task_id, account))

    def min_window(self) -> int:
        return int(self.contract.minWindow())

    # ---------------------------------------------------------------- actions
    def send(self, action: str, method: Callable[..., Any], *args: Any, sender: Any, value: int = 0) -> Any:
        """Sends a transaction; a custom-error revert becomes a `MarketRefusal` that says why."""
        try:
            receipt = method(*args, sender=sender, value=value)
        except ContractLogicError as error:
            inputs = getattr(error, "inputs", None)
            if inputs is None:
                raise
            raise MarketRefusal(action, type(error).__name__, inputs) from error
        self.gas.record(action, int(receipt.gas_used))
        return receipt

    def create_task(self, params: TaskParams, spec_uri: str, reward: int, sender: Any) -> int:
        receipt = self.send(
            "createTask", self.contract.createTask, params.as_tuple(), spec_uri, sender=sender, value=reward
        )
        return int(next(iter(receipt.decode_logs(self.contract.TaskCreated))).taskId)

    def commit_model(self, task_id: int, commitment: bytes, stake: int, sender: Any) -> None:
        self.send("commitModel", self.contract.commitModel, task_id, commitment, sender=sender, value=stake)

    def join_as_verifier(self, task_id: int, stake: int, sender: Any) -> None:
        self.send("joinAsVerifier", self.contract.joinAsVerifier, task_id, sender=sender, value=stake)

    def reveal_model(self, task_id: int, model_digest: bytes, salt: bytes, uri: str, sender: Any) -> int:
        receipt = self.send("revealModel", self.contract.revealModel, task_id, model_digest, salt, uri, sender=sender)
        return int(next(iter(receipt.decode_logs(self.contract.ModelRevealed))).submissionIndex)

    def reveal_test_set(self, task_id: int, test_digest: bytes, salt: bytes, uri: str, sender: Any) -> None:
        self.send("revealTestSet", self.contract.revealTestSet, task_id, test_digest, salt, uri, sender=sender)

    def commit_scores(self, task_id: int, commitment: bytes, sender: Any) -> None:
        self.send("commitScores", self.contract.commitScores, task_id, commitment, sender=sender)

    def reveal_scores(self, task_id: int, scores: list[int], salt: bytes, sender: Any) -> None:
        self.send("revealScores", self.contract.revealScores, task_id, scores, salt, sender=sender)

    def finalize(self, task_id: int, sender: Any, max_steps: int = 64) -> int:
        """Runs finalize in batches of `max_steps` until done; returns the number of transactions."""
        transactions = 0
        while self.phase(task_id) == Phase.FINALIZING:
            self.send("finalize", self.contract.finalize, task_id, max_steps, sender=sender)
            transactions += 1
        return transactions

    def claim(self, task_id: int, sender: Any) -> int:
        """Claims what `sender` is owed; returns the amount paid (0 if nothing was owed)."""
        amount = self.owed(task_id, str(sender.address))
        if amount:
            self.send("claim", self.contract.claim, task_id, sender=sender)
        return amount

    def publish_fused_model(self, task_id: int, digest: bytes, uri: str, sender: Any) -> None:
        self.send("publishFusedModel", self.contract.publishFusedModel, task_id, digest, uri, sender=sender)
