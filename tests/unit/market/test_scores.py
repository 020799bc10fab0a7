"""Panel members commit to their vote and scores, then reveal them: windows, roles, the vote
(`testSetAvailable`) and commitments. Scores are one per model: the starting model first."""

import pytest

from tests.utils.lifecycle import only_event, reverts
from tests.utils.market import PHASE, open_task, salt, score_commitment
from tests.utils.settlement import copy_of, deadlines_of

SCORES = [3_000, 8_000, 6_000]  # the starting model, then two submissions


@pytest.fixture(scope="module")
def two_tasks(market, chain, initiator, contributors, verifiers, outsider, by_address):
    """Two tasks in step, each with two revealed models and a panel of the whole pool (five). (The
    clock is set by each test's `task` fixture: a module fixture's pending timestamp is not
    kept.)"""
    task = open_task(market, chain, initiator, by_address, label="scores", panelSize=5)
    other = open_task(
        market,
        chain,
        initiator,
        by_address,
        label="scores-other",
        panelSize=5,
        **deadlines_of(task),
    )
    for t in (task, other):
        t.open_audit()
        for contributor in contributors[:2]:
            t.commit(contributor)
    task.after("commit")
    for t in (task, other):
        t.open_panel(outsider)
        for contributor in contributors[:2]:
            t.reveal(contributor)
    return task, other


@pytest.fixture
def task(two_tasks):
    """The first task, at the first second of TestReveal."""
    handle = copy_of(two_tasks[0])
    handle.after("reveal")
    return handle


@pytest.fixture
def other_task(two_tasks):
    return copy_of(two_tasks[1])


@pytest.fixture
def scoring(task):
    """The test set is revealed: the ScoreCommit window is open."""
    task.reveal_test_set()
    return task


@pytest.fixture
def members(task):
    return task.panel()


@pytest.fixture
def committed(scoring, members):
    """Members 0 and 1 committed to SCORES on the test set; member 2 voted unavailable."""
    scoring.commit_scores(members[0], SCORES)
    scoring.commit_scores(members[1], SCORES)
    scoring.commit_scores(members[2], [2_000, 5_000, 5_000], available=False)
    return scoring


def commitment_of(task, verifier, available, scores, secret):
    return score_commitment(
        task.chain.chain_id,
        task.market.address,
        task.task_id,
        verifier.address,
        available,
        scores,
        secret,
    )


# ------------------------------------------------------------------ commitScores


def test_commit_scores__member__records_commitment_and_emits(scoring, members):
    m0 = members[0]
    expected = commitment_of(
        scoring, m0, True, SCORES, salt(f"scores-{m0.address}-{scoring.task_id}")
    )

    tx = scoring.commit_scores(m0, SCORES)

    assert only_event(tx, scoring.market.ScoresCommitted) == {
        "taskId": scoring.task_id,
        "verifier": m0.address,
        "commitment": expected,
    }
    views = scoring.market.getPanel(scoring.task_id)
    assert [(v.member, v.committed, v.revealed) for v in views] == [
        (m.address, m == m0, False) for m in members
    ]


def test_commit_scores__before_test_set_reveal__reverts(task, members):
    with reverts(
        task.market.WrongPhase,
        taskId=task.task_id,
        current=PHASE["TestReveal"],
        required=PHASE["ScoreCommit"],
    ):
        task.commit_scores(members[0], SCORES)


def test_commit_scores__test_set_withheld__opens_after_the_test_reveal_deadline(task, members):
    task.after("testReveal")
    task.commit_scores(members[0], SCORES, available=False)
    assert task.market.getPanel(task.task_id)[0].committed


def test_commit_scores__at_score_commit_deadline__succeeds(scoring, members):
    scoring.at_deadline("scoreCommit")
    scoring.commit_scores(members[0], SCORES)
    assert scoring.market.getPanel(scoring.task_id)[0].committed


