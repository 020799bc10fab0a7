"""cancelTask: the initiator takes its reward back before any model is committed, and every
verifier that joined gets its stake back; nothing else may cancel, and a cancelled task
takes no further part."""

import pytest

from tests.utils.lifecycle import only_event, reverts
from tests.utils.market import DEFAULT_VERIFIER_STAKE, PHASE


def test_cancel_task__in_commit_without_commitments__cancels(market, create_task, initiator):
    task = create_task()

    tx = market.cancelTask(task.task_id, sender=initiator)

    assert only_event(tx, market.TaskCancelled) == {
        "taskId": task.task_id,
        "initiator": initiator.address,
    }
    assert market.phaseOf(task.task_id) == PHASE["Cancelled"]
    assert market.getTask(task.task_id).phase == PHASE["Cancelled"]


def test_cancel_task__at_commit_deadline__cancels(market, create_task, initiator):
    task = create_task()
    task.at_deadline("commit")

    market.cancelTask(task.task_id, sender=initiator)

    assert market.phaseOf(task.task_id) == PHASE["Cancelled"]


def test_cancel_task__claims__pay_back_reward_and_stakes_exactly(
    market, create_task, initiator, verifiers, outsider
):
    market_before = market.balance
    task = create_task()
    v1, v2 = verifiers[:2]
    task.join(v1)
    task.join(v2)
    market.cancelTask(task.task_id, sender=initiator)
    assert market.owed(task.task_id, initiator) == task.reward
    assert market.owed(task.task_id, v1) == DEFAULT_VERIFIER_STAKE
    assert market.owed(task.task_id, outsider) == 0

    initiator_before = initiator.balance
    tx = market.claim(task.task_id, sender=initiator)

    assert tx.return_value == task.reward
    assert initiator.balance == initiator_before + task.reward - tx.total_fees_paid
    assert only_event(tx, market.Claimed) == {
        "taskId": task.task_id,
        "account": initiator.address,
        "recipient": initiator.address,
        "amount": task.reward,
    }
    for verifier in (v1, v2):
        before = verifier.balance
        tx = market.claim(task.task_id, sender=verifier)
        assert verifier.balance == before + DEFAULT_VERIFIER_STAKE - tx.total_fees_paid
        assert only_event(tx, market.Claimed)["amount"] == DEFAULT_VERIFIER_STAKE

    state = market.getTask(task.task_id)
    assert state.deposited == state.paidOut == task.reward + 2 * DEFAULT_VERIFIER_STAKE
    assert [market.owed(task.task_id, a) for a in (initiator, v1, v2, outsider)] == [0, 0, 0, 0]
    assert all(market.hasClaimed(task.task_id, a) for a in (initiator, v1, v2))
    assert market.balance == market_before


@pytest.mark.parametrize("role", ["outsider", "verifier"])
def test_cancel_task__not_initiator__reverts(market, create_task, outsider, verifiers, role):
    task = create_task()
    caller = outsider if role == "outsider" else verifiers[0]
    if role == "verifier":
        task.join(caller)

    with reverts(market.NotInitiator, taskId=task.task_id, caller=caller):
        market.cancelTask(task.task_id, sender=caller)


def test_cancel_task__after_a_commitment__reverts(market, create_task, initiator, contributors):
    task = create_task()
    task.commit(contributors[0])

    with reverts(market.CommitmentsExist, taskId=task.task_id, committedCount=1):
        market.cancelTask(task.task_id, sender=initiator)


@pytest.mark.parametrize(
    "when, current",
    [("commit", "Reveal"), ("reveal", "Unfulfilled")],
    ids=["after_commit_deadline", "after_reveal_deadline"],
)
def test_cancel_task__after_commit_window__reverts(market, create_task, initiator, when, current):
    task = create_task()
    task.after(when)

    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE[current], required=PHASE["Commit"]
    ):
        market.cancelTask(task.task_id, sender=initiator)


def test_cancel_task__twice__reverts(market, create_task, initiator):
    task = create_task()
    market.cancelTask(task.task_id, sender=initiator)

    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE["Cancelled"], required=PHASE["Commit"]
    ):
        market.cancelTask(task.task_id, sender=initiator)


@pytest.mark.parametrize("action", ["commit", "join"])
def test_cancel_task__then_taking_a_role__reverts(
    market, create_task, initiator, contributors, verifiers, action
):
    task = create_task()
    market.cancelTask(task.task_id, sender=initiator)

    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE["Cancelled"], required=PHASE["Commit"]
    ):
        if action == "commit":
            task.commit(contributors[0])
        else:
            task.join(verifiers[0])


def test_cancel_task__no_such_task__reverts(market, initiator):
    with reverts(market.TaskNotFound, taskId=1):
        market.cancelTask(1, sender=initiator)
