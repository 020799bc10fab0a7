"""Every way a task can end, paid out in full and checked to the wei against a hand computation.

Unless a test says otherwise a task has the defaults: reward R = 1 ETH, contributor stake
CS = 0.01 ETH, verifier stake VS = 0.02 ETH, verifier fee 1000 bps (F = R * 1000 // 10000 =
0.1 ETH), baseline 1000 bps, tolerance 200 bps. Medians above the baseline give weights
`median - 1000`. `pay_out` has every entitled participant claim, checks each payout, and
checks that the task then owes nothing and that the market's balance fell by the deposits.
"""

import pytest

from tests.utils.market import DEFAULT_CONTRIBUTOR_STAKE as CS
from tests.utils.market import DEFAULT_REWARD as R
from tests.utils.market import DEFAULT_VERIFIER_STAKE as VS
from tests.utils.market import open_task
from tests.utils.settlement import (  # noqa: F401
    Round,
    deadlines_of,
    finalize_all,
    move_past,
    pay_out,
    play,
)

F = R * 1_000 // 10_000  # the verifiers' fee: 0.1 ETH


@pytest.fixture(scope="module")
def people(contributors, verifiers, initiator, outsider):
    """Requested by every test first, so that ape's snapshots nest (no fixture is rebuilt)."""
    return contributors, verifiers, initiator, outsider


def test_outcome__settled_with_rewards__pro_rata_to_weight(market, chain, people):
    contributors, verifiers, initiator, outsider = people
    c0, c1, c2 = contributors[:3]
    v0, v1, v2 = verifiers[:3]
    task = open_task(market, chain, initiator)
    scores = {v0: [8_000, 6_100, 3_000], v1: [8_100, 6_000, 2_900], v2: [7_900, 6_000, 3_000]}
    play(Round(task, [c0, c1, c2], [v0, v1, v2], scores))
    finalize_all(task, outsider)

    # Medians 8000, 6000, 3000 -> weights 7000, 5000, 2000; all three verifiers honest.
    pool = R - F  # 0.9 ETH
    total_weight = 7_000 + 5_000 + 2_000
    rewards = [
        pool * 7_000 // total_weight,
        pool * 5_000 // total_weight,
        pool * 2_000 // total_weight,
    ]
    assert rewards == [450_000_000_000_000_000, 321_428_571_428_571_428, 128_571_428_571_428_571]
    fee_each = F // 3  # 33333333333333333
    dust = (pool - sum(rewards)) + (F - 3 * fee_each)  # 1 + 1 wei
    pay_out(
        task,
        {
            c0: CS + rewards[0],
            c1: CS + rewards[1],
            c2: CS + rewards[2],
            v0: VS + fee_each,
            v1: VS + fee_each,
            v2: VS + fee_each,
            initiator: dust,
        },
    )
    assert dust == 2


def test_outcome__nobody_above_baseline__pool_back_to_initiator(market, chain, people):
    contributors, verifiers, initiator, outsider = people
    c0, c1 = contributors[:2]
    v0 = verifiers[0]
    task = open_task(market, chain, initiator, baselineScore=5_000)
    play(Round(task, [c0, c1], [v0], {v0: [5_000, 4_000]}))
    finalize_all(task, outsider)

    # Medians 5000 and 4000 do not beat the baseline 5000: total weight 0.
    pool = R - F
    pay_out(task, {c0: CS, c1: CS, v0: VS + F, initiator: pool})


def test_outcome__no_verifier_revealed__equal_split_fee_and_stakes_to_initiator(
    market, chain, people
):
    contributors, verifiers, initiator, outsider = people
    c0, c1, c2 = contributors[:3]
    v0, v1 = verifiers[:2]
    reward = R + 2  # leaves 2 wei of dust in the equal split
    task = open_task(market, chain, initiator, reward=reward)
    # v0 commits but never reveals; v1 never even commits.
    play(Round(task, [c0, c1, c2], [v0, v1], {v0: [9_000, 5_000, 1_000]}, withheld=[v0]))
    finalize_all(task, outsider)

    fee = reward * 1_000 // 10_000  # 0.1 ETH: the 2 wei round away
    pool = reward - fee  # 900000000000000002
    share = pool // 3  # 0.3 ETH each, 2 wei left over
    pay_out(
        task,
        {
            c0: CS + share,
            c1: CS + share,
            c2: CS + share,
            v0: 0,
            v1: 0,
            initiator: fee + 2 * VS + (pool - 3 * share),
        },
    )
    assert pool - 3 * share == 2