def test_commit_scores__one_second_after_score_commit_deadline__reverts(scoring, members):
    scoring.after("scoreCommit")
    with reverts(
        scoring.market.WrongPhase,
        taskId=scoring.task_id,
        current=PHASE["ScoreReveal"],
        required=PHASE["ScoreCommit"],
    ):
        scoring.commit_scores(members[0], SCORES)


@pytest.mark.parametrize("who", ["contributor", "outsider", "initiator"])
def test_commit_scores__not_a_panel_member__reverts(
    scoring, who, contributors, outsider, initiator
):
    caller = {"contributor": contributors[0], "outsider": outsider, "initiator": initiator}[who]
    with reverts(scoring.market.NotVerifier, taskId=scoring.task_id, account=caller):
        scoring.commit_scores(caller, SCORES)


def test_commit_scores__zero_commitment__reverts(scoring, members):
    with reverts(scoring.market.ZeroDigest):
        scoring.market.commitScores(scoring.task_id, b"\x00" * 32, sender=members[0])


def test_commit_scores__second_commitment__reverts(scoring, members):
    scoring.commit_scores(members[0], SCORES)
    with reverts(
        scoring.market.ScoresAlreadyCommitted, taskId=scoring.task_id, verifier=members[0]
    ):
        scoring.commit_scores(members[0], [1, 2, 3])


# ------------------------------------------------------------------ revealScores


@pytest.mark.parametrize(
    "index, available", [(0, True), (2, False)], ids=["test_set", "unavailable"]
)
def test_reveal_scores__committed_member__stores_vote_and_scores_and_emits(
    committed, members, index, available
):
    member = members[index]
    _, scores, _ = committed.score_secrets[member.address]
    committed.after("scoreCommit")

    tx = committed.reveal_scores(member)

    assert only_event(tx, committed.market.ScoresRevealed) == {
        "taskId": committed.task_id,
        "verifier": member.address,
        "testSetAvailable": available,
        "scores": scores,
    }
    assert list(committed.market.scoresOf(committed.task_id, member)) == scores
    view = committed.market.getPanel(committed.task_id)[index]
    assert (view.committed, view.revealed, view.testSetAvailable) == (True, True, available)


def test_reveal_scores__available_while_the_test_set_was_withheld__reverts(task, members):
    task.after("testReveal")
    task.commit_scores(members[0], SCORES, available=True)
    task.after("scoreCommit")
    with reverts(task.market.TestSetNotRevealed, taskId=task.task_id):
        task.reveal_scores(members[0])


def test_reveal_scores__at_score_commit_deadline__reverts(committed, members):
    committed.at_deadline("scoreCommit")
    with reverts(
        committed.market.WrongPhase,
        taskId=committed.task_id,
        current=PHASE["ScoreCommit"],
        required=PHASE["ScoreReveal"],
    ):
        committed.reveal_scores(members[0])


def test_reveal_scores__at_score_reveal_deadline__succeeds(committed, members):
    committed.at_deadline("scoreReveal")
    committed.reveal_scores(members[0])
    assert list(committed.market.scoresOf(committed.task_id, members[0])) == SCORES


def test_reveal_scores__one_second_after_score_reveal_deadline__reverts(committed, members):
    committed.after("scoreReveal")
    with reverts(
        committed.market.WrongPhase,
        taskId=committed.task_id,
        current=PHASE["Finalizing"],
        required=PHASE["ScoreReveal"],
    ):
        committed.reveal_scores(members[0])


def test_reveal_scores__never_committed__reverts(committed, members):
    committed.after("scoreCommit")
    with reverts(
        committed.market.ScoresNotCommitted, taskId=committed.task_id, verifier=members[3]
    ):
        committed.market.revealScores(
            committed.task_id, True, SCORES, salt("any"), sender=members[3]
        )


def test_reveal_scores__second_reveal__reverts(committed, members):
    committed.after("scoreCommit")
    committed.reveal_scores(members[0])
    with reverts(
        committed.market.ScoresAlreadyRevealed, taskId=committed.task_id, verifier=members[0]
    ):
        committed.reveal_scores(members[0])


