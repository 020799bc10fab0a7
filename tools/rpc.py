"""Raw JSON-RPC to one local node and one contract's ABI codec, for code that makes thousands of
calls: the gas benchmark (`tools.gasbench`) and the stateful test (`tests.utils.fast_rpc`).

Ape's contract objects take tens of milliseconds a call; these go straight to the node. Encoding
and decoding come from the contract's ABI (`contract_type` of an ape contract).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests
from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address


class RpcError(RuntimeError):
    """The node answered with an error; `data` is a revert's return data, if it carried one."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(f"{method} failed: {error}")
        self.error = error
        data = error.get("data")
        self.data = bytes.fromhex(data[2:]) if isinstance(data, str) and data[:2] == "0x" else None


class JsonRpc:
    """JSON-RPC over HTTP to one node, on one kept-alive connection."""

    def __init__(self, uri: str, timeout: float = 300) -> None:
        self.uri = uri
        self.timeout = timeout
        self._session = requests.Session()
        self._id = 0

    def _payload(self, method: str, params: Sequence[Any]) -> dict[str, Any]:
        self._id += 1
        return {"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)}

    def _post(self, payload: Any, retry: bool) -> Any:
        try:
            response = self._session.post(self.uri, json=payload, timeout=self.timeout)
        except requests.ConnectionError:
            if not retry:
                raise
            # the node may drop a kept-alive connection left idle: retry once on a new one
            response = self._session.post(self.uri, json=payload, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def request(self, method: str, *params: Any) -> dict[str, Any]:
        """The node's whole reply: its `result`, or its `error`. A transaction is never sent twice."""
        return self._post(self._payload(method, params), retry=method != "eth_sendTransaction")

    def call(self, method: str, *params: Any) -> Any:
        """The node's result; its error raises `RpcError`."""
        reply = self.request(method, *params)
        if "error" in reply:
            raise RpcError(method, reply["error"])
        return reply["result"]

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """The results of every (method, params), in order, in one round trip; any error raises."""
        if not calls:
            return []
        payload = [self._payload(method, params) for method, params in calls]
        replies = sorted(self._post(payload, retry=True), key=lambda reply: reply["id"])
        for (method, _), reply in zip(calls, replies, strict=True):
            if "error" in reply:
                raise RpcError(method, reply["error"])
        return [reply["result"] for reply in replies]

    def receipt(self, tx_hash: str, attempts: int = 2_000) -> dict[str, Any] | None:
        """The receipt of a transaction the node is automining (in the background: poll for it)."""
        for attempt in range(attempts):
            receipt = self.call("eth_getTransactionReceipt", tx_hash)
            if receipt is not None:
                return receipt
            time.sleep(0.001 * min(attempt, 10))
        return None


@dataclass(frozen=True)
class Reverted:
    """A custom error: its name and its fields, in declaration order."""

    name: str
    args: tuple

    def __str__(self) -> str:
        return f"{self.name}{self.args}"


def normalize(value: Any) -> Any:
    """Addresses as checksummed strings (eth_abi returns lowercase), tuples all the way."""
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, list | tuple):
        return tuple(normalize(v) for v in value)
    return value


def _types(params: Sequence[Any]) -> list[str]:
    return [p.canonical_type for p in params]


class Abi:
    """One contract's calls encoded; its outputs, custom errors and events decoded."""

    def __init__(self, contract_type: Any) -> None:
        self._methods = {m.name: m for m in contract_type.methods}
        self._errors = {keccak(text=e.selector)[:4]: e for e in contract_type.errors}
        self._events = {e.name: e for e in contract_type.events}

    def encode(self, name: str, *args: Any) -> bytes:
        method = self._methods[name]
        return keccak(text=method.selector)[:4] + encode(_types(method.inputs), list(args))

    def decode_output(self, name: str, data: bytes) -> Any:
        """The returned value (a tuple when the method returns several)."""
        values = normalize(decode(_types(self._methods[name].outputs), data))
        return values[0] if len(values) == 1 else values

    def decode_error(self, data: bytes) -> Reverted:
        error = self._errors.get(data[:4])
        if error is None:
            return Reverted(f"<unknown revert 0x{data.hex()}>", ())
        return Reverted(error.name, normalize(decode(_types(error.inputs), data[4:])))

    def event_topic(self, name: str) -> str:
        return "0x" + keccak(text=self._events[name].selector).hex()

    def decode_event(self, name: str, log: dict[str, Any]) -> dict[str, Any]:
        """The fields of one log of event `name` (indexed ones from the topics)."""
        event = self._events[name]
        topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
        assert topics[0] == keccak(text=event.selector), f"not a {name} log"
        indexed = [i for i in event.inputs if i.indexed]
        plain = [i for i in event.inputs if not i.indexed]
        fields = {
            i.name: normalize(decode([i.canonical_type], t)[0])
            for i, t in zip(indexed, topics[1:], strict=True)
        }
        values = decode(_types(plain), bytes.fromhex(log["data"][2:]))
        fields.update({i.name: normalize(v) for i, v in zip(plain, values, strict=True)})
        return fields
