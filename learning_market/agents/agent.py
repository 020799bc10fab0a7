"""One participant acting by itself: it finds tasks in the market's events, asks its role object what is
due in each (`Participant.due`), takes the step, and logs a line per transaction.

The loop knows nothing of the mechanism. What a task's steps are, when each is due, whether the account
takes part, what joining offers and how a step is taken are the role's (`learning_market.roles`): the
agent only decides *whether* to join (its `Policy`), leaves the steps anyone may take to the keepers for a
grace period, never takes a manual step, and remembers what it saw (`Progress`) to say in a sentence
when a window was missed.

One `tick` reads the chain once over: new tasks, then one step per task at most. Drivers call it: in real
time (`runner.run`, sleeping between ticks), or in the simulation, which moves the chain's clock when no
agent has anything to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from learning_market.agents.progress import Progress, TaskMemory
from learning_market.checks import PreflightRefusal, Reason
from learning_market.errors import LearningMarketError, NetworkError
from learning_market.market import MarketClient, Sent
from learning_market.refusals import MarketRefusal
from learning_market.roles.anyone import Participant
from learning_market.roles.policy import Policy
from learning_market.timeline import next_deadline

DEFAULT_GRACE = 60  # seconds of chain time an agent leaves a step anyone may take (finalize) to the keepers
WAIT_FOR_MINING = 120  # seconds an agent waits for its own transactions to be mined before it acts again

Status = dict[str, LearningMarketError | None]


@dataclass(frozen=True)
class Record:
    """Something an agent did or met: `kind` is acted, refused (by the market), declined (by its policy),
    missed (its window closed before the step was taken), closed (the task settled without the step), or
    blocked (a step due that cannot run now)."""

    when: float
    agent: str
    task_id: int | None
    phase: str
    step: str
    kind: str
    text: str
    sent: tuple[Sent, ...] = ()
    error: str | None = None


def format_record(record: Record) -> list[str]:
    """The log lines of a record: one per transaction (with its hash and gas), or one sentence."""
    clock = datetime.fromtimestamp(record.when).strftime("%H:%M:%S")
    where = f"task {record.task_id} {record.phase}" if record.task_id is not None else "market"
    head = f"{clock} {record.agent} {where} {record.step}"
    if record.kind != "acted":
        return [f"{head} {record.kind}: {record.text}"]
    lines = [f"{head} tx {sent.tx_hash} gas {sent.gas:,}" for sent in record.sent] or [head]
    if record.text:
        lines[-1] += f": {record.text}"
    return lines


@dataclass
class Agent:
    """A participant (`role`) acting by itself in one market.

    `policy` decides whether to join a task; `grace` is how long (chain seconds) a step anyone may take
    stays to the keepers before this agent takes it (0: at once, a keeper; None: never); `tasks` is
    how many tasks it takes part in before it is done (None: it runs until stopped), or, with
    `count_unjoined` (a role others draw into tasks, such as a pool's verifier), how many tasks it saw
    settle or pass without it; `from_block` is where it starts reading the market's events when its
    progress has none.
    """

    name: str
    role: Participant
    policy: Policy = field(default_factory=Policy)
    progress: Progress = field(default_factory=Progress)
    say: Callable[[str], None] = print
    grace: int | None = DEFAULT_GRACE
    tasks: int | None = None
    from_block: int = 0
    count_unjoined: bool = False
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    records: list[Record] = field(default_factory=list)
    _first_due: dict[tuple[int, str], int] = field(default_factory=dict)
    _accepted: set[int] = field(default_factory=set)
    _refused: set[tuple[int, str]] = field(default_factory=set)
    _said: set[tuple[int | None, str, str]] = field(default_factory=set)

    @property
    def market(self) -> MarketClient:
        return self.role.market

    @property
    def done(self) -> bool:
        """Whether it has finished the tasks it was to take part in, and is in the middle of none."""
        progress = self.progress
        busy = any(progress.task(task_id).took_part for task_id in progress.watching())
        return self.tasks is not None and progress.finished_count(self.count_unjoined) >= self.tasks and not busy

    def _joined(self) -> int:
        return len({t for t, memory in self.progress.tasks.items() if memory.took_part} | self._accepted)

    # ------------------------------------------------------------------ one pass
    def tick(self) -> bool:
        """Reads the chain, takes at most one step per task (and one in the market); True if it acted."""
        acted = False
        try:
            self._discover()
            step = self.role.market_step()
            if step is not None:
                acted = self._take(None, step)
            for task_id in self.progress.watching():
                acted = self._work(task_id) or acted
        finally:
            self.progress.save()
        return acted

    def next_deadline(self) -> int | None:
        """The next deadline of a task it watches, after which something may become due (None: none)."""
        now = self.market.now()
        found = [next_deadline(self.market.params(task_id), now) for task_id in self.progress.watching()]
        return min((d for d in found if d is not None), default=None)

    def _discover(self) -> None:
        market, progress = self.market, self.progress
        head = market.block_number()
        start = max(progress.scanned + 1, self.from_block)
        if start > head:
            return
        for announced in market.tasks_announced(start, head):
            progress.task(announced.task_id)
        progress.scanned = head

    # ------------------------------------------------------------------ one task
    def _work(self, task_id: int) -> bool:
        role, memory = self.role, self.progress.task(task_id)
        if not role.takes_part(task_id):
            return self._consider(task_id, memory)
        memory.took_part = True
        status = role.due(task_id)
        self._remember(task_id, memory, status)
        step = self._choose(task_id, status)
        if step is not None:
            return self._take(task_id, step)
        if role.finished(task_id, status):
            memory.state = "finished"
        else:
            self._blocked(task_id, status)
        return False

    def _consider(self, task_id: int, memory: TaskMemory) -> bool:
        """A task it takes no part in (yet): joins it if a join step is due and the policy takes the offer."""
        role = self.role
        joins = [step for step in role.JOIN_STEPS if step not in role.MANUAL_STEPS]
        status = role.due(task_id) if joins else {}
        ready = next((step for step in joins if status[step] is None), None)
        if ready is None:
            if not any(_still_possible(status[step]) for step in joins) and not role.may_take_part(task_id):
                memory.state = "finished"  # nothing for this role in this task, now or later
            else:
                self._blocked(task_id, {step: status[step] for step in joins})
            return False
        if task_id not in self._accepted:
            if self.tasks is not None and self._joined() >= self.tasks:
                memory.state = "finished"  # it has all the tasks it was to take
                return False
            try:
                offer = role.offer(task_id)
            except LearningMarketError as error:
                self._once(task_id, ready, "blocked", error.sentence)
                return False
            if offer is not None:
                refusal = self.policy.refusal(offer, self.market.now())
                if refusal is not None:
                    memory.state = "declined"
                    self._record(task_id, ready, "declined", refusal)
                    return False
            self._accepted.add(task_id)
        return self._take(task_id, ready)

    def _remember(self, task_id: int, memory: TaskMemory, status: Status) -> None:
        """Notes the steps seen open; says once when one closed before it was taken: `missed` when its window
        passed, `closed` when the task settled without it."""
        for step, refusal in status.items():
            if step in self.role.MANUAL_STEPS or step in self.role.ANYONE_STEPS:
                continue  # a person's to decide, or anyone's to take
            reason = refusal.reason if isinstance(refusal, PreflightRefusal) else None
            if refusal is None or (reason is not None and reason.waiting):
                memory.open.add(step)
            elif reason in (Reason.DEADLINE_PASSED, Reason.SETTLED) and step in memory.open and \
                    step not in memory.taken | memory.missed:
                memory.missed.add(step)
                self._record(task_id, step, "missed" if reason == Reason.DEADLINE_PASSED else "closed",
                             refusal.sentence)

    def _choose(self, task_id: int, status: Status) -> str | None:
        now = None
        for step, refusal in status.items():
            if refusal is not None or step in self.role.MANUAL_STEPS or (task_id, step) in self._refused:
                continue
            if step in self.role.ANYONE_STEPS:
                if self.grace is None:
                    continue
                now = self.market.now() if now is None else now
                first = self._first_due.setdefault((task_id, step), now)
                if now - first < self.grace:
                    continue
            return step
        return None

    def _blocked(self, task_id: int, status: Status) -> None:
        """Says once why each step that could still happen cannot run now (a file missing, a balance too low)."""
        for step, refusal in status.items():
            if step in self.role.MANUAL_STEPS or not _blocking(refusal):
                continue
            assert refusal is not None
            self._once(task_id, step, "blocked", refusal.sentence)

    # ------------------------------------------------------------------ acting
    def _take(self, task_id: int | None, step: str) -> bool:
        """Takes a step once its own earlier transactions are mined (if it had to wait for some, the chain is
        read afresh at the next tick instead); logs a line per transaction sent."""
        if self._wait_for_own_transactions():
            return True
        market = self.market
        phase = str(market.phase(task_id)) if task_id is not None else "-"
        before = len(market.sent)
        try:
            note = self.role.act(task_id, step) if task_id is not None else self.role.act_on_market(step)
        except MarketRefusal as refusal:
            self._refused.add((task_id or 0, step))
            self._record(task_id, step, "refused", refusal.sentence, tuple(market.sent[before:]), refusal.error,
                         phase)
            return True
        except NetworkError:
            raise
        except PreflightRefusal as refusal:
            if not refusal.reason.done:  # done since it was read: nothing to say
                self._once(task_id, step, "blocked", refusal.sentence)
            return bool(market.sent[before:])
        except LearningMarketError as error:
            self._once(task_id, step, "blocked", error.sentence)
            return bool(market.sent[before:])
        if task_id is not None:
            self.progress.task(task_id).taken.add(step)
            self.progress.save()
        self._record(task_id, step, "acted", note or "", tuple(market.sent[before:]), phase=phase)
        return True

    def _wait_for_own_transactions(self) -> bool:
        """Waits until no transaction of this account waits in the node's pool (one sent before a crash may
        still be mined), so that nothing is sent twice; True if it waited."""
        market, address = self.market, self.role.address
        waited = 0.0
        while market.waiting_transactions(address):
            if waited == 0:
                self.say(f"{self.name} waits for its own transaction(s) still in the node's pool to be mined")
            if waited >= WAIT_FOR_MINING:
                raise NetworkError(
                    f"transactions of {address} have waited {WAIT_FOR_MINING} s in the node's pool without being "
                    "mined: check the node, or their fees."
                )
            self.sleep(1.0)
            waited += 1.0
        return waited > 0

    # ------------------------------------------------------------------ the log
    def _record(
        self,
        task_id: int | None,
        step: str,
        kind: str,
        text: str,
        sent: tuple[Sent, ...] = (),
        error: str | None = None,
        phase: str | None = None,
    ) -> None:
        if phase is None:
            phase = str(self.market.phase(task_id)) if task_id is not None else "-"
        record = Record(self.clock(), self.name, task_id, phase, step, kind, text, sent, error)
        self.records.append(record)
        for line in format_record(record):
            self.say(line)

    def _once(self, task_id: int | None, step: str, kind: str, text: str) -> None:
        if (task_id, step, text) not in self._said:
            self._said.add((task_id, step, text))
            self._record(task_id, step, kind, text)

    def say_done(self) -> None:
        took_part = self.progress.finished_count()
        line = f"{self.name} is done: it took part in {took_part} task(s), all settled"
        if self.count_unjoined:
            line += f", and was not drawn in {self.progress.finished_count(True) - took_part}"
        self.say(line)


def _still_possible(refusal: LearningMarketError | None) -> bool:
    if refusal is None:
        return True
    if isinstance(refusal, PreflightRefusal):
        return not (refusal.reason.done or refusal.reason.closed)
    return True


def _blocking(refusal: LearningMarketError | None) -> bool:
    """A refusal that is neither done, nor waiting for its phase, nor closed for good."""
    if refusal is None:
        return False
    if isinstance(refusal, PreflightRefusal):
        return not (refusal.reason.done or refusal.reason.closed or refusal.reason.waiting)
    return True
