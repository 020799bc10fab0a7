"""How the market client reaches the chain: through ape (`ApeNode`: the scripts, the simulation, the
tests, any ape account), or straight over JSON-RPC with a local key (`RpcNode`: the agents' light
entry point, which starts in a second where ape takes several).

Both give the market client the same few operations: call a view, send a transaction and wait for
it, read logs, read the clock, the balances and the nonces, and (on a local chain) mine. A custom
error raises `ContractReverted` with its name and fields; a node that cannot be reached raises
`NetworkError`. Views return structs with their fields as attributes either way.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import requests
from eth_utils import to_checksum_address

from learning_market.errors import LearningMarketError, NetworkError
from learning_market.rpc import Abi, JsonRpc, RpcError
from learning_market.terms import DEFAULT_FORFEIT_BPS, DEFAULT_POOL_TERMS, PoolTerms

ROOT = Path(__file__).resolve().parents[1]
ABI_DIR = ROOT / "abi"
BUILD_FILE = ROOT / ".build" / "__local__.json"
LOCAL_CLIENTS = ("anvil", "hardhat", "ganache")  # nodes whose clock may be moved
RECEIPT_TIMEOUT = 180.0  # seconds to wait for a transaction to be mined
GAS_MARGIN = 1.25  # the gas limit sent, over the node's estimate


class ContractReverted(Exception):  # noqa: N818 - what happened, not an error of ours
    """The contract refused a call with a custom error (`name`) and its fields (`inputs`)."""

    def __init__(self, name: str, inputs: dict[str, Any]) -> None:
        super().__init__(f"{name}({inputs})")
        self.name = name
        self.inputs = inputs


@dataclass(frozen=True)
class Receipt:
    """A mined transaction: its hash, gas, block and raw logs (topics and data as 0x hex)."""

    tx_hash: str
    gas_used: int
    block_number: int
    logs: list[dict[str, Any]]


class Node(Protocol):
    """The chain as the market client sees it: one contract at `address`, with its `abi`."""

    address: str
    abi: Abi

    @property
    def chain_id(self) -> int: ...

    @property
    def is_local(self) -> bool: ...

    def call(self, method: str, *args: Any) -> Any: ...

    def transact(self, method: str, *args: Any, sender: Any, value: int = 0) -> Receipt: ...

    def logs(self, event: str, from_block: int, to_block: int, topics: list[Any] | None = None) -> list[dict]: ...

    def head(self) -> tuple[int, int]:
        """The latest block's number and timestamp."""
        ...

    def balance(self, address: str) -> int: ...

    def nonces(self, address: str) -> tuple[int, int]:
        """Transactions of `address` mined, and mined or waiting in the node's pool."""
        ...

    def code(self, address: str) -> bytes: ...

    def mine(self, timestamp: int) -> None: ...

    def sibling(self, address: str, contract: str) -> Node:
        """The same node's view of another contract of the project (`contract`: its name, such as
        VerifierPool), at `address`."""
        ...


def _hex(value: Any) -> str:
    if isinstance(value, str):
        return value if value.startswith("0x") else "0x" + value
    return "0x" + bytes(value).hex()


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def raw_log(log: Any) -> dict[str, Any]:
    """A log with its address, topics and data as plain hex strings (web3 gives HexBytes), and its block
    number and index in the block as ints."""
    return {
        "address": to_checksum_address(str(log["address"])),
        "topics": [_hex(t) for t in log["topics"]],
        "data": _hex(log["data"]),
        "blockNumber": _int(log["blockNumber"]),
        "logIndex": _int(log["logIndex"]),
        "transactionHash": _hex(log["transactionHash"]),
    }


def _log_filter(address: str, topic: str, from_block: int, to_block: int, topics: list[Any] | None) -> dict:
    return {
        "address": address,
        "fromBlock": hex(from_block),
        "toBlock": hex(to_block),
        "topics": [topic, *(topics or [])],
    }


# ------------------------------------------------------------------ through ape


@contextmanager
def _traces_at_debug_level() -> Iterator[None]:
    """Sends the call trace ape prints when a transaction reverts to its logger at debug level
    (`-v DEBUG` in the scripts): before the refusal's sentence, it is noise."""
    from ape.logging import logger
    from ape_ethereum.trace import Trace

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


