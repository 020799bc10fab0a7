"""Gas of whole market tasks at growing sizes, each action beside its floor (see docs/gas.md).

No training: digests, salts and scores are synthetic, chosen with no zero byte, so that every
transaction of one kind has the same calldata cost whatever the task's size. Transactions go
straight to the local node over JSON-RPC from funded accounts that anvil sends for (its own,
or impersonated): ape's contract objects take tens of milliseconds a call, and a 200 x 9 task
sends 650 transactions. Gas does not depend on the signature, so these are a signed one's figures.
"""

from __future__ import annotations

import dataclasses
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from eth_utils import keccak, to_checksum_address

from content import digest_to_cid
from learning_market.commitments import model_commitment, score_commitment, test_set_commitment
from learning_market.phases import Phase
from learning_market.rpc import Abi, JsonRpc, RpcError
from learning_market.terms import TaskTerms

Log = Callable[[str], None]

# ------------------------------------------------------------------------ the gas schedule
# EIP-2028 (calldata), EIP-2929 (cold access), EIP-2200 and 3529 (SSTORE), EIP-7623 (floor).
TX_BASE = 21_000  # intrinsic gas of a transaction that creates no contract
CALLDATA_ZERO_BYTE = 4
CALLDATA_NONZERO_BYTE = 16
FLOOR_PER_TOKEN = 10  # EIP-7623: at least 21,000 + 10 a token (a zero byte 1 token, others 4)
COLD_SLOAD = 2_100  # first touch of a slot in a transaction
SSTORE_SET = 20_000  # zero -> non-zero
SSTORE_RESET = 2_900  # non-zero -> another non-zero
FRESH_SLOT = COLD_SLOAD + SSTORE_SET  # 22,100: write a slot that was zero
SLOT_UPDATE = COLD_SLOAD + SSTORE_RESET  # 5,000: write a slot that held something
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

TX_GAS_LIMIT = 15_000_000  # a transaction that needs more fails the run: finalize batches must fit
DEFAULT_TERMS = TaskTerms()
RECEIPT_POLLS = 20_000  # about 200 s of polling for a receipt (anvil mines on arrival)

Writes = tuple[tuple[str, int], ...]


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
    must write (for a claim, the ETH it must send too). From Prague on (EIP-7623) a transaction
    also pays at least 21,000 + 10 a calldata token, whatever it executes."""

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
CREATE_WRITES: Writes = (
    (("task: initiator + reward; 5 deadlines + 2 stakes (2 slots); 5 uint16 parameters; "
      "spec digest; test set commitment: 6 fresh slots"), 6 * FRESH_SLOT),
    ("task counter", SLOT_UPDATE),
)
COMMIT_WRITES: Writes = (
    ("model commitment: fresh slot", FRESH_SLOT),
    ("commit count", SLOT_UPDATE),
)
JOIN_WRITES: Writes = (
    ("member record (role, join index): fresh slot", FRESH_SLOT),
    ("verifier by join index (its address): fresh slot", FRESH_SLOT),
    ("verifier count", SLOT_UPDATE),
)
REVEAL_WRITES: Writes = (
    ("model digest, in reveal order: fresh slot", FRESH_SLOT),
    ("duplicate check keyed by the digest: fresh slot", FRESH_SLOT),
    ("member record: revealed, submission index", SLOT_UPDATE),
    ("revealed count", SLOT_UPDATE),
)
TEST_REVEAL_WRITES: Writes = (("test digest: fresh slot (non-zero means revealed)", FRESH_SLOT),)
SCORE_COMMIT_WRITES: Writes = (("score commitment: fresh slot", FRESH_SLOT),)
CLAIM_WRITES: Writes = (
    ("claimed flag", SLOT_UPDATE),
    ("ETH to the caller: 100 warm + 9,000 value - 2,300 stipend back", VALUE_TRANSFER),
)


def score_reveal_writes(scores: int) -> Writes:
    slots = -(-scores // SCORES_PER_SLOT)
    return (
        (f"{scores} scores, {SCORES_PER_SLOT} a slot: {slots} fresh slot(s)", slots * FRESH_SLOT),
        ("revealed-verifier bitmap", SLOT_UPDATE),
    )


def finalize_writes(stage: int, steps: int, verifiers: int, ends_stage: bool) -> Writes:
    """Every transaction saves its progress. A pass-1 step writes its submission's median and
    reads the verifiers' packed score words cold (one word covers 16 submissions); a pass-2 step
    reads a median cold; the last transaction writes the settlement."""
    writes: list[tuple[str, int]] = [("progress (cursor, running sum)", SLOT_UPDATE)]
    if stage == 1:
        writes.append((f"{steps} medians written", steps * SLOT_UPDATE))
        writes.append((f"{steps} x {verifiers} scores read, {SCORES_PER_SLOT} a slot",
                       steps * verifiers * COLD_SLOAD // SCORES_PER_SLOT))
    else:
        writes.append((f"{steps} medians read", steps * COLD_SLOAD))
        if ends_stage:
            writes.append(("settlement (fee per verifier, initiator refund): fresh slot",
                           FRESH_SLOT))
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
    """ipfs://<CIDv1 of the raw block>, as `content.IpfsHttpStore` spells it."""
    return f"ipfs://{digest_to_cid(digest)}"


