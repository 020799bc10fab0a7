"""The cap run: one task at the market's caps, settled on a plain anvil that enforces EIP-7825.

    make cap-run                      # compiles, then: python -m tools.cap_run
    python -m tools.cap_run --contributors 512 --panel 63 --batch 16 [--agreeing]

A task with 512 contributors and a 63-member panel (test set of 32 shards, 16 audited) goes
through every action of mechanism v2: create, draw and reveal the audit, 512 commitments, panel
request and draw, 512 model reveals, the test set reveal, 63 score commits and reveals (513
scores each), the batched finalize, every claim. anvil runs without ape's `--steps-tracing`
(which keeps every step of every transaction in memory) and with `--enable-tx-gas-limit`, so a
transaction above EIP-7825's 16,777,216 gas would fail; the run also asserts it. By default the
scores are a worst case for finalize: every honest member's scores differ (within tolerance) and
come in descending order of draw (insertion sort's quadratic case), and one member lies on
every model (the honesty loop runs at every step, and the liar is slashed); `--agreeing` has
the honest members agree exactly, as deterministic scoring makes them.

It prints, per action, the number of transactions and the median and largest gas.
docs/gas.md ("The cap run") has the figures. The contract build is read from ape's
`.build/__local__.json`: compile first (the make target does).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests
from eth_abi import decode, encode
from eth_utils import keccak

ROOT = Path(__file__).resolve().parents[1]
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
EIP7825_CAP = 16_777_216
MIN_WINDOW = 60
BOND, SLASH, UNBONDING, FORFEIT_BPS = 10**17, 5 * 10**16, 10 * 24 * 3_600, 500


class CapRunError(Exception):
    """The cap run could not complete, or a transaction went over the cap."""


class Node:
    """A plain anvil on a free port, and a minimal JSON-RPC client for it."""

    def __init__(self, accounts: int) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(ANVIL),
                "--port",
                str(self.port),
                "--accounts",
                str(accounts),
                "--balance",
                "1000000",
                "--enable-tx-gas-limit",
                "--silent",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.session = requests.Session()
        self._id = 0
        for _ in range(300):
            try:
                self.call("eth_chainId")
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise CapRunError("anvil did not start: is node_modules installed (make setup)?")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def call(self, method: str, *params):
        self._id += 1
        reply = self.session.post(
            self.url,
            json={"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)},
            timeout=120,
        ).json()
        if "error" in reply:
            raise CapRunError(f"{method} failed: {reply['error']}")
        return reply["result"]

    def send(self, sender: str, to: str | None, data: bytes, value: int = 0) -> dict:
        tx = {
            "from": sender,
            "data": "0x" + data.hex(),
            "value": hex(value),
            "gas": hex(EIP7825_CAP),
            "gasPrice": hex(10**9),
        }
        if to:
            tx["to"] = to
        tx_hash = self.call("eth_sendTransaction", tx)
        receipt = None
        for attempt in range(2_000):  # anvil mines on arrival, in the background
            receipt = self.call("eth_getTransactionReceipt", tx_hash)
            if receipt is not None:
                break
            time.sleep(0.001 * min(attempt, 20))
        if receipt is None or int(receipt["status"], 16) != 1:
            raise CapRunError(f"transaction {tx_hash} to {to} failed: {receipt}")
        return receipt

    def now(self) -> int:
        return int(self.call("eth_getBlockByNumber", "latest", False)["timestamp"], 16)

    def warp(self, timestamp: int) -> None:
        self.call("evm_setNextBlockTimestamp", timestamp)

    def mine(self) -> None:
        self.call("evm_mine")


class Contract:
    """ABI encoding for one compiled contract of the build."""

    def __init__(self, build: dict, name: str) -> None:
        contract = build["contractTypes"][name]
        self.abi = {item["name"]: item for item in contract["abi"] if item["type"] == "function"}
        self.events = {item["name"]: item for item in contract["abi"] if item["type"] == "event"}
        self.bytecode = bytes.fromhex(contract["deploymentBytecode"]["bytecode"][2:])
        self.address = ""

    @staticmethod
    def _type(item: dict) -> str:
        if item["type"].startswith("tuple"):
            inner = ",".join(Contract._type(c) for c in item["components"])
            return f"({inner}){item['type'][5:]}"
        return item["type"]

    def data(self, name: str, *args) -> bytes:
        types = [self._type(i) for i in self.abi[name]["inputs"]]
        selector = keccak(text=f"{name}({','.join(types)})")[:4]
        return selector + encode(types, list(args))

    def topic(self, name: str) -> str:
        types = [self._type(i) for i in self.events[name]["inputs"]]
        return "0x" + keccak(text=f"{name}({','.join(types)})").hex()


def shard_commitment(digest: bytes, salt: bytes) -> bytes:
    return keccak(encode(["bytes32", "bytes32"], [digest, salt]))


def run(contributors: int, panel: int, batch: int, agreeing: bool = False) -> dict[str, list[int]]:
    build = json.loads((ROOT / ".build" / "__local__.json").read_text())
    market = Contract(build, "LearningMarket")
    members = panel + 3
    node = Node(accounts=2 + members + contributors)
    gas: dict[str, list[int]] = {}

    def act(action: str, sender: str, data: bytes, value: int = 0, to: str | None = None) -> dict:
        try:
            receipt = node.send(sender, to or market.address, data, value)
        except CapRunError as failure:
            raise CapRunError(f"{action}: {str(failure)[:200]}") from failure
        used = int(receipt["gasUsed"], 16)
        if used > EIP7825_CAP:
            raise CapRunError(f"{action} used {used} gas, above EIP-7825's {EIP7825_CAP}")
        gas.setdefault(action, []).append(used)
        return receipt

    try:
        accounts = node.call("eth_accounts")
        deployer, initiator = accounts[0], accounts[1]
        pool_members = accounts[2 : 2 + members]
        people = accounts[2 + members : 2 + members + contributors]
        chain_id = int(node.call("eth_chainId"), 16)
        args = encode(
            ["uint64", "uint96", "uint96", "uint64", "uint16"],
            [MIN_WINDOW, BOND, SLASH, UNBONDING, FORFEIT_BPS],
        )
        receipt = node.send(deployer, None, market.bytecode + args)
        gas["deploy market (with its pool and module)"] = [int(receipt["gasUsed"], 16)]
        market.address = receipt["contractAddress"]
        pool_address = (
            "0x"
            + node.call(
                "eth_call",
                {"to": market.address, "data": "0x" + market.data("verifierPool").hex()},
                "latest",
            )[-40:]
        )
        register = keccak(text="register()")[:4]
        for member in pool_members:
            act("register (pool)", member, register, BOND, to=pool_address)

        # The task: K = 32 shards, A = 16 audited; windows of an hour.
        shards, audited = 32, 16
        digests = [keccak(text=f"shard-{i}") for i in range(shards)]
        salts = [keccak(text=f"salt-{i}") for i in range(shards)]
        commitments = [shard_commitment(d, s) for d, s in zip(digests, salts, strict=True)]
        test_set = keccak(
            encode(
                ["uint256", "address", "address", "bytes32[]"],
                [chain_id, market.address, initiator, commitments],
            )
        )
        start = node.now()
        deadlines = [start + 3_600 * (i + 1) for i in range(6)]
        params = (
            keccak(text="spec"),
            test_set,
            *deadlines,
            10**16,
            contributors,
            panel,
            1_000,
            1_000,
            200,
            shards,
            audited,
            0,
        )
        act("createTask", initiator, market.data("createTask", params, "ipfs://spec"), 10**18)
        task_id = 1
        node.mine()
        act("drawAudit", initiator, market.data("drawAudit", task_id))
        returned = node.call(
            "eth_call",
            {"to": market.address, "data": "0x" + market.data("getShards", task_id).hex()},
            "latest",
        )
        mask = decode(["bytes32[]", "uint32"], bytes.fromhex(returned[2:]))[1]
        audit = [i for i in range(shards) if mask >> i & 1]
        act(
            "revealAudit",
            initiator,
            market.data(
                "revealAudit",
                task_id,
                commitments,
                [digests[i] for i in audit],
                [salts[i] for i in audit],
                "ipfs://audit",
            ),
        )

        models = {c: (keccak(text=f"model-{c}"), keccak(text=f"model-salt-{c}")) for c in people}
        for c in people:
            model, salt = models[c]
            commitment = keccak(
                encode(
                    ["uint256", "address", "uint256", "address", "bytes32", "bytes32"],
                    [chain_id, market.address, task_id, c, model, salt],
                )
            )
            act("commitModel", c, market.data("commitModel", task_id, commitment), 10**16)
        node.warp(deadlines[1] + 1)
        act("requestPanel", initiator, market.data("requestPanel", task_id))
        node.mine()
        receipt = act("drawPanel", initiator, market.data("drawPanel", task_id))
        drawn_log = next(
            log for log in receipt["logs"] if log["topics"][0] == market.topic("PanelDrawn")
        )
        drawn_data = bytes.fromhex(drawn_log["data"][2:])
        count = int.from_bytes(drawn_data[64:96], "big")
        drawn = [
            "0x" + drawn_data[96 + 32 * i + 12 : 96 + 32 * (i + 1)].hex() for i in range(count)
        ]
        for c in people:
            model, salt = models[c]
            act(
                "revealModel",
                c,
                market.data("revealModel", task_id, model, salt, f"ipfs://bafk{c[2:]}"),
            )
        node.warp(deadlines[2] + 1)
        rest = [i for i in range(shards) if not mask >> i & 1]
        act(
            "revealTestSet",
            initiator,
            market.data(
                "revealTestSet",
                task_id,
                commitments,
                [digests[i] for i in rest],
                [salts[i] for i in rest],
                "ipfs://test",
            ),
        )

        # Scores: the start, then one per model. The first member lies by 3000 everywhere; the
        # honest ones agree exactly (`agreeing`) or descend within tolerance in draw order.
        truth = [2_000] + [2_500 + (977 * i) % 6_000 for i in range(contributors)]
        secrets = {}
        for v, member in enumerate(drawn):
            offset = 3_000 if v == 0 else (0 if agreeing else 3 * (panel - 1 - v))
            scores = [min(10_000, s + offset) for s in truth]
            salt = keccak(text=f"scores-{member}")
            secrets[member] = (scores, salt)
            commitment = keccak(
                encode(
                    ["uint256", "address", "uint256", "address", "bool", "uint16[]", "bytes32"],
                    [chain_id, market.address, task_id, member, True, scores, salt],
                )
            )
            act("commitScores", member, market.data("commitScores", task_id, commitment))
        node.warp(deadlines[4] + 1)
        for member in drawn:
            scores, salt = secrets[member]
            act("revealScores", member, market.data("revealScores", task_id, True, scores, salt))
        node.warp(deadlines[5] + 1)
        done = False
        while not done:
            receipt = act(
                f"finalize (batches of {batch} steps)",
                initiator,
                market.data("finalize", task_id, batch),
            )
            done = any(log["topics"][0] == market.topic("TaskFinalized") for log in receipt["logs"])
        claim = market.data("claim", task_id)
        for account in [*people, *drawn, initiator]:
            owed = node.call(
                "eth_call",
                {"to": market.address, "data": "0x" + market.data("owed", task_id, account).hex()},
                "latest",
            )
            if int(owed, 16):  # the liar is owed nothing; the initiator only rounding dust, if any
                act("claim", account, claim)
        return gas
    finally:
        node.close()


def table(gas: dict[str, list[int]]) -> str:
    lines = ["| action | transactions | median gas | largest gas |", "|---|---:|---:|---:|"]
    for action, used in gas.items():
        lines.append(
            f"| {action} | {len(used)} | {int(statistics.median(used)):,} | {max(used):,} |"
        )
    largest = max(max(v) for k, v in gas.items() if not k.startswith("deploy"))
    lines.append(
        f"\nLargest transaction (deployment aside): {largest:,} gas, "
        f"{100 * largest / EIP7825_CAP:.1f}% of EIP-7825's {EIP7825_CAP:,}."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Settle one task at the caps on a plain anvil that enforces EIP-7825; "
        "print the gas of each action."
    )
    parser.add_argument("--contributors", type=int, default=512, help="contributors (1..512)")
    parser.add_argument("--panel", type=int, default=63, help="panel size (odd, 3..63)")
    parser.add_argument("--batch", type=int, default=16, help="finalize steps per transaction")
    parser.add_argument(
        "--agreeing",
        action="store_true",
        help="honest members agree exactly (the common case) instead of the sort's worst order",
    )
    options = parser.parse_args(argv)
    if not (
        1 <= options.contributors <= 512
        and 3 <= options.panel <= 63
        and options.panel % 2
        and options.batch > 0
    ):
        parser.error("contributors must be 1..512, the panel odd in 3..63, the batch positive")
    try:
        print(table(run(options.contributors, options.panel, options.batch, options.agreeing)))
    except CapRunError as failure:
        print(f"cap run failed: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
