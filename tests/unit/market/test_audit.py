"""The audit: drawAudit picks A of the K shards from the hash of the block after creation, within
256 blocks of it; revealAudit opens exactly those shards against the test set commitment. Until
then the task is in Audit; an audit not drawn in time or not revealed by the audit deadline
voids the task, and a Void task burns its forfeit."""

import pytest

from tests.utils.lifecycle import only_event, reverts
from tests.utils.market import (
    DEFAULT_REWARD,
    FORFEIT_BPS,
    HASH_WINDOW,
    PHASE,
    TestSet,
    bits,
    open_task,
)
from tests.utils.randomness import AUDIT_TAG, distinct, seed
from tests.utils.settlement import claim_measured

ZERO32 = b"\x00" * 32
FORFEIT = DEFAULT_REWARD * FORFEIT_BPS // 10_000


def _events(receipt, event):
    return [dict(log.event_arguments) for log in receipt.decode_logs(event)]


# ---------------------------------------------------------------------------- drawAudit


def test_draw_audit__after_the_seed_block__a_shards_of_k_from_its_hash(
    market, chain, create_task, outsider
):
    task = create_task(testShards=16, auditShards=5)
    seed_block = task.view().auditSeedBlock
    task.mine()

    receipt = market.drawAudit(task.task_id, sender=outsider)

    expected = distinct(
        seed(
            chain.blocks[seed_block].hash, chain.chain_id, market.address, task.task_id, AUDIT_TAG
        ),
        5,
        16,
    )
    assert only_event(receipt, market.AuditDrawn) == {"taskId": task.task_id, "auditMask": expected}
    assert task.audit_mask() == expected and len(bits(expected)) == 5 and expected < 1 << 16
    assert market.getShards(task.task_id) == ([ZERO32] * 16, expected)
    assert task.phase() == "Audit"


def test_draw_audit__in_the_seed_block__not_ready(market, create_task, outsider):
    task = create_task()
    seed_block = task.view().auditSeedBlock
    with reverts(market.RandomnessNotReady, taskId=task.task_id, seedBlock=seed_block):
        market.drawAudit(task.task_id, sender=outsider)


def test_draw_audit__256_blocks_after_the_seed_block__last_chance(
    market, chain, create_task, outsider
):
    task = create_task()
    seed_block = task.view().auditSeedBlock
    task.mine(seed_block + HASH_WINDOW - 1 - chain.blocks.head.number)

    receipt = market.drawAudit(task.task_id, sender=outsider)

    assert receipt.block_number == seed_block + HASH_WINDOW
    expected = distinct(
        seed(
            chain.blocks[seed_block].hash, chain.chain_id, market.address, task.task_id, AUDIT_TAG
        ),
        2,
        8,
    )
    assert task.audit_mask() == expected


def test_draw_audit__257_blocks_after_the_seed_block__task_void(
    market, chain, create_task, outsider
):
    task = create_task()
    seed_block = task.view().auditSeedBlock
    task.mine(seed_block + HASH_WINDOW - chain.blocks.head.number)
    # Views read the head block (the last one the seed is readable in); the draw lands one later.
    assert task.phase() == "Audit"

    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE["Void"], required=PHASE["Audit"]
    ):
        market.drawAudit(task.task_id, sender=outsider)


def test_draw_audit__twice__reverts(market, create_task, outsider):
    task = create_task()
    task.draw_audit(outsider)
    with reverts(market.AuditAlreadyDrawn, taskId=task.task_id, auditMask=task.audit_mask()):
        market.drawAudit(task.task_id, sender=outsider)


def test_draw_audit__after_the_audit_deadline__reverts(market, create_task, outsider):
    task = create_task()
    task.mine()
    task.after("audit")
    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE["Void"], required=PHASE["Audit"]
    ):
        market.drawAudit(task.task_id, sender=outsider)


@pytest.mark.parametrize("task_id", [0, 2])
def test_draw_audit__no_such_task__reverts(market, create_task, outsider, task_id):
    create_task()
    with reverts(market.TaskNotFound, taskId=task_id):
        market.drawAudit(task_id, sender=outsider)


# -------------------------------------------------------------------------- revealAudit


@pytest.fixture
def drawn(create_task, outsider):
    task = create_task()
    task.draw_audit(outsider)
    return task


@pytest.mark.parametrize("at_deadline", [False, True], ids=["at_once", "at_audit_deadline"])
def test_reveal_audit__openings_of_the_audited_shards__recorded_and_commit_opens(
    market, drawn, at_deadline
):
    task = drawn
    if at_deadline:
        task.at_deadline("audit")
    mask = task.audit_mask()

    receipt = task.reveal_audit(uri="ipfs://audit")

    assert _events(receipt, market.ShardRevealed) == [
        {"taskId": task.task_id, "index": i, "digest": task.test_set.digests[i]} for i in bits(mask)
    ]
    assert only_event(receipt, market.AuditRevealed) == {
        "taskId": task.task_id,
        "uri": "ipfs://audit",
    }
    assert market.getShards(task.task_id) == (
        [task.test_set.digests[i] if mask >> i & 1 else ZERO32 for i in range(8)],
        mask,
    )
    assert task.view().auditRevealed
    assert task.phase() == "Commit"


def test_reveal_audit__one_second_after_the_audit_deadline__void(market, drawn):
    task = drawn
    task.after("audit")
    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE["Void"], required=PHASE["Audit"]
    ):
        task.reveal_audit()