class ApeNode:
    """The market through ape: `contract` an ape contract instance, `chain` ape's chain manager;
    senders are ape accounts."""

    def __init__(self, contract: Any, chain: Any) -> None:
        self._contract = contract
        self._chain = chain
        self.address = to_checksum_address(str(contract.address))
        self.abi = Abi(contract.contract_type)
        uri = getattr(chain.provider, "http_uri", None)
        # reads go straight to the node when it speaks HTTP: a tenth of the cost of web3's stack
        self._rpc = JsonRpc(uri, timeout=60) if isinstance(uri, str) and uri.startswith("http") else None

    @cached_property
    def chain_id(self) -> int:
        return int(self._chain.chain_id)

    @cached_property
    def is_local(self) -> bool:
        """ape's local network, or a development node reached by its URL (anvil, hardhat, ganache)."""
        if self._chain.provider.network.is_local:
            return True
        client = self._rpc.call("web3_clientVersion") if self._rpc is not None else ""
        return str(client).lower().startswith(LOCAL_CLIENTS)

    def call(self, method: str, *args: Any) -> Any:
        """A view, read with one `eth_call` (ape's contract call costs ten times more)."""
        from web3.exceptions import ContractLogicError

        request = {"to": self.address, "data": "0x" + self.abi.encode(method, *args).hex()}
        if self._rpc is not None:
            try:
                result = self._rpc.call("eth_call", request, "latest")
            except RpcError as error:
                if not error.data:
                    raise
                reverted = self.abi.decode_error(error.data)
                raise ContractReverted(reverted.name, reverted.inputs) from error
            return self.abi.decode_output(method, bytes.fromhex(result[2:]))
        try:
            result = self._chain.provider.web3.eth.call(request)
        except ContractLogicError as error:
            data = getattr(error, "data", None)
            if not (isinstance(data, str) and data.startswith("0x") and len(data) >= 10):
                raise
            reverted = self.abi.decode_error(bytes.fromhex(data[2:]))
            raise ContractReverted(reverted.name, reverted.inputs) from error
        return self.abi.decode_output(method, bytes(result))

    def transact(self, method: str, *args: Any, sender: Any, value: int = 0) -> Receipt:
        from ape.exceptions import ContractLogicError

        try:
            with _traces_at_debug_level():
                receipt = getattr(self._contract, method)(*args, sender=sender, value=value)
        except ContractLogicError as error:
            inputs = getattr(error, "inputs", None)
            if inputs is None:
                raise
            raise ContractReverted(type(error).__name__, dict(inputs)) from error
        return Receipt(
            _hex(receipt.txn_hash), int(receipt.gas_used), int(receipt.block_number), [raw_log(x) for x in receipt.logs]
        )

    def logs(self, event: str, from_block: int, to_block: int, topics: list[Any] | None = None) -> list[dict]:
        found = self._chain.provider.web3.eth.get_logs(
            _log_filter(self.address, self.abi.event_topic(event), from_block, to_block, topics)
        )
        return [raw_log(log) for log in found]

    def head(self) -> tuple[int, int]:
        if self._rpc is not None:
            block = self._rpc.call("eth_getBlockByNumber", "latest", False)
            return int(block["number"], 16), int(block["timestamp"], 16)
        block = self._chain.blocks.head
        return int(block.number), int(block.timestamp)

    def balance(self, address: str) -> int:
        return int(self._chain.provider.get_balance(to_checksum_address(address)))

    def nonces(self, address: str) -> tuple[int, int]:
        eth = self._chain.provider.web3.eth
        address = to_checksum_address(address)
        return int(eth.get_transaction_count(address, "latest")), int(eth.get_transaction_count(address, "pending"))

    def code(self, address: str) -> bytes:
        return bytes(self._chain.provider.get_code(to_checksum_address(address)))

    def mine(self, timestamp: int) -> None:
        if self._chain.provider.network.is_local or self._rpc is None:
            self._chain.mine(timestamp=timestamp)
            return
        self._rpc.call("evm_setNextBlockTimestamp", timestamp)  # a development node reached by its URL
        self._rpc.call("evm_mine")

    def sibling(self, address: str, contract: str) -> ApeNode:
        from ape import project

        return ApeNode(getattr(project, contract).at(to_checksum_address(address)), self._chain)


# ------------------------------------------------------------------ straight over JSON-RPC


def _reachable(uri: str) -> Callable[[Exception], NetworkError]:
    def unreachable(error: Exception) -> NetworkError:
        return NetworkError(f"the node at {uri} cannot be reached ({type(error).__name__}): start it, or check --rpc.")

    return unreachable


