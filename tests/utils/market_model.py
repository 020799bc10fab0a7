"""A reference model of the market and its pool (mechanism v2), written from the design and the
spec, not from the contract.

`PoolModel` holds what the verifier pool should hold (bonds, registrations, exits, open panels)
and `TaskModel` what one task should hold (deposits, the audit, who committed and revealed
what, the panel, the votes and scores, the clock- and block-driven phase). For every action at
a given time and block they predict either the custom error the contract must revert with or
the effect it must have. `TaskModel.settle` computes every entitlement the way
docs/protocol.md describes it: basis, quorum, medians, baseline, weights, flags, slashes,
fee, burns. The state-machine test drives the contract and this model side by side.

Where several checks fail at once, the model names the error the contract checks first;
that order is part of what the tests pin (one error per refusal, always the same one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.utils.fast_rpc import Reverted
from tests.utils.market import (
    BASIS,
    PHASE,
    ROLE,
    TestSet,
    bits,
    commitment_to_test_set,
    model_commitment,
    score_commitment,
    shard_commitment,
)
from tests.utils.randomness import draw_panel

BPS = 10_000
HASH_WINDOW = 256
SLASHED = 2**64 - 1
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO32 = bytes(32)
SETTLED = ("Finalized", "Cancelled", "Unfulfilled", "Void")
DEADLINES = ("audit", "commit", "reveal", "testReveal", "scoreCommit", "scoreReveal")
MAX_CONTRIBUTORS_CAP, MAX_PANEL_SIZE, MAX_TEST_SHARDS = 512, 63, 32

# The phase graph: every way a task may move on, by time, by blocks or by an action.
PHASE_EDGES = {
    "Audit": {
        "Commit",
        "Void",
        "Cancelled",
    },  # audit revealed / not drawn in time or not revealed / cancel
    "Commit": {"Reveal", "Cancelled"},  # commit deadline passes / the initiator cancels
    "Reveal": {
        "TestReveal",
        "ScoreCommit",
        "Unfulfilled",
        "Finalizing",
    },  # models / none (panel or not)
    "TestReveal": {"ScoreCommit"},  # test set revealed or its deadline passes
    "ScoreCommit": {"ScoreReveal"},
    "ScoreReveal": {"Finalizing"},
    "Finalizing": {"Finalized", "Unfulfilled"},  # finalize completes (with models or without)
    "Finalized": set(),
    "Cancelled": set(),
    "Unfulfilled": set(),
    "Void": set(),
}


def _reachable(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Every phase reachable from each phase in one or more moves (time may cross windows)."""
    closure: dict[str, set[str]] = {}
    for start in graph:
        seen: set[str] = set()
        frontier = list(graph[start])
        while frontier:
            phase = frontier.pop()
            if phase not in seen:
                seen.add(phase)
                frontier.extend(graph[phase])
        closure[start] = seen
    return closure


PHASE_REACHABLE = _reachable(PHASE_EDGES)