def test_reveal_audit__not_the_initiator__reverts(market, drawn, outsider):
    with reverts(market.NotInitiator, taskId=drawn.task_id, caller=outsider):
        drawn.reveal_audit(sender=outsider)


def test_reveal_audit__before_the_draw__reverts(market, create_task):
    task = create_task()
    with reverts(market.AuditNotDrawn, taskId=task.task_id):
        market.revealAudit(
            task.task_id, task.test_set.commitments, [], [], "", sender=task.initiator
        )


def test_reveal_audit__twice__reverts(market, drawn):
    drawn.reveal_audit()
    with reverts(
        market.WrongPhase, taskId=drawn.task_id, current=PHASE["Commit"], required=PHASE["Audit"]
    ):
        drawn.reveal_audit()


@pytest.mark.parametrize("given", [7, 9])
def test_reveal_audit__not_k_shard_commitments__reverts(market, drawn, given):
    commitments = (drawn.test_set.commitments * 2)[:given]
    digests, salts = drawn.test_set.openings(drawn.audit_mask())
    with reverts(market.ShardCountMismatch, given=given, expected=8):
        market.revealAudit(drawn.task_id, commitments, digests, salts, "", sender=drawn.initiator)


def test_reveal_audit__commitments_of_another_test_set__reverts(market, drawn):
    other = TestSet.build("other", 8)
    digests, salts = other.openings(drawn.audit_mask())
    with reverts(market.CommitmentMismatch, taskId=drawn.task_id, account=drawn.initiator):
        market.revealAudit(
            drawn.task_id, other.commitments, digests, salts, "", sender=drawn.initiator
        )


def test_reveal_audit__commitment_made_for_another_initiator__reverts(
    market, chain, initiator, outsider, by_address
):
    task = open_task(market, chain, initiator, by_address, test_set_owner=outsider)
    task.draw_audit(outsider)
    with reverts(market.CommitmentMismatch, taskId=task.task_id, account=initiator):
        task.reveal_audit()


@pytest.mark.parametrize("which", ["digests", "salts"])
@pytest.mark.parametrize("given", [1, 3])
def test_reveal_audit__not_a_opening__reverts(market, drawn, which, given):
    digests, salts = drawn.test_set.openings(drawn.audit_mask())
    lists = {"digests": digests, "salts": salts}
    lists[which] = (lists[which] * 2)[:given]
    with reverts(market.ShardCountMismatch, given=given, expected=2):
        market.revealAudit(
            drawn.task_id,
            drawn.test_set.commitments,
            lists["digests"],
            lists["salts"],
            "",
            sender=drawn.initiator,
        )


@pytest.mark.parametrize("mistake", ["shard_not_audited", "wrong_salt", "swapped_order"])
def test_reveal_audit__opening_does_not_match__reverts_at_the_first_audited_shard(
    market, drawn, mistake
):
    mask = drawn.audit_mask()
    first, second = bits(mask)
    digests, salts = drawn.test_set.openings(mask)
    if mistake == "shard_not_audited":
        other = next(i for i in range(8) if not mask >> i & 1)
        digests[0], salts[0] = drawn.test_set.digests[other], drawn.test_set.salts[other]
    elif mistake == "wrong_salt":
        salts[0] = b"\x01" * 32
    else:
        digests.reverse()
        salts.reverse()
    with reverts(market.ShardMismatch, taskId=drawn.task_id, index=first):
        market.revealAudit(
            drawn.task_id, drawn.test_set.commitments, digests, salts, "", sender=drawn.initiator
        )


def test_reveal_audit__shard_committed_with_a_zero_digest__reverts(
    market, chain, initiator, outsider, by_address
):
    zero = TestSet([ZERO32] * 8, TestSet.build("zero", 8).salts)
    task = open_task(market, chain, initiator, by_address, test_set=zero)
    task.draw_audit(outsider)
    with reverts(market.ZeroDigest):
        task.reveal_audit()


# --------------------------------------------------------------------------------- Void


def test_void__audit_never_drawn__initiator_gets_the_reward_less_the_burned_forfeit(
    market, chain, create_task, initiator
):
    task = create_task()
    task.mine(HASH_WINDOW + 2)  # the head is the seed block + 257
    assert task.phase() == "Void"
    assert (task.view().burned, market.owed(task.task_id, initiator)) == (
        FORFEIT,
        DEFAULT_REWARD - FORFEIT,
    )
    burned_before = market.totalBurned()

    receipt, received = claim_measured(market, task.task_id, initiator)

    assert received == DEFAULT_REWARD - FORFEIT
    assert only_event(receipt, market.Burned) == {"taskId": task.task_id, "amount": FORFEIT}
    assert market.totalBurned() - burned_before == FORFEIT
    view = task.view()
    assert (view.paidOut, view.burned, view.deposited) == (
        DEFAULT_REWARD - FORFEIT,
        FORFEIT,
        DEFAULT_REWARD,
    )
    assert market.owed(task.task_id, initiator) == 0


def test_void__audit_drawn_but_not_revealed__void_after_the_audit_deadline_for_good(
    market, create_task, outsider
):
    task = create_task()
    task.draw_audit(outsider)
    task.at_deadline("audit")
    task.mine()
    assert task.phase() == "Audit"
    task.after("audit")
    task.mine()
    assert task.phase() == "Void"
    task.at_deadline("scoreReveal", 1_000)
    task.mine(HASH_WINDOW)
    assert task.phase() == "Void"
