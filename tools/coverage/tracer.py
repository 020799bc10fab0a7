"""Records what the EVM executed during a test run, from the node's own traces.

`Recorder.install()` wraps `requests`' HTTP transport (`HTTPAdapter.send`), which carries
every JSON-RPC request of the run: web3's (so ape's) and those of raw clients such as
`tests/utils/fast_rpc.py`, single or batched. After each request that runs contract code it
asks the node for the structured trace of the same execution, right away (before a snapshot
revert can erase it):

- `eth_sendTransaction` / `eth_sendRawTransaction` -> `debug_traceTransaction(hash)`
- `eth_call` (same block tag: "pending" runs at the pending timestamp) -> `debug_traceCall`
- `eth_estimateGas` that failed (the transaction is never sent) -> `debug_traceCall`

`eth_call`s sent in a JSON-RPC batch are the views a stateful test checks after every step
(tens of thousands per run): those are sampled, the first `BATCH_FIRST` of each function of
each contract, then one in `BATCH_EVERY`.

From each trace it keeps, per contract code, the set of program counters executed and the
set of (JUMPI pc, next pc) pairs. A code is named by its CBOR metadata (see
`sourcemap.metadata_label`) and its kind: "runtime", or "init" for a constructor. Frames
are followed through CALL/STATICCALL/DELEGATECALL/CREATE by depth; the callee's address is
read from the stack, which is asked for only when the trace makes such a call.
"""

from __future__ import annotations

import collections
import json
import threading
import time
from typing import Any

import msgspec
import requests
import requests.adapters

from .sourcemap import metadata_label

Label = tuple[bytes, str]  # (CBOR metadata, "runtime" | "init")

CALL_OPS = frozenset({"CALL", "CALLCODE", "DELEGATECALL", "STATICCALL"})
CREATE_OPS = frozenset({"CREATE", "CREATE2"})
TRACED = frozenset({"eth_sendTransaction", "eth_sendRawTransaction", "eth_call", "eth_estimateGas"})
# Requests after which an address may hold other code than before.
CODE_CHANGING = frozenset(
    {"evm_revert", "anvil_reset", "hardhat_reset", "anvil_setCode", "hardhat_setCode", "anvil_loadState"}
)
WITH_STACK = {"disableStack": False, "disableMemory": True, "disableStorage": True, "disableReturnData": True}
LEAN = {**WITH_STACK, "disableStack": True}
BATCH_FIRST, BATCH_EVERY = 50, 20


class Step(msgspec.Struct):
    pc: int
    op: str
    depth: int
    stack: list[str] | None = None


class Trace(msgspec.Struct):
    structLogs: list[Step] = []
    failed: bool = False


class TraceResponse(msgspec.Struct):
    result: Trace | None = None
    error: Any = None


_decode_trace = msgspec.json.Decoder(TraceResponse).decode


