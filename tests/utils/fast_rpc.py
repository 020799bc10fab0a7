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

Encoding and decoding come from the contract's ABI (`contract_type` of an ape contract).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests
from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

GAS_LIMIT = 5_000_000


@dataclass(frozen=True)
class Reverted:
    """A custom error: its name and its fields, in declaration order."""

    name: str
    args: tuple

    def __str__(self) -> str:
        return f"{self.name}{self.args}"


@dataclass(frozen=True)
class Outcome:
    """What a simulated action did: returned `value`, or reverted with `error`."""

    value: Any = None
    error: Reverted | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _types(params: list[Any]) -> list[str]:
    return [p.canonical_type for p in params]


def _normalize(value: Any) -> Any:
    """Addresses as checksummed strings (eth_abi returns lowercase), tuples all the way."""
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, (list, tuple)):
        return tuple(_normalize(v) for v in value)
    return value


class ContractRpc:
    """One deployed contract, reached over raw JSON-RPC."""

    def __init__(self, endpoint: str, address: str, contract_type: Any) -> None:
        self.endpoint = endpoint
        self.address = to_checksum_address(address)
        self._session = requests.Session()
        self._id = 0
        self._methods = {m.name: m for m in contract_type.methods}
        self._errors = {keccak(text=e.selector)[:4]: e for e in contract_type.errors}
        self._events = {e.name: e for e in contract_type.events}

    # ----------------------------------------------------------------- transport
    def _post(self, payload: Any) -> Any:
        response = self._session.post(self.endpoint, json=payload, timeout=60)
        response.raise_for_status()
        return response.json()

    def _request(self, method: str, params: list[Any]) -> dict[str, Any]:
        self._id += 1
        return self._post({"jsonrpc": "2.0", "id": self._id, "method": method, "params": params})

    def rpc(self, method: str, params: list[Any]) -> Any:
        reply = self._request(method, params)
        if "error" in reply:
            raise RuntimeError(f"{method} failed: {reply['error']}")
        return reply["result"]

    # ------------------------------------------------------------------ encoding
    def encode(self, name: str, *args: Any) -> str:
        method = self._methods[name]
        return (
            "0x"
            + (keccak(text=method.selector)[:4] + encode(_types(method.inputs), list(args))).hex()
        )

    def decode_output(self, name: str, data: str) -> Any:
        values = _normalize(decode(_types(self._methods[name].outputs), bytes.fromhex(data[2:])))
        return values[0] if len(values) == 1 else values

    def decode_error(self, data: str) -> Reverted:
        raw = bytes.fromhex(data[2:]) if data else b""
        error = self._errors.get(raw[:4])
        if error is None:
            return Reverted(f"<unknown revert 0x{raw.hex()}>", ())
        return Reverted(error.name, _normalize(decode(_types(error.inputs), raw[4:])))

    def decode_event(self, name: str, log: dict[str, Any]) -> dict[str, Any]:
        """The fields of one log of event `name` (indexed ones from the topics)."""
        event = self._events[name]
        topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
        assert topics[0] == keccak(text=event.selector), f"not a {name} log"
        indexed = [i for i in event.inputs if i.indexed]
        plain = [i for i in event.inputs if not i.indexed]
        fields = {
            i.name: _normalize(decode([i.canonical_type], t)[0])
            for i, t in zip(indexed, topics[1:], strict=True)
        }
        values = decode(_types(plain), bytes.fromhex(log["data"][2:]))
        fields.update({i.name: _normalize(v) for i, v in zip(plain, values, strict=True)})
        return fields

    def events(self, name: str, receipt: dict[str, Any]) -> list[dict[str, Any]]:
        selector = "0x" + keccak(text=self._events[name].selector).hex()
        return [
            self.decode_event(name, log)
            for log in receipt["logs"]
            if log["topics"]
            and log["topics"][0] == selector
            and to_checksum_address(log["address"]) == self.address
        ]

    # --------------------------------------------------------------------- views
    def view_batch(
        self, calls: list[tuple[str, tuple]], balances: list[str] = ()
    ) -> tuple[list[Any], list[int]]:
        """Every call in `calls` (name, args) and every balance in `balances`, in one round trip,
        on the pending block (so at the timestamp set for the next transaction)."""
        payload = []
        for name, args in calls:
            self._id += 1
            tx = {"to": self.address, "data": self.encode(name, *args)}
            payload.append(
                {"jsonrpc": "2.0", "id": self._id, "method": "eth_call", "params": [tx, "pending"]}
            )
        for account in balances:
            self._id += 1
            payload.append(
                {
                    "jsonrpc": "2.0",
                    "id": self._id,
                    "method": "eth_getBalance",
                    "params": [account, "pending"],
                }
            )
        replies = sorted(self._post(payload), key=lambda r: r["id"]) if payload else []
        for reply in replies:
            if "error" in reply:
                raise RuntimeError(f"view failed: {reply['error']}")
        results = [
            self.decode_output(name, r["result"])
            for (name, _), r in zip(calls, replies[: len(calls)], strict=True)
        ]
        return results, [int(r["result"], 16) for r in replies[len(calls) :]]

    def view(self, name: str, *args: Any) -> Any:
        return self.view_batch([(name, args)])[0][0]

    def balance(self, account: str) -> int:
        return int(self.rpc("eth_getBalance", [account, "pending"]), 16)

    # ------------------------------------------------------------------- actions
    def simulate(self, name: str, *args: Any, sender: str, value: int = 0) -> Outcome:
        """The outcome of the transaction `sender` would send now, without sending it."""
        tx = {
            "from": sender,
            "to": self.address,
            "data": self.encode(name, *args),
            "value": hex(value),
        }
        tx["gas"] = hex(GAS_LIMIT)
        tx["gasPrice"] = "0x0"
        reply = self._request("eth_call", [tx, "pending"])
        if "error" in reply:
            data = reply["error"].get("data")
            if not isinstance(data, str):  # not a revert: a provider failure
                raise RuntimeError(f"eth_call {name} failed: {reply['error']}")
            return Outcome(error=self.decode_error(data))
        return Outcome(value=self.decode_output(name, reply["result"]))

    def _receipt(self, tx_hash: str) -> dict[str, Any]:
        """The receipt of a transaction anvil is automining (in the background: poll for it)."""
        for attempt in range(2_000):
            receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
            if receipt is not None:
                return receipt
            time.sleep(0.001 * min(attempt, 10))
        raise AssertionError(f"no receipt for {tx_hash}: is anvil automining?")

    def send(
        self, name: str, *args: Any, sender: str, value: int = 0
    ) -> tuple[Outcome, dict[str, Any] | None]:
        """Simulates the action; if it does not revert, sends it (gas price 0) and returns the
        receipt. A transaction that reverts after a clean simulation is a failure."""
        outcome = self.simulate(name, *args, sender=sender, value=value)
        if not outcome.ok:
            return outcome, None
        tx = {
            "from": sender,
            "to": self.address,
            "data": self.encode(name, *args),
            "value": hex(value),
            "gas": hex(GAS_LIMIT),
            "gasPrice": "0x0",
        }
        tx_hash = self.rpc("eth_sendTransaction", [tx])
        receipt = self._receipt(tx_hash)
        assert int(receipt["status"], 16) == 1, (
            f"{name}{args} simulated cleanly but reverted when mined"
        )
        return outcome, receipt