def synthetic_score(submission: int, verifier: int) -> int:
    """Well above the baseline, every verifier within tolerance, both bytes non-zero. Ascending in
    join order: like the equal scores honest verifiers report, the worst case of a quicksort."""
    score = 2_000 + (submission * 977) % 7_000 + verifier
    return score + 1 if score % 256 == 0 else score


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
    """Every transaction of one task, in order."""

    contributors: int
    verifiers: int
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
        return self.total // self.contributors

    def per_step(self, stage: int) -> int:
        """A finalize pass's gas over its submissions (its transactions' overhead shared out)."""
        return sum(s.gas for s in self.of(f"finalize pass {stage}")) // self.contributors

    @property
    def finalizes(self) -> list[Sent]:
        return [s for s in self.sent if s.action.startswith("finalize")]


@dataclass(frozen=True)
class _Opened:
    task_id: int
    deadlines: list[int]
    test_digest: bytes
    test_salt: bytes


class Bench:
    """Runs whole tasks on one deployed market. `accounts[0]` is every task's initiator (and runs
    finalize), the next ones its contributors, then its verifiers."""

    def __init__(self, rpc: JsonRpc, market: str, abi: Abi, accounts: Sequence[str],
                 terms: TaskTerms = DEFAULT_TERMS) -> None:
        self.rpc, self.abi, self.terms = rpc, abi, terms
        self.market = to_checksum_address(market)
        self.accounts = [to_checksum_address(a) for a in accounts]
        self.chain_id = int(rpc.call("eth_chainId"), 16)
        self.hardfork = str(rpc.call("anvil_nodeInfo").get("hardFork", "")).lower()
        self.eip7623 = self.hardfork not in PRE_PRAGUE
        unlocked = {to_checksum_address(a) for a in rpc.call("eth_accounts")}
        for account in self.accounts:
            if account not in unlocked:  # generated beyond the node's own accounts
                rpc.call("anvil_impersonateAccount", account)

    # ------------------------------------------------------------------------ plumbing
    def now(self) -> int:
        return int(self.rpc.call("eth_getBlockByNumber", "latest", False)["timestamp"], 16)

    def move_past(self, deadline: int) -> None:
        if self.now() <= deadline:
            self.rpc.call("evm_setNextBlockTimestamp", deadline + 1)
            self.rpc.call("evm_mine")

    def view(self, name: str, *args: Any) -> Any:
        call = {"to": self.market, "data": "0x" + self.abi.encode(name, *args).hex()}
        result = self.rpc.call("eth_call", call, "latest")
        return self.abi.decode_output(name, bytes.fromhex(result[2:]))

    def send(self, run: TaskRun, action: str, sender: str, writes: Writes, method: str,
             *args: Any, value: int = 0, steps: int = 0) -> None:
        data = self.abi.encode(method, *args)
        tx = {"from": sender, "to": self.market, "data": "0x" + data.hex(), "value": hex(value),
              "gas": hex(TX_GAS_LIMIT)}
        tx_hash = self.rpc.call("eth_sendTransaction", tx)
        receipt = self.rpc.receipt(tx_hash, attempts=RECEIPT_POLLS)
        if receipt is None or int(receipt["status"], 16) != 1:
            raise BenchmarkError(f"{action} by {sender} failed: {self._why(tx)}")
        floor = Floor.of(data, writes, self.eip7623)
        run.sent.append(Sent(action, int(receipt["gasUsed"], 16), floor, steps, tx_hash))

    def _why(self, tx: dict[str, str]) -> str:
        try:
            self.rpc.call("eth_call", tx, "latest")
        except RpcError as error:
            if error.data:
                return str(self.abi.decode_error(error.data))
            if "OutOfGas" in str(error):
                return f"needs more than the {TX_GAS_LIMIT:,} gas the benchmark allows"
            return str(error)
        return f"out of gas (limit {TX_GAS_LIMIT:,}) or refused at inclusion"

    # ---------------------------------------------------------------------------- tasks
    def warm_up(self) -> None:
        """A first task, cancelled and refunded, so that no measured task pays the first write
        of the market's task counter (17,100 more than later ones)."""
        run = TaskRun(1, 1)
        opened = self._create(run, 1, 1)
        self.send(run, "cancel", self.accounts[0], (), "cancelTask", opened.task_id)
        self.send(run, "claim initiator", self.accounts[0], CLAIM_WRITES, "claim", opened.task_id)

    def _create(self, run: TaskRun, contributors: int, verifiers: int) -> _Opened:
        terms, initiator = self.terms, self.accounts[0]
        task_id = int(self.view("taskCount")) + 1
        label = f"{self.market}/{task_id}"
        test_digest = no_zero_bytes(f"{label}/test")
        test_salt, test_commitment = grind(
            f"{label}/test-salt",
            lambda salt: test_set_commitment(
                self.chain_id, self.market, initiator, test_digest, salt),
        )
        spec = no_zero_bytes(f"{label}/spec")
        sized = dataclasses.replace(terms, max_contributors=contributors, max_verifiers=verifiers)
        params = sized.task_params(spec, test_commitment, self.now())
        deadlines = [params.commit_deadline, params.reveal_deadline, params.test_reveal_deadline,
                     params.score_commit_deadline, params.score_reveal_deadline]
        self.send(run, "create", initiator, CREATE_WRITES, "createTask", params.as_tuple(),
                  uri_of(spec), value=terms.reward)
        return _Opened(task_id, deadlines, test_digest, test_salt)

    def run_task(self, contributors: int, verifiers: int, batch: int) -> TaskRun:
        """Create, commit, join, reveal, test reveal, score commit and reveal, finalize, claims."""
        if 1 + contributors + verifiers > len(self.accounts):
            raise ValueError(f"1 + {contributors} + {verifiers} accounts needed, "
                             f"{len(self.accounts)} funded")
        started = time.monotonic()
        run = TaskRun(contributors, verifiers)
        terms, initiator = self.terms, self.accounts[0]
        crowd = self.accounts[1 : 1 + contributors]
        panel = self.accounts[1 + contributors : 1 + contributors + verifiers]
        task = self._create(run, contributors, verifiers)
        task_id, label = task.task_id, f"{self.market}/{task.task_id}"

        def model(i: int, contributor: str) -> tuple[bytes, bytes, bytes]:
            digest = no_zero_bytes(f"{label}/model/{i}")
            salt, commitment = grind(f"{label}/model-salt/{i}", lambda salt: model_commitment(
                self.chain_id, self.market, task_id, contributor, digest, salt))
            return digest, salt, commitment

        models = [model(i, contributor) for i, contributor in enumerate(crowd)]
        for contributor, (_, _, commitment) in zip(crowd, models):
            self.send(run, "commit", contributor, COMMIT_WRITES, "commitModel", task_id, commitment,
                      value=terms.contributor_stake)
        for verifier in panel:
            self.send(run, "join", verifier, JOIN_WRITES, "joinAsVerifier", task_id,
                      value=terms.verifier_stake)

        self.move_past(task.deadlines[0])
        for contributor, (digest, salt, _) in zip(crowd, models):
            self.send(run, "reveal", contributor, REVEAL_WRITES, "revealModel", task_id, digest,
                      salt, uri_of(digest))

        self.move_past(task.deadlines[1])
        self.send(run, "test reveal", initiator, TEST_REVEAL_WRITES, "revealTestSet", task_id,
                  task.test_digest, task.test_salt, uri_of(task.test_digest))

        def ballot(v: int, verifier: str) -> tuple[list[int], bytes, bytes]:
            scores = [synthetic_score(i, v) for i in range(contributors)]
            salt, commitment = grind(f"{label}/score-salt/{v}", lambda salt: score_commitment(
                self.chain_id, self.market, task_id, verifier, scores, salt))
            return scores, salt, commitment

        ballots = [ballot(v, verifier) for v, verifier in enumerate(panel)]
        for verifier, (_, _, commitment) in zip(panel, ballots):
            self.send(run, "score commit", verifier, SCORE_COMMIT_WRITES, "commitScores", task_id,
                      commitment)

        self.move_past(task.deadlines[3])
        for verifier, (scores, salt, _) in zip(panel, ballots):
            self.send(run, "score reveal", verifier, score_reveal_writes(len(scores)),
                      "revealScores", task_id, scores, salt)

        self.move_past(task.deadlines[4])
        self._finalize(run, task_id, batch)

        everyone = (("contributor", crowd), ("verifier", panel), ("initiator", [initiator]))
        for role, members in everyone:
            for member in members:
                if self.view("owed", task_id, member):  # the initiator may be owed nothing
                    self.send(run, f"claim {role}", member, CLAIM_WRITES, "claim", task_id)
        run.seconds = time.monotonic() - started
        return run

    def _finalize(self, run: TaskRun, task_id: int, batch: int) -> None:
        """Each pass in transactions of at most `batch` steps; no transaction spans two passes
        (one step per submission and pass), so each pass's gas can be read apart."""
        count = run.contributors
        for stage in (1, 2):
            for cursor in range(0, count, batch):
                steps = min(batch, count - cursor)
                writes = finalize_writes(stage, steps, run.verifiers, cursor + steps == count)
                self.send(run, f"finalize pass {stage}", self.accounts[0], writes, "finalize",
                          task_id, steps, steps=steps)
        phase = Phase(self.view("phaseOf", task_id))
        if phase != Phase.FINALIZED:
            raise BenchmarkError(f"task {task_id} is {phase} after both passes, not Finalized")


