"""The market and its verifier pool against a model, under random actions at random times.

A Hypothesis `RuleBasedStateMachine` drives one market (and its pool) through many small
tasks. Fourteen accounts (accounts[16:30]) join and leave the pool, create tasks, draw and
reveal audits, commit, request and draw panels, reveal models and test sets, vote and score,
finalize, claim and publish, in random order; the clock jumps by random amounts that often
land on a deadline, one second before it or one second after, and blocks pass one by one or
past the 256-block window of a seed. Most actions are the right ones; many are wrong (an
action outside its window, a wrong opening, a second claim, a draw before its seed block, a
withdrawal while on a panel, an action in someone else's role, a task that does not exist...).

`tests/utils/market_model.py` is the model: for every action it predicts the exact custom
error or the effect, including which shards the audit draws and which members the panel draw
picks (recomputed from the block hashes). After every step the test checks, in one batch of
views:

- the phase of every task is the model's; the phases a task goes through are a path in the
  phase graph (`PHASE_EDGES`) and none repeats;
- an action succeeds exactly when the model says so, and a refused one reverts with the
  model's error and fields;
- deposits, counts, the audit, the panel (members, votes, who is counted, honest, slashed)
  and what was paid out and burned per task equal the model's;
- conservation: per settled task, deposited == paidOut + sum of `owed` + burned; the market's
  balance == sum over tasks of (deposited - paidOut); the pool's balance == the sum of its
  bonds; `totalBurned` == what the tasks burned by a transaction so far;
- no bond is withdrawn while its member sits on an unsettled panel (the pool's open-panel
  counts equal the model's, and a withdrawal the model refuses is refused);
- the initiator never gets a slashed wei: its refund equals the model's, which slashed bonds
  never reach, and never exceeds the reward plus the forfeited contributor stakes;
- everyone's entitlement is the model's; a claim pays exactly it, once; nobody's balance moves
  except by what it sent or was paid; nothing is stuck: once everyone owed something has
  claimed, the task holds only its burned wei;
- after finalize: the settlement, every median and reward equal the model's, and rewards are
  monotone in the median.

Runs the `ci` profile by default (see tests/utils/profiles.py). The deep run, about an hour:

    HYPOTHESIS_PROFILE=deep ape test tests/invariants -q

A failure prints the shortest sequence of steps that breaks an invariant.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tests.utils.deploy import deploy_market
from tests.utils.fast_rpc import ContractRpc, Reverted
from tests.utils.market import (
    MIN_WINDOW,
    PHASES,
    TestSet,
    as_tuple,
    mine_blocks,
    model_commitment,
    score_commitment,
)
from tests.utils.market_model import (
    DEADLINES,
    HASH_WINDOW,
    PHASE_REACHABLE,
    SETTLED,
    ZERO32,
    ZERO_ADDRESS,
    PoolModel,
    TaskModel,
    err,
)
from tests.utils.profiles import STATEFUL
from tests.utils.randomness import AUDIT_TAG, PANEL_TAG, distinct, seed

MAX_TASKS = 3
BOND, SLASH, UNBONDING, FORFEIT_BPS = 10**16, 4 * 10**15, 5 * MIN_WINDOW, 500
TASK_ACTIONS = (
    "cancel_task",
    "draw_audit",
    "reveal_audit",
    "commit_model",
    "request_panel",
    "draw_panel",
    "reveal_model",
    "reveal_test_set",
    "commit_scores",
    "reveal_scores",
    "finalize",
    "claim",
    "publish_fused_model",
)
POOL_ACTIONS = ("register", "request_exit", "withdraw_bond")
# How often each kind of step happens (the first is where shrinking goes).
WHAT_HAPPENS = (
    ("participants act in window",) * 6
    + ("someone acts out of turn",) * 2
    + ("time passes",) * 2
    + ("blocks pass",)
    + ("the pool changes",)
    + ("an initiator creates a task",)
)
ACTORS = slice(16, 30)


def sha(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


class MarketStateMachine(RuleBasedStateMachine):
    """Random participants against one market and its pool; the model says what must happen."""

    # Bound by the test function (Hypothesis builds a new machine for every example).
    chain = None
    market = None
    rpc: ContractRpc = None
    pool_rpc: ContractRpc = None
    actors: list[str] = []
    scored_tasks_finalized = 0

    def __init__(self) -> None:
        super().__init__()
        # anvil's evm_revert consumes the snapshot: a fresh one for every example.
        self.snapshot = self.chain.snapshot()
        self.chain_id = self.chain.chain_id
        self.address = self.market.address
        self.now = self.chain.blocks.head.timestamp  # timestamp of the next block
        self.block = self.chain.blocks.head.number  # the head: the next transaction is in block + 1
        self.pool = PoolModel(BOND, SLASH, UNBONDING)
        self.tasks: list[TaskModel] = []
        self.phase_paths: dict[int, list[str]] = {}
        self.revealed_in: dict[bytes, int] = {}
        self.model_secrets: dict[tuple[int, str], tuple[bytes, bytes]] = {}
        self.score_secrets: dict[tuple[int, str], tuple[bool, list[int], bytes]] = {}
        # Per task: the accuracy an honest member sees for the start (index 0) and each submission.
        self.quality: dict[int, list[int]] = {}
        self.nonce = 0
        self.chain.pending_timestamp = self.now
        self.balances = dict(zip(self.actors, self.rpc.view_batch([], self.actors)[1], strict=True))

    def teardown(self) -> None:
        # Counted so the test can show it went somewhere: a run that never finalizes a scored
        # task checks little.
        type(self).scored_tasks_finalized += sum(
            1 for t in self.tasks if t.finalized and t.score_reveals
        )
        self.chain.restore(self.snapshot)

    # ------------------------------------------------------------ helpers
    def _fresh(self, label: str) -> bytes:
        self.nonce += 1
        return sha(f"{label}-{self.nonce}")

    def _phase(self, task: TaskModel) -> str:
        return task.phase(self.now, self.block + 1)

    def _act(
        self,
        rpc: ContractRpc,
        name: str,
        *args,
        sender: str,
        value: int = 0,
        expected: Reverted | None,
    ):
        """Sends the action at the model's clock and checks the outcome against `expected`."""
        self.chain.pending_timestamp = self.now
        outcome, receipt = rpc.send(name, *args, sender=sender, value=value)
        where = f"{name} from {sender[:8]} at t={self.now} block={self.block + 1}"
        if expected is None:
            assert outcome.ok, (
                f"{where}: the model expects success, the contract reverted {outcome.error}"
            )
            self.balances[sender] -= value
            self.block = int(receipt["blockNumber"], 16)
        else:
            assert not outcome.ok, (
                f"{where}: the model expects {expected}, the contract accepted it"
            )
            assert outcome.error == expected, f"{where}: expected {expected}, got {outcome.error}"
        return outcome, receipt

    def _block_hash(self, number: int) -> bytes:
        block = self.rpc.node.call("eth_getBlockByNumber", hex(number), False)
        return bytes.fromhex(block["hash"][2:])

    def _pick_task(self, data) -> tuple[int, TaskModel | None]:
        """A task of this example; one time in twenty, an id no task has."""
        if data.draw(st.integers(0, 19), label="no such task") == 19:
            return len(self.tasks) + 1, None
        task = data.draw(st.sampled_from(self.tasks), label="task")
        return task.task_id, task

    def _pick(self, data, preferred: list[str], label: str) -> str:
        """Usually one of `preferred` (the right actor); sometimes anyone."""
        if preferred and data.draw(st.integers(0, 4), label=f"{label} is anyone") != 4:
            return data.draw(st.sampled_from(preferred), label=label)
        return data.draw(st.sampled_from(self.actors), label=label)

    @staticmethod
    def _mistake(data, *kinds: str) -> str | None:
        """None three times in four; otherwise one of the mistakes."""
        index = data.draw(st.integers(0, 4 * len(kinds) - 1), label="mistake")
        return kinds[index - 3 * len(kinds)] if index >= 3 * len(kinds) else None

    @staticmethod
    def _rare(data, label: str) -> bool:
        return data.draw(st.integers(0, 9), label=label) == 9

    # ------------------------------------------------------------ creating
    def _create(self, data, always_valid: bool) -> None:
        initiator = data.draw(st.sampled_from(self.actors), label="initiator")
        reward = data.draw(st.integers(1, 10**18), label="reward")
        windows = data.draw(
            st.lists(
                st.sampled_from([MIN_WINDOW, MIN_WINDOW + 1, 2 * MIN_WINDOW, 3 * MIN_WINDOW]),
                min_size=6,
                max_size=6,
            ),
            label="windows",
        )
        shards = data.draw(st.integers(2, 6), label="shards")
        audit = data.draw(st.integers(1, shards - 1), label="audited")
        parent = 0
        owner = None  # the test set is committed for the initiator, unless by mistake
        if not always_valid:
            if self._rare(data, "zero reward"):
                reward = 0
            if self._rare(data, "a window too short"):
                windows[data.draw(st.integers(0, 5), label="short window")] = MIN_WINDOW - 1
            if self._rare(data, "has a parent"):
                parent = data.draw(st.integers(1, len(self.tasks) + 1), label="parent")
                if parent <= len(self.tasks) and data.draw(st.booleans(), label="its own round"):
                    initiator = self.tasks[parent - 1].initiator
            if self._rare(data, "test set committed for someone else"):
                owner = data.draw(st.sampled_from(self.actors), label="test set owner")
        test_set = TestSet(
            [self._fresh("shard") for _ in range(shards)],
            [self._fresh("salt") for _ in range(shards)],
        )
        if not always_valid and self._rare(data, "a shard with a zero digest"):
            test_set.digests[data.draw(st.integers(0, shards - 1), label="zero shard")] = ZERO32
        deadlines, at = [], self.now
        for window in windows:
            at += window
            deadlines.append(at)
        params = {
            "specDigest": self._fresh("spec"),
            "testSetCommitment": test_set.commitment(
                self.chain_id, self.address, owner or initiator
            ),
            **{f"{name}Deadline": d for name, d in zip(DEADLINES, deadlines, strict=True)},
            "contributorStake": data.draw(st.integers(1, 10**16), label="contributor stake"),
            "maxContributors": data.draw(st.integers(1, 4), label="max contributors"),
            "panelSize": data.draw(st.sampled_from([3, 3, 5]), label="panel size"),
            "verifierFeeBps": data.draw(
                st.one_of(st.sampled_from([0, 10_000]), st.integers(0, 10_000)), label="fee"
            ),
            "baselineScore": data.draw(
                st.sampled_from([0, 1_000, 5_000, 9_000, 10_000]), label="baseline"
            ),
            "toleranceBps": data.draw(
                st.sampled_from([0, 100, 300, 1_000, 10_000]), label="tolerance"
            ),
            "testShards": shards,
            "auditShards": audit,
            "parentTaskId": parent,
        }

        expected = None
        earliest = self.now + MIN_WINDOW
        if reward == 0:
            expected = err("ZeroReward")
        else:
            for index, deadline in enumerate(deadlines):
                if deadline < earliest:
                    expected = err("DeadlineTooEarly", index, deadline, earliest)
                    break
                earliest = deadline + MIN_WINDOW
        if expected is None and parent:
            known = parent <= len(self.tasks)
            if (
                not known
                or self.tasks[parent - 1].initiator != initiator
                or self.tasks[parent - 1].fused_digest == ZERO32
            ):
                expected = err("InvalidParent", parent)

        outcome, _ = self._act(
            self.rpc,
            "createTask",
            as_tuple(params),
            "store://spec",
            sender=initiator,
            value=reward,
            expected=expected,
        )
        if expected is None:
            task_id = len(self.tasks) + 1
            assert outcome.value == task_id
            self.tasks.append(
                TaskModel(
                    task_id,
                    initiator,
                    reward,
                    params,
                    test_set,
                    self.block + 1,
                    forfeit_bps=FORFEIT_BPS,
                )
            )
            self.phase_paths[task_id] = []
            self.quality[task_id] = [data.draw(st.integers(0, 10_000), label="start quality")]

    @initialize(data=st.data())
    def first_task(self, data):
        # A pool big enough to fill a panel of five, then a task.
        for actor in self.actors[:6]:
            self._act(self.pool_rpc, "register", sender=actor, value=BOND, expected=None)
            self.pool.register(actor, self.block)
        self._create(data, always_valid=True)

    @rule(data=st.data())
    def step(self, data):
        """Something happens: participants act in a window, someone acts out of turn, time or
        blocks pass, the pool changes, or an initiator creates a task.

        One rule with weights, not one rule per action: Hypothesis switches a random subset
        of rules off in each example, and a round needs a dozen kinds of action and the clock.
        """
        what = data.draw(st.sampled_from(WHAT_HAPPENS), label="what happens")
        if what == "an initiator creates a task" and len(self.tasks) < MAX_TASKS:
            self._create(data, always_valid=False)
        elif what == "someone acts out of turn":
            self._act_out_of_turn(data)
        elif what == "the pool changes":
            getattr(self, data.draw(st.sampled_from(POOL_ACTIONS), label="pool action"))(data)
        elif what == "blocks pass":
            self._blocks_pass(data)
        elif what == "participants act in window" and any(
            self._useful_actions(t) for t in self.tasks
        ):
            self._act_in_window(data)
        else:
            self._time_passes(data)

    def _useful_actions(self, task: TaskModel) -> tuple[str, ...]:
        """The actions that move the task on now, if taken by the right account."""
        phase = self._phase(task)
        block = self.block + 1
        if phase == "Audit":
            if not task.audit_mask:
                return ("draw_audit",) if block > task.audit_seed_block else ("wait_a_block",)
            return ("reveal_audit",) * 3 + ("cancel_task",)
        if phase == "Commit":
            actions = (
                ("commit_model",) * 3
                if len(task.commitments) < task.params["maxContributors"]
                else ()
            )
            return actions + (("cancel_task",) if not task.commitments else ())
        if phase == "Reveal":
            if not task.panel:
                if task.panel_seed_block and block <= task.panel_seed_block:
                    return ("wait_a_block",)
                if task.panel_seed_block and block <= task.panel_seed_block + HASH_WINDOW:
                    return ("draw_panel",)
                return (
                    ("request_panel",)
                    if task.commitments and task.expect_request_panel(self.now, block) is None
                    else ()
                )
            return ("reveal_model",) if self._can_reveal_model(task) else ()
        if phase == "TestReveal":
            return ("reveal_test_set",)
        if phase == "ScoreCommit":
            return ("commit_scores",) if len(task.score_commitments) < len(task.panel) else ()
        if phase == "ScoreReveal":
            return ("reveal_scores",) if self._can_reveal_scores(task) else ()
        if phase == "Finalizing":
            return ("finalize",)
        actions = ()
        if any(amount and a not in task.paid for a, amount in task.settle().owed.items()):
            actions += ("claim",) * 3
        if phase == "Finalized" and task.fused_digest == ZERO32:
            actions += ("publish_fused_model",)
        return actions

    def _closes_at(self, task: TaskModel) -> int:
        """When the task's current window closes (settled tasks last)."""
        ahead = [task.deadline(name) for name in DEADLINES if task.deadline(name) >= self.now]
        return ahead[0] if ahead and self._phase(task) not in SETTLED else 2**64

    def _act_in_window(self, data) -> None:
        """Participants of one task take, one after another, actions its phase allows."""
        # Usually the task whose window closes first: participants act before their deadline.
        tasks = sorted((t for t in self.tasks if self._useful_actions(t)), key=self._closes_at)
        if data.draw(st.integers(0, 3), label="not the most urgent task") == 3:
            task = data.draw(st.sampled_from(tasks), label="task")
        else:
            task = tasks[0]
        for _ in range(data.draw(st.integers(1, 4), label="actions")):
            actions = self._useful_actions(task)
            if not actions:
                break
            action = data.draw(st.sampled_from(actions), label="action")
            getattr(self, action)(data, task.task_id, task)

    def _act_out_of_turn(self, data) -> None:
        """Anyone takes any action in any task (or in one that does not exist), now."""
        task_id, task = self._pick_task(data)
        action = data.draw(st.sampled_from(TASK_ACTIONS), label="action")
        getattr(self, action)(data, task_id, task)

    # ------------------------------------------------------------ the pool
    def register(self, data) -> None:
        sender = data.draw(st.sampled_from(self.actors), label="registrant")
        value = BOND
        if self._mistake(data, "wrong bond"):
            value = data.draw(st.sampled_from([0, BOND - 1, BOND + 1]), label="bond sent")
        expected = self.pool.expect_register(sender, value)
        self._act(self.pool_rpc, "register", sender=sender, value=value, expected=expected)
        if expected is None:
            self.pool.register(sender, self.block)

    def request_exit(self, data) -> None:
        members = [a for a in self.actors if self.pool.member(a).active_since]
        sender = self._pick(data, members, "leaving member")
        expected = self.pool.expect_request_exit(sender)
        self._act(self.pool_rpc, "requestExit", sender=sender, expected=expected)
        if expected is None:
            self.pool.request_exit(sender, self.block, self.now)

    def withdraw_bond(self, data) -> None:
        leaving = [a for a in self.actors if self.pool.member(a).exit_block]
        sender = self._pick(data, leaving, "withdrawing member")
        expected = self.pool.expect_withdraw(sender, self.now)
        outcome, _ = self._act(self.pool_rpc, "withdrawBond", sender=sender, expected=expected)
        if expected is None:
            amount = self.pool.withdraw(sender)
            assert outcome.value == amount
            self.balances[sender] += amount

    # ------------------------------------------------------------ audit
    def cancel_task(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = self._pick(data, [task.initiator] if task else [], "canceller")
        expected = (
            task.expect_cancel(sender, self.now, self.block + 1)
            if task
            else err("TaskNotFound", task_id)
        )
        self._act(self.rpc, "cancelTask", task_id, sender=sender, expected=expected)
        if expected is None:
            task.cancelled = True
            task.burn_recorded = task.forfeit

    def draw_audit(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = data.draw(st.sampled_from(self.actors), label="audit drawer")
        expected = (
            task.expect_draw_audit(self.now, self.block + 1)
            if task
            else err("TaskNotFound", task_id)
        )
        self._act(self.rpc, "drawAudit", task_id, sender=sender, expected=expected)
        if expected is None:
            audit_seed = seed(
                self._block_hash(task.audit_seed_block),
                self.chain_id,
                self.address,
                task_id,
                AUDIT_TAG,
            )
            task.audit_mask = distinct(
                audit_seed, task.params["auditShards"], task.params["testShards"]
            )

    def _openings(self, data, task: TaskModel | None, mask: int):
        test_set = task.test_set if task else TestSet([sha("x")] * 2, [ZERO32] * 2)
        commitments = test_set.commitments
        digests, salts = test_set.openings(mask)
        mistake = self._mistake(
            data, "wrong salt", "one opening short", "another test set", "one commitment short"
        )
        if mistake == "wrong salt" and salts:
            salts[0] = self._fresh("wrong-salt")
        elif mistake == "one opening short" and digests:
            digests.pop()
        elif mistake == "another test set":
            commitments = TestSet(
                [self._fresh("other")] * len(commitments), [ZERO32] * len(commitments)
            ).commitments
        elif mistake == "one commitment short":
            commitments = commitments[:-1]
        return commitments, digests, salts

    def reveal_audit(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = self._pick(data, [task.initiator] if task else [], "auditor")
        commitments, digests, salts = self._openings(data, task, task.audit_mask if task else 0)
        expected = (
            task.expect_reveal_audit(
                sender,
                self.now,
                self.block + 1,
                self.chain_id,
                self.address,
                commitments,
                digests,
                salts,
            )
            if task
            else err("TaskNotFound", task_id)
        )
        self._act(
            self.rpc,
            "revealAudit",
            task_id,
            commitments,
            digests,
            salts,
            "store://audit",
            sender=sender,
            expected=expected,
        )
        if expected is None:
            task.audit_revealed = True

    # ------------------------------------------------------------ models and panel
    def _newcomers(self, task: TaskModel | None) -> list[str]:
        if task is None:
            return []
        return [a for a in self.actors if a != task.initiator and task.role(a) == "None"]

    def commit_model(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = self._pick(data, self._newcomers(task), "contributor")
        digest = self._fresh("model")
        others = [self.model_secrets[(task_id, c)][0] for c in task.commitments] if task else []
        if self.revealed_in and self._rare(data, "copies a model revealed anywhere"):
            digest = data.draw(st.sampled_from(sorted(self.revealed_in)), label="copied model")
        elif others and self._rare(data, "copies another contributor's model file"):
            digest = data.draw(st.sampled_from(others), label="copied model")
        elif self._rare(data, "zero model digest"):
            digest = ZERO32
        secret = self._fresh("model-salt")
        stake = task.c_stake if task else 1
        bound_task, bound_sender = task_id, sender
        mistake = self._mistake(
            data,
            "zero commitment",
            "wrong stake",
            "bound to another sender",
            "bound to another task",
        )
        if mistake == "wrong stake":
            stake = data.draw(st.sampled_from([0, stake - 1, stake + 1]), label="stake sent")
        elif mistake == "bound to another sender":
            bound_sender = data.draw(
                st.sampled_from([a for a in self.actors if a != sender]), label="bound sender"
            )
        elif mistake == "bound to another task":
            bound_task = task_id + 1
        commitment = model_commitment(
            self.chain_id, self.address, bound_task, bound_sender, digest, secret
        )
        if mistake == "zero commitment":
            commitment = ZERO32
        expected = (
            task.expect_commit_model(sender, commitment, stake, self.now, self.block + 1)
            if task
            else err("TaskNotFound", task_id)
        )
        self._act(
            self.rpc,
            "commitModel",
            task_id,
            commitment,
            sender=sender,
            value=stake,
            expected=expected,
        )
        if expected is None:
            task.commitments[sender] = commitment
            self.model_secrets[(task_id, sender)] = (digest, secret)

    def request_panel(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = data.draw(st.sampled_from(self.actors), label="requester")
        expected = (
            task.expect_request_panel(self.now, self.block + 1)
            if task
            else err("TaskNotFound", task_id)
        )
        self._act(self.rpc, "requestPanel", task_id, sender=sender, expected=expected)
        if expected is None:
            task.panel_request_block = self.block
            task.panel_seed_block = self.block + 1
            task.pool_size_at_request = len(self.pool.order)

    def draw_panel(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = data.draw(st.sampled_from(self.actors), label="drawer")
        expected = (
            task.expect_draw_panel(self.now, self.block + 1)
            if task
            else err("TaskNotFound", task_id)
        )
        members: list[str] = []
        panel_seed = ZERO32
        if expected is None:
            panel_seed = seed(
                self._block_hash(task.panel_seed_block),
                self.chain_id,
                self.address,
                task_id,
                PANEL_TAG,
            )
            members = task.draw(self.pool, panel_seed)
            needed = task.params["panelSize"]
            if len(members) < needed:
                expected = err("PanelUnfilled", task_id, len(members), needed)
        _, receipt = self._act(self.rpc, "drawPanel", task_id, sender=sender, expected=expected)
        if expected is None:
            assert self.rpc.events("PanelDrawn", receipt) == [
                {"taskId": task_id, "seed": panel_seed, "members": tuple(members)}
            ]
            task.panel, task.seed = members, panel_seed
            for member in members:
                self.pool.members[member].open_panels += 1

    def _can_reveal_model(self, task: TaskModel) -> list[str]:
        """Contributors whose own digest and salt would open their commitment now."""
        return [
            c
            for c in task.commitments
            if task.expect_reveal_model(
                self.chain_id,
                self.address,
                c,
                *self.model_secrets[(task.task_id, c)],
                self.now,
                self.block + 1,
                self.revealed_in,
            )
            is None
        ]

    def reveal_model(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = self._pick(data, self._can_reveal_model(task) if task else [], "revealer")
        digest, secret = self.model_secrets.get((task_id, sender), (sha("never committed"), ZERO32))
        mistake = self._mistake(data, "wrong salt", "wrong digest")
        if mistake == "wrong salt":
            secret = self._fresh("wrong-salt")
        elif mistake == "wrong digest":
            digest = self._fresh("other-model")
        expected = (
            task.expect_reveal_model(
                self.chain_id,
                self.address,
                sender,
                digest,
                secret,
                self.now,
                self.block + 1,
                self.revealed_in,
            )
            if task
            else err("TaskNotFound", task_id)
        )
        self._act(
            self.rpc,
            "revealModel",
            task_id,
            digest,
            secret,
            f"store://{digest.hex()}",
            sender=sender,
            expected=expected,
        )
        if expected is None:
            task.revealed.append(sender)
            task.revealed_digests.append(digest)
            self.revealed_in[digest] = task_id
            self.quality[task_id].append(data.draw(st.integers(0, 10_000), label="true score"))

    def reveal_test_set(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = self._pick(data, [task.initiator] if task else [], "test set revealer")
        mask = 0
        if task:
            mask = ((1 << task.params["testShards"]) - 1) & ~task.audit_mask
        commitments, digests, salts = self._openings(data, task, mask)
        expected = (
            task.expect_reveal_test_set(
                sender,
                self.now,
                self.block + 1,
                self.chain_id,
                self.address,
                commitments,
                digests,
                salts,
            )
            if task
            else err("TaskNotFound", task_id)
        )
        self._act(
            self.rpc,
            "revealTestSet",
            task_id,
            commitments,
            digests,
            salts,
            "store://test",
            sender=sender,
            expected=expected,
        )
        if expected is None:
            task.test_revealed = True

    # ------------------------------------------------------------ scoring
    def commit_scores(self, data, task_id: int, task: TaskModel | None) -> None:
        waiting = [m for m in task.panel if m not in task.score_commitments] if task else []
        sender = self._pick(data, waiting, "scorer")
        truth = self.quality.get(task_id, [0])
        if task and len(truth) != len(task.revealed) + 1:
            truth = [0] * (len(task.revealed) + 1)
        if self._rare(data, "scores at random"):  # a member that did not evaluate, or lies
            scores = data.draw(
                st.lists(st.integers(0, 10_000), min_size=len(truth), max_size=len(truth)),
                label="scores",
            )
        else:
            noise = data.draw(
                st.lists(st.integers(-150, 150), min_size=len(truth), max_size=len(truth)),
                label="noise",
            )
            scores = [min(10_000, max(0, q + e)) for q, e in zip(truth, noise, strict=True)]
        available = bool(task and task.test_revealed)
        if self._rare(data, "votes the other way"):
            available = not available
        secret = self._fresh("score-salt")
        mistake = self._mistake(
            data, "zero commitment", "one score too many", "one score too few", "score above 10000"
        )
        if mistake == "one score too many":
            scores.append(5_000)
        elif mistake == "one score too few" and scores:
            scores.pop()
        elif mistake == "score above 10000" and scores:
            scores[data.draw(st.integers(0, len(scores) - 1), label="index")] = data.draw(
                st.sampled_from([10_001, 65_535]), label="bad score"
            )
        commitment = score_commitment(
            self.chain_id, self.address, task_id, sender, available, scores, secret
        )
        if mistake == "zero commitment":
            commitment = ZERO32
        expected = (
            task.expect_commit_scores(sender, commitment, self.now, self.block + 1)
            if task
            else err("TaskNotFound", task_id)
        )
        self._act(self.rpc, "commitScores", task_id, commitment, sender=sender, expected=expected)
        if expected is None:
            task.score_commitments[sender] = commitment
            self.score_secrets[(task_id, sender)] = (available, scores, secret)

    def _can_reveal_scores(self, task: TaskModel) -> list[str]:
        """Members whose own vote, scores and salt would open their commitment now."""
        return [
            m
            for m in task.score_commitments
            if task.expect_reveal_scores(
                self.chain_id,
                self.address,
                m,
                *self.score_secrets[(task.task_id, m)],
                self.now,
                self.block + 1,
            )
            is None
        ]

    def reveal_scores(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = self._pick(data, self._can_reveal_scores(task) if task else [], "score revealer")
        available, scores, secret = self.score_secrets.get((task_id, sender), (True, [], ZERO32))
        scores = list(scores)
        mistake = self._mistake(data, "wrong salt", "altered scores", "other vote")
        if mistake == "wrong salt":
            secret = self._fresh("wrong-salt")
        elif mistake == "altered scores":
            if scores:
                scores[0] = (scores[0] + 1) % 10_001
            else:
                scores = [0]
        elif mistake == "other vote":
            available = not available
        expected = (
            task.expect_reveal_scores(
                self.chain_id,
                self.address,
                sender,
                available,
                scores,
                secret,
                self.now,
                self.block + 1,
            )
            if task
            else err("TaskNotFound", task_id)
        )
        self._act(
            self.rpc,
            "revealScores",
            task_id,
            available,
            scores,
            secret,
            sender=sender,
            expected=expected,
        )
        if expected is None:
            task.score_reveals[sender] = (available, scores)

    # ------------------------------------------------------------ settling
    def finalize(self, data, task_id: int, task: TaskModel | None) -> None:
        caller = data.draw(st.sampled_from(self.actors), label="finalizer")
        max_steps = data.draw(st.sampled_from([1, 2, 3, 10_000]), label="max steps")
        if self._rare(data, "zero steps"):
            max_steps = 0
        if max_steps == 0:
            expected = err("ZeroSteps")
        else:
            expected = (
                task.expect_finalize(self.now, self.block + 1)
                if task
                else err("TaskNotFound", task_id)
            )
        outcome, _ = self._act(
            self.rpc, "finalize", task_id, max_steps, sender=caller, expected=expected
        )
        if expected is None:
            done = task.apply_finalize(max_steps, self.pool)
            assert outcome.value == done, (
                f"finalize({task_id}, {max_steps}) returned {outcome.value}, model: {done}"
            )

    def claim(self, data, task_id: int, task: TaskModel | None) -> None:
        settled = task is not None and self._phase(task) in SETTLED
        settlement = task.settle() if settled else None
        unpaid = [a for a in task.accounts() if a not in task.paid] if task else []
        if settled:
            unpaid = [a for a, amount in settlement.owed.items() if amount and a not in task.paid]
        sender = self._pick(data, unpaid, "claimer")
        how = data.draw(st.sampled_from(["claim", "claimTo"]), label="how")
        recipient = sender
        if how == "claimTo":
            recipient = data.draw(st.sampled_from(self.actors), label="recipient")
            if self._rare(data, "to the zero address"):
                recipient = ZERO_ADDRESS
        if recipient == ZERO_ADDRESS:
            expected = err("ZeroRecipient")
        else:
            expected = (
                task.expect_claim(sender, self.now, self.block + 1, settlement)
                if task
                else err("TaskNotFound", task_id)
            )
        args = (task_id,) if how == "claim" else (task_id, recipient)
        outcome, receipt = self._act(self.rpc, how, *args, sender=sender, expected=expected)
        if expected is None:
            entitled = settlement.owed[sender]
            assert outcome.value == entitled, f"claim paid {outcome.value}, entitlement {entitled}"
            assert self.rpc.events("Claimed", receipt) == [
                {"taskId": task_id, "account": sender, "recipient": recipient, "amount": entitled}
            ]
            task.paid[sender] = entitled
            self.balances[recipient] += entitled
            if sender == task.initiator and not task.finalized and not task.cancelled:
                task.burn_recorded = task.forfeit  # Void or Unfulfilled without a panel

    def publish_fused_model(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = self._pick(data, [task.initiator] if task else [], "publisher")
        digest = ZERO32 if self._rare(data, "zero fused digest") else self._fresh("fused")
        expected = (
            task.expect_publish(sender, digest, self.now, self.block + 1)
            if task
            else err("TaskNotFound", task_id)
        )
        self._act(
            self.rpc,
            "publishFusedModel",
            task_id,
            digest,
            "store://fused",
            sender=sender,
            expected=expected,
        )
        if expected is None:
            task.fused_digest = digest

    def wait_a_block(self, data, task_id: int, task: TaskModel | None) -> None:
        """A seed block must be mined before its draw: one empty block."""
        mine_blocks(self.chain, 1, self.now)
        self.block += 1

    # ------------------------------------------------------------ time and blocks
    def _time_passes(self, data) -> None:
        """To the next deadline of an open task (sometimes a later one): one second before it,
        at it or one second after it; or a few seconds; or a while (across windows)."""
        how = data.draw(
            st.sampled_from(["to a deadline"] * 6 + ["a few seconds"] * 5 + ["a while"]),
            label="time passes",
        )
        open_tasks = [t for t in self.tasks if self._phase(t) not in SETTLED] or self.tasks
        ahead = sorted(
            {
                t.deadline(name)
                for t in open_tasks
                for name in DEADLINES
                if t.deadline(name) + 1 > self.now
            }
        )
        if how == "to a deadline" and ahead:
            later = data.draw(st.integers(0, 7), label="a later deadline") == 7
            deadline = data.draw(st.sampled_from(ahead), label="deadline") if later else ahead[0]
            instants = [t for t in (deadline - 1, deadline, deadline + 1) if t > self.now]
            self.now = data.draw(st.sampled_from(instants), label="instant")
        elif how == "a few seconds":
            self.now += data.draw(st.integers(0, 10), label="seconds")
        else:
            self.now += data.draw(st.integers(0, 6 * MIN_WINDOW), label="seconds")
        self.chain.pending_timestamp = self.now

    def _blocks_pass(self, data) -> None:
        """One to three empty blocks, or past a seed's 256-block window (the clock stays)."""
        blocks = data.draw(st.sampled_from([1, 1, 2, 3, HASH_WINDOW + 1]), label="blocks")
        mine_blocks(self.chain, blocks, self.now)
        self.block += blocks

    # ------------------------------------------------------------ invariants
    @invariant()
    def market_matches_model(self):
        self.chain.pending_timestamp = self.now
        calls: list[tuple[str, tuple]] = [("totalBurned", ())]
        for task in self.tasks:
            calls += [
                ("getTask", (task.task_id,)),
                ("getPanel", (task.task_id,)),
                ("getShards", (task.task_id,)),
            ]
            if self._phase(task) in SETTLED:
                for account in self._claimants(task):
                    calls += [
                        ("owed", (task.task_id, account)),
                        ("hasClaimed", (task.task_id, account)),
                    ]
            if task.finalized:
                calls.append(("getSubmissions", (task.task_id, 0, 2**256 - 1)))
        pool_calls = [("memberOf", (a,)) for a in self.actors] + [("size", ()), ("activeCount", ())]
        results, balances = self.rpc.view_batch(
            calls, [*self.actors, self.address, self.pool_rpc.address]
        )
        pool_results, _ = self.pool_rpc.view_batch(pool_calls)
        results = iter(results)

        assert next(results) == sum(t.burn_recorded for t in self.tasks), "totalBurned"
        held = 0
        for task in self.tasks:
            held += self._check_task(task, results)
        market_balance, pool_balance = balances[-2], balances[-1]
        assert market_balance == held, f"market holds {market_balance}, tasks account for {held}"
        assert market_balance == sum(t.deposited() - t.paid_out() for t in self.tasks)
        assert pool_balance == self.pool.held(), (
            f"pool holds {pool_balance}, its bonds {self.pool.held()}"
        )
        for actor, record in zip(self.actors, pool_results[: len(self.actors)], strict=True):
            m = self.pool.member(actor)
            assert record == (
                m.bond,
                m.active_since,
                m.exit_block,
                m.open_panels,
                m.exit_time,
                m.slot,
            ), f"pool record of {actor}"
        assert pool_results[-2:] == [len(self.pool.order), self.pool.active()]
        for actor, balance in zip(self.actors, balances[:-2], strict=True):
            assert balance == self.balances[actor], (
                f"{actor} holds {balance}, expected {self.balances[actor]}"
            )

    def _claimants(self, task: TaskModel) -> list[str]:
        """Everyone who may be owed something in the task, and one who is owed nothing."""
        outsider = next(a for a in self.actors if a not in task.accounts())
        return [*dict.fromkeys(task.accounts()), outsider]

    def _check_task(self, task: TaskModel, results) -> int:
        """Checks one task; returns what the market still holds for it (deposited - paidOut)."""
        view, panel_view, (digests, audit_mask) = next(results), next(results), next(results)
        (
            _,
            initiator,
            phase_index,
            reward,
            committed,
            revealed,
            audit_seed_block,
            view_mask,
            audit_revealed,
            test_revealed,
            panel_seed_block,
            panel_request_block,
            pool_size,
            panel_drawn,
            fused,
            deposited,
            paid_out,
            burned,
            settlement,
        ) = view
        task_id = task.task_id
        phase = PHASES[phase_index]

        # Phases: the model's, along the graph, never repeated.
        expected_phase = self._phase(task)
        assert phase == expected_phase, (
            f"task {task_id} at t={self.now} block={self.block + 1}: "
            f"phase {phase}, model {expected_phase}"
        )
        path = self.phase_paths[task_id]
        if not path or path[-1] != phase:
            assert phase not in path, f"task {task_id} is back in {phase}: {path}"
            assert not path or phase in PHASE_REACHABLE[path[-1]], (
                f"task {task_id}: {path[-1]} -> {phase} is no path"
            )
            path.append(phase)

        # What the task holds.
        assert (initiator, reward, committed, revealed) == (
            task.initiator,
            task.reward,
            len(task.commitments),
            len(task.revealed),
        )
        assert (audit_seed_block, view_mask, audit_mask, audit_revealed, test_revealed) == (
            task.audit_seed_block,
            task.audit_mask,
            task.audit_mask,
            task.audit_revealed,
            task.test_revealed,
        )
        opened = (task.audit_mask if task.audit_revealed else 0) | (
            ((1 << task.params["testShards"]) - 1) & ~task.audit_mask if task.test_revealed else 0
        )
        assert list(digests) == [
            task.test_set.digests[i] if opened >> i & 1 else ZERO32
            for i in range(task.params["testShards"])
        ]
        assert (panel_seed_block, panel_request_block, pool_size, panel_drawn) == (
            task.panel_seed_block,
            task.panel_request_block,
            task.pool_size_at_request,
            len(task.panel),
        )
        assert fused == task.fused_digest
        assert (deposited, paid_out) == (task.deposited(), task.paid_out()), (
            f"task {task_id}: deposits or payouts"
        )
        assert paid_out + burned <= deposited

        # The panel: members in draw order, votes; once finalized: counted, honest, slashed.
        assert [p[0] for p in panel_view] == task.panel
        assert [(p[1], p[2], p[3]) for p in panel_view] == [
            (
                m in task.score_commitments,
                m in task.score_reveals,
                task.score_reveals.get(m, (False,))[0],
            )
            for m in task.panel
        ]

        if phase in SETTLED:
            settled = task.settle()
            assert burned == settled.burned, (
                f"task {task_id}: burned {burned}, model {settled.burned}"
            )
            owed_total = 0
            for account in self._claimants(task):
                owed, claimed = next(results), next(results)
                entitled = settled.owed.get(account, 0)
                assert claimed == (account in task.paid), (
                    f"task {task_id}: hasClaimed({account}) is {claimed}"
                )
                assert owed == (0 if claimed else entitled), (
                    f"task {task_id}: owed({account}) {owed}, model {entitled}"
                )
                assert task.paid.get(account, entitled) == entitled  # nobody paid twice, nor more
                owed_total += owed
            assert sum(settled.owed.values()) + settled.burned == deposited, (
                f"task {task_id}: entitlements + burn != deposits"
            )
            # Conservation: what came in is what went out, what is still owed, and what burned.
            assert deposited == paid_out + owed_total + burned, (
                f"task {task_id}: {deposited} != {paid_out} + {owed_total} + {burned}"
            )
            # Nothing stuck: once everyone owed something has claimed, only burned wei remain.
            if all(a in task.paid for a, amount in settled.owed.items() if amount):
                assert owed_total == 0 and deposited == paid_out + burned, (
                    f"task {task_id}: ETH stuck after every claim"
                )
            # The initiator never gets a slashed wei: at most the reward and the forfeited stakes.
            forfeited = (len(task.commitments) - len(task.revealed)) * task.c_stake
            assert settled.owed[task.initiator] <= task.reward + forfeited
            assert tuple(settlement) == settled.struct, (
                f"task {task_id}: settlement {settlement}, model {settled.struct}"
            )
            if task.finalized:
                verdict = task.verdict()
                honest = (
                    set() if verdict["contested"] else set(verdict["counted"]) - verdict["flagged"]
                )
                assert [(p[4], p[5], p[6]) for p in panel_view] == [
                    (m in verdict["counted"], m in honest, bool(settled.slash_mask >> i & 1))
                    for i, m in enumerate(task.panel)
                ]
                submissions = next(results)
                assert [s[0] for s in submissions] == task.revealed
                assert [s[1] for s in submissions] == task.revealed_digests
                medians, rewards = [s[2] for s in submissions], [s[3] for s in submissions]
                assert medians == settled.medians, (
                    f"task {task_id}: medians {medians}, model {settled.medians}"
                )
                assert rewards == settled.rewards, (
                    f"task {task_id}: rewards {rewards}, model {settled.rewards}"
                )
                for mi, ri in zip(medians, rewards, strict=True):
                    for mj, rj in zip(medians, rewards, strict=True):
                        assert mi <= mj or ri >= rj, (
                            f"task {task_id}: median {mi} earns {ri} < {rj} for {mj}"
                        )
                        assert mi != mj or ri == rj, (
                            f"task {task_id}: equal medians {mi} earn {ri} and {rj}"
                        )
        return deposited - paid_out


@pytest.fixture(scope="module")
def invariant_market(project, deployer):
    """A market of its own, so that its balance is exactly what these tasks hold."""
    return deploy_market(
        project,
        deployer,
        verifier_bond=BOND,
        slash_amount=SLASH,
        unbonding_period=UNBONDING,
        forfeit_bps=FORFEIT_BPS,
    )


def test_market_state_machine__random_actions__keep_every_invariant(
    invariant_market, chain, accounts
):
    endpoint = chain.provider.web3.provider.endpoint_uri
    MarketStateMachine.chain = chain
    MarketStateMachine.market = invariant_market.market
    MarketStateMachine.rpc = ContractRpc(
        endpoint, invariant_market.market.address, invariant_market.market.contract_type
    )
    MarketStateMachine.pool_rpc = ContractRpc(
        endpoint, invariant_market.pool.address, invariant_market.pool.contract_type
    )
    MarketStateMachine.actors = [account.address for account in accounts[ACTORS]]
    MarketStateMachine.scored_tasks_finalized = 0
    run_state_machine_as_test(MarketStateMachine, settings=STATEFUL)
    assert MarketStateMachine.scored_tasks_finalized > 0, (
        "no example finalized a scored task: the run checked little"
    )
