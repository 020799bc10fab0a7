"""revealTestSet: the initiator opens the test set it committed to at creation, in the
TestReveal window (after the models are revealed), once; score commits open at once."""

import pytest

from tests.utils.lifecycle import only_event, reverts
from tests.utils.market import PHASE, commitment_to_test_set, digest, open_task, salt

ZERO = b"\x00" * 32


@pytest.fixture
def revealed_task(create_task, contributors):
    """A task with one revealed model, at the first second of TestReveal."""
    task = create_task()
    task.commit(contributors[0])
    task.after("commit")
    task.reveal(contributors[0])
    task.after("reveal")
    return task


@pytest.mark.parametrize(
    "last_second", [False, True], ids=["first_second", "at_test_reveal_deadline"]
)
def test_reveal_test_set__opens_commitment__stores_digest_and_opens_score_commit(
    market, revealed_task, last_second
):
    task = revealed_task
    if last_second:
        task.at_deadline("testReveal")

    tx = task.reveal_test_set(uri="ipfs://test-set")

    assert only_event(tx, market.TestSetRevealed) == {
        "taskId": task.task_id,
        "testDigest": task.test_digest,
        "uri": "ipfs://test-set",
    }
    assert market.getTask(task.task_id).testDigest == task.test_digest
    assert market.phaseOf(task.task_id) == PHASE["ScoreCommit"]


@pytest.mark.parametrize("who", ["outsider", "contributor"])
def test_reveal_test_set__not_initiator__reverts(
    market, revealed_task, outsider, contributors, who
):
    task = revealed_task
    caller = outsider if who == "outsider" else contributors[0]

    with reverts(market.NotInitiator, taskId=task.task_id, caller=caller):
        market.revealTestSet(
            task.task_id, task.test_digest, task.test_salt, "store://test", sender=caller
        )


@pytest.mark.parametrize("opening", ["wrong_digest", "wrong_salt"])
def test_reveal_test_set__does_not_open_commitment__reverts(
    market, revealed_task, initiator, opening
):
    task = revealed_task
    test_digest = digest("another test set") if opening == "wrong_digest" else task.test_digest
    secret = salt("another salt") if opening == "wrong_salt" else task.test_salt

    with reverts(market.CommitmentMismatch, taskId=task.task_id, account=initiator):
        market.revealTestSet(task.task_id, test_digest, secret, "store://test", sender=initiator)


def test_reveal_test_set__commitment_made_for_another_initiator__reverts(
    market, chain, initiator, outsider, contributors
):
    task = open_task(market, chain, initiator, test_set_owner=outsider)
    task.commit(contributors[0])
    task.after("commit")
    task.reveal(contributors[0])
    task.after("reveal")

    with reverts(market.CommitmentMismatch, taskId=task.task_id, account=initiator):
        task.reveal_test_set()


def test_reveal_test_set__committed_to_zero_digest__reverts(
    market, chain, create_task, initiator, contributors
):
    zero_commitment = commitment_to_test_set(
        chain.chain_id, market.address, initiator.address, ZERO, salt("s")
    )
    task = create_task(testSetCommitment=zero_commitment)
    task.commit(contributors[0])
    task.after("commit")
    task.reveal(contributors[0])
    task.after("reveal")

    with reverts(market.ZeroDigest):
        market.revealTestSet(task.task_id, ZERO, salt("s"), "store://zero", sender=initiator)


@pytest.mark.parametrize(
    "moment, current",
    [(("commit", 0), "Commit"), (("reveal", 0), "Reveal"), (("testReveal", 1), "Abandoned")],
    ids=["in_commit", "at_reveal_deadline", "after_test_reveal_deadline"],
)
def test_reveal_test_set__outside_test_reveal_window__reverts(
    market, create_task, contributors, moment, current
):
    task = create_task()
    task.commit(contributors[0])
    if current != "Commit":
        task.after("commit")
        task.reveal(contributors[0])
    task.at_deadline(*moment)

    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE[current], required=PHASE["TestReveal"]
    ):
        task.reveal_test_set()


def test_reveal_test_set__no_model_revealed__reverts(market, create_task, contributors):
    task = create_task()
    task.commit(contributors[0])
    task.after("reveal")

    with reverts(
        market.WrongPhase,
        taskId=task.task_id,
        current=PHASE["Unfulfilled"],
        required=PHASE["TestReveal"],
    ):
        task.reveal_test_set()


def test_reveal_test_set__twice__reverts(market, revealed_task):
    task = revealed_task
    task.reveal_test_set()

    with reverts(
        market.WrongPhase,
        taskId=task.task_id,
        current=PHASE["ScoreCommit"],
        required=PHASE["TestReveal"],
    ):
        task.reveal_test_set()