def test_outcome__some_verifiers_dishonest__their_stakes_to_the_honest(market, chain, people):
    contributors, verifiers, initiator, outsider = people
    c0, c1 = contributors[:2]
    v0, v1, v2, v3, v4 = verifiers[:5]
    task = open_task(market, chain, initiator)
    scores = {
        v0: [7_000, 5_000],
        v1: [7_000, 5_100],
        v2: [7_100, 5_000],
        v3: [2_000, 5_000],
        v4: [7_000, 5_000],
    }
    # v3 is 5000 off the median 7000: dishonest. v4 commits but never reveals.
    play(Round(task, [c0, c1], [v0, v1, v2, v3, v4], scores, withheld=[v4]))
    finalize_all(task, outsider)

    # Four revealed: medians (7000 + 7000) // 2 = 7000 and (5000 + 5000) // 2 = 5000.
    pool = R - F
    total_weight = 6_000 + 4_000
    rewards = [pool * 6_000 // total_weight, pool * 4_000 // total_weight]  # 0.54 and 0.36 ETH
    fee_pool = F + 2 * VS  # the fee and the stakes of v3 and v4
    fee_each = fee_pool // 3  # 46666666666666666
    pay_out(
        task,
        {
            c0: CS + rewards[0],
            c1: CS + rewards[1],
            v0: VS + fee_each,
            v1: VS + fee_each,
            v2: VS + fee_each,
            v3: 0,
            v4: 0,
            initiator: fee_pool - 3 * fee_each,  # 2 wei of dust
        },
    )


def test_outcome__no_verifier_honest__fee_and_stakes_to_initiator(market, chain, people):
    contributors, verifiers, initiator, outsider = people
    c0, c1 = contributors[:2]
    v0, v1 = verifiers[:2]
    task = open_task(market, chain, initiator)
    # Two verifiers 1000 apart (more than twice the tolerance 200): the median 7500 is 500
    # from each, so neither is honest.
    play(Round(task, [c0, c1], [v0, v1], {v0: [8_000, 5_000], v1: [7_000, 5_000]}))
    finalize_all(task, outsider)

    pool = R - F
    total_weight = 6_500 + 4_000  # medians 7500 and 5000
    rewards = [pool * 6_500 // total_weight, pool * 4_000 // total_weight]
    assert rewards == [557_142_857_142_857_142, 342_857_142_857_142_857]
    pay_out(
        task,
        {
            c0: CS + rewards[0],
            c1: CS + rewards[1],
            v0: 0,
            v1: 0,
            initiator: F + 2 * VS + (pool - sum(rewards)),
        },
    )


def test_outcome__contributor_never_reveals__stake_into_contributors_pool(market, chain, people):
    contributors, verifiers, initiator, outsider = people
    c0, c1, c2 = contributors[:3]
    v0 = verifiers[0]
    task = open_task(market, chain, initiator)
    play(Round(task, [c0, c1, c2], [v0], {v0: [6_000, 4_000]}, hidden=[c2]))
    finalize_all(task, outsider)

    pool = R - F + CS  # c2's stake is forfeit to the contributors: 0.91 ETH
    total_weight = 5_000 + 3_000
    rewards = [
        pool * 5_000 // total_weight,
        pool * 3_000 // total_weight,
    ]  # 0.56875 and 0.34125 ETH
    assert sum(rewards) == pool  # no dust: the initiator gets nothing back
    pay_out(task, {c0: CS + rewards[0], c1: CS + rewards[1], c2: 0, v0: VS + F, initiator: 0})


def test_outcome__abandoned_by_initiator__reward_shared_equally(market, chain, people):
    contributors, verifiers, initiator, _ = people
    c0, c1, c2, c3 = contributors[:4]
    v0, v1 = verifiers[:2]
    task = open_task(market, chain, initiator)
    # c3 never reveals; the initiator never reveals its test set.
    play(Round(task, [c0, c1, c2, c3], [v0, v1], hidden=[c3], reveal_test_set=False))
    move_past(task, "testReveal")
    assert task.phase() == "Abandoned"

    pool = R + CS  # the whole reward and c3's forfeited stake: 1.01 ETH
    share = pool // 3  # 336666666666666666
    dust = pool - 3 * share
    assert dust == 2
    pay_out(
        task,
        {c0: CS + share, c1: CS + share, c2: CS + share, c3: 0, v0: VS, v1: VS, initiator: dust},
    )


def test_outcome__no_model_revealed__unfulfilled(market, chain, people):
    contributors, verifiers, initiator, _ = people
    c0, c1 = contributors[:2]
    v0, v1 = verifiers[:2]
    task = open_task(market, chain, initiator)
    play(Round(task, [c0, c1], [v0, v1], hidden=[c0, c1]))
    move_past(task, "reveal")
    assert task.phase() == "Unfulfilled"

    # Nothing delivered: the reward and both forfeited stakes go back to the initiator.
    pay_out(task, {c0: 0, c1: 0, v0: VS, v1: VS, initiator: R + 2 * CS})


def test_outcome__cancelled__reward_and_stakes_back(market, chain, people):
    _, verifiers, initiator, _ = people
    v0, v1 = verifiers[:2]
    task = open_task(market, chain, initiator)
    play(Round(task, [], [v0, v1]))
    market.cancelTask(task.task_id, sender=initiator)
    assert task.phase() == "Cancelled"

    pay_out(task, {v0: VS, v1: VS, initiator: R})


def test_outcome__two_tasks_at_once__paid_from_their_own_funds(market, chain, people):
    contributors, verifiers, initiator, outsider = people
    c0, c1, c2 = contributors[:3]
    v0 = verifiers[0]
    market_before = market.balance
    first = open_task(market, chain, initiator, label="first")
    # The second task: other amounts, the same contributor c0 and verifier v0.
    cs2, vs2, r2 = 3 * 10**16, 5 * 10**16, 3 * 10**18
    second = open_task(
        market,
        chain,
        initiator,
        reward=r2,
        label="second",
        contributorStake=cs2,
        verifierStake=vs2,
        **deadlines_of(first),
    )
    play(
        Round(first, [c0, c1], [v0], {v0: [8_000, 4_000]}),
        Round(second, [c0, c2], [v0], {v0: [6_000, 6_000]}),
    )
    finalize_all(first, outsider)
    finalize_all(second, outsider)
    deposits = [R + 2 * CS + VS, r2 + 2 * cs2 + vs2]
    assert market.balance == market_before + sum(deposits)
    owed_in_second = {a.address: market.owed(second.task_id, a) for a in (c0, c2, v0, initiator)}

    pool = R - F
    pay_out(
        first,
        {
            c0: CS + pool * 7_000 // 10_000,
            c1: CS + pool * 3_000 // 10_000,
            v0: VS + F,
            initiator: 0,
        },
    )

    # The second task is untouched: it owes the same, has paid nothing, and its funds are there.
    assert {
        a.address: market.owed(second.task_id, a) for a in (c0, c2, v0, initiator)
    } == owed_in_second
    assert market.getTask(second.task_id).paidOut == 0
    assert market.balance == market_before + deposits[1]
    fee2 = r2 * 1_000 // 10_000
    pool2 = r2 - fee2  # equal medians 6000: equal weights
    pay_out(second, {c0: cs2 + pool2 // 2, c2: cs2 + pool2 // 2, v0: vs2 + fee2, initiator: 0})
    assert market.balance == market_before


def test_outcome__rewards_monotone_in_median(market, chain, people):
    contributors, verifiers, initiator, outsider = people
    v0, v1, v2 = verifiers[:3]
    task = open_task(market, chain, initiator, reward=R + 12_345)  # odd amounts: every share rounds
    scores = {
        v0: [9_000, 3_000, 7_000, 6_999],
        v1: [9_100, 3_000, 7_000, 7_000],
        v2: [8_900, 3_100, 6_900, 7_000],
    }
    play(Round(task, contributors[:4], [v0, v1, v2], scores))
    finalize_all(task, outsider)

    submissions = task.market.getSubmissions(task.task_id, 0, 4)
    medians = [s.medianScore for s in submissions]
    rewards = [s.reward for s in submissions]
    assert medians == [9_000, 3_000, 7_000, 7_000]
    for i in range(4):
        for j in range(4):
            if medians[i] > medians[j]:
                assert rewards[i] >= rewards[j], f"median {medians[i]} earns less than {medians[j]}"
            if medians[i] == medians[j]:
                assert rewards[i] == rewards[j]
    assert rewards[0] > rewards[2] > rewards[1] > 0
