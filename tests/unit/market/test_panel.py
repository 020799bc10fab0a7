"""requestPanel and drawPanel: after the commit deadline anyone fixes the next block as the seed
block; one block later (and within 256 blocks) anyone draws the panel from its hash. The draw
skips the initiator, the task's contributors and members not eligible as of the request block."""

import pytest

from tests.utils.deploy import register
from tests.utils.lifecycle import only_event, reverts
from tests.utils.market import HASH_WINDOW, PHASE, ROLE, VERIFIER_BOND
from tests.utils.randomness import PANEL_TAG, draw_panel, seed


@pytest.fixture
def revealing(create_task, contributors):
    """A task with two commitments, at the first second of Reveal."""
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    task.commit(contributors[1])
    task.after("commit")
    return task


def _expected_panel(market, chain, pool, task, excluded=()):
    """The members the draw must pick, by the Python model of the pool's draw."""
    view = task.view()
    size = view.poolSizeAtRequest
    members = [pool.candidateAt(i, view.panelRequestBlock) for i in range(size)]
    eligible = [ok and address not in excluded for address, ok in members]
    task_seed = seed(
        chain.blocks[view.panelSeedBlock].hash,
        chain.chain_id,
        market.address,
        task.task_id,
        PANEL_TAG,
    )
    return task_seed, [
        members[i][0] for i in draw_panel(task_seed, size, eligible, view.params.panelSize)
    ]


# ------------------------------------------------------------------------- requestPanel


def test_request_panel__in_reveal__fixes_the_next_block_and_the_pool_size(
    market, pool, revealing, outsider
):
    receipt = market.requestPanel(revealing.task_id, sender=outsider)

    block = receipt.block_number
    assert only_event(receipt, market.PanelRequested) == {
        "taskId": revealing.task_id,
        "seedBlock": block + 1,
    }
    view = revealing.view()
    assert (
        view.panelSeedBlock,
        view.panelRequestBlock,
        view.poolSizeAtRequest,
        view.panelDrawn,
    ) == (
        block + 1,
        block,
        pool.size(),
        0,
    )


def test_request_panel__in_commit__reverts(market, create_task, contributors, outsider):
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE["Commit"], required=PHASE["Reveal"]
    ):
        task.request_panel(outsider)


def test_request_panel__no_commitment__reverts(market, create_task, outsider):
    task = create_task()
    task.open_audit()
    task.after("commit")
    with reverts(market.NoCommitments, taskId=task.task_id):
        task.request_panel(outsider)


def test_request_panel__pending__reverts_until_its_seed_expires(market, revealing, outsider):
    first = revealing.request_panel(outsider).block_number + 1
    revealing.mine(
        first + HASH_WINDOW - 1 - revealing.chain.blocks.head.number
    )  # next tx: seed + 256
    with reverts(market.PanelAlreadyRequested, taskId=revealing.task_id, seedBlock=first):
        revealing.request_panel(outsider)

    receipt = revealing.request_panel(outsider)  # seed + 257: expired, renewed

    assert receipt.block_number == first + HASH_WINDOW + 1
    assert revealing.view().panelSeedBlock == receipt.block_number + 1


def test_request_panel__after_the_draw__reverts(market, revealing, outsider):
    revealing.open_panel(outsider)
    with reverts(market.PanelAlreadyDrawn, taskId=revealing.task_id):
        revealing.request_panel(outsider)


# ---------------------------------------------------------------------------- drawPanel


def test_draw_panel__after_the_seed_block__members_from_its_hash(
    market, pool, chain, revealing, outsider
):
    revealing.request_panel(outsider)
    revealing.mine()

    receipt = market.drawPanel(revealing.task_id, sender=outsider)

    task_seed, expected = _expected_panel(market, chain, pool, revealing)
    assert only_event(receipt, market.PanelDrawn) == {
        "taskId": revealing.task_id,
        "seed": task_seed,
        "members": expected,
    }
    assert only_event(receipt, pool.Enlisted) == {"taskId": revealing.task_id, "members": expected}
    assert [m.member for m in market.getPanel(revealing.task_id)] == expected
    assert all(market.roleOf(revealing.task_id, m) == ROLE["Verifier"] for m in expected)
    assert [pool.memberOf(m).openPanels for m in expected] == [1, 1, 1]
    assert market.taskSeed(revealing.task_id) == task_seed
    assert revealing.view().panelDrawn == 3


