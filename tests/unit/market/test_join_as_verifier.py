"""joinAsVerifier: a verifier stakes to score the task's models, in the Commit window, once,
and never alongside another role."""

import pytest

from tests.utils.lifecycle import only_event, reverts
from tests.utils.market import DEFAULT_VERIFIER_STAKE, PHASE, ROLE

STAKE = DEFAULT_VERIFIER_STAKE


def test_join_as_verifier__in_commit__records_verifier_and_stake(market, create_task, verifiers):
    task = create_task()
    victor = verifiers[0]
    market_before, victor_before = market.balance, victor.balance

    tx = task.join(victor)

    assert only_event(tx, market.VerifierJoined) == {
        "taskId": task.task_id,
        "verifier": victor.address,
    }
    assert market.roleOf(task.task_id, victor) == ROLE["Verifier"]
    state = market.getTask(task.task_id)
    assert (state.committedCount, state.revealedCount, state.verifierCount) == (0, 0, 1)
    assert state.deposited == task.reward + STAKE
    assert market.balance == market_before + STAKE
    assert victor.balance == victor_before - STAKE - tx.total_fees_paid
    assert [tuple(v) for v in market.getVerifiers(task.task_id)] == [
        (victor.address, False, False, False)
    ]


def test_join_as_verifier__several__listed_in_join_order(market, create_task, verifiers):
    task = create_task()

    for verifier in reversed(verifiers[:3]):
        task.join(verifier)

    assert [v.verifier for v in market.getVerifiers(task.task_id)] == [
        v.address for v in reversed(verifiers[:3])
    ]
    state = market.getTask(task.task_id)
    assert state.verifierCount == 3
    assert state.deposited == task.reward + 3 * STAKE


def test_join_as_verifier__at_commit_deadline__accepted(market, create_task, verifiers):
    task = create_task()
    task.at_deadline("commit")

    task.join(verifiers[0])

    assert market.getTask(task.task_id).verifierCount == 1


def test_join_as_verifier__one_second_after_commit_deadline__reverts(
    market, create_task, verifiers
):
    task = create_task()
    task.after("commit")

    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE["Reveal"], required=PHASE["Commit"]
    ):
        task.join(verifiers[0])


@pytest.mark.parametrize("sent", [STAKE - 1, STAKE + 1, 0], ids=["less", "more", "zero"])
def test_join_as_verifier__wrong_stake__reverts(market, create_task, verifiers, sent):
    task = create_task()

    with reverts(market.WrongStake, sent=sent, required=STAKE):
        task.join(verifiers[0], value=sent)


def test_join_as_verifier__initiator__reverts(market, create_task, initiator):
    task = create_task()

    with reverts(market.InitiatorCannotParticipate, taskId=task.task_id):
        task.join(initiator)


@pytest.mark.parametrize(
    "first", ["Verifier", "Contributor"], ids=["join_twice", "contributor_joins"]
)
def test_join_as_verifier__already_participant__reverts(market, create_task, verifiers, first):
    task = create_task()
    account = verifiers[0]
    if first == "Verifier":
        task.join(account)
    else:
        task.commit(account)

    with reverts(market.AlreadyParticipant, taskId=task.task_id, account=account, role=ROLE[first]):
        task.join(account)


def test_join_as_verifier__task_full__reverts(market, create_task, verifiers):
    task = create_task(maxVerifiers=2)
    task.join(verifiers[0])
    task.join(verifiers[1])

    with reverts(market.TaskFull, taskId=task.task_id, role=ROLE["Verifier"], maximum=2):
        task.join(verifiers[2])


@pytest.mark.parametrize("task_id", [0, 2], ids=["zero", "next_id"])
def test_join_as_verifier__no_such_task__reverts(market, create_task, verifiers, task_id):
    create_task()

    with reverts(market.TaskNotFound, taskId=task_id):
        market.joinAsVerifier(task_id, value=STAKE, sender=verifiers[0])
