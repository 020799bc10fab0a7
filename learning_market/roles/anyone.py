"""What any account may do in a task: run its batched finalize, and claim what it is owed; and what
every role shares: what is due, how an agent acts on a step, where files are published."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from eth_utils import to_checksum_address

from content import ContentStore
from learning_market.checks import (
    PreflightRefusal,
    Reason,
    TaskState,
    eth,
    require_phase,
    require_seed_mined,
    require_settled,
    store_file,
    task_state,
)
from learning_market.errors import LearningMarketError
from learning_market.keyring import Keyring, KeyringError, Secret
from learning_market.market import HASH_WINDOW, MarketClient
from learning_market.phases import Phase, Role
from learning_market.refusals import MarketRefusal
from learning_market.roles.policy import Offer

Log = Callable[[str], None]
SecretT = TypeVar("SecretT", bound=Secret)
DEFAULT_FINALIZE_STEPS = 64  # finalize steps per transaction: one per submission and pass


def quiet(_: str) -> None:
    """A log that says nothing."""


@dataclass
class Participant:
    """One account acting in one market: the base of every role, and the role of anyone.

    `store` and `keyring` are needed by the steps that read files or keep secrets; finalize and
    claim need neither. `publish` is where a file goes at its reveal for others to fetch (its URI goes
    on chain); without it the URI is the store's, which is refused when it is a path on this machine
    (`file://`) unless `allow_private_uri`.
    """

    market: MarketClient
    account: Any
    store: ContentStore | None = None
    keyring: Keyring | None = None
    log: Log = quiet
    publish: ContentStore | None = None
    allow_private_uri: bool = False
    _reading: dict[int, TaskState] | None = field(default=None, init=False, repr=False, compare=False)

    # the steps `due` reports on, in the order a task needs them
    STEPS: ClassVar[tuple[str, ...]] = ("draw_audit", "request_panel", "draw_panel", "finalize", "claim")
    # the steps by which the account takes its role in a task (an agent asks its policy first); a panel
    # member has none: the draw makes it one
    JOIN_STEPS: ClassVar[tuple[str, ...]] = ()
    # the steps any address may take: a keeper's; other agents take them only if nobody does
    ANYONE_STEPS: ClassVar[tuple[str, ...]] = ("draw_audit", "request_panel", "draw_panel", "finalize")
    # the steps an agent never takes on its own (a person decides them)
    MANUAL_STEPS: ClassVar[tuple[str, ...]] = ()

    @property
    def address(self) -> str:
        return to_checksum_address(str(self.account.address))

    def state(self, task_id: int) -> TaskState:
        if self._reading is not None:  # inside `due`: every check sees the same read of the task
            if task_id not in self._reading:
                self._reading[task_id] = task_state(self.market, task_id)
            return self._reading[task_id]
        return task_state(self.market, task_id)

    # ------------------------------------------------------------------ what is due
    def due(self, task_id: int) -> dict[str, LearningMarketError | None]:
        """For every step of the role, None if it can run now, else why not (nothing is sent)."""
        status: dict[str, LearningMarketError | None] = {}
        self._reading = {}
        try:
            for step in self.STEPS:
                try:
                    getattr(self, f"check_{step}")(task_id)
                    status[step] = None
                except LearningMarketError as refusal:
                    status[step] = refusal
        finally:
            self._reading = None
        return status

    def next_step(self, task_id: int) -> str | None:
        """The first step that can run now, or None when nothing can."""
        return next((step for step, refusal in self.due(task_id).items() if refusal is None), None)

    def finished(self, task_id: int, status: dict[str, LearningMarketError | None] | None = None) -> bool:
        """Whether nothing is left for this account in the task: every step (but the manual ones) is
        done or closed for good (`status`: a `due` already read)."""
        status = self.due(task_id) if status is None else status
        return all(
            step in self.MANUAL_STEPS
            or (isinstance(refusal, PreflightRefusal) and (refusal.reason.done or refusal.reason.closed))
            for step, refusal in status.items()
        )

    # ------------------------------------------------------------------ what an agent asks
    def takes_part(self, task_id: int) -> bool:
        """Whether the account acts in the task; anyone may act in every task."""
        return True

    def may_take_part(self, task_id: int) -> bool:
        """Whether the account may yet be given a role in the task by others, with no join step of its own
        (a mechanism that draws verifiers into panels); an agent watches such a task until it is settled
        or the role is given. None is, here: a role is taken by the JOIN_STEPS alone."""
        return False

    def offer(self, task_id: int) -> Offer | None:
        """What joining the task would mean for this role (None: the role has nothing to join)."""
        return None

    def act(self, task_id: int, step: str) -> str | None:
        """Takes `step` of the task as an agent does, with the role's own settings; returns a note for
        the log (what was paid, what was trained), or None."""
        if step == "claim":
            return f"claimed {eth(self.claim(task_id))}"
        if step == "finalize":
            return f"finalized in {self.finalize(task_id)} transaction(s)"
        if step == "draw_audit":
            return f"audit drawn: shards {', '.join(f'#{i}' for i in self.draw_audit(task_id))}"
        if step == "request_panel":
            return f"panel requested: its seed is block {self.request_panel(task_id)}"
        if step == "draw_panel":
            return f"panel drawn: {', '.join(self.draw_panel(task_id))}"
        getattr(self, step)(task_id)
        return None

    def market_step(self) -> str | None:
        """A step due in the market rather than in a task (creating a campaign's next round), or None."""
        return None

    def act_on_market(self, step: str) -> str | None:
        """Takes a market step (see `market_step`); returns a note for the log."""
        raise LearningMarketError(f"{type(self).__name__} has no market step {step!r}.")

    # ------------------------------------------------------------------ helpers for the roles
    def need_keyring(self) -> Keyring:
        if self.keyring is None:
            raise LearningMarketError("this step keeps a secret, and no keyring was given.")
        return self.keyring

    def need_store(self) -> ContentStore:
        if self.store is None:
            raise LearningMarketError("this step reads or writes files, and no content store was given.")
        return self.store

    def require_shareable_uri(self, what: str) -> None:
        """Refuses to write a path of this machine (`file://`) on chain for everyone to read, unless
        `publish` names where others fetch files or `allow_private_uri` says to write it anyway."""
        if self.publish is not None or self.allow_private_uri:
            return
        uri = self.need_store().uri(bytes(32))
        if uri.startswith("file:"):
            folder = uri.rsplit("/", 1)[0] + "/"
            raise PreflightRefusal(
                Reason.PRIVATE_URI,
                f"the URI of the {what} would be a path on this machine ({folder}…), written on chain for everyone "
                "to read: publish the file to a shared store (--publish), or allow the private path "
                "(--allow-private-uri).",
            )

    def _publish(self, digest: bytes, data: bytes, what: str) -> str:
        """Puts a file where others fetch it, at its reveal (not before); returns the URI for the event."""
        if self.publish is None:
            self.require_shareable_uri(what)
            uri = self.need_store().uri(digest)
            if uri.startswith("file:"):
                self.log(f"warning: writing the private path {uri} on chain, as allowed")
            return uri
        store_file(self.publish, data, what)
        return self.publish.uri(digest)

    @staticmethod
    def _send_or_undo(send: Callable[[], Any], undo: Callable[[], None]) -> Any:
        """Sends a transaction; if the market refuses it, nothing was committed, so `undo` the saved secret."""
        try:
            return send()
        except MarketRefusal:
            undo()
            raise

    def _kept_secret(self, task_id: int, kind: type[SecretT], commitment: bytes | None = None) -> SecretT:
        """The keyring's secret of this account in the task, refused unless it is of `kind`."""
        market = self.market
        secret = self.need_keyring().load(market.chain_id, market.address, task_id, self.address, commitment)
        if not isinstance(secret, kind):
            raise KeyringError(
                f"the keyring holds no {kind.__name__} for task {task_id}, but a {type(secret).__name__}."
            )
        return secret

    def _commit_with_secret(
        self,
        task_id: int,
        fresh: Callable[[], SecretT],
        matches: Callable[[Secret], bool],
        send: Callable[[SecretT], None],
    ) -> SecretT:
        """Keeps a secret in the keyring, then sends the commitment that it opens.

        A secret already kept for the task that `matches` what is being committed (a commit that never
        reached the chain: the process stopped before it was mined) is sent again rather than replaced;
        any other is never overwritten (`KeyringError`).
        """
        market, keyring = self.market, self.need_keyring()
        where = (market.chain_id, market.address, task_id, self.address)
        kept = keyring.load(*where) if keyring.has(*where) else None
        secret: SecretT
        if kept is not None and matches(kept):
            secret = kept  # type: ignore[assignment]
        else:
            secret = fresh()
            keyring.save(*where, secret)
        self._send_or_undo(lambda: send(secret), lambda: keyring.discard(*where))
        return secret

    # ------------------------------------------------------------------ the draws
    def check_draw_audit(self, task_id: int) -> TaskState:
        """Refuses unless the audit can be drawn now: in the Audit phase, not drawn yet, its seed block mined."""
        state = self.state(task_id)
        if state.audit_mask:
            raise PreflightRefusal(
                Reason.ALREADY_DRAWN,
                f"the audit of task {task_id} is already drawn: shards "
                f"{', '.join(f'#{i}' for i in state.audit_indices)}.",
            )
        require_phase(state, Phase.AUDIT, "drawing the audit")
        require_seed_mined(self.market, state, state.audit_seed_block, "audit draw")
        return state

    def draw_audit(self, task_id: int) -> list[int]:
        """Draws the audit sample (anyone may); returns the audited shards' indices."""
        self.check_draw_audit(task_id)
        mask = self.market.draw_audit(task_id, sender=self.account)
        return [i for i in range(mask.bit_length()) if mask >> i & 1]

    def check_request_panel(self, task_id: int) -> TaskState:
        """Refuses unless the panel can be requested now: in the Reveal phase, with commitments, not drawn,
        and no request whose seed is still readable."""
        state = self.state(task_id)
        if state.panel_drawn:
            raise PreflightRefusal(Reason.ALREADY_DRAWN, f"the panel of task {task_id} is already drawn.")
        require_phase(state, Phase.REVEAL, "requesting the panel")
        if state.committed == 0:
            raise PreflightRefusal(
                Reason.NO_COMMITMENTS, f"task {task_id} has no model commitment, so it needs no panel."
            )
        seed = state.panel_seed_block
        if seed and self.market.block_number() + 1 <= seed + HASH_WINDOW:
            raise PreflightRefusal(
                Reason.ALREADY_REQUESTED,
                f"the panel of task {task_id} is already requested (its seed is block {seed}): draw it.",
            )
        return state

    def request_panel(self, task_id: int) -> int:
        """Fixes the next block as the panel draw's seed (anyone may); returns that block's number."""
        self.check_request_panel(task_id)
        return self.market.request_panel(task_id, sender=self.account)

    def check_draw_panel(self, task_id: int) -> TaskState:
        """Refuses unless the panel can be drawn now: requested, its seed block mined and still readable."""
        state = self.state(task_id)
        if state.panel_drawn:
            raise PreflightRefusal(Reason.ALREADY_DRAWN, f"the panel of task {task_id} is already drawn.")
        require_phase(state, Phase.REVEAL, "drawing the panel")
        seed = state.panel_seed_block
        if seed == 0 or self.market.block_number() + 1 > seed + HASH_WINDOW:
            raise PreflightRefusal(
                Reason.TOO_EARLY,
                f"the panel of task {task_id} is not requested"
                + ("" if seed == 0 else f" anymore (the hash of its seed block {seed} has expired)")
                + ": request it first (anyone may).",
            )
        require_seed_mined(self.market, state, seed, "panel draw")
        return state

    def draw_panel(self, task_id: int) -> list[str]:
        """Draws the panel from the verifier pool (anyone may); returns its members in draw order."""
        self.check_draw_panel(task_id)
        return self.market.draw_panel(task_id, sender=self.account)

    def open_panel(self, task_id: int) -> list[str]:
        """Requests the panel unless a request is pending, waits for its seed block (mined at once on a local
        chain) and draws it; returns its members in draw order."""
        try:
            self.check_request_panel(task_id)
            self.request_panel(task_id)
        except PreflightRefusal as refusal:
            if refusal.reason != Reason.ALREADY_REQUESTED:
                raise
        self.market.wait_for_block(self.state(task_id).panel_seed_block + 1)
        return self.draw_panel(task_id)

    # ------------------------------------------------------------------ finalize
    def check_finalize(self, task_id: int, max_steps: int = DEFAULT_FINALIZE_STEPS) -> TaskState:
        if max_steps < 1:
            raise PreflightRefusal(Reason.BAD_PARAMETER, "finalize needs at least one step per transaction.")
        state = self.state(task_id)
        if state.phase == Phase.FINALIZED:
            raise PreflightRefusal(Reason.ALREADY_FINALIZED, f"task {task_id} is already finalized.")
        require_phase(state, Phase.FINALIZING, "finalizing")
        return state

    def finalize(self, task_id: int, max_steps: int = DEFAULT_FINALIZE_STEPS) -> int:
        """Runs finalize in batches of `max_steps` until the task is finalized; returns the transactions
        sent (0 when it was finalized already)."""
        try:
            self.check_finalize(task_id, max_steps)
        except PreflightRefusal as refusal:
            if refusal.reason != Reason.ALREADY_FINALIZED:
                raise
            self.log(f"task {task_id} is already finalized")
            return 0
        transactions, done = 0, False
        while not done:
            done = self.market.finalize(task_id, max_steps, sender=self.account)
            transactions += 1
            self.log(f"finalize transaction {transactions} sent ({max_steps} steps at most)")
        return transactions

    # ------------------------------------------------------------------ claim
    def check_claim(self, task_id: int, to: str | None = None) -> int:
        """What the account would be paid; refuses before settlement, twice, or when nothing is owed."""
        state = self.state(task_id)
        require_settled(state, "claiming")
        if to is not None and int(to, 16) == 0:
            raise PreflightRefusal(Reason.BAD_PARAMETER, "a claim cannot be paid to the zero address.")
        if self.market.has_claimed(task_id, self.address):
            raise PreflightRefusal(
                Reason.ALREADY_CLAIMED, f"{self.address} has already claimed what it was owed in task {task_id}."
            )
        amount = self.market.owed(task_id, self.address)
        if amount == 0:
            raise PreflightRefusal(
                Reason.NOTHING_OWED, f"{self.address} is owed nothing in task {task_id}: {self._why_nothing(state)}."
            )
        return amount

    def claim(self, task_id: int, to: str | None = None) -> int:
        """Pays what the account is owed in a settled task to itself, or to `to`; returns the amount."""
        amount = self.check_claim(task_id, to)
        self.market.claim(task_id, sender=self.account, to=to)
        return amount

    def _why_nothing(self, state: TaskState) -> str:
        role = self.market.role(state.task_id, self.address)
        if self.address == state.initiator:
            return "everything it put in went to the contributors and the panel, or was burned"
        if role == Role.CONTRIBUTOR:
            if state.settlement.contested:
                return "its model was never revealed, and the verdict was contested"
            return "its model was never revealed, so its stake went to the other contributors, or was burned"
        if role == Role.VERIFIER:
            return (
                "it did not reveal its scores, they strayed from a median beyond the tolerance, or its vote was "
                "not the verdict's; its bond stays in the pool"
            )
        return "it took no part in the task"