class Recorder:
    """Executed program counters and JUMPI outcomes, per contract code."""

    def __init__(self) -> None:
        self.executed: dict[Label, set[int]] = collections.defaultdict(set)
        self.jumps: dict[Label, set[tuple[int, int]]] = collections.defaultdict(set)
        self.stats: collections.Counter[str] = collections.Counter()
        self.errors: list[str] = []
        self._codes: dict[tuple[str, str], bytes | None] = {}
        self._batched: collections.Counter[tuple[str, str]] = collections.Counter()
        self._pending: list[tuple[str, str, int]] = []  # (uri, hash, tries): sent, not yet mined
        self._session = requests.Session()
        self._local = threading.local()  # .busy: the recorder's own request is in flight
        self._original = None

    # -- hook -------------------------------------------------------------------------------

    def install(self) -> None:
        original = requests.adapters.HTTPAdapter.send
        recorder = self

        def send(adapter: requests.adapters.HTTPAdapter, request: Any, **kwargs: Any) -> Any:
            response = original(adapter, request, **kwargs)
            mine = getattr(recorder._local, "busy", False)
            if request.method == "POST" and not kwargs.get("stream") and not mine:
                try:
                    recorder.observe(request.url, request.body, response)
                except Exception as error:  # never break the test run; count and report instead
                    recorder.stats["untraced"] += 1
                    if len(recorder.errors) < 5:
                        recorder.errors.append(repr(error))
            return response

        self._original = original
        requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]

    def uninstall(self) -> None:
        if self._original is not None:
            requests.adapters.HTTPAdapter.send = self._original  # type: ignore[method-assign]
            self._original = None

    def observe(self, uri: str, body: Any, response: Any) -> None:
        """One HTTP exchange: traces the executions of the JSON-RPC requests in it."""
        if not body:
            return
        if isinstance(body, str):
            body = body.encode()
        if b'"method"' not in body:
            return
        if self._pending:
            self._retry_pending()
        payload = json.loads(body)
        batch = isinstance(payload, list)
        requests_ = [item for item in (payload if batch else [payload]) if isinstance(item, dict)]
        methods = {item.get("method") for item in requests_}
        if methods & CODE_CHANGING:
            self._codes.clear()
        if not methods & TRACED or response.status_code != 200:
            return
        replies = response.json()
        by_id = {reply.get("id"): reply for reply in (replies if isinstance(replies, list) else [replies])}
        for item in requests_:
            method, params = item.get("method"), list(item.get("params") or [])
            reply = by_id.get(item.get("id"), {})
            if method in ("eth_sendTransaction", "eth_sendRawTransaction") and reply.get("result"):
                self.trace_transaction(uri, reply["result"])
            elif method == "eth_call" and params:
                if batch and not self._sample(params[0]):
                    self.stats["batched calls not traced"] += 1
                    continue
                self.trace_call(uri, params)
            elif method == "eth_estimateGas" and "error" in reply and params:
                self.trace_call(uri, [params[0], params[1] if len(params) > 1 else "latest"])

    def _sample(self, call: dict) -> bool:
        key = (str(call.get("to")).lower(), str(call.get("data") or call.get("input") or "")[:10])
        seen = self._batched[key]
        self._batched[key] += 1
        return seen < BATCH_FIRST or seen % BATCH_EVERY == 0

    # -- node requests ----------------------------------------------------------------------

    def _post(self, uri: str, method: str, params: list) -> bytes:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        headers = {"Content-Type": "application/json"}
        self._local.busy = True
        try:
            reply = self._session.post(uri, data=body, headers=headers, timeout=600)
        finally:
            self._local.busy = False
        reply.raise_for_status()
        return reply.content

    def _rpc(self, uri: str, method: str, params: list) -> Any:
        reply = json.loads(self._post(uri, method, params))
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def _trace(self, uri: str, method: str, params: list, options: dict) -> Trace:
        reply = _decode_trace(self._post(uri, method, [*params, options]))
        if reply.result is None:
            raise RuntimeError(f"{method}: {reply.error}")
        return reply.result

    def _label(self, uri: str, address: str) -> Label | None:
        key = (uri, address.lower())
        if key not in self._codes:
            code = bytes.fromhex(self._rpc(uri, "eth_getCode", [address, "latest"])[2:])
            self._codes[key] = metadata_label(code) if code else None
        cbor = self._codes[key]
        return (cbor, "runtime") if cbor else None

    # -- tracing ----------------------------------------------------------------------------

    def trace_transaction(self, uri: str, tx_hash: str) -> None:
        # Anvil may mine the transaction just after answering (a few ms); with automine off,
        # later: then it waits in `_pending` and is traced once mined.
        for _ in range(50):
            if self._rpc(uri, "eth_getTransactionReceipt", [tx_hash]) is not None:
                self._trace_mined(uri, tx_hash)
                return
            time.sleep(0.01)
        self._pending.append((uri, tx_hash, 0))

    def _retry_pending(self) -> None:
        """Traces the pending transactions mined since; gives up on one after 100 requests."""
        pending, self._pending = self._pending, []
        for uri, tx_hash, tries in pending:
            if self._rpc(uri, "eth_getTransactionReceipt", [tx_hash]) is not None:
                self._trace_mined(uri, tx_hash)
            elif tries < 100:
                self._pending.append((uri, tx_hash, tries + 1))
            else:
                self.stats["untraced"] += 1
                if len(self.errors) < 5:
                    self.errors.append(f"{tx_hash} never mined")

    def _trace_mined(self, uri: str, tx_hash: str) -> None:
        tx = self._rpc(uri, "eth_getTransactionByHash", [tx_hash])
        root = self._root(uri, tx.get("to"), tx.get("input") or tx.get("data"))
        trace = self._trace(uri, "debug_traceTransaction", [tx_hash], LEAN)
        if _makes_calls(trace):
            trace = self._trace(uri, "debug_traceTransaction", [tx_hash], WITH_STACK)
        self.stats["transactions"] += 1
        self.record(uri, trace.structLogs, root)

    def trace_call(self, uri: str, params: list) -> None:
        call = params[0]
        block = params[1] if len(params) > 1 else "latest"
        lean, with_stack = dict(LEAN), dict(WITH_STACK)
        if len(params) > 2 and params[2]:  # state overrides
            lean["stateOverrides"] = with_stack["stateOverrides"] = params[2]
        root = self._root(uri, call.get("to"), call.get("input") or call.get("data"))
        trace = self._trace(uri, "debug_traceCall", [call, block], lean)
        if _makes_calls(trace):
            trace = self._trace(uri, "debug_traceCall", [call, block], with_stack)
        self.stats["calls"] += 1
        self.record(uri, trace.structLogs, root)

    def _root(self, uri: str, to: str | None, data: str | None) -> Label | None:
        if to:
            return self._label(uri, to)
        cbor = metadata_label(bytes.fromhex((data or "0x")[2:]), init=True)  # init code + constructor arguments
        return (cbor, "init") if cbor else None

    def record(self, uri: str, steps: list[Step], root: Label | None) -> None:
        """Adds one trace: `steps` are its struct logs, `root` the code of depth 1."""
        self.stats["steps"] += len(steps)
        # Per depth: the frame's label, or a buffer of (pcs, jumps) while a CREATE's is unknown.
        labels: list[Label | None] = [root]
        buffers: list[tuple[set[int], set[tuple[int, int]]] | None] = [None]
        entering: Label | None = None
        creating = False
        jumpi: tuple[int, int] | None = None  # (pc, depth)
        for step in steps:
            depth = step.depth
            if depth > len(labels):  # a call or create began
                labels.append(entering)
                buffers.append((set(), set()) if creating else None)
            while depth < len(labels):  # returned to the caller
                labels.pop()
                buffer = buffers.pop()
                if buffer is not None and step.stack:
                    # After CREATE, the new address (or 0) is on top of the caller's stack.
                    created = self._label(uri, _address(step.stack[-1])) if int(step.stack[-1], 16) else None
                    if created is not None:
                        init = (created[0], "init")
                        self.executed[init].update(buffer[0])
                        self.jumps[init].update(buffer[1])
            label = labels[-1]
            buffer = buffers[-1]
            if jumpi is not None:
                if jumpi[1] == depth:
                    if buffer is not None:
                        buffer[1].add((jumpi[0], step.pc))
                    elif label is not None:
                        self.jumps[label].add((jumpi[0], step.pc))
                jumpi = None
            if buffer is not None:
                buffer[0].add(step.pc)
            elif label is not None:
                self.executed[label].add(step.pc)
            op = step.op
            if op == "JUMPI":
                jumpi = (step.pc, depth)
            elif op in CALL_OPS:
                creating = False
                entering = self._label(uri, _address(step.stack[-2])) if step.stack else None
            elif op in CREATE_OPS:
                creating = True
                entering = None


def _address(word: str) -> str:
    """The address in the low 20 bytes of a stack word ("0x..." hex, unpadded)."""
    return "0x" + word[2:].rjust(40, "0")[-40:]


def _makes_calls(trace: Trace) -> bool:
    return any(step.op in CALL_OPS or step.op in CREATE_OPS for step in trace.structLogs)
