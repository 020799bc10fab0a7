"""revealTestSet: the initiator opens the K - A shards not audited, against the commitment made at
creation, in the TestReveal window (after the models), once; score commits open at once. A test
set not revealed does not stop the task: ScoreCommit opens after the test reveal deadline."""

import pytest

from tests.utils.lifecycle import only_event, reverts
from tests.utils.market import PHASE, TestSet, bits

ZERO32 = b"\x00" * 32


def _events(receipt, event):
    return [dict(log.event_arguments) for log in receipt.decode_logs(event)]


@pytest.fixture
def revealed_task(create_task, contributors, outsider):
    """A task with one revealed model, at the first second of TestReveal."""
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    task.after("commit")
    task.open_panel(outsider)
    task.reveal(contributors[0])
    task.after("reveal")
    return task


@pytest.mark.parametrize(
    "last_second", [False, True], ids=["first_second", "at_test_reveal_deadline"]
)
def test_reveal_test_set__opens_the_other_shards__recorded_and_score_commit_opens(
    market, revealed_task, last_second
):
    task = revealed_task
    if last_second:
        task.at_deadline("testReveal")
    audit = task.audit_mask()

    tx = task.reveal_test_set(uri="ipfs://test-set")

    test = task.test_set.complement(audit)
    assert _events(tx, market.ShardRevealed) == [
        {"taskId": task.task_id, "index": i, "digest": task.test_set.digests[i]} for i in bits(test)
    ]
    assert only_event(tx, market.TestSetRevealed) == {
        "taskId": task.task_id,
        "uri": "ipfs://test-set",
    }
    assert market.getShards(task.task_id) == (task.test_set.digests, audit)
    assert task.view().testRevealed
    assert task.phase() == "ScoreCommit"


def test_reveal_test_set__never_revealed__score_commit_opens_after_the_deadline(
    market, revealed_task
):
    task = revealed_task
    task.at_deadline("testReveal")
    task.mine()
    assert task.phase() == "TestReveal"
    task.after("testReveal")
    task.mine()
    assert task.phase() == "ScoreCommit"
    assert not task.view().testRevealed


@pytest.mark.parametrize("who", ["outsider", "contributor"])
def test_reveal_test_set__not_initiator__reverts(
    market, revealed_task, outsider, contributors, who
):
    caller = outsider if who == "outsider" else contributors[0]
    with reverts(market.NotInitiator, taskId=revealed_task.task_id, caller=caller):
        revealed_task.reveal_test_set(sender=caller)


def test_reveal_test_set__commitments_of_another_test_set__reverts(market, revealed_task):
    task = revealed_task
    other = TestSet.build("other", 8)
    digests, salts = other.openings(other.complement(task.audit_mask()))
    with reverts(market.CommitmentMismatch, taskId=task.task_id, account=task.initiator):
        market.revealTestSet(
            task.task_id, other.commitments, digests, salts, "", sender=task.initiator
        )


def test_reveal_test_set__audited_shards_instead__reverts(market, revealed_task):
    task = revealed_task
    digests, salts = task.test_set.openings(task.audit_mask())
    with reverts(market.ShardCountMismatch, given=2, expected=6):
        market.revealTestSet(
            task.task_id, task.test_set.commitments, digests, salts, "", sender=task.initiator
        )


def test_reveal_test_set__wrong_opening__reverts_at_that_shard(market, revealed_task):
    task = revealed_task
    test = bits(task.test_set.complement(task.audit_mask()))
    digests, salts = task.test_set.openings(task.test_set.complement(task.audit_mask()))
    salts[3] = b"\x02" * 32
    with reverts(market.ShardMismatch, taskId=task.task_id, index=test[3]):
        market.revealTestSet(
            task.task_id, task.test_set.commitments, digests, salts, "", sender=task.initiator
        )


@pytest.mark.parametrize(
    "moment, current",
    [("reveal", "Reveal"), ("after_deadline", "ScoreCommit")],
    ids=["during_model_reveals", "after_test_reveal_deadline"],
)
def test_reveal_test_set__outside_test_reveal_window__reverts(
    market, create_task, contributors, outsider, moment, current
):
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    task.after("commit")
    task.open_panel(outsider)
    task.reveal(contributors[0])
    if moment == "after_deadline":
        task.after("testReveal")
    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE[current], required=PHASE["TestReveal"]
    ):
        task.reveal_test_set()


@pytest.mark.parametrize("panel, current", [(False, "Unfulfilled"), (True, "Finalizing")])
def test_reveal_test_set__no_model_revealed__reverts(
    market, create_task, contributors, outsider, panel, current
):
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    task.after("commit")
    if panel:
        task.open_panel(outsider)
    task.after("reveal")
    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE[current], required=PHASE["TestReveal"]
    ):
        task.reveal_test_set()


def test_reveal_test_set__twice__reverts(market, revealed_task):
    revealed_task.reveal_test_set()
    with reverts(
        market.WrongPhase,
        taskId=revealed_task.task_id,
        current=PHASE["ScoreCommit"],
        required=PHASE["TestReveal"],
    ):
        revealed_task.reveal_test_set()