class RpcNode:
    """The market at `address` on the node at `uri`, over JSON-RPC; senders are eth_account local accounts
    (anything with `address` and `sign_transaction`). Views read the latest block."""

    def __init__(self, uri: str, address: str, abi: Abi | None = None, timeout: float = 30.0) -> None:
        self.uri = uri
        self.rpc = JsonRpc(uri, timeout=timeout)
        self.address = to_checksum_address(address)
        self.abi = abi if abi is not None else Abi(load_abi("LearningMarket"))
        self._unreachable = _reachable(uri)

    def _call(self, method: str, *params: Any) -> Any:
        try:
            return self.rpc.call(method, *params)
        except requests.RequestException as error:
            raise self._unreachable(error) from error

    @cached_property
    def chain_id(self) -> int:
        return int(self._call("eth_chainId"), 16)

    @cached_property
    def is_local(self) -> bool:
        return str(self._call("web3_clientVersion")).lower().startswith(LOCAL_CLIENTS)

    def _revert(self, error: RpcError) -> Exception:
        if error.data:
            reverted = self.abi.decode_error(error.data)
            return ContractReverted(reverted.name, reverted.inputs)
        return error

    def call(self, method: str, *args: Any) -> Any:
        request = {"to": self.address, "data": "0x" + self.abi.encode(method, *args).hex()}
        try:
            result = self._call("eth_call", request, "latest")
        except RpcError as error:
            raise self._revert(error) from error
        return self.abi.decode_output(method, bytes.fromhex(result[2:]))

    def transact(self, method: str, *args: Any, sender: Any, value: int = 0) -> Receipt:
        """Estimates, signs with `sender`'s key, sends, and waits for the receipt.

        A refusal found by the estimate raises `ContractReverted` and nothing is sent; a transaction
        that reverts when mined (the chain moved in between) is replayed as a call to name its error.
        """
        address = to_checksum_address(sender.address)
        request = {"from": address, "to": self.address, "data": "0x" + self.abi.encode(method, *args).hex(),
                   "value": hex(value)}
        try:
            gas = int(self._call("eth_estimateGas", request), 16)
        except RpcError as error:
            reverted = self._revert(error)
            if isinstance(reverted, ContractReverted):
                raise reverted from error
            raise LearningMarketError(f"the node refused {method} from {address}: {error.error.get('message')}.") \
                from error
        base_fee = int(self._call("eth_getBlockByNumber", "latest", False).get("baseFeePerGas", "0x0"), 16)
        try:
            tip = int(self._call("eth_maxPriorityFeePerGas"), 16)
        except RpcError:
            tip = 10**9
        transaction = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": int(self._call("eth_getTransactionCount", address, "pending"), 16),
            "to": self.address,
            "data": request["data"],
            "value": value,
            "gas": int(gas * GAS_MARGIN),
            "maxFeePerGas": 2 * base_fee + tip,
            "maxPriorityFeePerGas": tip,
        }
        signed = sender.sign_transaction(transaction)
        try:
            tx_hash = self._call("eth_sendRawTransaction", _hex(signed.raw_transaction))
        except RpcError as error:
            raise LearningMarketError(f"the node refused {method} from {address}: {error.error.get('message')}.") \
                from error
        receipt = self._wait(tx_hash, method)
        if int(receipt["status"], 16) != 1:
            try:
                self._call("eth_call", request, hex(int(receipt["blockNumber"], 16) - 1))
            except RpcError as error:
                raise self._revert(error) from error
            raise ContractReverted("Reverted", {"transaction": tx_hash})
        return Receipt(tx_hash, int(receipt["gasUsed"], 16), int(receipt["blockNumber"], 16),
                       [raw_log(x) for x in receipt["logs"]])

    def _wait(self, tx_hash: str, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + RECEIPT_TIMEOUT
        while time.monotonic() < deadline:
            receipt = self._call("eth_getTransactionReceipt", tx_hash)
            if receipt is not None:
                return receipt
            time.sleep(0.2)
        raise NetworkError(
            f"{method} ({tx_hash}) was sent but not mined within {RECEIPT_TIMEOUT:.0f} s; it may still be: "
            "check it before sending again."
        )

    def logs(self, event: str, from_block: int, to_block: int, topics: list[Any] | None = None) -> list[dict]:
        found = self._call("eth_getLogs", _log_filter(self.address, self.abi.event_topic(event), from_block,
                                                       to_block, topics))
        return [raw_log(log) for log in found]

    def head(self) -> tuple[int, int]:
        block = self._call("eth_getBlockByNumber", "latest", False)
        return int(block["number"], 16), int(block["timestamp"], 16)

    def balance(self, address: str) -> int:
        return int(self._call("eth_getBalance", to_checksum_address(address), "latest"), 16)

    def nonces(self, address: str) -> tuple[int, int]:
        address = to_checksum_address(address)
        return (
            int(self._call("eth_getTransactionCount", address, "latest"), 16),
            int(self._call("eth_getTransactionCount", address, "pending"), 16),
        )

    def code(self, address: str) -> bytes:
        return bytes.fromhex(self._call("eth_getCode", to_checksum_address(address), "latest")[2:])

    def mine(self, timestamp: int) -> None:
        self._call("evm_setNextBlockTimestamp", timestamp)
        self._call("evm_mine")

    def sibling(self, address: str, contract: str) -> RpcNode:
        return RpcNode(self.uri, address, Abi(load_abi(contract)), timeout=self.rpc.timeout)


def load_abi(contract: str, build: Path = BUILD_FILE) -> list[dict[str, Any]]:
    """The ABI of a contract of the project: from the build (`ape compile`), the code this checkout
    deploys, else from its export in abi/ (for a machine that only talks to a deployed market)."""
    try:
        return list(json.loads(build.read_text())["contractTypes"][contract]["abi"])
    except (OSError, KeyError, ValueError):
        pass
    path = ABI_DIR / f"{contract}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise LearningMarketError(
            f"the ABI of {contract} is neither in {build} nor in {path}: run `ape compile` first."
        ) from error


