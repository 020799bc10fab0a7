"""Verifiers commit to their scores, then reveal them: windows, roles and commitments."""

import ape
import pytest

from tests.utils.market import PHASE, open_task, salt, score_commitment
from tests.utils.settlement import (  # noqa: F401
    copy_of,
    deadlines_of,
)

SCORES = [8_000, 6_000]  # one per submission: two contributors reveal


@pytest.fixture(scope="module")
def two_tasks(market, chain, initiator, contributors, verifiers, outsider):
    """Two tasks in step, each with two revealed models and four verifiers (verifiers[0] is in
    both), left in the Reveal window: the test set is not revealed yet. (Every session fixture
    the module uses is requested here, so that ape's snapshots nest and nothing is rebuilt.)"""
    task = open_task(market, chain, initiator, label="scores")
    other = open_task(market, chain, initiator, label="scores-other", **deadlines_of(task))
    for t in (task, other):
        for contributor in contributors[:2]:
            t.commit(contributor)
        for verifier in verifiers[:4]:
            t.join(verifier)
    task.after("commit")
    for t in (task, other):
        for contributor in contributors[:2]:
            t.reveal(contributor)
    return task, other


@pytest.fixture
def task(two_tasks):
    return copy_of(two_tasks[0])


@pytest.fixture
def other_task(two_tasks):
    return copy_of(two_tasks[1])


@pytest.fixture
def scoring(task):
    """The test set is revealed: the ScoreCommit window is open."""
    task.after("reveal")
    task.reveal_test_set()
    return task


def commitment_of(task, verifier, scores, secret):
    return score_commitment(
        task.chain.chain_id, task.market.address, task.task_id, verifier.address, scores, secret
    )


# ------------------------------------------------------------------ commitScores


def test_commit_scores__verifier__records_commitment_and_emits(scoring, verifiers):
    v0 = verifiers[0]
    expected = commitment_of(scoring, v0, SCORES, salt(f"scores-{v0.address}"))

    tx = scoring.commit_scores(v0, SCORES)

    logs = list(tx.decode_logs(scoring.market.ScoresCommitted))
    assert len(logs) == 1
    assert logs[0].taskId == scoring.task_id
    assert logs[0].verifier == v0.address
    assert logs[0].commitment == expected
    views = scoring.market.getVerifiers(scoring.task_id)
    assert [(v.verifier, v.committed, v.revealed) for v in views] == [
        (verifiers[0].address, True, False),
        (verifiers[1].address, False, False),
        (verifiers[2].address, False, False),
        (verifiers[3].address, False, False),
    ]


def test_commit_scores__before_test_set_reveal__reverts(task, verifiers):
    task.after("reveal")

    with ape.reverts(
        task.market.WrongPhase,
        taskId=task.task_id,
        current=PHASE["TestReveal"],
        required=PHASE["ScoreCommit"],
    ):
        task.commit_scores(verifiers[0], SCORES)


def test_commit_scores__at_score_commit_deadline__succeeds(scoring, verifiers):
    scoring.at_deadline("scoreCommit")

    tx = scoring.commit_scores(verifiers[0], SCORES)

    assert len(list(tx.decode_logs(scoring.market.ScoresCommitted))) == 1
    assert scoring.market.getVerifiers(scoring.task_id)[0].committed


def test_commit_scores__one_second_after_score_commit_deadline__reverts(scoring, verifiers):
    scoring.after("scoreCommit")

    with ape.reverts(
        scoring.market.WrongPhase,
        taskId=scoring.task_id,
        current=PHASE["ScoreReveal"],
        required=PHASE["ScoreCommit"],
    ):
        scoring.commit_scores(verifiers[0], SCORES)


@pytest.mark.parametrize("who", ["contributor", "outsider", "initiator"])
def test_commit_scores__not_a_verifier__reverts(scoring, who, contributors, outsider, initiator):
    caller = {"contributor": contributors[0], "outsider": outsider, "initiator": initiator}[who]

    with ape.reverts(scoring.market.NotVerifier, taskId=scoring.task_id, account=caller.address):
        scoring.commit_scores(caller, SCORES)


def test_commit_scores__zero_commitment__reverts(scoring, verifiers):
    with ape.reverts(scoring.market.ZeroDigest):
        scoring.market.commitScores(scoring.task_id, b"\x00" * 32, sender=verifiers[0])


def test_commit_scores__second_commitment__reverts(scoring, verifiers):
    v0 = verifiers[0]
    scoring.commit_scores(v0, SCORES)

    with ape.reverts(
        scoring.market.ScoresAlreadyCommitted, taskId=scoring.task_id, verifier=v0.address
    ):
        scoring.commit_scores(v0, [9_000, 9_000])


# ------------------------------------------------------------------ revealScores


@pytest.fixture
def committed(scoring, verifiers):
    """verifiers[0] and [1] committed to their scores; [2] and [3] have not."""
    scoring.commit_scores(verifiers[0], SCORES)
    scoring.commit_scores(verifiers[1], [8_100, 5_900])
    return scoring


def test_reveal_scores__committed_verifier__stores_and_emits(committed, verifiers):
    v0 = verifiers[0]
    committed.after("scoreCommit")

    tx = committed.reveal_scores(v0)

    logs = list(tx.decode_logs(committed.market.ScoresRevealed))
    assert len(logs) == 1
    assert logs[0].taskId == committed.task_id
    assert logs[0].verifier == v0.address
    assert list(logs[0].scores) == SCORES
    assert list(committed.market.scoresOf(committed.task_id, v0)) == SCORES
    assert (
        list(committed.market.scoresOf(committed.task_id, verifiers[1])) == []
    )  # not revealed yet
    views = committed.market.getVerifiers(committed.task_id)
    assert [(v.committed, v.revealed) for v in views] == [
        (True, True),
        (True, False),
        (False, False),
        (False, False),
    ]


