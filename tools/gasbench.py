"""Gas of whole mechanism-v2 tasks at growing sizes, each action beside its floor (docs/gas.md).

No training: digests, salts and scores are synthetic, chosen with no zero byte, so that every
transaction of one kind has the same calldata cost whatever the task's size. Transactions go
straight to the node over JSON-RPC from impersonated, funded accounts: ape's contract objects
take tens of milliseconds a call, and a 200-contributor task sends over 600 transactions. Gas does
not depend on the signature, so these are a signed transaction's figures.

One market (with its verifier pool) is deployed; `pool` accounts register with the bond; then one
whole task runs per (contributors, panel size): create, audit draw and reveal, commitments, panel
request and draw, model reveals, the test set's reveal, score commits and reveals, finalize in
batches, every claim and the fused model's publication. At the end every pool member requests its
exit and, once the unbonding period has passed, withdraws its bond.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from learning_market.rpc import Abi, JsonRpc, RpcError

Log = Callable[[str], None]
Writes = tuple[tuple[str, int], ...]

# ------------------------------------------------------------------------ the gas schedule
# EIP-2028 (calldata), EIP-2929 (cold access), EIP-2200 and 3529 (SSTORE), EIP-7623 (floor).
TX_BASE = 21_000  # intrinsic gas of a transaction that creates no contract
CALLDATA_ZERO_BYTE = 4
CALLDATA_NONZERO_BYTE = 16
FLOOR_PER_TOKEN = 10  # EIP-7623: at least 21,000 + 10 a token (a zero byte 1 token, others 4)
COLD_SLOAD = 2_100  # first touch of a slot in a transaction
SSTORE_SET = 20_000  # zero -> non-zero
SSTORE_RESET = 2_900  # non-zero -> another value
CLEAR_REFUND = 4_800  # non-zero -> zero gives this back (EIP-3529), at most a fifth of the gas used
FRESH_SLOT = COLD_SLOAD + SSTORE_SET  # 22,100: write a slot that was zero
SLOT_UPDATE = COLD_SLOAD + SSTORE_RESET  # 5,000: write a slot that held something
SLOT_CLEAR = SLOT_UPDATE - CLEAR_REFUND  # 200: zero a slot, its refund counted
WARM_ACCESS = 100  # CALL to an address touched already (the sender is, from the start)
CALL_VALUE = 9_000  # CALL that sends ETH
CALL_STIPEND = 2_300  # handed to the recipient for free; an EOA spends none, so it comes back
VALUE_TRANSFER = WARM_ACCESS + CALL_VALUE - CALL_STIPEND  # 6,800: pay the (existing) caller
SCORES_PER_SLOT = 16  # ScoreBook packs sixteen uint16 to a slot

# Hardforks before Prague, where EIP-7623's calldata floor does not apply (anvil's names).
PRE_PRAGUE = frozenset({
    "frontier", "homestead", "tangerine", "spuriousdragon", "byzantium", "constantinople",
    "petersburg", "istanbul", "muirglacier", "berlin", "london", "arrowglacier", "grayglacier",
    "paris", "merge", "shanghai", "cancun",
})

TX_GAS_LIMIT = 16_777_216  # EIP-7825's cap: a transaction that needs more fails the run
RECEIPT_POLLS = 20_000  # about 200 s of polling for a receipt (anvil mines on arrival)
FUNDING = 10**24  # wei set on every account the benchmark acts from

# The market this benchmark deploys, and the terms of each of its tasks.
MIN_WINDOW = 60  # seconds (the clock is moved, not waited for)
VERIFIER_BOND, SLASH_AMOUNT, UNBONDING_PERIOD, FORFEIT_BPS = 10**17, 5 * 10**16, 10 * 24 * 3_600, 500
REWARD, CONTRIBUTOR_STAKE = 10**18, 10**16
VERIFIER_FEE_BPS, BASELINE_SCORE, TOLERANCE_BPS = 1_000, 1_000, 200
WINDOW = 3_600  # seconds between two deadlines
TEST_SHARDS, AUDIT_SHARDS = 8, 2
FINALIZED = 8  # ILearningMarketTypes.Phase.Finalized


def calldata_gas(data: bytes) -> int:
    """4 gas a zero byte, 16 any other (EIP-2028)."""
    zeros = data.count(0)
    return CALLDATA_ZERO_BYTE * zeros + CALLDATA_NONZERO_BYTE * (len(data) - zeros)


def calldata_tokens(data: bytes) -> int:
    """EIP-7623's tokens: one a zero byte, four any other."""
    zeros = data.count(0)
    return zeros + 4 * (len(data) - zeros)


