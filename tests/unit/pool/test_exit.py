"""Leaving the pool: an exit request, then the bond back after the unbonding period, never while
a panel the member sits on is unsettled."""

import pytest
from ape.utils import ZERO_ADDRESS

from tests.utils.lifecycle import only_event, reverts
from tests.utils.market import SLASH_AMOUNT, UNBONDING_PERIOD, VERIFIER_BOND

from .conftest import ZERO_SEED, slash


@pytest.fixture
def member(hpool, members):
    hpool.register(value=VERIFIER_BOND, sender=members[0])
    return members[0]


def _paid(chain, account, call):
    before = account.balance
    receipt = call()
    return receipt, account.balance - before + receipt.total_fees_paid


def test_request_exit__member__recorded_and_no_longer_active(hpool, member, chain):
    receipt = hpool.requestExit(sender=member)

    when = receipt.timestamp
    assert only_event(receipt, hpool.ExitRequested) == {
        "account": member.address,
        "withdrawableAt": when + UNBONDING_PERIOD,
    }
    record = hpool.memberOf(member)
    assert (record.exitBlock, record.exitTime, record.bond) == (
        receipt.block_number,
        when,
        VERIFIER_BOND,
    )
    assert hpool.activeCount() == 0


def test_request_exit__not_registered__reverts(hpool, members):
    with reverts(hpool.NotRegistered, account=members[1]):
        hpool.requestExit(sender=members[1])


def test_request_exit__twice__reverts(hpool, member):
    first = hpool.requestExit(sender=member)
    with reverts(hpool.ExitAlreadyRequested, account=member, exitBlock=first.block_number):
        hpool.requestExit(sender=member)


def test_request_exit__after_a_slash__active_count_not_lowered_twice(
    hpool, harness, member, members, chain
):
    hpool.register(value=VERIFIER_BOND, sender=members[1])
    slash(harness, members[:2], member, chain)
    assert hpool.activeCount() == 1

    hpool.requestExit(sender=member)

    assert hpool.activeCount() == 1


def test_withdraw_bond__at_the_end_of_unbonding__pays_the_bond_and_ends_registration(
    hpool, member, chain
):
    exit_time = hpool.requestExit(sender=member).timestamp
    chain.pending_timestamp = exit_time + UNBONDING_PERIOD

    receipt, paid = _paid(chain, member, lambda: hpool.withdrawBond(sender=member))

    assert paid == VERIFIER_BOND
    assert only_event(receipt, hpool.BondWithdrawn) == {
        "account": member.address,
        "amount": VERIFIER_BOND,
    }
    record = hpool.memberOf(member)
    # The record is cleared and the slot freed: it names nobody until a registrant takes it.
    assert (record.bond, record.activeSince, record.exitBlock, record.exitTime, record.slot) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert hpool.balance == 0
    assert hpool.candidateAt(0, 10**9) == (ZERO_ADDRESS, False)


def test_withdraw_bond__one_second_early__reverts(hpool, member, chain):
    exit_time = hpool.requestExit(sender=member).timestamp
    chain.pending_timestamp = exit_time + UNBONDING_PERIOD - 1
    with reverts(hpool.StillUnbonding, account=member, availableAt=exit_time + UNBONDING_PERIOD):
        hpool.withdrawBond(sender=member)


def test_withdraw_bond__not_registered__reverts(hpool, members):
    with reverts(hpool.NotRegistered, account=members[1]):
        hpool.withdrawBond(sender=members[1])


def test_withdraw_bond__no_exit_requested__reverts(hpool, member):
    with reverts(hpool.ExitNotRequested, account=member):
        hpool.withdrawBond(sender=member)


def test_withdraw_bond__on_an_unsettled_panel__reverts_until_dismissed(
    hpool, harness, member, members, chain
):
    block = chain.blocks.head.number + 1
    drawn = harness.drawPanel(7, ZERO_SEED, 1, block, 1, members[5], sender=members[5])
    assert hpool.memberOf(member).openPanels == 1
    exit_time = hpool.requestExit(sender=member).timestamp
    chain.pending_timestamp = exit_time + UNBONDING_PERIOD
    assert drawn.return_value == [member.address]

    with reverts(hpool.OnUnsettledPanel, account=member, openPanels=1):
        hpool.withdrawBond(sender=member)

    harness.dismiss(7, [member], 0, sender=members[5])
    _, paid = _paid(chain, member, lambda: hpool.withdrawBond(sender=member))
    assert paid == VERIFIER_BOND


def test_withdraw_bond__after_a_slash__pays_what_is_left(hpool, harness, member, members, chain):
    slash(harness, [member], member, chain)
    exit_time = hpool.requestExit(sender=member).timestamp
    chain.pending_timestamp = exit_time + UNBONDING_PERIOD

    _, paid = _paid(chain, member, lambda: hpool.withdrawBond(sender=member))

    assert paid == VERIFIER_BOND - SLASH_AMOUNT
    assert hpool.balance == 0
