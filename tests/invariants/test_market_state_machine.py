"""The market against a model, under random actions at random times.

A Hypothesis `RuleBasedStateMachine` drives one market through many small tasks. Fourteen
accounts (accounts[16:30]; the suite's fixtures use accounts[0:16]) create tasks, commit,
join, reveal, score, finalize, claim and publish in random order, and the clock jumps by
random amounts that often land on a deadline, one second before it or one second after.
Most actions are the right ones; many are wrong (a commit after the deadline, a reveal with
the wrong salt, a second claim, an early finalize, a second test reveal, a cancel after a
commitment, an action in someone else's role, a task that does not exist, ...).

`tests/utils/market_model.py` is the model: for every action it predicts the exact custom
error or the effect. After every step the test checks, in one batch of views:

- the phase of every task is the model's; the phases a task goes through are a path in the
  phase graph (`PHASE_EDGES`) and none repeats;
- an action succeeds exactly when the model says so, and a refused one reverts with the
  model's error and fields (so no action succeeds outside its window);
- deposits, counts and what was paid out per task equal the model's;
- conservation per task, once settled: deposited == paidOut + sum of `owed` over every
  address; and in total: the market's balance == sum over tasks of (deposited - paidOut);
- everyone's entitlement is the model's; a claim pays exactly it, to the wei, once (a second
  claim reverts with AlreadyClaimed); nobody's balance moves except by what it sent or was paid;
- nothing is stuck: once everyone owed something has claimed, `owed` is 0 for everyone and
  deposited == paidOut;
- after finalize: the settlement, every median and reward equal the model's, and rewards are
  monotone in the median (a higher median never earns less; equal medians earn the same).

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

from tests.utils.fast_rpc import ContractRpc, Reverted
from tests.utils.market import (
    MIN_WINDOW,
    PHASES,
    as_tuple,
    commitment_to_test_set,
    model_commitment,
    score_commitment,
)
from tests.utils.market_model import (
    DEADLINES,
    PHASE_REACHABLE,
    SETTLED,
    ZERO32,
    ZERO_ADDRESS,
    TaskModel,
    err,
)
from tests.utils.profiles import STATEFUL

MAX_TASKS = 3
ACTIONS = (
    "cancel_task",
    "commit_model",
    "join_as_verifier",
    "reveal_model",
    "reveal_test_set",
    "commit_scores",
    "reveal_scores",
    "finalize",
    "claim",
    "publish_fused_model",
)
# How often each kind of step happens (the first is where shrinking goes).
WHAT_HAPPENS = (
    ("participants act in window",) * 6
    + ("someone acts out of turn",) * 2
    + ("time passes",) * 2
    + ("an initiator creates a task",)
)
ACTORS = slice(16, 30)


def sha(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


class MarketStateMachine(RuleBasedStateMachine):
    """Random participants against one market; the model says what must happen."""

    # Bound by the test function (Hypothesis builds a new machine for every example).
    chain = None
    market = None
    rpc: ContractRpc = None
    actors: list[str] = []
    scored_tasks_finalized = 0

    def __init__(self) -> None:
        super().__init__()
        # anvil's evm_revert consumes the snapshot: a fresh one for every example.
        self.snapshot = self.chain.snapshot()
        self.chain_id = self.chain.chain_id
        self.address = self.market.address
        self.now = self.chain.blocks.head.timestamp  # timestamp of the next block
        self.tasks: list[TaskModel] = []
        self.phase_paths: dict[int, list[str]] = {}
        # What each contributor committed to, and each verifier: (task, account) -> secrets.
        self.model_secrets: dict[tuple[int, str], tuple[bytes, bytes]] = {}
        self.score_secrets: dict[tuple[int, str], tuple[list[int], bytes]] = {}
        # Per task, per submission: the score an honest verifier sees.
        self.quality: dict[int, list[int]] = {}
        self.nonce = 0
        self.chain.pending_timestamp = self.now
        self.balances = dict(zip(self.actors, self.rpc.view_batch([], self.actors)[1], strict=True))

    def teardown(self) -> None:
        # Counted so the test can show it went somewhere: a run that never finalizes a scored
        # task checks little.
        type(self).scored_tasks_finalized += sum(
            1 for t in self.tasks if t.phase(self.now) == "Finalized" and t.score_reveals
        )
        self.chain.restore(self.snapshot)

    # ------------------------------------------------------------ helpers
    def _fresh(self, label: str) -> bytes:
        self.nonce += 1
        return sha(f"{label}-{self.nonce}")

    def _act(self, name: str, *args, sender: str, value: int = 0, expected: Reverted | None):
        """Sends the action at the model's clock and checks the outcome against `expected`."""
        self.chain.pending_timestamp = self.now
        outcome, receipt = self.rpc.send(name, *args, sender=sender, value=value)
        where = f"{name} from {sender[:8]} at t={self.now}"
        if expected is None:
            assert outcome.ok, (
                f"{where}: the model expects success, the contract reverted {outcome.error}"
            )
            self.balances[sender] -= value
        else:
            assert not outcome.ok, (
                f"{where}: the model expects {expected}, the contract accepted it"
            )
            assert outcome.error == expected, f"{where}: expected {expected}, got {outcome.error}"
        return outcome, receipt

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
                min_size=5,
                max_size=5,
            ),
            label="windows",
        )
        parent = 0
        test_bound_to = None  # the initiator, unless it commits for someone else by mistake
        if not always_valid:
            if self._rare(data, "zero reward"):
                reward = 0
            if self._rare(data, "a window too short"):
                windows[data.draw(st.integers(0, 4), label="short window")] = MIN_WINDOW - 1
            if self._rare(data, "has a parent"):
                parent = data.draw(st.integers(1, len(self.tasks) + 1), label="parent")
                if parent <= len(self.tasks) and data.draw(st.booleans(), label="its own round"):
                    initiator = self.tasks[parent - 1].initiator
            if self._rare(data, "test set committed for someone else"):
                test_bound_to = data.draw(st.sampled_from(self.actors), label="test bound to")
        test_bound_to = test_bound_to or initiator
        test_digest, test_salt = self._fresh("test-set"), self._fresh("test-salt")
        deadlines, at = [], self.now
        for window in windows:
            at += window
            deadlines.append(at)
        params = {
            "specDigest": self._fresh("spec"),
            "testSetCommitment": commitment_to_test_set(
                self.chain_id, self.address, test_bound_to, test_digest, test_salt
            ),
            **{f"{name}Deadline": d for name, d in zip(DEADLINES, deadlines, strict=True)},
            "contributorStake": data.draw(st.integers(1, 10**16), label="contributor stake"),
            "verifierStake": data.draw(st.integers(1, 10**16), label="verifier stake"),
            "maxContributors": data.draw(st.integers(1, 4), label="max contributors"),
            "maxVerifiers": data.draw(st.integers(1, 3), label="max verifiers"),
            "verifierFeeBps": data.draw(
                st.one_of(st.sampled_from([0, 10_000]), st.integers(0, 10_000)), label="fee"
            ),
            "baselineScore": data.draw(
                st.sampled_from([0, 1_000, 5_000, 9_000, 10_000]), label="baseline"
            ),
            "toleranceBps": data.draw(
                st.sampled_from([0, 100, 300, 1_000, 10_000]), label="tolerance"
            ),
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
            self.tasks.append(TaskModel(task_id, initiator, reward, params, test_digest, test_salt))
            self.phase_paths[task_id] = []
            self.quality[task_id] = []

    @initialize(data=st.data())
    def first_task(self, data):
        self._create(data, always_valid=True)

    @rule(data=st.data())
    def step(self, data):
        """Something happens: participants act in a window, someone acts out of turn, time
        passes, or an initiator creates a task.

        One rule with weights, not one rule per action: Hypothesis switches a random subset
        of rules off in each example, and a round needs nine kinds of action and the clock.
        """
        what = data.draw(st.sampled_from(WHAT_HAPPENS), label="what happens")
        if what == "an initiator creates a task" and len(self.tasks) < MAX_TASKS:
            self._create(data, always_valid=False)
        elif what == "someone acts out of turn":
            self._act_out_of_turn(data)
        elif what == "participants act in window" and any(
            self._useful_actions(t) for t in self.tasks
        ):
            self._act_in_window(data)
        else:
            self._time_passes(data)

    def _useful_actions(self, task: TaskModel) -> tuple[str, ...]:
        """The actions that move the task on now, if taken by the right account."""
        phase = task.phase(self.now)
        if phase == "Commit":
            actions = ()
            if len(task.commitments) < task.params["maxContributors"]:
                actions += ("commit_model",) * 3
            if len(task.verifiers) < task.params["maxVerifiers"]:
                actions += ("join_as_verifier",) * 3
            return actions + (("cancel_task",) if not task.commitments else ())
        if phase == "Reveal":
            return ("reveal_model",) if self._can_reveal_model(task) else ()
        if phase == "TestReveal":
            return ("reveal_test_set",)
        if phase == "ScoreCommit":
            return ("commit_scores",) if len(task.score_commitments) < len(task.verifiers) else ()
        if phase == "ScoreReveal":
            return ("reveal_scores",) if self._can_reveal_scores(task) else ()
        if phase == "Finalizing":
            return ("finalize",)
        actions = ()
        if any(amount and a not in task.paid for a, amount in task.settle(self.now).owed.items()):
            actions += ("claim",) * 3
        if phase == "Finalized" and task.fused_digest == ZERO32:
            actions += ("publish_fused_model",)
        return actions

    def _closes_at(self, task: TaskModel) -> int:
        """When the task's current window closes (settled tasks last)."""
        ahead = [task.deadline(name) for name in DEADLINES if task.deadline(name) >= self.now]
        return ahead[0] if ahead and task.phase(self.now) not in SETTLED else 2**64

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
        action = data.draw(st.sampled_from(ACTIONS), label="action")
        getattr(self, action)(data, task_id, task)

    # ------------------------------------------------------------ commit phase
    def cancel_task(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = self._pick(data, [task.initiator] if task else [], "canceller")
        expected = task.expect_cancel(sender, self.now) if task else err("TaskNotFound", task_id)
        self._act("cancelTask", task_id, sender=sender, expected=expected)
        if expected is None:
            task.cancelled = True

    def _newcomers(self, task: TaskModel | None) -> list[str]:
        if task is None:
            return []
        return [a for a in self.actors if a != task.initiator and task.role(a) == "None"]

    def commit_model(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = self._pick(data, self._newcomers(task), "contributor")
        digest = self._fresh("model")
        others = [self.model_secrets[(task_id, c)][0] for c in task.commitments] if task else []
        if others and self._rare(data, "copies another contributor's model file"):
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
            task.expect_commit_model(sender, commitment, stake, self.now)
            if task
            else err("TaskNotFound", task_id)
        )
        self._act("commitModel", task_id, commitment, sender=sender, value=stake, expected=expected)
        if expected is None:
            task.commitments[sender] = commitment
            self.model_secrets[(task_id, sender)] = (digest, secret)

    def join_as_verifier(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = self._pick(data, self._newcomers(task), "verifier")
        stake = task.v_stake if task else 1
        if self._mistake(data, "wrong stake"):
            stake = data.draw(st.sampled_from([0, stake - 1, stake + 1]), label="stake sent")
        expected = (
            task.expect_join(sender, stake, self.now) if task else err("TaskNotFound", task_id)
        )
        self._act("joinAsVerifier", task_id, sender=sender, value=stake, expected=expected)
        if expected is None:
            task.verifiers.append(sender)

    # ------------------------------------------------------------ reveal phases
    def _can_reveal_model(self, task: TaskModel) -> list[str]:
        """Contributors whose own digest and salt would open their commitment now."""
        return [
            c
            for c in task.commitments
            if c not in task.revealed
            and task.expect_reveal_model(
                self.chain_id, self.address, c, *self.model_secrets[(task.task_id, c)], self.now
            )
            is None
        ]

    def _can_reveal_scores(self, task: TaskModel) -> list[str]:
        """Verifiers whose own scores and salt would open their commitment now."""
        return [
            v
            for v in task.score_commitments
            if task.expect_reveal_scores(
                self.chain_id, self.address, v, *self.score_secrets[(task.task_id, v)], self.now
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
            task.expect_reveal_model(self.chain_id, self.address, sender, digest, secret, self.now)
            if task
            else err("TaskNotFound", task_id)
        )
        self._act(
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
            self.quality[task_id].append(data.draw(st.integers(0, 10_000), label="true score"))

    def reveal_test_set(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = self._pick(data, [task.initiator] if task else [], "test set revealer")
        digest, secret = (task.test_digest, task.test_salt) if task else (sha("no test"), ZERO32)
        mistake = self._mistake(data, "wrong salt", "wrong digest")
        if mistake == "wrong salt":
            secret = self._fresh("wrong-salt")
        elif mistake == "wrong digest":
            digest = self._fresh("wrong-test")

        expected = (
            task.expect_reveal_test_set(
                self.chain_id, self.address, sender, digest, secret, self.now
            )
            if task
            else err("TaskNotFound", task_id)
        )
        self._act(
            "revealTestSet",
            task_id,
            digest,
            secret,
            "store://test",
            sender=sender,
            expected=expected,
        )
        if expected is None:
            task.test_revealed = True

    # ------------------------------------------------------------ scoring
    def commit_scores(self, data, task_id: int, task: TaskModel | None) -> None:
        waiting = [v for v in task.verifiers if v not in task.score_commitments] if task else []
        sender = self._pick(data, waiting, "scorer")
        truth = self.quality.get(task_id, [])
        if self._rare(data, "scores at random"):  # a verifier that did not evaluate
            scores = data.draw(
                st.lists(st.integers(0, 10_000), min_size=len(truth), max_size=len(truth)),
                label="scores",
            )
        else:
            noise = data.draw(
                st.lists(st.integers(-400, 400), min_size=len(truth), max_size=len(truth)),
                label="noise",
            )
            scores = [min(10_000, max(0, q + e)) for q, e in zip(truth, noise, strict=True)]
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
        commitment = score_commitment(self.chain_id, self.address, task_id, sender, scores, secret)
        if mistake == "zero commitment":
            commitment = ZERO32

        expected = (
            task.expect_commit_scores(sender, commitment, self.now)
            if task
            else err("TaskNotFound", task_id)
        )
        self._act("commitScores", task_id, commitment, sender=sender, expected=expected)
        if expected is None:
            task.score_commitments[sender] = commitment
            self.score_secrets[(task_id, sender)] = (scores, secret)

    def reveal_scores(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = self._pick(data, self._can_reveal_scores(task) if task else [], "score revealer")
        scores, secret = self.score_secrets.get((task_id, sender), ([], ZERO32))
        scores = list(scores)
        mistake = self._mistake(data, "wrong salt", "altered scores")
        if mistake == "wrong salt":
            secret = self._fresh("wrong-salt")
        elif mistake == "altered scores":
            if scores:
                scores[0] = (scores[0] + 1) % 10_001
            else:
                scores = [0]

        expected = (
            task.expect_reveal_scores(self.chain_id, self.address, sender, scores, secret, self.now)
            if task
            else err("TaskNotFound", task_id)
        )
        self._act("revealScores", task_id, scores, secret, sender=sender, expected=expected)
        if expected is None:
            task.score_reveals[sender] = scores

    # ------------------------------------------------------------ settling
    def finalize(self, data, task_id: int, task: TaskModel | None) -> None:
        caller = data.draw(st.sampled_from(self.actors), label="finalizer")
        max_steps = data.draw(st.sampled_from([1, 2, 3, 1_000]), label="max steps")
        if self._rare(data, "zero steps"):
            max_steps = 0
        if max_steps == 0:
            expected = err("ZeroSteps")
        else:
            expected = (
                task.expect_finalize(max_steps, self.now) if task else err("TaskNotFound", task_id)
            )
        outcome, _ = self._act("finalize", task_id, max_steps, sender=caller, expected=expected)
        if expected is None:
            done = task.apply_finalize(max_steps)
            assert outcome.value == done, (
                f"finalize({task_id}, {max_steps}) returned {outcome.value}, model: {done}"
            )

    def claim(self, data, task_id: int, task: TaskModel | None) -> None:
        unpaid = [a for a in task.accounts() if a not in task.paid] if task else []
        if task and task.phase(self.now) in SETTLED:
            unpaid = [
                a
                for a, amount in task.settle(self.now).owed.items()
                if amount and a not in task.paid
            ]
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
                task.expect_claim(sender, recipient, self.now)
                if task
                else err("TaskNotFound", task_id)
            )
        args = (task_id,) if how == "claim" else (task_id, recipient)
        outcome, receipt = self._act(how, *args, sender=sender, expected=expected)
        if expected is None:
            entitled = task.settle(self.now).owed[sender]
            assert outcome.value == entitled, f"claim paid {outcome.value}, entitlement {entitled}"
            events = self.rpc.events("Claimed", receipt)
            assert events == [
                {"taskId": task_id, "account": sender, "recipient": recipient, "amount": entitled}
            ]
            task.paid[sender] = entitled
            self.balances[recipient] += entitled

    def publish_fused_model(self, data, task_id: int, task: TaskModel | None) -> None:
        sender = self._pick(data, [task.initiator] if task else [], "publisher")
        digest = ZERO32 if self._rare(data, "zero fused digest") else self._fresh("fused")
        expected = (
            task.expect_publish(sender, digest, self.now) if task else err("TaskNotFound", task_id)
        )
        self._act(
            "publishFusedModel", task_id, digest, "store://fused", sender=sender, expected=expected
        )
        if expected is None:
            task.fused_digest = digest

    # ------------------------------------------------------------ time
    def _time_passes(self, data) -> None:
        """To the next deadline of an open task (sometimes a later one): one second before it,
        at it or one second after it; or a few seconds; or a while (across windows)."""
        how = data.draw(
            st.sampled_from(["to a deadline"] * 6 + ["a few seconds"] * 5 + ["a while"]),
            label="time passes",
        )
        open_tasks = [t for t in self.tasks if t.phase(self.now) not in SETTLED] or self.tasks
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

    # ------------------------------------------------------------ invariants
    @invariant()
    def market_matches_model(self):
        self.chain.pending_timestamp = self.now
        calls: list[tuple[str, tuple]] = []
        for task in self.tasks:
            calls.append(("getTask", (task.task_id,)))
            phase = task.phase(self.now)
            if phase in SETTLED:
                for account in self._claimants(task):
                    calls += [
                        ("owed", (task.task_id, account)),
                        ("hasClaimed", (task.task_id, account)),
                    ]
            if phase in ("Finalized", "Abandoned"):
                calls.append(("getSubmissions", (task.task_id, 0, 2**256 - 1)))
        results, balances = self.rpc.view_batch(calls, [*self.actors, self.address])
        results = iter(results)

        held = 0
        for task in self.tasks:
            view = next(results)
            held += self._check_task(task, view, results)
        market_balance = balances[-1]
        assert market_balance == held, f"market holds {market_balance}, tasks account for {held}"
        model_held = sum(t.deposited() - t.paid_out() for t in self.tasks)
        assert market_balance == model_held, (
            f"market holds {market_balance}, the model {model_held}"
        )
        for actor, balance in zip(self.actors, balances[:-1], strict=True):
            assert balance == self.balances[actor], (
                f"{actor} holds {balance}, expected {self.balances[actor]}"
            )

    def _claimants(self, task: TaskModel) -> list[str]:
        """Everyone who may be owed something in the task, and one who is owed nothing."""
        outsider = next(a for a in self.actors if a not in task.accounts())
        return [*task.accounts(), outsider]

    def _check_task(self, task: TaskModel, view, results) -> int:
        """Checks one task; returns what the market still holds for it (deposited - paidOut)."""
        (
            _,
            initiator,
            phase_index,
            reward,
            committed,
            revealed,
            verifiers,
            test_digest,
            fused,
            deposited,
            paid_out,
            settlement,
        ) = view
        task_id = task.task_id
        phase = PHASES[phase_index]

        # Phases: the model's, along the graph, never repeated.
        expected_phase = task.phase(self.now)
        assert phase == expected_phase, (
            f"task {task_id} at t={self.now}: phase {phase}, model {expected_phase}"
        )
        path = self.phase_paths[task_id]
        if not path or path[-1] != phase:
            assert phase not in path, f"task {task_id} is back in {phase}: {path}"
            assert not path or phase in PHASE_REACHABLE[path[-1]], (
                f"task {task_id}: {path[-1]} -> {phase} is no path"
            )
            path.append(phase)

        # What the task holds.
        assert (initiator, reward) == (task.initiator, task.reward)
        assert (committed, revealed, verifiers) == (
            len(task.commitments),
            len(task.revealed),
            len(task.verifiers),
        )
        assert test_digest == (task.test_digest if task.test_revealed else ZERO32)
        assert fused == task.fused_digest
        assert deposited == task.deposited(), (
            f"task {task_id}: deposited {deposited}, model {task.deposited()}"
        )
        assert paid_out == task.paid_out(), (
            f"task {task_id}: paid out {paid_out}, model {task.paid_out()}"
        )
        assert paid_out <= deposited

        if phase in SETTLED:
            settled = task.settle(self.now)
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
                # Nobody is paid twice, nor more than its entitlement.
                assert task.paid.get(account, entitled) == entitled
                owed_total += owed
            assert sum(settled.owed.values()) == deposited, (
                f"task {task_id}: entitlements do not add up to deposits"
            )
            # Conservation: what came in is what went out plus what is still owed.
            assert deposited == paid_out + owed_total, (
                f"task {task_id}: {deposited} != {paid_out} + {owed_total}"
            )
            # Nothing stuck: once everyone owed something has claimed, the task owes nothing.
            if all(a in task.paid for a, amount in settled.owed.items() if amount):
                assert owed_total == 0 and deposited == paid_out, (
                    f"task {task_id}: ETH stuck after every claim"
                )
            if phase == "Finalized":
                assert tuple(settlement) == settled.struct, (
                    f"task {task_id}: settlement {settlement}, model {settled.struct}"
                )
            if phase in ("Finalized", "Abandoned"):
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
    """A market of its own, so that the market's balance is exactly what these tasks hold."""
    return deployer.deploy(project.LearningMarket, MIN_WINDOW)


def test_market_state_machine__random_actions__keep_every_invariant(
    invariant_market, chain, accounts
):
    MarketStateMachine.chain = chain
    MarketStateMachine.market = invariant_market
    MarketStateMachine.rpc = ContractRpc(
        chain.provider.web3.provider.endpoint_uri,
        invariant_market.address,
        invariant_market.contract_type,
    )
    MarketStateMachine.actors = [account.address for account in accounts[ACTORS]]
    MarketStateMachine.scored_tasks_finalized = 0
    run_state_machine_as_test(MarketStateMachine, settings=STATEFUL)
    assert MarketStateMachine.scored_tasks_finalized > 0, (
        "no example finalized a scored task: the run checked little"
    )