@dataclass(frozen=True)
class Floor:
    """What a transaction cannot cost less than: the intrinsic 21,000, its calldata, the state it
    must write (less the refunds of the slots it clears; for a claim, the ETH it must send too).
    From Prague on (EIP-7623) a transaction also pays at least 21,000 + 10 a calldata token,
    whatever it executes."""

    calldata: int
    tokens: int
    writes: Writes
    eip7623: bool

    @classmethod
    def of(cls, data: bytes, writes: Writes, eip7623: bool) -> Floor:
        return cls(calldata_gas(data), calldata_tokens(data), writes, eip7623)

    @property
    def state(self) -> int:
        return sum(gas for _, gas in self.writes)

    @property
    def standard(self) -> int:
        return TX_BASE + self.calldata + self.state

    @property
    def token_floor(self) -> int:
        """EIP-7623's floor (0 before Prague)."""
        return TX_BASE + FLOOR_PER_TOKEN * self.tokens if self.eip7623 else 0

    @property
    def total(self) -> int:
        return max(self.standard, self.token_floor)


# ------------------------------------------------------------ what each action must write
REGISTER_WRITES: Writes = (
    ("member record (bond, since when active): fresh slot", FRESH_SLOT),
    ("member's place in the list: fresh slot", FRESH_SLOT),
    ("the list's new entry (its address): fresh slot", FRESH_SLOT),
    ("the list's length", SLOT_UPDATE),
    ("active-member count", SLOT_UPDATE),
)
REQUEST_EXIT_WRITES: Writes = (
    ("member record: exit block and time", SLOT_UPDATE),
    ("active-member count", SLOT_UPDATE),
)
WITHDRAW_WRITES: Writes = (
    ("member record cleared: 2 slots, less their refunds", 2 * SLOT_CLEAR),
    ("its place on the free list (a uint32, eight a slot; fresh once in eight)", SLOT_UPDATE),
    ("the free list's length", SLOT_UPDATE),
    ("ETH to the caller: 100 warm + 9,000 value - 2,300 stipend back", VALUE_TRANSFER),
)
CREATE_WRITES: Writes = (
    ("spec digest, test set commitment: 2 fresh slots", 2 * FRESH_SLOT),
    ("6 deadlines, stake, 2 caps, 3 bps, 2 shard counts: 3 fresh slots", 3 * FRESH_SLOT),
    ("initiator + reward; audit seed block: 2 fresh slots", 2 * FRESH_SLOT),
    ("task counter", SLOT_UPDATE),
)
DRAW_AUDIT_WRITES: Writes = (("audit mask", SLOT_UPDATE),)
COMMIT_WRITES: Writes = (
    ("model commitment: fresh slot", FRESH_SLOT),
    ("commit count", SLOT_UPDATE),
)
REQUEST_PANEL_WRITES: Writes = (("seed block, request block, pool size", SLOT_UPDATE),)
REVEAL_WRITES: Writes = (
    ("submission (contributor), in reveal order: fresh slot", FRESH_SLOT),
    ("duplicate check keyed by the digest: fresh slot", FRESH_SLOT),
    ("model digest over the spent commitment", SLOT_UPDATE),
    ("member record: revealed, submission index", SLOT_UPDATE),
    ("revealed count", SLOT_UPDATE),
)
SCORE_COMMIT_WRITES: Writes = (("score commitment: fresh slot", FRESH_SLOT),)
CLAIM_WRITES: Writes = (
    ("claimed flag", SLOT_UPDATE),
    ("task's paid-out total", SLOT_UPDATE),
    ("ETH to the caller: 100 warm + 9,000 value - 2,300 stipend back", VALUE_TRANSFER),
)
PUBLISH_WRITES: Writes = (("fused model digest: fresh slot", FRESH_SLOT),)


def open_shards_writes(shards: int) -> Writes:
    """revealAudit / revealTestSet: each opened shard's digest, and the task's flag."""
    return (
        (f"{shards} shard digests: fresh slots", shards * FRESH_SLOT),
        ("revealed flag", SLOT_UPDATE),
    )


def draw_panel_writes(panel: int) -> Writes:
    return (
        (f"{panel} members' roles and draw order: fresh slots", panel * FRESH_SLOT),
        (f"the panel list: {panel} entries and its length, fresh slots", (panel + 1) * FRESH_SLOT),
        (f"{panel} members' open-panel counts in the pool", panel * SLOT_UPDATE),
        ("task seed: fresh slot", FRESH_SLOT),
        ("panel drawn", SLOT_UPDATE),
    )


