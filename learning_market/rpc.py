"""Raw JSON-RPC to one node and one contract's ABI codec, without ape: the market client's light
backend (`learning_market.nodes.RpcNode`, what the agents use), the gas benchmark
(`tools.gasbench`) and the stateful test (`tests.utils.fast_rpc`).

Ape's contract objects take tens of milliseconds a call and seconds to import; these go straight to
the node. Encoding and decoding come from the contract's ABI: a list of JSON entries (as in
`abi/LearningMarket.json`) or the `contract_type` of an ape contract. Structs decode to named tuples
(`view.params.commitDeadline`), which compare equal to plain tuples.
"""

from __future__ import annotations

import time
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import requests
from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

Entry = dict[str, Any]


class RpcError(RuntimeError):
    """The node answered with an error; `data` is a revert's return data, if it carried one."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(f"{method} failed: {error.get('message', error)}")
        self.method = method
        self.error = error
        data = error.get("data")
        if isinstance(data, dict):  # some nodes nest it: {"data": {"data": "0x..."}}
            data = data.get("data")
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
        sends = method in ("eth_sendTransaction", "eth_sendRawTransaction")
        return self._post(self._payload(method, params), retry=not sends)

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
    """A custom error: its name and its fields, in declaration order (`inputs` by name)."""

    name: str
    args: tuple
    names: tuple[str, ...] = field(default=(), compare=False)

    @property
    def inputs(self) -> dict[str, Any]:
        return dict(zip(self.names, self.args, strict=True))

    def __str__(self) -> str:
        return f"{self.name}{self.args}"


def normalize(value: Any) -> Any:
    """Addresses as checksummed strings (eth_abi returns lowercase), tuples all the way."""
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, list | tuple):
        return tuple(normalize(v) for v in value)
    return value


def canonical_type(param: Entry) -> str:
    """`(address,bytes32)[]` for a tuple array: the type as the ABI encodes it."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(canonical_type(c) for c in param["components"]) + ")" + kind[len("tuple"):]
    return kind


def _types(params: Sequence[Entry]) -> list[str]:
    return [canonical_type(p) for p in params]


@cache
def _struct(names: tuple[str, ...]) -> type:
    return namedtuple("Struct", names)  # noqa: PYI024 - built from the ABI at run time


def named(value: Any, param: Entry) -> Any:
    """A decoded (normalized) value with its structs as named tuples, by the ABI's component names."""
    kind = str(param["type"])
    if kind == "tuple":
        components = param["components"]
        fields = tuple(c["name"] for c in components)
        return _struct(fields)(*(named(v, c) for v, c in zip(value, components, strict=True)))
    if kind.endswith("]"):
        element = {**param, "type": kind[: kind.rindex("[")]}
        return tuple(named(v, element) for v in value)
    return value


def _entries(source: Any) -> list[Entry]:
    """ABI entries from a list of JSON entries or an ape `contract_type`."""
    if isinstance(source, list):
        return source
    return [entry.model_dump(mode="json", by_alias=True, exclude_none=True) for entry in source.abi]


def _signature(entry: Entry) -> str:
    return f"{entry['name']}({','.join(_types(entry.get('inputs', [])))})"


class Abi:
    """One contract's calls encoded; its outputs, custom errors and events decoded."""

    def __init__(self, source: Any) -> None:
        entries = _entries(source)
        self._methods = {e["name"]: e for e in entries if e["type"] == "function"}
        self._errors = {keccak(text=_signature(e))[:4]: e for e in entries if e["type"] == "error"}
        self._events = {e["name"]: e for e in entries if e["type"] == "event"}

    def encode(self, name: str, *args: Any) -> bytes:
        method = self._methods[name]
        return keccak(text=_signature(method))[:4] + encode(_types(method.get("inputs", [])), list(args))

    def decode_output(self, name: str, data: bytes) -> Any:
        """The returned value (a tuple when the method returns several), structs as named tuples."""
        outputs = self._methods[name].get("outputs", [])
        values = tuple(
            named(v, p) for v, p in zip(normalize(decode(_types(outputs), data)), outputs, strict=True)
        )
        return values[0] if len(values) == 1 else values

    def decode_error(self, data: bytes) -> Reverted:
        error = self._errors.get(data[:4])
        if error is None:
            return Reverted(f"<unknown revert 0x{data.hex()}>", ())
        inputs = error.get("inputs", [])
        return Reverted(error["name"], normalize(decode(_types(inputs), data[4:])), tuple(i["name"] for i in inputs))

    def event_topic(self, name: str) -> str:
        return "0x" + keccak(text=_signature(self._events[name])).hex()

    def decode_event(self, name: str, log: dict[str, Any]) -> dict[str, Any]:
        """The fields of one log of event `name` (indexed ones from the topics), structs named."""
        event = self._events[name]
        topics = [bytes.fromhex(str(t)[2:]) if str(t).startswith("0x") else bytes(t) for t in log["topics"]]
        assert topics[0] == keccak(text=_signature(event)), f"not a {name} log"
        indexed = [i for i in event["inputs"] if i.get("indexed")]
        plain = [i for i in event["inputs"] if not i.get("indexed")]
        fields = {
            i["name"]: normalize(decode([canonical_type(i)], t)[0]) for i, t in zip(indexed, topics[1:], strict=True)
        }
        data = log["data"]
        raw = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
        values = decode(_types(plain), raw)
        fields.update({i["name"]: named(normalize(v), i) for i, v in zip(plain, values, strict=True)})
        return fields
