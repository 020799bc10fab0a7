"""phaseOf: a task's phase follows from its deadlines, to the second (a window includes its
deadline), and from what has happened; every branch ends in a phase that stays. Also the
views that recompute commitments and roles."""

import pytest

from tests.utils.market import (
    PHASES,
    ROLE,
    commitment_to_test_set,
    digest,
    model_commitment,
    salt,
    score_commitment,
)


def phase_at(task, timestamp):
    """The task's phase in a block mined at `timestamp` (phaseOf and getTask must agree)."""
    task.chain.mine(timestamp=timestamp)
    phase = task.market.phaseOf(task.task_id)
    assert task.market.getTask(task.task_id).phase == phase
    return PHASES[phase]


def test_phase_of__no_such_task__none(market, create_task):
    assert PHASES[market.phaseOf(1)] == "None"
    create_task()
    assert PHASES[market.phaseOf(0)] == "None"
    assert PHASES[market.phaseOf(2)] == "None"


def test_phase_of__full_round__walks_every_phase_at_the_second(
    create_task, contributors, verifiers, outsider
):
    task = create_task()
    assert task.phase() == "Commit"
    task.commit(contributors[0])
    task.join(verifiers[0])
    assert phase_at(task, task.deadline("commit")) == "Commit"
    assert phase_at(task, task.deadline("commit") + 1) == "Reveal"
    task.reveal(contributors[0])
    assert phase_at(task, task.deadline("reveal")) == "Reveal"
    assert phase_at(task, task.deadline("reveal") + 1) == "TestReveal"
    task.at_deadline("testReveal")
    task.reveal_test_set()
    assert task.phase() == "ScoreCommit"
    task.commit_scores(verifiers[0], [7_000])
    assert phase_at(task, task.deadline("scoreCommit")) == "ScoreCommit"
    assert phase_at(task, task.deadline("scoreCommit") + 1) == "ScoreReveal"
    task.reveal_scores(verifiers[0])
    assert phase_at(task, task.deadline("scoreReveal")) == "ScoreReveal"
    assert phase_at(task, task.deadline("scoreReveal") + 1) == "Finalizing"
    task.finalize(outsider)
    assert phase_at(task, task.deadline("scoreReveal") + 10_000) == "Finalized"


def test_phase_of__no_model_revealed__unfulfilled_for_good(create_task, contributors):
    task = create_task()
    task.commit(contributors[0])

    assert phase_at(task, task.deadline("reveal")) == "Reveal"
    assert phase_at(task, task.deadline("reveal") + 1) == "Unfulfilled"
    assert phase_at(task, task.deadline("scoreReveal") + 1) == "Unfulfilled"


def test_phase_of__test_set_not_revealed__abandoned_for_good(create_task, contributors):
    task = create_task()
    task.commit(contributors[0])
    task.after("commit")
    task.reveal(contributors[0])

    assert phase_at(task, task.deadline("testReveal")) == "TestReveal"
    assert phase_at(task, task.deadline("testReveal") + 1) == "Abandoned"
    assert phase_at(task, task.deadline("scoreReveal") + 1) == "Abandoned"


def test_phase_of__cancelled__cancelled_for_good(market, create_task, initiator):
    task = create_task()
    market.cancelTask(task.task_id, sender=initiator)

    assert phase_at(task, task.deadline("commit")) == "Cancelled"
    assert phase_at(task, task.deadline("scoreReveal") + 1) == "Cancelled"


def test_phase_of__finalize_not_run__finalizing_for_good(create_task, contributors):
    task = create_task()
    task.commit(contributors[0])
    task.after("commit")
    task.reveal(contributors[0])
    task.after("reveal")
    task.reveal_test_set()

    assert phase_at(task, task.deadline("scoreReveal") + 1) == "Finalizing"
    assert phase_at(task, task.deadline("scoreReveal") + 100_000) == "Finalizing"


# ----------------------------------------------------------------------------- views


def test_role_of__each_account__its_role(
    market, create_task, initiator, contributors, verifiers, outsider
):
    task = create_task()
    task.commit(contributors[0])
    task.join(verifiers[0])

    roles = {
        "initiator": market.roleOf(task.task_id, initiator),
        "contributor": market.roleOf(task.task_id, contributors[0]),
        "verifier": market.roleOf(task.task_id, verifiers[0]),
        "outsider": market.roleOf(task.task_id, outsider),
        "contributor_in_another_task": market.roleOf(task.task_id + 1, contributors[0]),
    }
    assert roles == {
        "initiator": ROLE["None"],
        "contributor": ROLE["Contributor"],
        "verifier": ROLE["Verifier"],
        "outsider": ROLE["None"],
        "contributor_in_another_task": ROLE["None"],
    }


def test_has_claimed__before_and_after_claim__flips_for_the_claimant_only(
    market, create_task, initiator, verifiers
):
    task = create_task()
    task.join(verifiers[0])
    market.cancelTask(task.task_id, sender=initiator)
    assert not market.hasClaimed(task.task_id, initiator)

    market.claim(task.task_id, sender=initiator)

    assert market.hasClaimed(task.task_id, initiator)
    assert not market.hasClaimed(task.task_id, verifiers[0])


@pytest.mark.parametrize("task_id", [1, 2**256 - 1])
@pytest.mark.parametrize("label", ["model-a", "model-b"])
def test_model_commitment__equals_python_computation(market, chain, contributors, task_id, label):
    for contributor in contributors[:2]:
        expected = model_commitment(
            chain.chain_id, market.address, task_id, contributor.address, digest(label), salt(label)
        )
        assert market.modelCommitment(task_id, contributor, digest(label), salt(label)) == expected


@pytest.mark.parametrize(
    "scores", [[], [0], [10_000, 1, 4_242], list(range(0, 10_001, 500))], ids=len
)
def test_score_commitment__equals_python_computation(market, chain, verifiers, scores):
    for verifier in verifiers[:2]:
        expected = score_commitment(
            chain.chain_id, market.address, 3, verifier.address, scores, salt("scores")
        )
        assert market.scoreCommitment(3, verifier, scores, salt("scores")) == expected


@pytest.mark.parametrize("label", ["test-a", "test-b"])
def test_test_set_commitment__equals_python_computation(market, chain, initiator, outsider, label):
    for owner in (initiator, outsider):
        expected = commitment_to_test_set(
            chain.chain_id, market.address, owner.address, digest(label), salt(label)
        )
        assert market.testSetCommitment(owner, digest(label), salt(label)) == expected