# -------------------------------------------------------------------------------- the grid
@dataclass(frozen=True)
class Benchmark:
    runs: list[TaskRun]
    batch: int
    hardfork: str
    eip7623: bool
    node: str
    code_hash: str
    code_size: int
    seconds: float


def run_benchmark(rpc: JsonRpc, market: str, contract_type: Any, accounts: Sequence[str],
                  contributors: Sequence[int], verifiers: Sequence[int], batch: int,
                  log: Log = lambda _: None) -> Benchmark:
    """One whole task for every (contributors, verifiers) pair; every transaction's gas."""
    started = time.monotonic()
    bench = Bench(rpc, market, Abi(contract_type), accounts)
    held = int(rpc.call("eth_getBalance", bench.market, "latest"), 16)
    if bench.view("taskCount") == 0:
        bench.warm_up()
    runs = []
    for c in contributors:
        for v in verifiers:
            run = bench.run_task(c, v, batch)
            log(f"{c:>4} contributors x {v} verifiers: {len(run.sent)} transactions, "
                f"{run.total:,} gas, {run.seconds:.1f} s")
            runs.append(run)
    if int(rpc.call("eth_getBalance", bench.market, "latest"), 16) != held:
        raise BenchmarkError("the market's balance moved: not every task paid out what it took in")
    code = bytes.fromhex(rpc.call("eth_getCode", bench.market, "latest")[2:])
    node = str(rpc.call("web3_clientVersion"))
    return Benchmark(runs, batch, bench.hardfork, bench.eip7623, node,
                     "0x" + keccak(code).hex()[:16], len(code), time.monotonic() - started)


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
PER_PARTICIPANT = ("create", "commit", "join", "reveal", "test reveal", "score commit",
                   "score reveal")
