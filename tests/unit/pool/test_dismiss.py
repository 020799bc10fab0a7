"""Releasing a panel: every member's open-panel count drops; each member of the slash mask loses
min(slashAmount, what is left of its bond); the total goes to the market."""

import pytest

from tests.utils.lifecycle import reverts
from tests.utils.market import SLASH_AMOUNT, VERIFIER_BOND

from .conftest import ZERO_SEED

NOBODY = "0x" + "00" * 20


@pytest.fixture
def panel(hpool, harness, members, chain):
    """Four members, drawn on task 3's panel."""
    for member in members[:4]:
        hpool.register(value=VERIFIER_BOND, sender=member)
    harness.drawPanel(3, ZERO_SEED, 4, chain.blocks.head.number + 1, 4, NOBODY, sender=members[-1])
    return members[:4]


def _events(receipt, event):
    return [dict(log.event_arguments) for log in receipt.decode_logs(event)]


def test_dismiss__slash_mask__slashes_those_members_and_sends_the_total_to_the_market(
    hpool, harness, panel, members
):
    before = harness.balance
    order = [panel[2], panel[0], panel[3], panel[1]]  # any order: the mask follows the list given

    receipt = harness.dismiss(3, order, 0b0101, sender=members[-1])

    assert receipt.return_value == 2 * SLASH_AMOUNT
    assert _events(receipt, hpool.VerifierSlashed) == [
        {"taskId": 3, "member": panel[2].address, "amount": SLASH_AMOUNT},
        {"taskId": 3, "member": panel[3].address, "amount": SLASH_AMOUNT},
    ]
    assert _events(receipt, hpool.Dismissed) == [
        {"taskId": 3, "members": [m.address for m in order], "slashed": 2 * SLASH_AMOUNT}
    ]
    assert harness.balance - before == 2 * SLASH_AMOUNT
    assert [hpool.bondOf(m) for m in panel] == [VERIFIER_BOND] * 2 + [
        VERIFIER_BOND - SLASH_AMOUNT
    ] * 2
    assert [hpool.memberOf(m).openPanels for m in panel] == [0] * 4
    assert [hpool.memberOf(m).activeSince == 2**64 - 1 for m in panel] == [False, False, True, True]
    assert hpool.activeCount() == 2


def test_dismiss__nobody_slashed__no_payment(hpool, harness, panel, members):
    before = harness.balance
    receipt = harness.dismiss(3, panel, 0, sender=members[-1])
    assert receipt.return_value == 0
    assert _events(receipt, hpool.VerifierSlashed) == []
    assert harness.balance == before
    assert hpool.activeCount() == 4


def test_dismiss__slashed_again__takes_what_is_left_then_nothing(
    hpool, harness, panel, members, chain
):
    member = panel[0]
    # On two more panels (requested before its first slash).
    for task_id in (4, 5):
        harness.drawPanel(
            task_id, ZERO_SEED, 1, chain.blocks.head.number + 1, 1, NOBODY, sender=members[-1]
        )
    amounts = []
    for task_id in (3, 4, 5):
        receipt = harness.dismiss(task_id, [member], 1, sender=members[-1])
        amounts.append(receipt.return_value)
    assert amounts == [SLASH_AMOUNT, VERIFIER_BOND - SLASH_AMOUNT, 0]
    assert hpool.bondOf(member) == 0
    assert hpool.activeCount() == 3


def test_dismiss__exiting_member_slashed__active_count_unchanged(hpool, harness, panel, members):
    hpool.requestExit(sender=panel[0])
    assert hpool.activeCount() == 3
    harness.dismiss(3, [panel[0]], 1, sender=members[-1])
    assert hpool.activeCount() == 3


def test_dismiss__not_the_market__reverts(hpool, panel, members):
    with reverts(hpool.NotMarket, caller=members[0]):
        hpool.dismiss(3, panel, 0, sender=members[0])