def test_draw_panel__initiator_and_contributors_in_the_pool__never_drawn(
    market, pool, chain, create_task, initiator, verifiers, outsider
):
    pool.register(value=VERIFIER_BOND, sender=initiator)
    task = create_task(panelSize=3)
    task.open_audit()
    task.commit(verifiers[0])
    task.commit(verifiers[1])
    task.after("commit")

    task.open_panel(outsider)

    excluded = {initiator.address, verifiers[0].address, verifiers[1].address}
    _, expected = _expected_panel(market, chain, pool, task, excluded)
    drawn = [m.address for m in task.panel()]
    assert drawn == expected
    assert sorted(drawn) == sorted(v.address for v in verifiers[2:5])


def test_draw_panel__registered_after_the_request__never_drawn(
    market, pool, create_task, accounts, verifiers, outsider
):
    task = create_task(panelSize=5)
    task.open_audit()
    task.commit(verifiers[0])  # four old members left: one short of five
    task.after("commit")
    task.request_panel(outsider)
    register(pool, accounts[30:33])
    task.mine()

    with reverts(market.PanelUnfilled, taskId=task.task_id, found=4, needed=5):
        market.drawPanel(task.task_id, sender=outsider)


def test_draw_panel__unfilled__nothing_stored_and_a_later_request_draws(
    market, pool, create_task, contributors, accounts, outsider
):
    task = create_task(panelSize=7)
    task.open_audit()
    task.commit(contributors[0])
    task.after("commit")
    seed_block = task.request_panel(outsider).block_number + 1
    task.mine()
    with reverts(market.PanelUnfilled, taskId=task.task_id, found=5, needed=7):
        market.drawPanel(task.task_id, sender=outsider)
    assert (
        task.view().panelDrawn,
        market.taskSeed(task.task_id),
        market.getPanel(task.task_id),
    ) == (0, b"\x00" * 32, [])

    register(pool, accounts[30:32])
    task.mine(seed_block + HASH_WINDOW - task.chain.blocks.head.number)
    task.request_panel(outsider)
    task.draw_panel(outsider)

    assert len(task.panel()) == 7


def test_draw_panel__not_requested__reverts(market, revealing, outsider):
    with reverts(market.PanelNotRequested, taskId=revealing.task_id):
        market.drawPanel(revealing.task_id, sender=outsider)


def test_draw_panel__in_the_seed_block__not_ready(market, revealing, outsider):
    seed_block = revealing.request_panel(outsider).block_number + 1
    with reverts(market.RandomnessNotReady, taskId=revealing.task_id, seedBlock=seed_block):
        market.drawPanel(revealing.task_id, sender=outsider)


def test_draw_panel__256_blocks_after_the_seed_block__drawn(market, revealing, outsider):
    seed_block = revealing.request_panel(outsider).block_number + 1
    revealing.mine(seed_block + HASH_WINDOW - 1 - revealing.chain.blocks.head.number)
    receipt = market.drawPanel(revealing.task_id, sender=outsider)
    assert receipt.block_number == seed_block + HASH_WINDOW
    assert len(revealing.panel()) == 3


def test_draw_panel__257_blocks_after_the_seed_block__expired(market, revealing, outsider):
    seed_block = revealing.request_panel(outsider).block_number + 1
    revealing.mine(seed_block + HASH_WINDOW - revealing.chain.blocks.head.number)
    with reverts(market.RandomnessExpired, taskId=revealing.task_id, seedBlock=seed_block):
        market.drawPanel(revealing.task_id, sender=outsider)


def test_draw_panel__twice__reverts(market, revealing, outsider):
    revealing.open_panel(outsider)
    with reverts(market.PanelAlreadyDrawn, taskId=revealing.task_id):
        market.drawPanel(revealing.task_id, sender=outsider)


def test_draw_panel__after_the_reveal_deadline__unfulfilled(market, revealing, outsider):
    revealing.request_panel(outsider)
    revealing.after("reveal")
    with reverts(
        market.WrongPhase,
        taskId=revealing.task_id,
        current=PHASE["Unfulfilled"],
        required=PHASE["Reveal"],
    ):
        market.drawPanel(revealing.task_id, sender=outsider)


@pytest.mark.parametrize("action", ["requestPanel", "drawPanel"])
def test_panel__no_such_task__reverts(market, outsider, action):
    with reverts(market.TaskNotFound, taskId=4):
        getattr(market, action)(4, sender=outsider)