CLAIMS = ("claim contributor", "claim verifier", "claim initiator")
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
    headers = ["C x V", *PER_PARTICIPANT, "finalize pass 1 / step", "finalize pass 2 / step",
               "finalize txs (largest)", *(c.replace("claim ", "claim: ") for c in CLAIMS),
               "total per task", "per contributor"]
    rows = [[f"{run.contributors} x {run.verifiers}", *(run.gas(a) for a in PER_PARTICIPANT),
             run.per_step(1), run.per_step(2),
             f"{len(run.finalizes)} ({max(s.gas for s in run.finalizes):,})",
             *(run.gas(a) for a in CLAIMS), run.total, run.per_contributor] for run in runs]
    return _md(headers, rows)


def floor_table(run: TaskRun) -> str:
    """Each action of one task beside its floor."""
    headers = ["action", "measured", "intrinsic", "calldata", "state", "EIP-7623 floor", "floor",
               "measured / floor"]
    rows: list[list[Any]] = []
    for action in (*PER_PARTICIPANT, *CLAIMS):
        typical = run.typical(action)
        if typical:
            floor = typical.floor
            rows.append([action, typical.gas, TX_BASE, floor.calldata, floor.state,
                         floor.token_floor or None, floor.total,
                         f"{typical.gas / floor.total:.2f}"])
    for stage in (1, 2):
        sent, n = run.of(f"finalize pass {stage}"), run.contributors
        per_step = sum(s.floor.total for s in sent) // n
        rows.append([f"finalize pass {stage}, per step", run.per_step(stage),
                     TX_BASE * len(sent) // n, sum(s.floor.calldata for s in sent) // n,
                     sum(s.floor.state for s in sent) // n,
                     sum(s.floor.token_floor for s in sent) // n or None, per_step,
                     f"{run.per_step(stage) / per_step:.2f}"])
    return _md(headers, rows)


