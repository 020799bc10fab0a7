"""The pool's draw (what `LearningMarket.drawPanel` runs): candidate j is the member at index
`keccak256(abi.encode(seed, j)) % poolSize`; members not eligible as of the request block, the
initiator, contributors and members already drawn are skipped; at most 8k + 32 candidates."""

import pytest
from eth_abi import encode
from eth_utils import keccak

from tests.utils.lifecycle import only_event, panics, reverts
from tests.utils.market import UNBONDING_PERIOD, VERIFIER_BOND

from .conftest import slash

NOBODY = "0x" + "00" * 20


def candidate(seed: bytes, j: int, n: int) -> int:
    return int.from_bytes(keccak(encode(["bytes32", "uint256"], [seed, j])), "big") % n


def seed_where(predicate) -> bytes:
    """The first seed keccak(i) (i = 0, 1, ...) that satisfies `predicate`."""
    for i in range(100_000):
        seed = keccak(i.to_bytes(32, "big"))
        if predicate(seed):
            return seed
    raise AssertionError("no such seed among the first 100000")


def model_draw(seed: bytes, pool_size: int, eligible: list[bool], needed: int) -> list[int]:
    """The draw, in Python: indices of the members drawn, in draw order."""
    found: list[int] = []
    for j in range(8 * needed + 32 if pool_size else 0):
        if len(found) == needed:
            break
        index = candidate(seed, j, pool_size)
        if eligible[index] and index not in found:
            found.append(index)
    return found


@pytest.fixture
def registered(hpool, members, chain):
    """Six members, registered one block after another; returns the block after the last."""
    for member in members[:6]:
        hpool.register(value=VERIFIER_BOND, sender=member)
    return chain.blocks.head.number + 1


def draw(harness, caller, seed, pool_size, request_block, needed, initiator=NOBODY):
    return harness.drawPanel.call(
        1, seed, pool_size, request_block, needed, initiator, sender=caller
    )


def test_draw_panel__eligible_members__drawn_in_the_order_of_the_candidate_sequence(
    harness, registered, members
):
    seed = keccak(b"draw")
    drawn = draw(harness, members[-1], seed, 6, registered, 4)
    expected = model_draw(seed, 6, [True] * 6, 4)
    assert drawn == [members[i].address for i in expected]


def test_draw_panel__enlists_each_member_once_and_emits(harness, hpool, registered, members):
    receipt = harness.drawPanel(9, keccak(b"x"), 6, registered, 6, NOBODY, sender=members[-1])
    drawn = only_event(receipt, hpool.Enlisted)
    assert drawn["taskId"] == 9
    assert sorted(drawn["members"]) == sorted(m.address for m in members[:6])
    assert [hpool.memberOf(m).openPanels for m in members[:6]] == [1] * 6


def test_draw_panel__registered_in_the_request_block__never_drawn_even_as_first_candidate(
    harness, hpool, registered, members
):
    late = members[6]
    receipt = hpool.register(value=VERIFIER_BOND, sender=late)
    # The hash names the late member (index 6) as the very first candidate.
    seed = seed_where(lambda s: candidate(s, 0, 7) == 6)

    as_of_its_block = draw(harness, members[-1], seed, 7, receipt.block_number, 7)
    as_of_next_block = draw(harness, members[-1], seed, 7, receipt.block_number + 1, 7)

    assert late.address not in as_of_its_block and len(as_of_its_block) == 6
    assert as_of_next_block[0] == late.address and len(as_of_next_block) == 7


def test_draw_panel__exit_requested__drawn_only_for_requests_up_to_its_block(
    harness, hpool, registered, members
):
    leaving = members[0]
    exit_block = hpool.requestExit(sender=leaving).block_number

    assert leaving.address in draw(harness, members[-1], keccak(b"a"), 6, exit_block, 6)
    assert leaving.address not in draw(harness, members[-1], keccak(b"a"), 6, exit_block + 1, 6)


@pytest.mark.parametrize("how", ["slashed", "withdrawn"])
def test_draw_panel__slashed_or_withdrawn__never_drawn(
    harness, hpool, registered, members, chain, how
):
    gone = members[0]
    if how == "slashed":
        slash(harness, members[:6], gone, chain)
    else:
        hpool.requestExit(sender=gone)
        chain.pending_timestamp += UNBONDING_PERIOD
        hpool.withdrawBond(sender=gone)
    drawn = draw(harness, members[-1], keccak(b"b"), 6, registered, 6)
    assert gone.address not in drawn and len(drawn) == 5


def test_draw_panel__initiator_and_contributors__skipped(harness, registered, members):
    harness.markContributors([members[1], members[2]], sender=members[-1])
    drawn = draw(harness, members[-1], keccak(b"c"), 6, registered, 6, initiator=members[3])
    assert sorted(drawn) == sorted(m.address for m in (members[0], members[4], members[5]))


def test_draw_panel__appended_after_the_request__never_drawn(harness, hpool, registered, members):
    hpool.register(value=VERIFIER_BOND, sender=members[6])
    drawn = draw(harness, members[-1], keccak(b"d"), 6, registered + 5, 7)
    assert members[6].address not in drawn and len(drawn) == 6


def test_draw_panel__empty_pool__nobody(harness, members):
    assert draw(harness, members[-1], keccak(b"e"), 0, 10**6, 3) == []


@pytest.mark.parametrize(
    "first_hit, found", [(8 + 31, 1), (8 + 32, 0)], ids=["last_try", "one_too_many"]
)
def test_draw_panel__at_most_8k_plus_32_tries__40_for_one_member(
    harness, hpool, registered, members, first_hit, found
):
    # Only members[5] (index 5) is eligible for the request block: the others exit before it.
    for member in members[:5]:
        hpool.requestExit(sender=member)
    request_block = registered + 10
    seed = seed_where(
        lambda s: (
            all(candidate(s, j, 6) != 5 for j in range(first_hit))
            and candidate(s, first_hit, 6) == 5
        )
    )
    assert len(draw(harness, members[-1], seed, 6, request_block, 1)) == found


def test_draw_panel__not_the_market__reverts(hpool, registered, members):
    with reverts(hpool.NotMarket, caller=members[0]):
        hpool.drawPanel(1, keccak(b"f"), 6, registered, 3, NOBODY, sender=members[0])


def test_candidate_at__out_of_the_list__reverts_with_a_panic(hpool, registered):
    with panics(0x32):
        hpool.candidateAt(6, registered)