def score_reveal_writes(scores: int) -> Writes:
    slots = -(-scores // SCORES_PER_SLOT)
    return (
        (f"{scores} scores, {SCORES_PER_SLOT} a slot, and the length: {slots + 1} fresh slot(s)",
         (slots + 1) * FRESH_SLOT),
        ("member record: revealed, vote", SLOT_UPDATE),
        ("revealed-members and vote bitmaps", SLOT_UPDATE),
    )


def finalize_writes(stage: int, steps: int, panel: int, starts_stage: bool,
                    ends_stage: bool) -> Writes:
    """Every transaction saves its progress. A pass-1 step writes its model's median (the starting
    model's, the baseline, shares the progress slot) and reads the members' packed score words
    cold (one word covers 16 models); the end of pass 1 releases the panel in the pool; a pass-2
    step reads a median cold; the last transaction writes the settlement."""
    writes: list[tuple[str, int]] = [("progress (stage, cursor, running sums)", SLOT_UPDATE)]
    if stage == 1:
        medians = steps - 1 if starts_stage else steps
        writes.append((f"{medians} submission medians written", medians * SLOT_UPDATE))
        writes.append((f"{steps} x {panel} scores read, {SCORES_PER_SLOT} a slot",
                       steps * panel * COLD_SLOAD // SCORES_PER_SLOT))
        if ends_stage:
            writes.append((f"{panel} open-panel counts released; contributors' pool: fresh slot",
                           panel * SLOT_UPDATE + FRESH_SLOT))
    else:
        writes.append((f"{steps} medians read", steps * COLD_SLOAD))
        if ends_stage:
            writes.append(("settlement (fee per member): fresh slot", FRESH_SLOT))
    return tuple(writes)


# -------------------------------------------------------------------------------- the node
class BenchmarkError(RuntimeError):
    """The benchmark could not run a task: the contract refused a transaction, or it was too big."""


# ------------------------------------------------------------------------ synthetic inputs
def no_zero_bytes(seed: str) -> bytes:
    """32 pseudo-random bytes, none of them zero."""
    return bytes(b or 1 for b in keccak(text=seed))


def grind(seed: str, commit: Callable[[bytes], bytes]) -> tuple[bytes, bytes]:
    """A salt whose commitment has no zero byte, and that commitment."""
    for attempt in range(1_000):
        salt = no_zero_bytes(f"{seed}/{attempt}")
        commitment = commit(salt)
        if 0 not in commitment:
            return salt, commitment
    raise AssertionError("unreachable: 1,000 commitments in a row with a zero byte")


def uri_of(digest: bytes) -> str:
    """An ipfs:// URI of realistic length (a CIDv1 is 59 characters)."""
    return "ipfs://bafkrei" + digest.hex()[:45]


def synthetic_score(model: int, member: int) -> int:
    """Model 0 is the starting model (at the baseline's level); every submission well above it;
    every member within tolerance of every median, both bytes non-zero. Ascending in draw order:
    a sort's worst case is the least of the benchmark's concerns, and equal scores would make the
    median's work a best case."""
    score = (1_100 if model == 0 else 2_000 + (model * 977) % 7_000) + member
    return score + 1 if score % 256 == 0 else score


def model_commitment(chain_id: int, market: str, task_id: int, contributor: str, digest: bytes,
                     salt: bytes) -> bytes:
    return keccak(encode(["uint256", "address", "uint256", "address", "bytes32", "bytes32"],
                         [chain_id, market, task_id, contributor, digest, salt]))


def score_commitment(chain_id: int, market: str, task_id: int, member: str, available: bool,
                     scores: Sequence[int], salt: bytes) -> bytes:
    return keccak(encode(
        ["uint256", "address", "uint256", "address", "bool", "uint16[]", "bytes32"],
        [chain_id, market, task_id, member, available, list(scores), salt]))


def shard_commitment(digest: bytes, salt: bytes) -> bytes:
    return keccak(encode(["bytes32", "bytes32"], [digest, salt]))


def test_set_commitment(chain_id: int, market: str, initiator: str,
                        shard_commitments: Sequence[bytes]) -> bytes:
    return keccak(encode(["uint256", "address", "address", "bytes32[]"],
                         [chain_id, market, initiator, list(shard_commitments)]))


def generated_accounts(count: int) -> list[str]:
    """`count` deterministic addresses nobody holds a key to (the node impersonates them)."""
    return [to_checksum_address(keccak(text=f"gasbench account {i}")[12:]) for i in range(count)]


# -------------------------------------------------------------------------------- one task
@dataclass(frozen=True)
class Sent:
    action: str
    gas: int
    floor: Floor
    steps: int = 0  # finalize: steps taken in the transaction
    tx_hash: str = ""


@dataclass
class TaskRun:
    """Every transaction of one task (or of the pool's setup and teardown), in order."""

    contributors: int
    panel: int
    sent: list[Sent] = field(default_factory=list)
    seconds: float = 0.0

    def of(self, action: str) -> list[Sent]:
        return [s for s in self.sent if s.action == action]

    def typical(self, action: str) -> Sent | None:
        """The action's median transaction (the lower middle one of an even count)."""
        sent = sorted(self.of(action), key=lambda s: s.gas)
        return sent[(len(sent) - 1) // 2] if sent else None

    def gas(self, action: str) -> int | None:
        typical = self.typical(action)
        return typical.gas if typical else None

    @property
    def total(self) -> int:
        return sum(s.gas for s in self.sent)

    @property
    def per_contributor(self) -> int:
        return self.total // max(self.contributors, 1)

    def pass_gas(self, stage: int) -> int:
        return sum(s.gas for s in self.of(f"finalize pass {stage}"))

    def per_step(self, stage: int) -> int:
        """A finalize pass's gas over its steps (its transactions' overhead shared out): pass 1
        takes one step per model, the starting model included; pass 2 one per submission."""
        return self.pass_gas(stage) // (self.contributors + (1 if stage == 1 else 0))

    @property
    def finalizes(self) -> list[Sent]:
        return [s for s in self.sent if s.action.startswith("finalize")]


@dataclass(frozen=True)
class _Task:
    task_id: int
    deadlines: list[int]
    shard_commitments: list[bytes]
    digests: list[bytes]
    salts: list[bytes]


class Bench:
    """Runs whole tasks on one market. `accounts[0]` deploys, is every task's initiator and runs
    the permissionless steps; the next `pool` accounts are the verifier pool; the rest contribute."""

    def __init__(self, rpc: JsonRpc, market_abi: Abi, pool_abi: Abi, accounts: Sequence[str],
                 pool: int) -> None:
        self.rpc, self.abi, self.pool_abi = rpc, market_abi, pool_abi
        self.accounts = [to_checksum_address(a) for a in accounts]
        self.initiator = self.accounts[0]
        self.members = self.accounts[1 : 1 + pool]
        self.crowd = self.accounts[1 + pool :]
        self.chain_id = int(rpc.call("eth_chainId"), 16)
        self.hardfork = str(rpc.call("anvil_nodeInfo").get("hardFork", "")).lower()
        self.eip7623 = self.hardfork not in PRE_PRAGUE
        self.market = self.pool = ""
        self.deploy_gas = 0
        for account in self.accounts:
            rpc.call("anvil_impersonateAccount", account)
            rpc.call("anvil_setBalance", account, hex(FUNDING))

    # ------------------------------------------------------------------------ plumbing
    def now(self) -> int:
        return int(self.rpc.call("eth_getBlockByNumber", "latest", False)["timestamp"], 16)

    def mine(self) -> None:
        self.rpc.call("evm_mine")

    def move_past(self, moment: int) -> None:
        if self.now() <= moment:
            self.rpc.call("evm_setNextBlockTimestamp", moment + 1)
            self.mine()

    def view(self, name: str, *args: Any, abi: Abi | None = None, to: str = "") -> Any:
        abi = abi or self.abi
        call = {"to": to or self.market, "data": "0x" + abi.encode(name, *args).hex()}
        result = self.rpc.call("eth_call", call, "latest")
        return abi.decode_output(name, bytes.fromhex(result[2:]))

    def _transact(self, tx: dict[str, str]) -> dict[str, Any]:
        tx_hash = self.rpc.call("eth_sendTransaction", {**tx, "gas": hex(TX_GAS_LIMIT)})
        receipt = self.rpc.receipt(tx_hash, attempts=RECEIPT_POLLS)
        if receipt is None or int(receipt["status"], 16) != 1:
            raise BenchmarkError(f"{self._why(tx)}")
        return receipt

    def send(self, run: TaskRun, action: str, sender: str, writes: Writes, method: str,
             *args: Any, value: int = 0, steps: int = 0, pool: bool = False) -> dict[str, Any]:
        abi = self.pool_abi if pool else self.abi
        data = abi.encode(method, *args)
        tx = {"from": sender, "to": self.pool if pool else self.market, "data": "0x" + data.hex(),
              "value": hex(value)}
        try:
            receipt = self._transact(tx)
        except BenchmarkError as error:
            raise BenchmarkError(f"{action} by {sender} failed: {error}") from error
        floor = Floor.of(data, writes, self.eip7623)
        run.sent.append(Sent(action, int(receipt["gasUsed"], 16), floor, steps,
                             receipt["transactionHash"]))
        return receipt

    def _why(self, tx: dict[str, str]) -> str:
        try:
            self.rpc.call("eth_call", tx, "latest")
        except RpcError as error:
            if error.data:
                named = self.abi.decode_error(error.data)
                if named.name.startswith("<unknown"):
                    named = self.pool_abi.decode_error(error.data)
                return str(named)
            if "OutOfGas" in str(error):
                return f"needs more than the {TX_GAS_LIMIT:,} gas a transaction may use (EIP-7825)"
            return str(error)
        return f"out of gas (limit {TX_GAS_LIMIT:,}) or refused at inclusion"

    # ------------------------------------------------------------------------- the pool
    def deploy(self, bytecode: bytes) -> None:
        """The market (which deploys its pool and setup module) with the benchmark's terms."""
        arguments = encode(["uint64", "uint96", "uint96", "uint64", "uint16"],
                           [MIN_WINDOW, VERIFIER_BOND, SLASH_AMOUNT, UNBONDING_PERIOD, FORFEIT_BPS])
        receipt = self._transact({"from": self.initiator, "data": "0x" + (bytecode + arguments).hex(),
                                  "value": "0x0"})
        self.market = to_checksum_address(receipt["contractAddress"])
        self.deploy_gas = int(receipt["gasUsed"], 16)
        self.pool = to_checksum_address(self.view("verifierPool"))

    def register_pool(self, run: TaskRun) -> None:
        for member in self.members:
            self.send(run, "register", member, REGISTER_WRITES, "register", value=VERIFIER_BOND,
                      pool=True)
        self.mine()  # a member is eligible for panels requested after the block it registered in

    def dissolve_pool(self, run: TaskRun) -> None:
        """Every member requests its exit, then withdraws its bond once the period has passed."""
        for member in self.members:
            self.send(run, "requestExit", member, REQUEST_EXIT_WRITES, "requestExit", pool=True)
        self.move_past(self.now() + UNBONDING_PERIOD)
        for member in self.members:
            self.send(run, "withdrawBond", member, WITHDRAW_WRITES, "withdrawBond", pool=True)

    # ---------------------------------------------------------------------------- tasks
    def warm_up(self) -> None:
        """A first task, cancelled and refunded, so that no measured task pays the first write of
        the market's task counter (17,100 more than later ones)."""
        run = TaskRun(1, 3)
        task = self._create(run, 1, 3)
        self.send(run, "cancelTask", self.initiator, (), "cancelTask", task.task_id)
        self.send(run, "claim: initiator", self.initiator, CLAIM_WRITES, "claim", task.task_id)

    def _create(self, run: TaskRun, contributors: int, panel: int) -> _Task:
        task_id = int(self.view("taskCount")) + 1
        label = f"{self.market}/{task_id}"
        digests = [no_zero_bytes(f"{label}/shard/{i}") for i in range(TEST_SHARDS)]
        salts, commitments = [], []
        for i, digest in enumerate(digests):
            salt, commitment = grind(f"{label}/shard-salt/{i}",
                                     lambda salt, d=digest: shard_commitment(d, salt))
            salts.append(salt)
            commitments.append(commitment)
        test_set = test_set_commitment(self.chain_id, self.market, self.initiator, commitments)
        spec = no_zero_bytes(f"{label}/spec")
        now = self.now()
        deadlines = [now + WINDOW * (i + 1) for i in range(6)]
        params = (spec, test_set, *deadlines, CONTRIBUTOR_STAKE, contributors, panel,
                  VERIFIER_FEE_BPS, BASELINE_SCORE, TOLERANCE_BPS, TEST_SHARDS, AUDIT_SHARDS, 0)
        self.send(run, "createTask", self.initiator, CREATE_WRITES, "createTask", params,
                  uri_of(spec), value=REWARD)
        return _Task(task_id, deadlines, commitments, digests, salts)

    def _open(self, run: TaskRun, task: _Task, action: str, method: str, mask: int,
              audited: bool) -> None:
        opened = [i for i in range(TEST_SHARDS) if bool(mask >> i & 1) == audited]
        self.send(run, action, self.initiator, open_shards_writes(len(opened)), method,
                  task.task_id, task.shard_commitments, [task.digests[i] for i in opened],
                  [task.salts[i] for i in opened], uri_of(task.digests[opened[0]]))

    def run_task(self, contributors: int, panel: int, batch: int) -> TaskRun:
        """One task through every action of mechanism v2, from creation to the fused model."""
        if contributors > len(self.crowd):
            raise ValueError(f"{contributors} contributors needed, {len(self.crowd)} funded")
        if panel > len(self.members):
            raise ValueError(f"a panel of {panel} needs a pool as large; it has {len(self.members)}")
        started = time.monotonic()
        run = TaskRun(contributors, panel)
        crowd = self.crowd[:contributors]
        task = self._create(run, contributors, panel)
        task_id, label = task.task_id, f"{self.market}/{task.task_id}"

        self.mine()  # the audit's seed block
        self.send(run, "drawAudit", self.initiator, DRAW_AUDIT_WRITES, "drawAudit", task_id)
        _, mask = self.view("getShards", task_id)
        self._open(run, task, "revealAudit", "revealAudit", mask, audited=True)

        def model(i: int, contributor: str) -> tuple[bytes, bytes, bytes]:
            digest = no_zero_bytes(f"{label}/model/{i}")
            salt, commitment = grind(f"{label}/model-salt/{i}", lambda salt: model_commitment(
                self.chain_id, self.market, task_id, contributor, digest, salt))
            return digest, salt, commitment

        models = [model(i, contributor) for i, contributor in enumerate(crowd)]
        for contributor, (_, _, commitment) in zip(crowd, models, strict=True):
            self.send(run, "commitModel", contributor, COMMIT_WRITES, "commitModel", task_id,
                      commitment, value=CONTRIBUTOR_STAKE)

        self.move_past(task.deadlines[1])
        self.send(run, "requestPanel", self.initiator, REQUEST_PANEL_WRITES, "requestPanel",
                  task_id)
        self.mine()  # the panel's seed block
        self.send(run, "drawPanel", self.initiator, draw_panel_writes(panel), "drawPanel", task_id)
        drawn = [member.member for member in self.view("getPanel", task_id)]
        for contributor, (digest, salt, _) in zip(crowd, models, strict=True):
            self.send(run, "revealModel", contributor, REVEAL_WRITES, "revealModel", task_id,
                      digest, salt, uri_of(digest))

        self.move_past(task.deadlines[2])
        self._open(run, task, "revealTestSet", "revealTestSet", mask, audited=False)

        def ballot(v: int, member: str) -> tuple[list[int], bytes, bytes]:
            scores = [synthetic_score(i, v) for i in range(1 + contributors)]
            salt, commitment = grind(f"{label}/score-salt/{v}", lambda salt: score_commitment(
                self.chain_id, self.market, task_id, member, True, scores, salt))
            return scores, salt, commitment

        ballots = [ballot(v, member) for v, member in enumerate(drawn)]
        for member, (_, _, commitment) in zip(drawn, ballots, strict=True):
            self.send(run, "commitScores", member, SCORE_COMMIT_WRITES, "commitScores", task_id,
                      commitment)

        self.move_past(task.deadlines[4])
        for member, (scores, salt, _) in zip(drawn, ballots, strict=True):
            self.send(run, "revealScores", member, score_reveal_writes(len(scores)),
                      "revealScores", task_id, True, scores, salt)

        self.move_past(task.deadlines[5])
        self._finalize(run, task_id, batch)

        everyone = (("contributor", crowd), ("panel member", drawn), ("initiator", [self.initiator]))
        for role, accounts in everyone:
            for account in accounts:
                if self.view("owed", task_id, account):  # the initiator may be owed nothing
                    self.send(run, f"claim: {role}", account, CLAIM_WRITES, "claim", task_id)
        fused = no_zero_bytes(f"{label}/fused")
        self.send(run, "publishFusedModel", self.initiator, PUBLISH_WRITES, "publishFusedModel",
                  task_id, fused, uri_of(fused))
        run.seconds = time.monotonic() - started
        return run

    def _finalize(self, run: TaskRun, task_id: int, batch: int) -> None:
        """Each pass in transactions of at most `batch` steps; no transaction spans two passes
        (pass 1: one step per model, the starting model included; pass 2: one per submission),
        so that each pass's gas can be read apart."""
        for stage, count in ((1, run.contributors + 1), (2, run.contributors)):
            for cursor in range(0, count, batch):
                steps = min(batch, count - cursor)
                writes = finalize_writes(stage, steps, run.panel, cursor == 0,
                                         cursor + steps == count)
                self.send(run, f"finalize pass {stage}", self.initiator, writes, "finalize",
                          task_id, steps, steps=steps)
        phase = int(self.view("phaseOf", task_id))
        if phase != FINALIZED:
            raise BenchmarkError(f"task {task_id} is in phase {phase} after both passes, "
                                 f"not Finalized ({FINALIZED})")


# -------------------------------------------------------------------------------- the grid
@dataclass(frozen=True)
class Benchmark:
    runs: list[TaskRun]
    pool: TaskRun
    pool_size: int
    batch: int
    hardfork: str
    eip7623: bool
    node: str
    code_hash: str
    code_size: int
    deploy_gas: int
    seconds: float


def run_benchmark(rpc: JsonRpc, market_type: Any, pool_type: Any, contributors: Sequence[int],
                  panels: Sequence[int], batch: int, log: Log = lambda _: None) -> Benchmark:
    """A new market with a pool of `max(panels) + 4`; one whole task for every (contributors,
    panel size) pair; the pool dissolved at the end; every transaction's gas."""
    started = time.monotonic()
    pool_size = max(panels) + 4
    accounts = generated_accounts(1 + pool_size + max(contributors))
    bench = Bench(rpc, _abi(market_type), _abi(pool_type), accounts, pool_size)
    bench.deploy(_bytecode(market_type))
    log(f"market deployed at {bench.market} ({bench.deploy_gas:,} gas); "
        f"{len(accounts)} accounts funded")
    membership = TaskRun(0, 0)
    bench.register_pool(membership)
    bench.warm_up()
    held_before = int(rpc.call("eth_getBalance", bench.market, "latest"), 16)
    burned_before = int(bench.view("totalBurned"))
    runs = []
    total = len(contributors) * len(panels)
    for c in contributors:
        for p in panels:
            run = bench.run_task(c, p, batch)
            runs.append(run)
            log(f"[{len(runs)}/{total}] {c:>4} contributors x panel of {p}: {len(run.sent)} "
                f"transactions, {run.total:,} gas, {run.seconds:.1f} s")
    bench.dissolve_pool(membership)
    held = int(rpc.call("eth_getBalance", bench.market, "latest"), 16) - held_before
    burned = int(bench.view("totalBurned")) - burned_before
    if held != burned:
        raise BenchmarkError(f"the market kept {held} wei, not the {burned} it burned: "
                             "not every task paid out what it took in")
    if int(rpc.call("eth_getBalance", bench.pool, "latest"), 16) != 0:
        raise BenchmarkError("the pool still holds wei after every member withdrew its bond")
    code = bytes.fromhex(rpc.call("eth_getCode", bench.market, "latest")[2:])
    node = str(rpc.call("web3_clientVersion"))
    return Benchmark(runs, membership, pool_size, batch, bench.hardfork, bench.eip7623, node,
                     "0x" + keccak(code).hex()[:16], len(code), bench.deploy_gas,
                     time.monotonic() - started)


def _abi(contract_type: Any) -> Abi:
    """The codec of an ape `contract_type` or of a build manifest's entry (a dict)."""
    return Abi(contract_type["abi"] if isinstance(contract_type, dict) else contract_type)


def _bytecode(contract_type: Any) -> bytes:
    """The creation code of an ape `contract_type` or of a build manifest's entry (a dict)."""
    if isinstance(contract_type, dict):
        code = contract_type["deploymentBytecode"]["bytecode"]
    else:
        code = contract_type.deployment_bytecode.bytecode
    return bytes.fromhex(str(code).removeprefix("0x"))


def code_version(root: Path, exclude: Sequence[str] = ()) -> str:
    """`git rev-parse --short HEAD`, and whether the work tree differs (`exclude` aside)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              check=True).stdout

    try:
        commit = git("rev-parse", "--short", "HEAD").strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git work tree)"
    changed = [line[3:] for line in git("status", "--porcelain").splitlines()
               if line[3:] not in exclude]
    if not changed:
        return commit
    sources = [path for path in changed if path.startswith(("contracts/", "interfaces/"))]
    detail = (f"contract sources changed: {', '.join(sources)}" if sources
              else "contracts as committed")
    return f"{commit} with uncommitted changes ({detail})"


# ------------------------------------------------------------------------------ the report
TASK_ACTIONS = ("createTask", "drawAudit", "revealAudit", "commitModel", "requestPanel",
                "drawPanel", "revealModel", "revealTestSet", "commitScores", "revealScores")
CLAIMS = ("claim: contributor", "claim: panel member", "claim: initiator")
POOL_ACTIONS = ("register", "requestExit", "withdrawBond")
BEGIN = "<!-- gas-benchmark:begin (written by `make gas-benchmark`: edit outside the markers) -->"
END = "<!-- gas-benchmark:end -->"


def _md(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if value is None:
            return "-"
        return f"{value:,}" if isinstance(value, int) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|---|" + "---:|" * (len(headers) - 1)]
    return "\n".join(lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows])


def grid_table(runs: Sequence[TaskRun]) -> str:
    """Gas of each action (its median transaction), per finalize step, per task, per contributor."""
    headers = ["C x P", *TASK_ACTIONS, "finalize pass 1 / step", "finalize pass 2 / step",
               "finalize txs (largest)", *CLAIMS, "publishFusedModel", "total per task",
               "per contributor"]
    rows = [[f"{run.contributors} x {run.panel}", *(run.gas(a) for a in TASK_ACTIONS),
             run.per_step(1), run.per_step(2),
             f"{len(run.finalizes)} ({max(s.gas for s in run.finalizes):,})",
             *(run.gas(a) for a in CLAIMS), run.gas("publishFusedModel"), run.total,
             run.per_contributor] for run in runs]
    return _md(headers, rows)


def floor_rows(run: TaskRun, actions: Sequence[str]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for action in actions:
        typical = run.typical(action)
        if typical:
            floor = typical.floor
            rows.append([action, typical.gas, TX_BASE, floor.calldata, floor.state,
                         floor.token_floor or None, floor.total,
                         f"{typical.gas / floor.total:.2f}"])
    return rows


def floor_table(run: TaskRun, pool: TaskRun | None = None) -> str:
    """Each action of one task (and of the pool) beside its floor; finalize per step."""
    headers = ["action", "measured", "intrinsic", "calldata", "state", "EIP-7623 floor", "floor",
               "measured / floor"]
    rows = floor_rows(pool, POOL_ACTIONS) if pool else []
    rows += floor_rows(run, TASK_ACTIONS)
    for stage in (1, 2):
        sent = run.of(f"finalize pass {stage}")
        n = run.contributors + (1 if stage == 1 else 0)
        per_step = sum(s.floor.total for s in sent) // n
        rows.append([f"finalize pass {stage}, per step", run.per_step(stage),
                     TX_BASE * len(sent) // n, sum(s.floor.calldata for s in sent) // n,
                     sum(s.floor.state for s in sent) // n,
                     sum(s.floor.token_floor for s in sent) // n or None, per_step,
                     f"{run.per_step(stage) / per_step:.2f}"])
    rows += floor_rows(run, (*CLAIMS, "publishFusedModel"))
    return _md(headers, rows)


def scaling_table(runs: Sequence[TaskRun]) -> tuple[str, list[str]]:
    """Gas per contributor at each size and of the marginal contributor; whether it grows."""
    by_panel: dict[int, dict[int, TaskRun]] = {}
    for run in runs:
        by_panel.setdefault(run.panel, {})[run.contributors] = run
    sizes = sorted({run.contributors for run in runs})
    big = [c for c in sizes if c >= 10]
    headers = ["P", *(f"per contributor, C={c}" for c in sizes)]
    low = high = 0
    if len(big) >= 2:
        low, high = big[-2], big[-1]
        headers += [f"marginal contributor, C={low} to {high}",
                    f"revealScores: gas per extra score, C={low} to {high}"]
    rows, claims = [], []
    for p, at in sorted(by_panel.items()):
        rows.append([p, *(at[c].per_contributor if c in at else None for c in sizes)])
        if low and low in at and high in at:
            extra = high - low
            reveal = (at[high].gas("revealScores") or 0) - (at[low].gas("revealScores") or 0)
            rows[-1] += [(at[high].total - at[low].total) // extra, reveal // extra]
        seen = [(c, at[c].per_contributor) for c in big if c in at]
        if len(seen) >= 2:
            grows = any(b[1] > a[1] for a, b in pairwise(seen))
            path = " -> ".join(f"{gas:,} (C={c})" for c, gas in seen)
            verdict = "GROWS" if grows else "does not grow"
            claims.append(f"P={p}: gas per contributor {verdict}: {path}")
    return _md(headers, rows), claims


def constancy(runs: Sequence[TaskRun]) -> list[str]:
    """For each participant's action, the gas of its transactions over all tasks."""
    notes = []
    for action in ("commitModel", "revealModel", "commitScores", *CLAIMS):
        gas = [[s.gas for s in run.of(action)] for run in runs if run.of(action)]
        everyone = {g for task in gas for g in task}
        later = {g for task in gas for g in task[1:]}
        firsts = {task[0] for task in gas}
        count = sum(len(task) for task in gas)
        if len(everyone) == 1:
            notes.append(f"{action}: {everyone.pop():,} gas, every one of {count} transactions")
        elif len(later) == 1 and len(firsts) == 1:
            notes.append(f"{action}: {later.pop():,} gas, every one of {count} transactions but "
                         f"the first of each task ({firsts.pop():,})")
        else:
            notes.append(f"{action}: from {min(everyone):,} to {max(everyone):,} gas over "
                         f"{count} transactions ({len(everyone)} distinct figures)")
    return notes


def pool_table(pool: TaskRun) -> str:
    headers = ["action", "transactions", "first", "median", "largest"]
    rows = [[a, len(pool.of(a)), pool.of(a)[0].gas, pool.gas(a), max(s.gas for s in pool.of(a))]
            for a in POOL_ACTIONS if pool.of(a)]
    return _md(headers, rows)


def format_report(result: Benchmark, version: str, command: str) -> str:
    """The generated part of docs/gas.md."""
    largest = max(result.runs, key=lambda r: (r.contributors, r.panel))
    heaviest = max((s for run in result.runs for s in run.finalizes), key=lambda s: s.gas)
    biggest = max((s for run in result.runs for s in run.sent), key=lambda s: s.gas)
    scaling, claims = scaling_table(result.runs)
    rule = "applies" if result.eip7623 else "does not apply"
    return "\n".join([
        (f"Measured at commit `{version}` with `{command}` on {result.node}, hardfork "
         f"`{result.hardfork}` (EIP-7623's calldata floor {rule}); market runtime code keccak "
         f"`{result.code_hash}…` ({result.code_size:,} bytes); deployment (market, pool and "
         f"module) {result.deploy_gas:,} gas. A pool of {result.pool_size} members; "
         f"{TEST_SHARDS} test shards, {AUDIT_SHARDS} audited. Wall time {result.seconds:.0f} s."),
        "",
        (f"Finalize: at most {result.batch} steps per transaction, no transaction spanning two "
         f"passes; the largest took {heaviest.gas:,} gas ({heaviest.steps} steps of "
         f"{heaviest.action}). The largest transaction of the run: {biggest.action}, "
         f"{biggest.gas:,} gas ({100 * biggest.gas / TX_GAS_LIMIT:.1f}% of EIP-7825's "
         f"{TX_GAS_LIMIT:,})."),
        "",
        "### Gas per action, per task and per contributor",
        "",
        grid_table(result.runs),
        "",
        "### The pool: joining and leaving",
        "",
        pool_table(result.pool),
        "",
        "### Gas per contributor as the task grows",
        "",
        scaling,
        "",
        *(f"- {claim}" for claim in claims),
        *(f"- {note}" for note in constancy(result.runs)),
        "",
        f"### Each action against its floor ({largest.contributors} x {largest.panel})",
        "",
        floor_table(largest, result.pool),
    ])


def write_section(path: Path, section: str, title: str = "# Gas") -> None:
    """Puts `section` between the markers in `path`, keeping everything outside them."""
    block = f"{BEGIN}\n{section.rstrip()}\n{END}"
    text = path.read_text() if path.exists() else f"{title}\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
