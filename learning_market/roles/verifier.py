"""The verifier: a bonded member of the market's verifier pool (register once, request the exit,
withdraw the bond). It acts only in the tasks whose panel drew it: it fetches the spec, the starting
model, every revealed model and the test shards by the digests the chain recorded, scores them all
by the spec's rules (`ml.score_models`, the starting model first, capped by what the audit shards
show; each submission compared with every model public in the market before its commit), commits to
its verdict and scores, and reveals them. When the test set is withheld, or its shards cannot be
fetched or do not match their digests, it votes the test set unavailable and scores on the audit
shards instead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from content import StoreMissing
from learning_market.checks import (
    PreflightRefusal,
    Reason,
    TaskState,
    eth,
    fetch_verified,
    panel_status,
    require_balance,
    require_phase,
    require_role,
    require_scores_committed_unrevealed,
    require_scores_uncommitted,
)
from learning_market.commitments import new_salt, score_commitment
from learning_market.keyring import ScoreSecret
from learning_market.market import PoolMember, Submission
from learning_market.phases import Phase, Role
from learning_market.roles.anyone import Participant
from learning_market.roles.files import fetch_model, fetch_shards, fetch_spec, revealed_shards
from learning_market.timeline import when
from ml import Dataset, Model, ModelFileError, PublicModel, decode_model, score_models


@dataclass(frozen=True)
class Scoring:
    """What a panel member commits to: its verdict on the test set, and its scores (the starting model
    first, then one per submission in reveal order)."""

    test_set_available: bool
    scores: tuple[int, ...]


@dataclass
class Verifier(Participant):
    """A member of the market's verifier pool. An agent registers with the bond if `join_pool` (once),
    scores in every task whose panel draws it, and scores a model missing from the store 0 if
    `missing_as_zero` (otherwise it waits for it)."""

    missing_as_zero: bool = False
    join_pool: bool = False

    STEPS: ClassVar[tuple[str, ...]] = ("commit_scores", "reveal_scores", "finalize", "claim")
    JOIN_STEPS: ClassVar[tuple[str, ...]] = ()  # none: the panel draw makes a member a verifier of a task

    # ------------------------------------------------------------------ what an agent asks
    def takes_part(self, task_id: int) -> bool:
        return self.market.role(task_id, self.address) == Role.VERIFIER

    def may_take_part(self, task_id: int) -> bool:
        """Whether a panel yet to be drawn for the task may draw this account: it is an active pool member
        and the task has no panel and is not settled."""
        state = self.state(task_id)
        member = self.market.pool_member(self.address)
        active = member.registered and not member.slashed and not member.exiting
        return active and not state.panel_drawn and not state.phase.settled and state.phase != Phase.NONE

    def act(self, task_id: int, step: str) -> str | None:
        if step == "commit_scores":
            secret = self.commit_scores(task_id, missing_as_zero=self.missing_as_zero)
            basis = "the test set" if secret.test_set_available else "the audit shards (test set unavailable)"
            return f"scores on {basis}: " + ", ".join(f"{s / 100:.2f}%" for s in secret.scores)
        return super().act(task_id, step)

    def market_step(self) -> str | None:
        """"register" when this agent joins the pool and has no registration."""
        if self.join_pool and not self.market.pool_member(self.address).registered:
            return "register"
        return None

    def act_on_market(self, step: str) -> str | None:
        if step != "register":
            return super().act_on_market(step)
        self.register()
        return f"registered in the verifier pool with a bond of {eth(self.market.verifier_bond)}"

    # ------------------------------------------------------------------ the pool
    def member(self) -> PoolMember:
        return self.market.pool_member(self.address)

    def check_register(self) -> int:
        """The bond to send, if the account may register in the pool now."""
        member = self.member()
        if member.registered:
            raise PreflightRefusal(
                Reason.ALREADY_REGISTERED,
                f"{self.address} is already registered in the verifier pool (bond {eth(member.bond)}).",
            )
        bond = self.market.verifier_bond
        require_balance(self.market, self.address, bond, "the pool's bond")
        return bond

    def register(self) -> int:
        """Bonds the account into the verifier pool: it may be drawn for panels requested from the next
        block on. Returns the bond."""
        bond = self.check_register()
        self.market.register(sender=self.account)
        return bond

    def check_request_exit(self) -> PoolMember:
        member = self.member()
        if not member.registered:
            raise PreflightRefusal(Reason.NOT_REGISTERED, f"{self.address} is not registered in the verifier pool.")
        if member.exiting:
            raise PreflightRefusal(
                Reason.EXIT_REQUESTED,
                f"{self.address} already asked to leave the verifier pool (in block {member.exit_block}).",
            )
        return member

    def request_exit(self) -> int:
        """Asks to leave the pool (no panel requested after this block draws it); returns the earliest time
        the bond may be withdrawn."""
        self.check_request_exit()
        self.market.request_exit(sender=self.account)
        return self.member().exit_time + self.market.unbonding_period

    def check_withdraw_bond(self) -> int:
        """What the withdrawal would pay, if the bond may be withdrawn now."""
        member, now = self.member(), self.market.now()
        if not member.registered:
            raise PreflightRefusal(Reason.NOT_REGISTERED, f"{self.address} is not registered in the verifier pool.")
        if not member.exiting:
            raise PreflightRefusal(
                Reason.TOO_EARLY,
                f"{self.address} has not asked to leave the verifier pool: request the exit first (exit).",
            )
        available = member.exit_time + self.market.unbonding_period
        if now < available:
            raise PreflightRefusal(
                Reason.UNBONDING,
                f"the bond of {self.address} is unbonding until {when(available, now)}: withdraw it then.",
            )
        if member.open_panels:
            raise PreflightRefusal(
                Reason.UNBONDING,
                f"{self.address} sits on {member.open_panels} panel(s) whose task is not finalized yet: withdraw "
                "once they are (anyone may finalize them).",
            )
        return member.bond

    def withdraw_bond(self) -> int:
        """Takes back what is left of the bond and ends the registration; returns the amount."""
        amount = self.check_withdraw_bond()
        self.market.withdraw_bond(sender=self.account)
        return amount

    # ------------------------------------------------------------------ score
    def _model(self, digest: bytes, label: str, missing_as_zero: bool) -> Model | None:
        """The model of `digest` fetched and checked; a file that does not load is None (it scores 0), and so
        is a missing one if `missing_as_zero` (otherwise the refusal stands)."""
        try:
            data = fetch_verified(self.need_store(), digest, label)
        except PreflightRefusal as refusal:
            if not (missing_as_zero and isinstance(refusal.__cause__, StoreMissing)):
                raise
            self.log(f"{label} is not in the store: scored 0")
            return None
        try:
            return decode_model(data, digest)
        except (ModelFileError, RuntimeError, ValueError) as error:
            self.log(f"{label} does not load ({error}): scored 0")
            return None

    def _public_model(self, digest: bytes, label: str) -> Model | None:
        """A public model to compare submissions with, or None (logged) if its file cannot be fetched, does not
        match its digest or does not load: anyone can make a model public, so nothing about one may stop the
        scoring."""
        try:
            return decode_model(fetch_verified(self.need_store(), digest, label), digest)
        except (PreflightRefusal, ModelFileError, RuntimeError, ValueError) as error:
            self.log(f"{label} is not compared with: {error}")
            return None

    def public_models(self, task_id: int, submissions: list[Submission]) -> list[PublicModel]:
        """Every model public in the market before one of the task's `submissions` was committed: the models
        revealed in other tasks and the fused models published, each compared only with the submissions
        committed after it (which could have copied it; one committed before cannot have, and publishing a
        model just before an honest reveal must not zero it)."""
        committed = self.market.commit_positions(task_id)
        published = self.market.public_models()
        if sum(1 for m in published if m.task_id == task_id and m.index is not None) != len(submissions):
            published = self.market.public_models(rescan=True)  # the chain reorganised under the cache
        public = []
        for model in published:
            later = frozenset(s.index for s in submissions if committed[s.contributor] > model.position)
            if model.task_id == task_id and model.index is not None or not later:
                continue
            label = (f"task {model.task_id}'s fused model" if model.index is None
                     else f"task {model.task_id}'s #{model.index + 1}")
            public.append(PublicModel(label, self._public_model(model.model_digest, f"model of {label}"), later))
        return public

    def evaluation(self, state: TaskState) -> tuple[bool, list[Dataset], list[Dataset] | None]:
        """The verdict, the shards to score on and the audit shards that cap the start: the test shards (True)
        when revealed and every one is fetched and matches its digest, with the audit shards ([] if they
        cannot be fetched: the start then counts 0); else the audit shards (False), which then cap
        nothing."""
        store = self.need_store()
        digests, _ = self.market.shards(state.task_id)
        if state.test_revealed:
            try:
                test = fetch_shards(store, revealed_shards(state, digests, audit=False), "test")
            except PreflightRefusal as refusal:
                self.log(f"the test set of task {state.task_id} is unavailable ({refusal}): scoring on the audit "
                         "shards")
            else:
                try:
                    return True, test, fetch_shards(store, revealed_shards(state, digests, audit=True), "audit")
                except PreflightRefusal as refusal:
                    self.log(f"the audit shards of task {state.task_id} are unavailable ({refusal}): the starting "
                             "model counts 0")
                    return True, test, []
        else:
            self.log(f"the test set of task {state.task_id} was withheld: scoring on the audit shards")
        return False, fetch_shards(store, revealed_shards(state, digests, audit=True), "audit"), None

    def score(self, task_id: int, missing_as_zero: bool = False) -> Scoring:
        """The verdict and the scores (bps) of the starting model and every revealed model, in reveal order,
        by the spec's scoring rules (`ml.score_models`) and seeded by the task's public randomness: the start
        capped by what the audit shards show, and every submission compared with the models public in the
        market before it was committed.

        Every file is fetched by the digest the chain recorded and checked: a model file that does not match
        is refused (fetch it again), a model missing from the store is refused unless `missing_as_zero`, and
        a model file that matches its digest but does not load scores 0.
        """
        state, store = self.state(task_id), self.need_store()
        spec = fetch_spec(store, state)
        if spec.initial_model is None:
            raise PreflightRefusal(
                Reason.BAD_FILE, f"the spec of task {task_id} names no starting model, which the panel scores first."
            )
        start = fetch_model(store, spec.initial_model, "starting model named by the spec")
        available, shards, audit = self.evaluation(state)
        revealed = self.market.submissions(task_id)
        submissions = [
            self._model(s.model_digest, f"model of submission #{s.index}", missing_as_zero) for s in revealed
        ]
        scores = score_models(
            spec, start, submissions, shards, self.market.task_seed(task_id),
            baseline_bps=state.params.baseline_score, public_models=self.public_models(task_id, revealed),
            audit=audit,
        )
        return Scoring(available, tuple(scores.bps))

    # ------------------------------------------------------------------ commit
    def check_commit_scores(self, task_id: int) -> TaskState:
        market, state = self.market, self.state(task_id)
        if market.role(task_id, self.address) == Role.VERIFIER:  # done, whatever the phase
            require_scores_uncommitted(market, state, self.address)
        require_phase(state, Phase.SCORE_COMMIT, "committing scores")
        require_role(market, state, self.address, Role.VERIFIER, "committing scores")
        return state

    def commit_scores(
        self,
        task_id: int,
        scores: list[int] | None = None,
        missing_as_zero: bool = False,
        test_set_available: bool | None = None,
    ) -> ScoreSecret:
        """Commits to a verdict and scores, by default this member's own (`score`); the verdict, scores and
        salt are kept in the keyring first, until their reveal.

        A secret kept for the same verdict and scores by a commit that never reached the chain is sent again.
        """
        market = self.market
        self.check_commit_scores(task_id)
        if scores is None:
            scoring = self.score(task_id, missing_as_zero)
            chosen, available = scoring.scores, scoring.test_set_available
        else:
            chosen = tuple(scores)
            available = self.state(task_id).test_revealed if test_set_available is None else test_set_available

        def fresh() -> ScoreSecret:
            salt = new_salt()
            commitment = score_commitment(market.chain_id, market.address, task_id, self.address, available, chosen,
                                          salt)
            return ScoreSecret(chosen, salt, commitment, available)

        return self._commit_with_secret(
            task_id,
            fresh,
            lambda kept: isinstance(kept, ScoreSecret)
            and (kept.scores, kept.test_set_available) == (chosen, available),
            lambda secret: market.commit_scores(task_id, secret.commitment, sender=self.account),
        )

    # ------------------------------------------------------------------ reveal
    def check_reveal_scores(self, task_id: int) -> ScoreSecret:
        market, state = self.market, self.state(task_id)
        drawn = market.role(task_id, self.address) == Role.VERIFIER
        if drawn and panel_status(market, state, self.address).revealed:  # done, whatever the phase
            require_scores_committed_unrevealed(market, state, self.address)
        require_phase(state, Phase.SCORE_REVEAL, "revealing scores")
        require_role(market, state, self.address, Role.VERIFIER, "revealing scores")
        require_scores_committed_unrevealed(market, state, self.address)
        return self._kept_secret(task_id, ScoreSecret)

    def reveal_scores(self, task_id: int) -> tuple[int, ...]:
        """Opens the score commitment with the verdict, scores and salt from the keyring."""
        secret = self.check_reveal_scores(task_id)
        self.market.reveal_scores(task_id, secret.test_set_available, list(secret.scores), secret.salt,
                                  sender=self.account)
        return secret.scores