def scaling_table(runs: Sequence[TaskRun]) -> tuple[str, list[str]]:
    """Gas per contributor at each size and of the marginal contributor; whether it grows."""
    by_v: dict[int, dict[int, TaskRun]] = {}
    for run in runs:
        by_v.setdefault(run.verifiers, {})[run.contributors] = run
    sizes = sorted({run.contributors for run in runs})
    big = [c for c in sizes if c >= 10]
    headers = ["V", *(f"per contributor, C={c}" for c in sizes)]
    if len(big) >= 2:
        low, high = big[-2], big[-1]
        headers += [f"marginal contributor, C={low} to {high}",
                    f"score reveal: gas per extra score, C={low} to {high}"]
    rows, claims = [], []
    for v, at in sorted(by_v.items()):
        rows.append([v, *(at[c].per_contributor if c in at else None for c in sizes)])
        if len(big) >= 2 and low in at and high in at:
            extra = high - low
            reveal = (at[high].gas("score reveal") or 0) - (at[low].gas("score reveal") or 0)
            rows[-1] += [(at[high].total - at[low].total) // extra, reveal // extra]
        seen = [(c, at[c].per_contributor) for c in big if c in at]
        if len(seen) >= 2:
            grows = any(b[1] > a[1] for a, b in pairwise(seen))
            path = " -> ".join(f"{gas:,} (C={c})" for c, gas in seen)
            verdict = "GROWS" if grows else "does not grow"
            claims.append(f"V={v}: gas per contributor {verdict}: {path}")
    return _md(headers, rows), claims


def constancy(runs: Sequence[TaskRun]) -> list[str]:
    """For each participant's action, the gas of its transactions over all tasks."""
    notes = []
    for action in ("commit", "join", "reveal", "score commit", *CLAIMS):
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
            notes.append(f"{action}: VARIES: {sorted(everyone)}")
    return notes


def format_report(result: Benchmark, version: str, command: str) -> str:
    """The generated part of docs/gas.md."""
    largest = max(result.runs, key=lambda r: (r.contributors, r.verifiers))
    heaviest = max((s for run in result.runs for s in run.finalizes), key=lambda s: s.gas)
    scaling, claims = scaling_table(result.runs)
    rule = "applies" if result.eip7623 else "does not apply"
    return "\n".join([
        (f"Measured at commit `{version}` with `{command}` on {result.node}, hardfork "
         f"`{result.hardfork}` (EIP-7623's calldata floor {rule}); market runtime code keccak "
         f"`{result.code_hash}…` ({result.code_size:,} bytes). "
         f"Wall time {result.seconds:.0f} s."),
        "",
        (f"Finalize: at most {result.batch} steps per transaction, no transaction spanning two "
         f"passes; the largest took {heaviest.gas:,} gas ({heaviest.steps} steps of "
         f"{heaviest.action})."),
        "",
        "### Gas per action, per task and per contributor",
        "",
        grid_table(result.runs),
        "",
        "### Gas per contributor as the task grows",
        "",
        scaling,
        "",
        *(f"- {claim}" for claim in claims),
        *(f"- {note}" for note in constancy(result.runs)),
        "",
        f"### Each action against its floor ({largest.contributors} x {largest.verifiers})",
        "",
        floor_table(largest),
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
