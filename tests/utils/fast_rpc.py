"""A lean JSON-RPC view of one contract, for tests that make thousands of calls.

Ape's contract objects take 20-50 ms per call and read a reverted transaction's trace to
name its error (seconds). A stateful test running a thousand steps, each checked against a
model, cannot afford that, so this client talks to anvil directly:

- views go out as one JSON-RPC batch per check (one round trip for a hundred calls);
- an action is first simulated with `eth_call` on the pending block (which carries the
  timestamp set with `chain.pending_timestamp`, so the simulation sees exactly the state
  and clock the transaction would see); a revert is decoded into the custom error's name
  and fields, and the transaction is not sent (it would change nothing);
- an action that simulates cleanly is sent with `eth_sendTransaction` from anvil's unlocked
  test account at gas price 0, so balances move by the values sent and paid, to the wei.

The transport and the ABI codec are `learning_market.rpc`'s, shared with the gas benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from learning_market.rpc import Abi, JsonRpc, Reverted

GAS_LIMIT = 5_000_000

__all__ = ["ContractRpc", "Outcome", "Reverted"]


@dataclass(frozen=True)
class Outcome:
    """What a simulated action did: returned `value`, or reverted with `error`."""

    value: Any = None
    error: Reverted | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class ContractRpc:
    """One deployed contract, reached over raw JSON-RPC."""

    def __init__(self, endpoint: str, address: str, contract_type: Any) -> None:
        self.address = to_checksum_address(address)
        self.node = JsonRpc(endpoint, timeout=60)
        self.abi = Abi(contract_type)

    def _call(self, name: str, args: tuple) -> dict[str, Any]:
        return {"to": self.address, "data": "0x" + self.abi.encode(name, *args).hex()}

    def events(self, name: str, receipt: dict[str, Any]) -> list[dict[str, Any]]:
        topic = self.abi.event_topic(name)
        return [
            self.abi.decode_event(name, log)
            for log in receipt["logs"]
            if log["topics"] and log["topics"][0] == topic and to_checksum_address(log["address"]) == self.address
        ]

    # --------------------------------------------------------------------- views
    def view_batch(self, calls: list[tuple[str, tuple]], balances: list[str] = ()) -> tuple[list[Any], list[int]]:
        """Every call in `calls` (name, args) and every balance in `balances`, in one round trip,
        on the pending block (so at the timestamp set for the next transaction)."""
        requests = [("eth_call", [self._call(name, args), "pending"]) for name, args in calls]
        requests += [("eth_getBalance", [account, "pending"]) for account in balances]
        results = self.node.batch(requests)
        values = [
            self.abi.decode_output(name, bytes.fromhex(result[2:]))
            for (name, _), result in zip(calls, results[: len(calls)], strict=True)
        ]
        return values, [int(result, 16) for result in results[len(calls) :]]

    def view(self, name: str, *args: Any) -> Any:
        return self.view_batch([(name, args)])[0][0]

    def balance(self, account: str) -> int:
        return int(self.node.call("eth_getBalance", account, "pending"), 16)

    # ------------------------------------------------------------------- actions
    def _transaction(self, name: str, args: tuple, sender: str, value: int) -> dict[str, Any]:
        return {
            "from": sender,
            **self._call(name, args),
            "value": hex(value),
            "gas": hex(GAS_LIMIT),
            "gasPrice": "0x0",
        }

    def simulate(self, name: str, *args: Any, sender: str, value: int = 0) -> Outcome:
        """The outcome of the transaction `sender` would send now, without sending it."""
        reply = self.node.request("eth_call", self._transaction(name, args, sender, value), "pending")
        if "error" in reply:
            data = reply["error"].get("data")
            if not isinstance(data, str):  # not a revert: a provider failure
                raise RuntimeError(f"eth_call {name} failed: {reply['error']}")
            return Outcome(error=self.abi.decode_error(bytes.fromhex(data[2:]) if data else b""))
        return Outcome(value=self.abi.decode_output(name, bytes.fromhex(reply["result"][2:])))

    def send(self, name: str, *args: Any, sender: str, value: int = 0) -> tuple[Outcome, dict[str, Any] | None]:
        """Simulates the action; if it does not revert, sends it (gas price 0) and returns the
        receipt. A transaction that reverts after a clean simulation is a failure."""
        outcome = self.simulate(name, *args, sender=sender, value=value)
        if not outcome.ok:
            return outcome, None
        tx_hash = self.node.call("eth_sendTransaction", self._transaction(name, args, sender, value))
        receipt = self.node.receipt(tx_hash)
        assert receipt is not None, f"no receipt for {tx_hash}: is anvil automining?"
        assert int(receipt["status"], 16) == 1, f"{name}{args} simulated cleanly but reverted when mined"
        return outcome, receipt
