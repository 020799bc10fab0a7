"""phaseOf: a task's phase follows from its deadlines, to the second (a window includes its
deadline), from block numbers (the audit's 256-block window) and from what has happened; every
branch ends in a phase that stays. Also the views that recompute commitments and roles."""

import pytest

from tests.utils.market import (
    HASH_WINDOW,
    PHASES,
    ROLE,
    TestSet,
    commitment_to_test_set,
    digest,
    model_commitment,
    salt,
    score_commitment,
    shard_commitment,
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


def test_phase_of__full_round__walks_every_phase_at_the_second(create_task, contributors, outsider):
    task = create_task()
    assert task.phase() == "Audit"
    task.draw_audit(outsider)
    assert phase_at(task, task.deadline("audit")) == "Audit"
    task.reveal_audit()
    assert task.phase() == "Commit"
    task.commit(contributors[0])
    assert phase_at(task, task.deadline("commit")) == "Commit"
    assert phase_at(task, task.deadline("commit") + 1) == "Reveal"
    members = task.open_panel(outsider)
    task.reveal(contributors[0])
    assert phase_at(task, task.deadline("reveal")) == "Reveal"
    assert phase_at(task, task.deadline("reveal") + 1) == "TestReveal"
    task.at_deadline("testReveal")
    task.reveal_test_set()
    assert task.phase() == "ScoreCommit"
    for member in members:
        task.commit_scores(member, [2_000, 7_000])
    assert phase_at(task, task.deadline("scoreCommit")) == "ScoreCommit"
    assert phase_at(task, task.deadline("scoreCommit") + 1) == "ScoreReveal"
    for member in members:
        task.reveal_scores(member)
    assert phase_at(task, task.deadline("scoreReveal")) == "ScoreReveal"
    assert phase_at(task, task.deadline("scoreReveal") + 1) == "Finalizing"
    task.finalize(outsider)
    assert phase_at(task, task.deadline("scoreReveal") + 10_000) == "Finalized"


def test_phase_of__audit_never_drawn__void_257_blocks_after_the_seed_block_for_good(create_task):
    task = create_task()
    seed_block = task.view().auditSeedBlock
    task.mine(seed_block + HASH_WINDOW - task.chain.blocks.head.number)
    assert task.phase() == "Audit"
    task.mine()
    assert task.phase() == "Void"
    assert phase_at(task, task.deadline("scoreReveal") + 1) == "Void"


def test_phase_of__audit_drawn_never_revealed__void_after_the_audit_deadline_for_good(
    create_task, outsider
):
    task = create_task()
    task.draw_audit(outsider)
    task.mine(HASH_WINDOW + 1)  # a drawn audit no longer needs its seed
    assert phase_at(task, task.deadline("audit")) == "Audit"
    assert phase_at(task, task.deadline("audit") + 1) == "Void"
    assert phase_at(task, task.deadline("scoreReveal") + 1) == "Void"


def test_phase_of__no_model_revealed_no_panel__unfulfilled_for_good(create_task, contributors):
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    assert phase_at(task, task.deadline("reveal")) == "Reveal"
    assert phase_at(task, task.deadline("reveal") + 1) == "Unfulfilled"
    assert phase_at(task, task.deadline("scoreReveal") + 1) == "Unfulfilled"


def test_phase_of__no_model_revealed_with_a_panel__finalizing_then_unfulfilled(
    create_task, contributors, outsider
):
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    task.after("commit")
    task.open_panel(outsider)
    assert phase_at(task, task.deadline("reveal") + 1) == "Finalizing"
    assert phase_at(task, task.deadline("scoreReveal") + 1) == "Finalizing"
    task.finalize(outsider)
    assert phase_at(task, task.deadline("scoreReveal") + 2) == "Unfulfilled"


def test_phase_of__test_set_not_revealed__the_task_goes_on(create_task, contributors, outsider):
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    task.after("commit")
    task.open_panel(outsider)
    task.reveal(contributors[0])
    assert phase_at(task, task.deadline("testReveal")) == "TestReveal"
    assert phase_at(task, task.deadline("testReveal") + 1) == "ScoreCommit"
    assert phase_at(task, task.deadline("scoreReveal") + 1) == "Finalizing"


def test_phase_of__cancelled__cancelled_for_good(market, create_task, initiator):
    task = create_task()
    market.cancelTask(task.task_id, sender=initiator)
    assert phase_at(task, task.deadline("commit")) == "Cancelled"
    task.mine(HASH_WINDOW + 2)
    assert phase_at(task, task.deadline("scoreReveal") + 1) == "Cancelled"


def test_phase_of__finalize_not_run__finalizing_for_good(create_task, contributors, outsider):
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    task.after("commit")
    task.open_panel(outsider)
    task.reveal(contributors[0])
    task.after("reveal")
    task.reveal_test_set()
    assert phase_at(task, task.deadline("scoreReveal") + 1) == "Finalizing"
    assert phase_at(task, task.deadline("scoreReveal") + 100_000) == "Finalizing"


# ----------------------------------------------------------------------------- views


def test_role_of__each_account__its_role(market, create_task, initiator, contributors, outsider):
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    task.after("commit")
    member = task.open_panel(outsider)[0]

    roles = {
        "initiator": market.roleOf(task.task_id, initiator),
        "contributor": market.roleOf(task.task_id, contributors[0]),
        "panel_member": market.roleOf(task.task_id, member),
        "outsider": market.roleOf(task.task_id, outsider),
        "contributor_in_another_task": market.roleOf(task.task_id + 1, contributors[0]),
    }
    assert roles == {
        "initiator": ROLE["None"],
        "contributor": ROLE["Contributor"],
        "panel_member": ROLE["Verifier"],
        "outsider": ROLE["None"],
        "contributor_in_another_task": ROLE["None"],
    }


def test_has_claimed__before_and_after_claim__flips_for_the_claimant_only(
    market, create_task, initiator, outsider
):
    task = create_task()
    market.cancelTask(task.task_id, sender=initiator)
    assert not market.hasClaimed(task.task_id, initiator)
    market.claim(task.task_id, sender=initiator)
    assert market.hasClaimed(task.task_id, initiator)
    assert not market.hasClaimed(task.task_id, outsider)


@pytest.mark.parametrize("view", ["getTask", "getPanel", "getShards", "taskSeed"])
def test_views__no_such_task__revert(market, view):
    from tests.utils.lifecycle import reverts

    with reverts(market.TaskNotFound, taskId=5):
        getattr(market, view)(5)


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
@pytest.mark.parametrize("available", [True, False])
def test_score_commitment__equals_python_computation(market, chain, verifiers, scores, available):
    for verifier in verifiers[:2]:
        expected = score_commitment(
            chain.chain_id, market.address, 3, verifier.address, available, scores, salt("s")
        )
        assert market.scoreCommitment(3, verifier, available, scores, salt("s")) == expected


@pytest.mark.parametrize("label", ["test-a", "test-b"])
def test_shard_and_test_set_commitments__equal_python_computation(
    market, chain, initiator, outsider, label
):
    shards = TestSet.build(label, 5)
    for d, s, c in zip(shards.digests, shards.salts, shards.commitments, strict=True):
        assert market.shardCommitment(d, s) == c == shard_commitment(d, s)
    for owner in (initiator, outsider):
        expected = commitment_to_test_set(
            chain.chain_id, market.address, owner.address, shards.commitments
        )
        assert market.testSetCommitment(owner, shards.commitments) == expected