def test_reveal_scores__at_score_commit_deadline__reverts(committed, verifiers):
    committed.at_deadline("scoreCommit")

    with ape.reverts(
        committed.market.WrongPhase,
        taskId=committed.task_id,
        current=PHASE["ScoreCommit"],
        required=PHASE["ScoreReveal"],
    ):
        committed.reveal_scores(verifiers[0])


def test_reveal_scores__at_score_reveal_deadline__succeeds(committed, verifiers):
    committed.at_deadline("scoreReveal")

    tx = committed.reveal_scores(verifiers[0])

    assert len(list(tx.decode_logs(committed.market.ScoresRevealed))) == 1
    assert list(committed.market.scoresOf(committed.task_id, verifiers[0])) == SCORES


def test_reveal_scores__one_second_after_score_reveal_deadline__reverts(committed, verifiers):
    committed.after("scoreReveal")

    with ape.reverts(
        committed.market.WrongPhase,
        taskId=committed.task_id,
        current=PHASE["Finalizing"],
        required=PHASE["ScoreReveal"],
    ):
        committed.reveal_scores(verifiers[0])


def test_reveal_scores__never_committed__reverts(committed, verifiers):
    v3 = verifiers[3]
    committed.after("scoreCommit")

    with ape.reverts(
        committed.market.ScoresNotCommitted, taskId=committed.task_id, verifier=v3.address
    ):
        committed.market.revealScores(committed.task_id, SCORES, salt("any"), sender=v3)


def test_reveal_scores__second_reveal__reverts(committed, verifiers):
    v0 = verifiers[0]
    committed.after("scoreCommit")
    committed.reveal_scores(v0)

    with ape.reverts(
        committed.market.ScoresAlreadyRevealed, taskId=committed.task_id, verifier=v0.address
    ):
        committed.reveal_scores(v0)


@pytest.mark.parametrize(
    "scores",
    [pytest.param([8_000], id="too_few"), pytest.param([8_000, 6_000, 7_000], id="too_many")],
)
def test_reveal_scores__not_one_per_submission__reverts(committed, verifiers, scores):
    v2 = verifiers[2]
    committed.commit_scores(v2, scores)  # a faithful commitment to the wrong number of scores
    committed.after("scoreCommit")

    with ape.reverts(
        committed.market.ScoreCountMismatch, taskId=committed.task_id, given=len(scores), expected=2
    ):
        committed.reveal_scores(v2)


def test_reveal_scores__score_above_10000__reverts(committed, verifiers):
    v2 = verifiers[2]
    committed.commit_scores(v2, [5_000, 10_001])
    committed.after("scoreCommit")

    with ape.reverts(
        committed.market.ScoreOutOfRange, taskId=committed.task_id, index=1, score=10_001
    ):
        committed.reveal_scores(v2)


def test_reveal_scores__scores_10000_and_0__succeed(committed, verifiers):
    v2 = verifiers[2]
    committed.commit_scores(v2, [10_000, 0])
    committed.after("scoreCommit")

    committed.reveal_scores(v2)

    assert list(committed.market.scoresOf(committed.task_id, v2)) == [10_000, 0]


def test_reveal_scores__wrong_salt__reverts(committed, verifiers):
    v0 = verifiers[0]
    committed.after("scoreCommit")

    with ape.reverts(
        committed.market.CommitmentMismatch, taskId=committed.task_id, account=v0.address
    ):
        committed.market.revealScores(committed.task_id, SCORES, salt("not-the-salt"), sender=v0)


def test_reveal_scores__different_scores__reverts(committed, verifiers):
    v0 = verifiers[0]
    _, secret = committed.score_secrets[v0.address]
    committed.after("scoreCommit")

    with ape.reverts(
        committed.market.CommitmentMismatch, taskId=committed.task_id, account=v0.address
    ):
        committed.market.revealScores(committed.task_id, [8_000, 6_001], secret, sender=v0)


def test_reveal_scores__commitment_copied_by_another_verifier__reverts(committed, verifiers):
    v0, v2 = verifiers[0], verifiers[2]
    scores, secret = committed.score_secrets[v0.address]
    copied = commitment_of(committed, v0, scores, secret)
    committed.market.commitScores(committed.task_id, copied, sender=v2)
    committed.after("scoreCommit")

    # v2 learns v0's scores and salt (say from v0's reveal in the mempool) and replays them.
    with ape.reverts(
        committed.market.CommitmentMismatch, taskId=committed.task_id, account=v2.address
    ):
        committed.market.revealScores(committed.task_id, scores, secret, sender=v2)
    committed.reveal_scores(v0)  # the commitment still opens for its author
    assert list(committed.market.scoresOf(committed.task_id, v0)) == scores


def test_reveal_scores__commitment_replayed_in_another_task__reverts(
    committed, other_task, verifiers
):
    v0 = verifiers[0]
    scores, secret = committed.score_secrets[v0.address]
    other_task.reveal_test_set()
    other_task.market.commitScores(
        other_task.task_id, commitment_of(committed, v0, scores, secret), sender=v0
    )
    committed.after("scoreCommit")

    with ape.reverts(
        other_task.market.CommitmentMismatch, taskId=other_task.task_id, account=v0.address
    ):
        other_task.market.revealScores(other_task.task_id, scores, secret, sender=v0)