def median(values: list[int]) -> int:
    """The middle value; for an even count, the floor of the mean of the two middle ones."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2


def err(name: str, *args: object) -> Reverted:
    return Reverted(name, tuple(args))


def fee(amount: int, bps: int) -> int:
    return amount * bps // BPS


# ----------------------------------------------------------------------------- the pool


@dataclass
class MemberModel:
    bond: int = 0
    active_since: int = 0
    exit_block: int = 0
    exit_time: int = 0
    open_panels: int = 0
    slot: int = 0


@dataclass
class PoolModel:
    bond: int
    slash: int
    unbonding: int
    members: dict[str, MemberModel] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # the member list: slot i + 1 holds order[i]
    free: list[int] = field(default_factory=list)  # slots freed by withdrawals, reused last first

    def member(self, account: str) -> MemberModel:
        return self.members.get(account, MemberModel())

    def held(self) -> int:
        return sum(m.bond for m in self.members.values())

    def active(self) -> int:
        return sum(
            1
            for m in self.members.values()
            if m.active_since not in (0, SLASHED) and m.exit_block == 0
        )

    def eligible(self, account: str, request_block: int) -> bool:
        m = self.member(account)
        return (
            m.active_since != 0
            and m.active_since < request_block
            and (m.exit_block == 0 or m.exit_block >= request_block)
        )

    # predictions
    def expect_register(self, sender: str, value: int) -> Reverted | None:
        if value != self.bond:
            return err("WrongBond", value, self.bond)
        if self.member(sender).active_since != 0:
            return err("AlreadyRegistered", sender)
        return None

    def expect_request_exit(self, sender: str) -> Reverted | None:
        m = self.member(sender)
        if m.active_since == 0:
            return err("NotRegistered", sender)
        if m.exit_block != 0:
            return err("ExitAlreadyRequested", sender, m.exit_block)
        return None

    def expect_withdraw(self, sender: str, now: int) -> Reverted | None:
        m = self.member(sender)
        if m.active_since == 0:
            return err("NotRegistered", sender)
        if m.exit_block == 0:
            return err("ExitNotRequested", sender)
        if now < m.exit_time + self.unbonding:
            return err("StillUnbonding", sender, m.exit_time + self.unbonding)
        if m.open_panels != 0:
            return err("OnUnsettledPanel", sender, m.open_panels)
        return None

    # effects
    def register(self, sender: str, block: int) -> None:
        m = self.members.setdefault(sender, MemberModel())
        if m.slot == 0:
            if self.free:
                m.slot = self.free.pop()
                self.order[m.slot - 1] = sender
            else:
                self.order.append(sender)
                m.slot = len(self.order)
        m.bond, m.active_since = self.bond, block

    def request_exit(self, sender: str, block: int, now: int) -> None:
        m = self.members[sender]
        m.exit_block, m.exit_time = block, now

    def withdraw(self, sender: str) -> int:
        m = self.members[sender]
        amount = m.bond
        self.free.append(m.slot)
        self.members[sender] = MemberModel()
        return amount

    def dismiss(self, members: list[str], slash_mask: int) -> int:
        """Releases a panel; returns the slashed total."""
        total = 0
        for i, account in enumerate(members):
            m = self.members[account]
            m.open_panels -= 1
            if slash_mask >> i & 1:
                amount = min(self.slash, m.bond)
                m.bond -= amount
                m.active_since = SLASHED
                total += amount
        return total


# ----------------------------------------------------------------------------- a task


@dataclass
class Settlement:
    """Everything a settled task owes, by address, what it burned, and the Settlement struct."""

    owed: dict[str, int]
    burned: int
    medians: list[int]
    rewards: list[int]  # per submission, on top of the stake
    struct: tuple = (0,) * 13 + (False,)
    slash_mask: int = 0
    honest: int = 0


@dataclass
class TaskModel:
    task_id: int
    initiator: str
    reward: int
    params: dict
    test_set: TestSet
    audit_seed_block: int
    audit_mask: int = 0
    audit_revealed: bool = False
    cancelled: bool = False
    commitments: dict[str, bytes] = field(default_factory=dict)  # contributor -> commitment sent
    revealed: list[str] = field(default_factory=list)  # contributors, in reveal order
    revealed_digests: list[bytes] = field(default_factory=list)
    panel_seed_block: int = 0
    panel_request_block: int = 0
    pool_size_at_request: int = 0
    panel: list[str] = field(default_factory=list)  # in draw order
    seed: bytes = ZERO32
    test_revealed: bool = False
    score_commitments: dict[str, bytes] = field(default_factory=dict)
    score_reveals: dict[str, tuple[bool, list[int]]] = field(default_factory=dict)
    # finalize
    stage: int = 0  # 0 basis, 1 medians, 2 rewards, 3 done
    cursor: int = 0
    slashed: int = 0
    settled_at_finalize: Settlement | None = None
    fused_digest: bytes = ZERO32
    paid: dict[str, int] = field(default_factory=dict)  # account -> what its claim paid
    burn_recorded: int = 0  # what the task has burned so far by a transaction (totalBurned's share)
    forfeit_bps: int = 500

    # ------------------------------------------------------------------ state
    def deadline(self, name: str) -> int:
        return int(self.params[f"{name}Deadline"])

    @property
    def finalized(self) -> bool:
        return self.stage == 3

    def phase(self, now: int, block: int) -> str:
        """The phase of a transaction (or a pending-block view) at time `now` in block `block`."""
        if self.cancelled:
            return "Cancelled"
        if self.finalized:
            return "Finalized" if self.revealed else "Unfulfilled"
        if not self.audit_revealed:
            drawable = self.audit_mask != 0 or block <= self.audit_seed_block + HASH_WINDOW
            return "Audit" if now <= self.deadline("audit") and drawable else "Void"
        if now <= self.deadline("commit"):
            return "Commit"
        if now <= self.deadline("reveal"):
            return "Reveal"
        if not self.revealed:
            return "Finalizing" if self.panel else "Unfulfilled"
        if not self.test_revealed and now <= self.deadline("testReveal"):
            return "TestReveal"
        if now <= self.deadline("scoreCommit"):
            return "ScoreCommit"
        if now <= self.deadline("scoreReveal"):
            return "ScoreReveal"
        return "Finalizing"

    def role(self, account: str) -> str:
        if account in self.commitments:
            return "Contributor"
        if account in self.panel:
            return "Verifier"
        return "None"

    @property
    def c_stake(self) -> int:
        return int(self.params["contributorStake"])

    @property
    def forfeit(self) -> int:
        return fee(self.reward, self.forfeit_bps)

    def deposited(self) -> int:
        return self.reward + len(self.commitments) * self.c_stake + self.slashed

    def paid_out(self) -> int:
        return sum(self.paid.values())

    def accounts(self) -> list[str]:
        """Everyone who holds anything in the task."""
        return [self.initiator, *self.commitments, *self.panel]

    # ------------------------------------------------------------ predictions
    def _wrong_phase(self, now: int, block: int, required: str) -> Reverted | None:
        current = self.phase(now, block)
        return (
            None
            if current == required
            else err("WrongPhase", self.task_id, PHASE[current], PHASE[required])
        )

    def expect_cancel(self, sender: str, now: int, block: int) -> Reverted | None:
        if sender != self.initiator:
            return err("NotInitiator", self.task_id, sender)
        if self.phase(now, block) != "Audit" and (e := self._wrong_phase(now, block, "Commit")):
            return e
        if self.commitments:
            return err("CommitmentsExist", self.task_id, len(self.commitments))
        return None

    def expect_draw_audit(self, now: int, block: int) -> Reverted | None:
        if e := self._wrong_phase(now, block, "Audit"):
            return e
        if self.audit_mask:
            return err("AuditAlreadyDrawn", self.task_id, self.audit_mask)
        if block <= self.audit_seed_block:
            return err("RandomnessNotReady", self.task_id, self.audit_seed_block)
        return None

    def _expect_open(
        self,
        sender: str,
        chain_id: int,
        market: str,
        commitments: list[bytes],
        digests: list[bytes],
        salts: list[bytes],
        mask: int,
    ) -> Reverted | None:
        k = self.params["testShards"]
        if len(commitments) != k:
            return err("ShardCountMismatch", len(commitments), k)
        if (
            commitment_to_test_set(chain_id, market, sender, commitments)
            != self.params["testSetCommitment"]
        ):
            return err("CommitmentMismatch", self.task_id, sender)
        opened = bin(mask).count("1")
        if len(digests) != opened:
            return err("ShardCountMismatch", len(digests), opened)
        if len(salts) != opened:
            return err("ShardCountMismatch", len(salts), opened)
        for j, index in enumerate(bits(mask)):
            if shard_commitment(digests[j], salts[j]) != commitments[index]:
                return err("ShardMismatch", self.task_id, index)
            if digests[j] == ZERO32:
                return err("ZeroDigest")
        return None

    def expect_reveal_audit(
        self, sender, now, block, chain_id, market, commitments, digests, salts
    ) -> Reverted | None:
        if sender != self.initiator:
            return err("NotInitiator", self.task_id, sender)
        if e := self._wrong_phase(now, block, "Audit"):
            return e
        if not self.audit_mask:
            return err("AuditNotDrawn", self.task_id)
        return self._expect_open(
            sender, chain_id, market, commitments, digests, salts, self.audit_mask
        )

    def expect_reveal_test_set(
        self, sender, now, block, chain_id, market, commitments, digests, salts
    ) -> Reverted | None:
        if sender != self.initiator:
            return err("NotInitiator", self.task_id, sender)
        if e := self._wrong_phase(now, block, "TestReveal"):
            return e
        everything = (1 << self.params["testShards"]) - 1
        return self._expect_open(
            sender, chain_id, market, commitments, digests, salts, everything & ~self.audit_mask
        )

    def expect_commit_model(
        self, sender: str, commitment: bytes, stake: int, now: int, block: int
    ) -> Reverted | None:
        if e := self._wrong_phase(now, block, "Commit"):
            return e
        if commitment == ZERO32:
            return err("ZeroDigest")
        if sender == self.initiator:
            return err("InitiatorCannotParticipate", self.task_id)
        if (role := self.role(sender)) != "None":
            return err("AlreadyParticipant", self.task_id, sender, ROLE[role])
        if stake != self.c_stake:
            return err("WrongStake", stake, self.c_stake)
        if len(self.commitments) == self.params["maxContributors"]:
            return err("TaskFull", self.task_id, len(self.commitments))
        return None

    def expect_request_panel(self, now: int, block: int) -> Reverted | None:
        if e := self._wrong_phase(now, block, "Reveal"):
            return e
        if not self.commitments:
            return err("NoCommitments", self.task_id)
        if self.panel:
            return err("PanelAlreadyDrawn", self.task_id)
        if self.panel_seed_block and block <= self.panel_seed_block + HASH_WINDOW:
            return err("PanelAlreadyRequested", self.task_id, self.panel_seed_block)
        return None

    def expect_draw_panel(self, now: int, block: int) -> Reverted | None:
        if e := self._wrong_phase(now, block, "Reveal"):
            return e
        if self.panel:
            return err("PanelAlreadyDrawn", self.task_id)
        if not self.panel_seed_block:
            return err("PanelNotRequested", self.task_id)
        if block <= self.panel_seed_block:
            return err("RandomnessNotReady", self.task_id, self.panel_seed_block)
        if block > self.panel_seed_block + HASH_WINDOW:
            return err("RandomnessExpired", self.task_id, self.panel_seed_block)
        return None

    def draw(self, pool: PoolModel, seed: bytes) -> list[str]:
        """The members the pool's draw picks for this task with `seed` (fewer if it falls short)."""
        listed = pool.order[: self.pool_size_at_request]
        eligible = [
            pool.eligible(a, self.panel_request_block)
            and a != self.initiator
            and self.role(a) == "None"
            for a in listed
        ]
        return [
            listed[i] for i in draw_panel(seed, len(listed), eligible, self.params["panelSize"])
        ]

    def expect_reveal_model(
        self, chain_id, market, sender, digest, salt, now, block, revealed_in
    ) -> Reverted | None:
        if e := self._wrong_phase(now, block, "Reveal"):
            return e
        if not self.panel:
            return err("PanelNotDrawn", self.task_id)
        if sender not in self.commitments:
            return err("NotContributor", self.task_id, sender)
        if sender in self.revealed:
            return err("AlreadyRevealed", self.task_id, sender)
        if (
            model_commitment(chain_id, market, self.task_id, sender, digest, salt)
            != self.commitments[sender]
        ):
            return err("CommitmentMismatch", self.task_id, sender)
        if digest == ZERO32:
            return err("ZeroDigest")
        if digest in revealed_in:
            return err("DuplicateModel", self.task_id, digest, revealed_in[digest])
        return None

    def expect_commit_scores(
        self, sender: str, commitment: bytes, now: int, block: int
    ) -> Reverted | None:
        if e := self._wrong_phase(now, block, "ScoreCommit"):
            return e
        if sender not in self.panel:
            return err("NotVerifier", self.task_id, sender)
        if commitment == ZERO32:
            return err("ZeroDigest")
        if sender in self.score_commitments:
            return err("ScoresAlreadyCommitted", self.task_id, sender)
        return None

    def expect_reveal_scores(
        self, chain_id, market, sender, available, scores, salt, now, block
    ) -> Reverted | None:
        if e := self._wrong_phase(now, block, "ScoreReveal"):
            return e
        if sender not in self.panel:
            return err("NotVerifier", self.task_id, sender)
        if sender not in self.score_commitments:
            return err("ScoresNotCommitted", self.task_id, sender)
        if sender in self.score_reveals:
            return err("ScoresAlreadyRevealed", self.task_id, sender)
        count = len(self.revealed) + 1
        if len(scores) != count:
            return err("ScoreCountMismatch", self.task_id, len(scores), count)
        for i, score in enumerate(scores):
            if score > BPS:
                return err("ScoreOutOfRange", self.task_id, i, score)
        if available and not self.test_revealed:
            return err("TestSetNotRevealed", self.task_id)
        expected = score_commitment(chain_id, market, self.task_id, sender, available, scores, salt)
        if expected != self.score_commitments[sender]:
            return err("CommitmentMismatch", self.task_id, sender)
        return None

    def expect_finalize(self, now: int, block: int) -> Reverted | None:
        return self._wrong_phase(now, block, "Finalizing")

    def expect_claim(
        self, sender: str, now: int, block: int, settlement: Settlement | None
    ) -> Reverted | None:
        if sender in self.paid:
            return err("AlreadyClaimed", self.task_id, sender)
        phase = self.phase(now, block)
        if phase not in SETTLED:
            return err("WrongPhase", self.task_id, PHASE[phase], PHASE["Finalized"])
        if not settlement.owed.get(sender, 0):
            return err("NothingToClaim", self.task_id, sender)
        return None

    def expect_publish(self, sender: str, digest: bytes, now: int, block: int) -> Reverted | None:
        if sender != self.initiator:
            return err("NotInitiator", self.task_id, sender)
        if e := self._wrong_phase(now, block, "Finalized"):
            return e
        if digest == ZERO32:
            return err("ZeroDigest")
        if self.fused_digest != ZERO32:
            return err("FusedModelAlreadyPublished", self.task_id, self.fused_digest)
        return None

    # -------------------------------------------------------------- the verdict
    def verdict(self) -> dict:
        """Basis, counted members, medians, flags and whether the verdict is contested: what
        pass 1 of finalize computes."""
        revealers = [m for m in self.panel if m in self.score_reveals]
        available = [m for m in revealers if self.score_reveals[m][0]]
        on_test = self.test_revealed and 2 * len(available) > len(revealers)
        counted = available if on_test else [m for m in revealers if not self.score_reveals[m][0]]
        n_models = len(self.revealed) + 1
        medians, flagged, contested = [0] * n_models, set(), False
        baseline_score = self.params["baselineScore"]
        start = 0
        if counted and self.revealed:
            quorum = len(revealers) // 2 + 1
            tolerance = self.params["toleranceBps"]
            for s in range(n_models):
                values = [self.score_reveals[m][1][s] for m in counted]
                medians[s] = median(values)
                support = sum(abs(v - medians[s]) <= tolerance for v in values)
                middle = sorted(values)[len(values) // 2 - 1 : len(values) // 2 + 1]
                if len(values) % 2 == 0 and middle[1] - middle[0] > tolerance:
                    support = 0  # two halves further apart than the tolerance: no median stands
                flagged |= {
                    m
                    for m, v in zip(counted, values, strict=True)
                    if abs(v - medians[s]) > tolerance
                }
                contested = contested or support < quorum
            start = medians[0]
        baseline = max(baseline_score, start)
        weights = [max(0, m - baseline) for m in medians[1:]]
        return {
            "basis": BASIS["Test" if on_test else "Audit"],
            "revealers": revealers,
            "counted": counted,
            "medians": medians[1:],
            "start": start,
            "baseline": baseline,
            "weights": weights,
            "flagged": flagged,
            "contested": contested,
        }

    def slash_mask(self) -> int:
        """Who the panel's release slashes: absentees, and the flagged unless contested; nobody
        when no model was revealed."""
        if not self.revealed:
            return 0
        v = self.verdict()
        mask = 0
        for i, m in enumerate(self.panel):
            if m not in self.score_reveals or (not v["contested"] and m in v["flagged"]):
                mask |= 1 << i
        return mask

    # ------------------------------------------------------------------- finalize
    def apply_finalize(self, max_steps: int, pool: PoolModel) -> bool:
        """One finalize call, as the contract batches it; returns whether the task is settled."""
        v = self.verdict()
        n = len(self.revealed)
        steps = 0
        if self.stage == 0:
            if v["counted"] and n:
                self.stage = 1
            else:
                self._release(pool)
                self.stage = 2
        if self.stage == 1:
            count = n + 1
            taken = min(count - self.cursor, max_steps)
            self.cursor += taken
            steps = taken
            if self.cursor == count:
                self._release(pool)
                self.cursor, self.stage = 0, 2
        if self.stage == 2:
            total_weight = sum(v["weights"])
            if total_weight == 0 or v["contested"]:
                self.cursor = n
            else:
                self.cursor += min(n - self.cursor, max_steps - steps)
            if self.cursor == n:
                self.stage = 3
                self.settled_at_finalize = self.settle()
                self.burn_recorded = self.settled_at_finalize.burned
                return True
        return False

    def _release(self, pool: PoolModel) -> None:
        self.slashed = pool.dismiss(self.panel, self.slash_mask())

    def settle(self) -> Settlement:
        """Every entitlement of the settled task (the model's whole settlement)."""
        if self.settled_at_finalize is not None:
            return self.settled_at_finalize
        r, cs = self.reward, self.c_stake
        everyone = dict.fromkeys(self.accounts(), 0)
        if self.cancelled or not self.finalized:  # Cancelled, Void, Unfulfilled without a panel
            owed = dict(everyone, **dict.fromkeys(self.commitments, cs))
            owed[self.initiator] = r - self.forfeit
            # Cancel fixes the refund and burns at once; the others burn at the initiator's claim.
            refund = r - self.forfeit if self.cancelled else 0
            struct = (0,) * 11 + (self.burn_recorded, refund, False)
            return Settlement(owed, self.forfeit, [], [], struct)
        v = self.verdict()
        n, c = len(self.revealed), len(self.commitments)
        deposited = self.deposited()
        s = self.slashed
        counted = v["counted"]
        honest = [] if v["contested"] else [m for m in counted if m not in v["flagged"]]
        owed = dict(everyone)
        fee_amount = fee(r, self.params["verifierFeeBps"])
        forfeited = (c - n) * cs
        pool_, rewards, fee_each, burned = 0, [0] * n, 0, 0
        if n == 0:
            burned = self.forfeit
            owed[self.initiator] = r - self.forfeit + c * cs
        elif v["contested"]:
            for contributor in self.revealed:
                owed[contributor] = cs
            burned = deposited - n * cs
        else:
            pool_ = r - fee_amount + forfeited + (s if not honest else 0)
            total_weight = sum(v["weights"])
            if total_weight:
                rewards = [pool_ * w // total_weight for w in v["weights"]]
            for contributor, reward in zip(self.revealed, rewards, strict=True):
                owed[contributor] = cs + reward
            if honest:
                pot = fee_amount + s
                fee_each = pot // len(honest)
                for m in honest:
                    owed[m] = fee_each
                if s:
                    burned = pot - fee_each * len(honest)
            elif total_weight:
                if s:
                    burned = pool_ - sum(rewards)
            else:
                burned = s
            owed[self.initiator] = deposited - sum(owed.values()) - burned
        struct = (
            sum(v["weights"]),
            v["start"],
            v["baseline"],
            v["basis"],
            pool_,
            sum(rewards),
            fee_each,
            len(honest),
            len(counted),
            len(v["revealers"]),
            s,
            burned,
            owed[self.initiator],
            v["contested"],
        )
        return Settlement(
            owed, burned, v["medians"], rewards, struct, self.slash_mask(), len(honest)
        )