def deploy_market(
    uri: str,
    sender: Any,
    min_window: int,
    pool: PoolTerms = DEFAULT_POOL_TERMS,
    forfeit_bps: int = DEFAULT_FORFEIT_BPS,
    build: Path = BUILD_FILE,
) -> str:
    """Deploys LearningMarket (which deploys its verifier pool with `pool`'s terms) from the build
    (`ape compile`) with a local key; returns the market's address."""
    from eth_abi import encode

    try:
        bytecode = json.loads(build.read_text())["contractTypes"]["LearningMarket"]["deploymentBytecode"]["bytecode"]
    except (OSError, KeyError, ValueError) as error:
        raise LearningMarketError(f"the market's bytecode is not in {build}: run `ape compile` first.") from error
    rpc, unreachable = JsonRpc(uri, timeout=30), _reachable(uri)
    address = to_checksum_address(sender.address)
    arguments = [min_window, pool.verifier_bond, pool.slash_amount, pool.unbonding_period, forfeit_bps]
    data = bytecode + encode(["uint64", "uint96", "uint96", "uint64", "uint16"], arguments).hex()
    try:
        gas = int(rpc.call("eth_estimateGas", {"from": address, "data": data}), 16)
        base_fee = int(rpc.call("eth_getBlockByNumber", "latest", False).get("baseFeePerGas", "0x0"), 16)
        signed = sender.sign_transaction({
            "type": 2, "chainId": int(rpc.call("eth_chainId"), 16), "data": data, "value": 0,
            "nonce": int(rpc.call("eth_getTransactionCount", address, "pending"), 16), "gas": int(gas * GAS_MARGIN),
            "maxFeePerGas": 2 * base_fee + 10**9, "maxPriorityFeePerGas": 10**9,
        })
        tx_hash = rpc.call("eth_sendRawTransaction", _hex(signed.raw_transaction))
        receipt = None
        deadline = time.monotonic() + RECEIPT_TIMEOUT
        while receipt is None and time.monotonic() < deadline:
            receipt = rpc.call("eth_getTransactionReceipt", tx_hash)
            time.sleep(0.0 if receipt else 0.2)
    except requests.RequestException as error:
        raise unreachable(error) from error
    except RpcError as error:
        raise LearningMarketError(f"the node refused the deployment: {error.error.get('message')}.") from error
    if receipt is None or int(receipt["status"], 16) != 1:
        raise LearningMarketError(f"the deployment {tx_hash} was not mined, or failed: check the node.")
    return to_checksum_address(receipt["contractAddress"])
