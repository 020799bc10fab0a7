"""The one door to the deployed market: typed views and actions, refusals as sentences, gas per
action, and the chain's clock. Nothing else in the package touches the contract object."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ape.exceptions import ContractLogicError
from ape.logging import logger
from ape_ethereum.trace import Trace
from eth_utils import to_checksum_address

from learning_market.errors import ClockError
from learning_market.phases import Phase, Role, TaskParams
from learning_market.refusals import MarketRefusal


@contextmanager
def _traces_at_debug_level() -> Iterator[None]:
    """Sends the call trace ape prints when a transaction reverts to its logger at debug level
    (`-v DEBUG` in the scripts): before the refusal's sentence, it is noise."""
    show = Trace.show

    def show_at_debug_level(trace: Trace, verbose: bool = False, file: Any = None) -> None:
        text = io.StringIO()
        show(trace, verbose=verbose, file=text)
        logger.debug(f"call trace of the reverted transaction:\n{text.getvalue()}")

    Trace.show = show_at_debug_level  # type: ignore[method-assign]
    try:
        yield
    finally:
        Trace.show = show  # type: ignore[method-assign]


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


class MarketClient:
    """The market at one address, used by one process; every transaction's gas goes to `gas`.

    `send` turns the market's custom-error reverts into a `MarketRefusal` that says why; ape's
    call trace of the revert is left to the logger at debug level (`--verbose` in the scripts).
    """

    def __init__(self, contract: Any, chain: Any, gas: GasLedger | None = None) -> None:
        self._contract = contract
        self._chain = chain
        self.gas = gas if gas is not None else GasLedger()

    @property
    def address(self) -> str:
        return to_checksum_address(str(self._contract.address))

    @cached_property
    def chain_id(self) -> int:
        return int(self._chain.chain_id)

    @property
    def is_local(self) -> bool:
        """Whether the chain's clock may be moved (a local development chain)."""
        return bool(self._chain.provider.network.is_local)

    # ------------------------------------------------------------------ clock
    def now(self) -> int:
        """The timestamp of the latest block: what the contract's views see."""
        return int(self._chain.blocks.head.timestamp)

    def advance_past(self, deadline: int) -> None:
        """Moves the chain's clock past `deadline` (a local chain only: elsewhere, time must pass)."""
        if self.now() > deadline:
            return
        if not self.is_local:
            raise ClockError(f"deadline {deadline} has not passed yet (chain time {self.now()}): try again later.")
        self._chain.mine(timestamp=deadline + 1)

    def balance(self, address: str) -> int:
        return int(self._chain.provider.get_balance(to_checksum_address(address)))

    # ------------------------------------------------------------- constants
    @cached_property
    def max_contributors_cap(self) -> int:
        """The most contributors any task may take (the contract's MAX_CONTRIBUTORS_CAP)."""
        return int(self._contract.MAX_CONTRIBUTORS_CAP())

    @cached_property
    def max_verifiers_cap(self) -> int:
        """The most verifiers any task may take (the contract's MAX_VERIFIERS_CAP)."""
        return int(self._contract.MAX_VERIFIERS_CAP())

    @cached_property
    def min_window(self) -> int:
        """The shortest window between two deadlines, in seconds."""
        return int(self._contract.minWindow())

    # ------------------------------------------------------------------ views
    def task_count(self) -> int:
        return int(self._contract.taskCount())

    def phase(self, task_id: int) -> Phase:
        return Phase(self._contract.phaseOf(task_id))

    def task(self, task_id: int) -> TaskView:
        view = self._contract.getTask(task_id)
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
        views = self._contract.getSubmissions(task_id, 0, 2**256 - 1)
        return [
            Submission(i, to_checksum_address(str(v.contributor)), bytes(v.modelDigest), int(v.medianScore),
                       int(v.reward))
            for i, v in enumerate(views)
        ]

    def verifiers(self, task_id: int) -> list[VerifierStatus]:
        return [
            VerifierStatus(to_checksum_address(str(v.verifier)), bool(v.committed), bool(v.revealed), bool(v.honest))
            for v in self._contract.getVerifiers(task_id)
        ]

    def role(self, task_id: int, account: str) -> Role:
        return Role(self._contract.roleOf(task_id, account))

    def owed(self, task_id: int, account: str) -> int:
        return int(self._contract.owed(task_id, account))

    def has_claimed(self, task_id: int, account: str) -> bool:
        return bool(self._contract.hasClaimed(task_id, account))

    # ---------------------------------------------------------------- actions
    def _send(self, action: str, method: Callable[..., Any], *args: Any, sender: Any, value: int = 0) -> Any:
        """Sends a transaction; a custom-error revert becomes a `MarketRefusal` that says why."""
        try:
            with _traces_at_debug_level():
                receipt = method(*args, sender=sender, value=value)
        except ContractLogicError as error:
            inputs = getattr(error, "inputs", None)
            if inputs is None:
                raise
            raise MarketRefusal(action, type(error).__name__, inputs) from error
        self.gas.record(action, int(receipt.gas_used))
        return receipt

    def create_task(self, params: TaskParams, spec_uri: str, reward: int, sender: Any) -> int:
        receipt = self._send(
            "createTask", self._contract.createTask, params.as_tuple(), spec_uri, sender=sender, value=reward
        )
        return int(next(iter(receipt.decode_logs(self._contract.TaskCreated))).taskId)

    def cancel_task(self, task_id: int, sender: Any) -> None:
        self._send("cancelTask", self._contract.cancelTask, task_id, sender=sender)

    def commit_model(self, task_id: int, commitment: bytes, stake: int, sender: Any) -> None:
        self._send("commitModel", self._contract.commitModel, task_id, commitment, sender=sender, value=stake)

    def join_as_verifier(self, task_id: int, stake: int, sender: Any) -> None:
        self._send("joinAsVerifier", self._contract.joinAsVerifier, task_id, sender=sender, value=stake)

    def reveal_model(self, task_id: int, model_digest: bytes, salt: bytes, uri: str, sender: Any) -> int:
        receipt = self._send(
            "revealModel", self._contract.revealModel, task_id, model_digest, salt, uri, sender=sender
        )
        return int(next(iter(receipt.decode_logs(self._contract.ModelRevealed))).submissionIndex)

    def reveal_test_set(self, task_id: int, test_digest: bytes, salt: bytes, uri: str, sender: Any) -> None:
        self._send("revealTestSet", self._contract.revealTestSet, task_id, test_digest, salt, uri, sender=sender)

    def commit_scores(self, task_id: int, commitment: bytes, sender: Any) -> None:
        self._send("commitScores", self._contract.commitScores, task_id, commitment, sender=sender)

    def reveal_scores(self, task_id: int, scores: list[int], salt: bytes, sender: Any) -> None:
        self._send("revealScores", self._contract.revealScores, task_id, scores, salt, sender=sender)

    def finalize(self, task_id: int, max_steps: int, sender: Any) -> None:
        """One finalize transaction of at most `max_steps` steps."""
        self._send("finalize", self._contract.finalize, task_id, max_steps, sender=sender)

    def claim(self, task_id: int, sender: Any, to: str | None = None) -> None:
        """Pays what `sender` is owed to itself, or to `to` (claimTo)."""
        if to is None:
            self._send("claim", self._contract.claim, task_id, sender=sender)
        else:
            self._send("claimTo", self._contract.claimTo, task_id, to_checksum_address(to), sender=sender)

    def publish_fused_model(self, task_id: int, digest: bytes, uri: str, sender: Any) -> None:
        self._send("publishFusedModel", self._contract.publishFusedModel, task_id, digest, uri, sender=sender)
