"""cancelTask: the initiator takes its reward back, less the burned forfeit, before any model is
committed (in Audit or Commit); nothing else may cancel, and a cancelled task takes no further part.
The forfeit makes re-rolling the audit by cancelling cost something."""

import pytest

from tests.utils.lifecycle import only_event, reverts
from tests.utils.market import DEFAULT_REWARD, FORFEIT_BPS, PHASE
from tests.utils.settlement import claim_measured

FORFEIT = DEFAULT_REWARD * FORFEIT_BPS // 10_000


@pytest.mark.parametrize("moment", ["audit_not_drawn", "audit_drawn", "commit", "commit_deadline"])
def test_cancel_task__before_any_commitment__cancels_and_burns_the_forfeit(
    market, create_task, initiator, moment
):
    task = create_task()
    if moment != "audit_not_drawn":
        task.draw_audit()
    if moment.startswith("commit"):
        task.reveal_audit()
    if moment == "commit_deadline":
        task.at_deadline("commit")
    burned_before = market.totalBurned()

    tx = market.cancelTask(task.task_id, sender=initiator)

    assert only_event(tx, market.TaskCancelled) == {
        "taskId": task.task_id,
        "initiator": initiator.address,
    }
    assert only_event(tx, market.Burned) == {"taskId": task.task_id, "amount": FORFEIT}
    assert market.totalBurned() - burned_before == FORFEIT
    view = task.view()
    assert view.phase == PHASE["Cancelled"]
    assert (view.burned, view.settlement.burned, view.settlement.initiatorRefund) == (
        FORFEIT,
        FORFEIT,
        DEFAULT_REWARD - FORFEIT,
    )


def test_cancel_task__claim__pays_back_the_reward_less_the_forfeit(
    market, create_task, initiator, outsider
):
    task = create_task()
    market.cancelTask(task.task_id, sender=initiator)
    assert market.owed(task.task_id, initiator) == DEFAULT_REWARD - FORFEIT
    assert market.owed(task.task_id, outsider) == 0
    market_before = market.balance

    receipt, received = claim_measured(market, task.task_id, initiator)

    assert received == DEFAULT_REWARD - FORFEIT
    assert list(receipt.decode_logs(market.Burned)) == []  # burned once, by the cancel
    assert market_before - market.balance == DEFAULT_REWARD - FORFEIT
    view = task.view()
    assert (view.deposited, view.paidOut, view.burned) == (
        DEFAULT_REWARD,
        DEFAULT_REWARD - FORFEIT,
        FORFEIT,
    )


def test_cancel_task__reward_too_small_to_forfeit__nothing_burned(market, create_task, initiator):
    task = create_task(reward=19)  # 19 * 500 // 10000 == 0
    tx = market.cancelTask(task.task_id, sender=initiator)
    assert list(tx.decode_logs(market.Burned)) == []
    assert market.owed(task.task_id, initiator) == 19


@pytest.mark.parametrize("who", ["outsider", "pool_member"])
def test_cancel_task__not_initiator__reverts(market, create_task, outsider, verifiers, who):
    task = create_task()
    caller = outsider if who == "outsider" else verifiers[0]
    with reverts(market.NotInitiator, taskId=task.task_id, caller=caller):
        market.cancelTask(task.task_id, sender=caller)


def test_cancel_task__after_a_commitment__reverts(market, create_task, initiator, contributors):
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    with reverts(market.CommitmentsExist, taskId=task.task_id, committedCount=1):
        market.cancelTask(task.task_id, sender=initiator)


@pytest.mark.parametrize(
    "when, current",
    [("after_commit_deadline", "Reveal"), ("void", "Void")],
)
def test_cancel_task__after_the_commit_window_or_void__reverts(
    market, create_task, initiator, when, current
):
    task = create_task()
    if when == "after_commit_deadline":
        task.open_audit()
        task.after("commit")
    else:
        task.after("audit")
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


def test_cancel_task__then_acting__reverts(market, create_task, initiator, contributors, outsider):
    task = create_task()
    market.cancelTask(task.task_id, sender=initiator)
    task.mine()
    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE["Cancelled"], required=PHASE["Audit"]
    ):
        market.drawAudit(task.task_id, sender=outsider)
    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE["Cancelled"], required=PHASE["Commit"]
    ):
        task.commit(contributors[0])


def test_cancel_task__no_such_task__reverts(market, initiator):
    with reverts(market.TaskNotFound, taskId=1):
        market.cancelTask(1, sender=initiator)