@pytest.mark.parametrize("who", ["contributor", "outsider"])
def test_reveal_scores__not_a_panel_member__reverts(committed, contributors, outsider, who):
    caller = contributors[0] if who == "contributor" else outsider
    committed.after("scoreCommit")
    with reverts(committed.market.NotVerifier, taskId=committed.task_id, account=caller):
        committed.market.revealScores(committed.task_id, True, SCORES, salt("x"), sender=caller)


@pytest.mark.parametrize(
    "scores",
    [[8_000, 6_000], [3_000, 8_000, 6_000, 7_000]],
    ids=["submissions_only", "one_too_many"],
)
def test_reveal_scores__not_the_start_plus_one_per_submission__reverts(committed, members, scores):
    committed.commit_scores(
        members[3], scores
    )  # a faithful commitment to the wrong number of scores
    committed.after("scoreCommit")
    with reverts(
        committed.market.ScoreCountMismatch, taskId=committed.task_id, given=len(scores), expected=3
    ):
        committed.reveal_scores(members[3])


def test_reveal_scores__score_above_10000__reverts(committed, members):
    committed.commit_scores(members[3], [5_000, 5_000, 10_001])
    committed.after("scoreCommit")
    with reverts(committed.market.ScoreOutOfRange, taskId=committed.task_id, index=2, score=10_001):
        committed.reveal_scores(members[3])


def test_reveal_scores__scores_10000_and_0__succeed(committed, members):
    committed.commit_scores(members[3], [10_000, 0, 10_000])
    committed.after("scoreCommit")
    committed.reveal_scores(members[3])
    assert list(committed.market.scoresOf(committed.task_id, members[3])) == [10_000, 0, 10_000]


@pytest.mark.parametrize("change", ["salt", "scores", "vote"])
def test_reveal_scores__not_what_was_committed__reverts(committed, members, change):
    m0 = members[0]
    available, scores, secret = committed.score_secrets[m0.address]
    if change == "salt":
        secret = salt("not-the-salt")
    elif change == "scores":
        scores = [3_000, 8_000, 6_001]
    else:
        available = False
    committed.after("scoreCommit")
    with reverts(committed.market.CommitmentMismatch, taskId=committed.task_id, account=m0):
        committed.market.revealScores(committed.task_id, available, scores, secret, sender=m0)


def test_reveal_scores__commitment_copied_by_another_member__reverts(committed, members):
    m0, m3 = members[0], members[3]
    available, scores, secret = committed.score_secrets[m0.address]
    committed.market.commitScores(
        committed.task_id, commitment_of(committed, m0, available, scores, secret), sender=m3
    )
    committed.after("scoreCommit")

    # m3 learns m0's scores and salt (say from m0's reveal in the mempool) and replays them.
    with reverts(committed.market.CommitmentMismatch, taskId=committed.task_id, account=m3):
        committed.market.revealScores(committed.task_id, available, scores, secret, sender=m3)
    committed.reveal_scores(m0)  # the commitment still opens for its author
    assert list(committed.market.scoresOf(committed.task_id, m0)) == scores


def test_reveal_scores__commitment_replayed_in_another_task__reverts(
    committed, other_task, members
):
    m0 = members[0]
    available, scores, secret = committed.score_secrets[m0.address]
    other_task.reveal_test_set()
    other_task.market.commitScores(
        other_task.task_id, commitment_of(committed, m0, available, scores, secret), sender=m0
    )
    committed.after("scoreCommit")
    with reverts(other_task.market.CommitmentMismatch, taskId=other_task.task_id, account=m0):
        other_task.market.revealScores(other_task.task_id, available, scores, secret, sender=m0)


def test_scores_of__before_reveal_or_not_a_member__empty(committed, members, contributors):
    assert list(committed.market.scoresOf(committed.task_id, members[0])) == []
    assert list(committed.market.scoresOf(committed.task_id, contributors[0])) == []
    with reverts(committed.market.TaskNotFound, taskId=99):
        committed.market.scoresOf(99, members[0])
