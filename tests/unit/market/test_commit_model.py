"""commitModel: a contributor stakes and commits to a model in the Commit window (which opens
when the audit is revealed). The commitment is bound to the chain, the deployment, the task and
the sender: copied by another address or replayed in another task or deployment, it never opens."""

import pytest

from tests.utils.deploy import deploy_market, register
from tests.utils.lifecycle import only_event, reverts
from tests.utils.market import (
    DEFAULT_CONTRIBUTOR_STAKE,
    PHASE,
    ROLE,
    digest,
    model_commitment,
    open_task,
    salt,
)

STAKE = DEFAULT_CONTRIBUTOR_STAKE


@pytest.fixture
def committing(create_task):
    """A task whose audit is revealed: in Commit."""
    task = create_task()
    task.open_audit()
    return task


def test_commit_model__in_commit__records_contributor_and_stake(market, committing, contributors):
    task = committing
    alice = contributors[0]
    market_before, alice_before = market.balance, alice.balance

    tx = task.commit(alice)

    model, secret = task.models[alice.address]
    commitment = model_commitment(
        task.chain.chain_id, market.address, task.task_id, alice.address, model, secret
    )
    assert only_event(tx, market.ModelCommitted) == {
        "taskId": task.task_id,
        "contributor": alice.address,
        "commitment": commitment,
    }
    assert market.roleOf(task.task_id, alice) == ROLE["Contributor"]
    state = market.getTask(task.task_id)
    assert (state.committedCount, state.revealedCount) == (1, 0)
    assert state.deposited == task.reward + STAKE
    assert market.balance == market_before + STAKE
    assert alice.balance == alice_before - STAKE - tx.total_fees_paid


def test_commit_model__several_contributors__counted_and_deposited(
    market, committing, contributors
):
    for contributor in contributors[:3]:
        committing.commit(contributor)

    state = market.getTask(committing.task_id)
    assert state.committedCount == 3
    assert state.deposited == committing.reward + 3 * STAKE


def test_commit_model__pool_member__may_contribute(market, committing, verifiers):
    committing.commit(verifiers[0])
    assert market.roleOf(committing.task_id, verifiers[0]) == ROLE["Contributor"]


def test_commit_model__at_commit_deadline__accepted(market, committing, contributors):
    committing.at_deadline("commit")
    committing.commit(contributors[0])
    assert market.getTask(committing.task_id).committedCount == 1


def test_commit_model__one_second_after_commit_deadline__reverts(market, committing, contributors):
    committing.after("commit")
    with reverts(
        market.WrongPhase,
        taskId=committing.task_id,
        current=PHASE["Reveal"],
        required=PHASE["Commit"],
    ):
        committing.commit(contributors[0])


def test_commit_model__before_the_audit_is_revealed__reverts(market, create_task, contributors):
    task = create_task()
    task.draw_audit()
    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE["Audit"], required=PHASE["Commit"]
    ):
        task.commit(contributors[0])


@pytest.mark.parametrize("sent", [STAKE - 1, STAKE + 1, 0], ids=["less", "more", "zero"])
def test_commit_model__wrong_stake__reverts(market, committing, contributors, sent):
    with reverts(market.WrongStake, sent=sent, required=STAKE):
        committing.commit(contributors[0], value=sent)


def test_commit_model__zero_commitment__reverts(market, committing, contributors):
    with reverts(market.ZeroDigest):
        market.commitModel(committing.task_id, b"\x00" * 32, value=STAKE, sender=contributors[0])


def test_commit_model__initiator__reverts(market, committing, initiator):
    with reverts(market.InitiatorCannotParticipate, taskId=committing.task_id):
        committing.commit(initiator)


def test_commit_model__twice__reverts(market, committing, contributors):
    account = contributors[0]
    committing.commit(account)
    with reverts(
        market.AlreadyParticipant,
        taskId=committing.task_id,
        account=account,
        role=ROLE["Contributor"],
    ):
        committing.commit(account, label="second-model")


def test_commit_model__task_full__reverts(market, create_task, contributors):
    task = create_task(maxContributors=2)
    task.open_audit()
    task.commit(contributors[0])
    task.commit(contributors[1])
    with reverts(market.TaskFull, taskId=task.task_id, maximum=2):
        task.commit(contributors[2])


@pytest.mark.parametrize("task_id", [0, 2], ids=["zero", "next_id"])
def test_commit_model__no_such_task__reverts(market, committing, contributors, task_id):
    with reverts(market.TaskNotFound, taskId=task_id):
        market.commitModel(task_id, digest("anything"), value=STAKE, sender=contributors[0])


# --------------------------------------------------------------- bound commitments


def test_commit_model__copied_commitment__accepted_but_never_opens_for_the_copier(
    market, committing, contributors, outsider
):
    task = committing
    alice, mallory = contributors[:2]
    original = only_event(task.commit(alice), market.ModelCommitted)["commitment"]
    market.commitModel(task.task_id, original, value=STAKE, sender=mallory)
    task.after("commit")
    task.open_panel(outsider)

    model, secret = task.models[alice.address]
    with reverts(market.CommitmentMismatch, taskId=task.task_id, account=mallory):
        market.revealModel(task.task_id, model, secret, "store://copy", sender=mallory)
    task.reveal(alice)
    assert market.getSubmissions(task.task_id, 0, 10)[0].contributor == alice.address


def test_commit_model__commitment_of_another_task__never_opens(
    market, chain, create_task, contributors, outsider
):
    first, second = create_task(label="first"), create_task(label="second")
    first.open_audit()
    second.open_audit()
    alice = contributors[0]
    model, secret = digest("model"), salt("model")
    for_first = model_commitment(
        chain.chain_id, market.address, first.task_id, alice.address, model, secret
    )
    market.commitModel(first.task_id, for_first, value=STAKE, sender=alice)
    market.commitModel(second.task_id, for_first, value=STAKE, sender=alice)
    second.after("commit")
    first.open_panel(outsider)
    second.open_panel(outsider)

    with reverts(market.CommitmentMismatch, taskId=second.task_id, account=alice):
        market.revealModel(second.task_id, model, secret, "store://replay", sender=alice)
    market.revealModel(first.task_id, model, secret, "store://model", sender=alice)


def test_commit_model__commitment_of_another_deployment__never_opens(
    project, market, chain, deployer, initiator, contributors, verifiers, outsider, by_address
):
    other = deploy_market(project, deployer)
    register(other.pool, verifiers)
    here = open_task(market, chain, initiator, by_address)
    there = open_task(other.market, chain, initiator, by_address)
    assert here.task_id == there.task_id
    here.open_audit()
    there.open_audit()
    alice = contributors[0]
    model, secret = digest("model"), salt("model")
    for_here = model_commitment(
        chain.chain_id, market.address, here.task_id, alice.address, model, secret
    )
    market.commitModel(here.task_id, for_here, value=STAKE, sender=alice)
    other.market.commitModel(there.task_id, for_here, value=STAKE, sender=alice)
    there.after("commit")
    here.open_panel(outsider)
    there.open_panel(outsider)

    with reverts(other.market.CommitmentMismatch, taskId=there.task_id, account=alice):
        other.market.revealModel(there.task_id, model, secret, "store://replay", sender=alice)
    market.revealModel(here.task_id, model, secret, "store://model", sender=alice)
