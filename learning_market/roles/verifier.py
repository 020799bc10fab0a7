"""The verifier: joins a task with a stake, fetches the revealed models and the test set by digest,
scores every model, commits to the scores, reveals them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from content import StoreMissing
from learning_market.checks import (
    PreflightRefusal,
    TaskState,
    fetch_verified,
    require_joinable,
    require_newcomer,
    require_phase,
    require_role,
    require_scores_committed_unrevealed,
    require_scores_uncommitted,
    verifier_status,
)
from learning_market.commitments import new_salt, score_commitment
from learning_market.keyring import ScoreSecret
from learning_market.phases import Phase, Role
from learning_market.roles.anyone import Participant
from learning_market.roles.files import fetch_spec, fetch_test_set
from learning_market.roles.policy import Offer
from ml import ModelFileError, accuracy_bps, decode_model


@dataclass
class Verifier(Participant):
    """A verifier in one market. An agent scores a model missing from the store 0 if `missing_as_zero`,
    and otherwise waits for it."""

    missing_as_zero: bool = False

    STEPS: ClassVar[tuple[str, ...]] = ("join", "commit_scores", "reveal_scores", "finalize", "claim")
    JOIN_STEPS: ClassVar[tuple[str, ...]] = ("join",)

    # ------------------------------------------------------------------ what an agent asks
    def takes_part(self, task_id: int) -> bool:
        return self.market.role(task_id, self.address) == Role.VERIFIER

    def offer(self, task_id: int) -> Offer:
        state = self.state(task_id)
        spec = fetch_spec(self.need_store(), state)
        return Offer(
            task_id, state.reward, state.params.verifier_stake, state.params.commit_deadline,
            tuple(spec.input_shape), int(spec.num_classes),
        )

    def act(self, task_id: int, step: str) -> str | None:
        if step == "commit_scores":
            secret = self.commit_scores(task_id, missing_as_zero=self.missing_as_zero)
            return "scores " + ", ".join(f"{s / 100:.2f}%" for s in secret.scores)
        return super().act(task_id, step)

    # ------------------------------------------------------------------ join
    def check_join(self, task_id: int, stake: int | None = None) -> int:
        """The stake to send, if the account can join the task now."""
        market, state = self.market, self.state(task_id)
        if market.role(task_id, self.address) == Role.VERIFIER:  # done, whatever the phase
            require_newcomer(market, state, self.address, Role.VERIFIER)
        return require_joinable(market, state, self.address, Role.VERIFIER, stake, "joining as a verifier")

    def join(self, task_id: int, stake: int | None = None) -> None:
        """Joins the task in its commit phase, staking the task's verifier stake."""
        self.market.join_as_verifier(task_id, self.check_join(task_id, stake), sender=self.account)

    # ------------------------------------------------------------------ score
    def score(self, task_id: int, missing_as_zero: bool = False) -> list[int]:
        """Accuracy (bps) of every revealed model on the revealed test set, in reveal order.

        Every file is fetched by the digest the chain recorded and checked: a file that does not match
        is refused (fetch it again), a model missing from the store is refused unless `missing_as_zero`,
        and a model file that matches its digest but does not load or fit the test set scores 0.
        """
        state, store = self.state(task_id), self.need_store()
        test_set = fetch_test_set(store, state)
        scores = []
        for submission in self.market.submissions(task_id):
            what = f"model of submission #{submission.index}"
            try:
                data = fetch_verified(store, submission.model_digest, what)
            except PreflightRefusal as refusal:
                if not (missing_as_zero and isinstance(refusal.__cause__, StoreMissing)):
                    raise
                self.log(f"{what} is not in the store: scored 0")
                scores.append(0)
                continue
            try:
                scores.append(accuracy_bps(decode_model(data, submission.model_digest).module, test_set))
            except (ModelFileError, RuntimeError, ValueError) as error:
                self.log(f"{what} does not load or does not fit the test set ({error}): scored 0")
                scores.append(0)
        return scores

    # ------------------------------------------------------------------ commit
    def check_commit_scores(self, task_id: int) -> TaskState:
        market, state = self.market, self.state(task_id)
        if market.role(task_id, self.address) == Role.VERIFIER:  # done, whatever the phase
            require_scores_uncommitted(market, state, self.address)
        require_phase(state, Phase.SCORE_COMMIT, "committing scores")
        require_role(market, state, self.address, Role.VERIFIER, "committing scores")
        return state

    def commit_scores(
        self, task_id: int, scores: list[int] | None = None, missing_as_zero: bool = False
    ) -> ScoreSecret:
        """Commits to `scores`, by default this verifier's own scores of every submission (`score`);
        the scores and salt are kept in the keyring first, until their reveal.

        A secret kept for the same scores by a commit that never reached the chain is sent again.
        """
        market = self.market
        self.check_commit_scores(task_id)
        chosen = tuple(self.score(task_id, missing_as_zero) if scores is None else scores)

        def fresh() -> ScoreSecret:
            salt = new_salt()
            return ScoreSecret(
                chosen, salt, score_commitment(market.chain_id, market.address, task_id, self.address, chosen, salt)
            )

        return self._commit_with_secret(
            task_id,
            fresh,
            lambda kept: isinstance(kept, ScoreSecret) and kept.scores == chosen,
            lambda secret: market.commit_scores(task_id, secret.commitment, sender=self.account),
        )

    # ------------------------------------------------------------------ reveal
    def check_reveal_scores(self, task_id: int) -> ScoreSecret:
        market, state = self.market, self.state(task_id)
        verifying = market.role(task_id, self.address) == Role.VERIFIER
        if verifying and verifier_status(market, state, self.address).revealed:  # done, whatever the phase
            require_scores_committed_unrevealed(market, state, self.address)
        require_phase(state, Phase.SCORE_REVEAL, "revealing scores")
        require_role(market, state, self.address, Role.VERIFIER, "revealing scores")
        require_scores_committed_unrevealed(market, state, self.address)
        return self._kept_secret(task_id, ScoreSecret)

    def reveal_scores(self, task_id: int) -> tuple[int, ...]:
        """Opens the score commitment with the scores and salt from the keyring."""
        secret = self.check_reveal_scores(task_id)
        self.market.reveal_scores(task_id, list(secret.scores), secret.salt, sender=self.account)
        return secret.scores
