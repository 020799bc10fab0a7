"""Joining the pool: exactly one bond, one live registration per address, slots kept for good."""

import pytest

from tests.utils.lifecycle import only_event, reverts
from tests.utils.market import VERIFIER_BOND

from .conftest import slash


def _record(pool, account):
    m = pool.memberOf(account)
    return (m.bond, m.activeSince, m.exitBlock, m.openPanels, m.exitTime, m.slot)


def test_register__exact_bond__member_from_this_block(hpool, members, chain):
    member = members[0]
    before = hpool.balance

    receipt = hpool.register(value=VERIFIER_BOND, sender=member)

    assert only_event(receipt, hpool.VerifierRegistered) == {
        "account": member.address,
        "bond": VERIFIER_BOND,
        "index": 0,
    }
    assert _record(hpool, member) == (VERIFIER_BOND, receipt.block_number, 0, 0, 0, 1)
    assert hpool.bondOf(member) == VERIFIER_BOND
    assert (hpool.size(), hpool.activeCount()) == (1, 1)
    assert hpool.candidateAt(0, receipt.block_number + 1) == (member.address, True)
    assert hpool.balance - before == VERIFIER_BOND


def test_register__several__appended_in_order(hpool, members):
    for i, member in enumerate(members[:4]):
        receipt = hpool.register(value=VERIFIER_BOND, sender=member)
        assert only_event(receipt, hpool.VerifierRegistered)["index"] == i
    assert (hpool.size(), hpool.activeCount()) == (4, 4)
    assert [hpool.candidateAt(i, 10**9)[0] for i in range(4)] == [m.address for m in members[:4]]


@pytest.mark.parametrize(
    "sent", [0, VERIFIER_BOND - 1, VERIFIER_BOND + 1], ids=["zero", "less", "more"]
)
def test_register__wrong_bond__reverts(hpool, members, sent):
    with reverts(hpool.WrongBond, sent=sent, required=VERIFIER_BOND):
        hpool.register(value=sent, sender=members[0])


@pytest.mark.parametrize("state", ["registered", "exiting", "slashed"])
def test_register__live_registration__reverts(hpool, harness, members, state, chain):
    member = members[0]
    hpool.register(value=VERIFIER_BOND, sender=member)
    if state == "exiting":
        hpool.requestExit(sender=member)
    elif state == "slashed":
        slash(harness, [member], member, chain)

    with reverts(hpool.AlreadyRegistered, account=member):
        hpool.register(value=VERIFIER_BOND, sender=member)


def test_register__again_after_withdrawal__same_slot_new_block(hpool, members, chain):
    member, other = members[0], members[1]
    hpool.register(value=VERIFIER_BOND, sender=member)
    hpool.register(value=VERIFIER_BOND, sender=other)
    hpool.requestExit(sender=member)
    chain.pending_timestamp += hpool.unbondingPeriod()
    hpool.withdrawBond(sender=member)
    assert (hpool.size(), hpool.activeCount()) == (2, 1)

    receipt = hpool.register(value=VERIFIER_BOND, sender=member)

    assert only_event(receipt, hpool.VerifierRegistered)["index"] == 0
    assert _record(hpool, member) == (VERIFIER_BOND, receipt.block_number, 0, 0, 0, 1)
    assert (hpool.size(), hpool.activeCount()) == (2, 2)


def test_register__after_a_withdrawal__a_newcomer_takes_the_freed_slot(hpool, members, chain):
    leaving, staying, newcomer = members[0], members[1], members[2]
    hpool.register(value=VERIFIER_BOND, sender=leaving)
    hpool.register(value=VERIFIER_BOND, sender=staying)
    request_block = chain.blocks.head.number + 1  # a panel requested now, drawn later
    hpool.requestExit(sender=leaving)
    chain.pending_timestamp += hpool.unbondingPeriod()
    hpool.withdrawBond(sender=leaving)

    receipt = hpool.register(value=VERIFIER_BOND, sender=newcomer)

    assert only_event(receipt, hpool.VerifierRegistered)["index"] == 0
    assert hpool.size() == 2
    assert _record(hpool, newcomer) == (VERIFIER_BOND, receipt.block_number, 0, 0, 0, 1)
    assert _record(hpool, leaving) == (0, 0, 0, 0, 0, 0)
    # The newcomer sits where the leaver sat, but a draw requested before cannot pick it.
    assert hpool.candidateAt(0, request_block) == (newcomer.address, False)
    assert hpool.candidateAt(0, receipt.block_number + 1) == (newcomer.address, True)
