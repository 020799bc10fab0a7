"""Every way a task can end, paid out in full and checked to the wei against a hand computation.

Unless a test says otherwise a task has the defaults: reward R = 1 ETH, contributor stake
CS = 0.01 ETH, fee 1000 bps (F = R * 1000 // 10000 = 0.1 ETH), baseline 1000 bps, tolerance
200 bps, a panel of three drawn from the session's pool of five, forfeit 500 bps (0.05 ETH).
Score lists are per panel member in draw order, the starting model first. `pay_out` has every
entitled participant claim, checks each payout and what the task burned, and checks that the
task then owes nothing. Panel members are paid their fee only: their bonds stay in the pool
(less any slash, checked with `bondOf`).
"""

import pytest

from tests.utils.lifecycle import only_event
from tests.utils.market import DEFAULT_CONTRIBUTOR_STAKE as CS
from tests.utils.market import DEFAULT_REWARD as R
from tests.utils.market import FORFEIT_BPS, SLASH_AMOUNT, VERIFIER_BOND, open_task
from tests.utils.settlement import Round, deadlines_of, finalize_all, move_past, pay_out, play

F = R * 1_000 // 10_000  # the panel's fee: 0.1 ETH
FORFEIT = R * FORFEIT_BPS // 10_000  # 0.05 ETH


@pytest.fixture(scope="module")
def people(contributors, initiator, outsider, pool, by_address):
    """Requested by every test first, so that ape's snapshots nest (no fixture is rebuilt)."""
    return contributors, initiator, outsider, pool, by_address


def new_task(market, chain, people, **kw):
    _, initiator, _, _, by_address = people
    return open_task(market, chain, initiator, by_address, **kw)


def test_outcome__settled_with_rewards__pro_rata_to_how_far_each_beats_the_start(
    market, chain, people
):
    contributors, initiator, outsider, pool, _ = people
    c0, c1, c2 = contributors[:3]
    task = new_task(market, chain, people)
    scores = [
        [3_000, 8_000, 6_100, 3_000],
        [3_000, 8_100, 6_000, 2_900],
        [3_000, 7_900, 6_000, 3_000],
    ]
    panel = play(Round(task, [c0, c1, c2], scores))[task.task_id]
    finalize_all(task, outsider)

    # The start's median 3000 is the baseline. Medians 8000, 6000, 3000 -> weights 5000, 3000, 0.
    rewards = [(R - F) * 5_000 // 8_000, (R - F) * 3_000 // 8_000, 0]
    assert rewards == [562_500_000_000_000_000, 337_500_000_000_000_000, 0]
    fee_each = F // 3  # 33333333333333333
    pay_out(
        task,
        {
            c0: CS + rewards[0],
            c1: CS + rewards[1],
            c2: CS,
            **dict.fromkeys(panel, fee_each),
            initiator: F - 3 * fee_each,
        },
    )
    assert [pool.bondOf(m) for m in panel] == [VERIFIER_BOND] * 3


def test_outcome__nobody_beats_the_start__pool_back_to_the_initiator(market, chain, people):
    contributors, initiator, outsider, _, _ = people
    c0, c1 = contributors[:2]
    task = new_task(market, chain, people, baselineScore=1_000)
    panel = play(Round(task, [c0, c1], [[6_000, 6_000, 5_500]] * 3))[task.task_id]
    finalize_all(task, outsider)

    # A resubmitted start (6000) and a worse model (5500) earn nothing: the baseline is 6000.
    fee_each = F // 3
    pay_out(
        task,
        {c0: CS, c1: CS, **dict.fromkeys(panel, fee_each), initiator: R - F + (F - 3 * fee_each)},
    )


def test_outcome__no_member_reveals__stakes_back_reward_back_bonds_slashed_and_burned(
    market, chain, people
):
    contributors, initiator, outsider, pool, _ = people
    c0, c1 = contributors[:2]
    task = new_task(market, chain, people)
    panel = play(Round(task, [c0, c1], [[2_000, 9_000, 9_000]] * 3, withheld=[0, 1, 2]))[
        task.task_id
    ]
    finalize_all(task, outsider)

    # Nobody to pay by: the contributors get their stakes, the initiator its reward, and the
    # slashed bonds (nobody's to take) are burned. No equal split of anything.
    pay_out(task, {c0: CS, c1: CS, **dict.fromkeys(panel, 0), initiator: R}, burned=3 * SLASH_AMOUNT)
    assert [pool.bondOf(m) for m in panel] == [VERIFIER_BOND - SLASH_AMOUNT] * 3


def test_outcome__some_members_dishonest__fee_and_their_slashes_to_the_honest(
    market, chain, people
):
    contributors, initiator, outsider, pool, _ = people
    c0, c1 = contributors[:2]
    task = new_task(market, chain, people, panelSize=5)
    scores = [
        [2_000, 7_000, 5_000],
        [2_000, 7_000, 5_100],
        [2_000, 7_100, 5_000],
        [2_000, 2_000, 5_000],  # p3 is 5000 off the median 7000: dishonest
        [2_000, 7_000, 5_000],  # p4 commits but never reveals
    ]
    panel = play(Round(task, [c0, c1], scores, withheld=[4]))[task.task_id]
    finalize_all(task, outsider)

    # Four revealed: medians (7000 + 7000) // 2 = 7000 and 5000; weights 5000 and 3000.
    rewards = [(R - F) * 5_000 // 8_000, (R - F) * 3_000 // 8_000]
    fee_pot = F + 2 * SLASH_AMOUNT  # the fee and the slashes of p3 and p4
    fee_each = fee_pot // 3  # 66666666666666666
    burned = fee_pot - 3 * fee_each  # 2 wei: dust of slashed wei is never refunded
    pay_out(
        task,
        {
            c0: CS + rewards[0],
            c1: CS + rewards[1],
            **dict.fromkeys(panel[:3], fee_each),
            panel[3]: 0,
            panel[4]: 0,
            initiator: 0,
        },
        burned=burned,
    )
    assert [pool.bondOf(m) for m in panel] == [VERIFIER_BOND] * 3 + [
        VERIFIER_BOND - SLASH_AMOUNT
    ] * 2


def test_outcome__no_member_honest__slashes_to_the_contributors_fee_back_to_the_initiator(
    market, chain, people
):
    contributors, initiator, outsider, pool, _ = people
    c0, c1, c2 = contributors[:3]
    reward = R + 7
    task = new_task(market, chain, people, reward=reward)
    # Every median stands (two of three agree on it), but each member is 600 off on one model:
    # nobody is honest throughout.
    scores = [
        [2_000, 6_000, 6_000, 5_400],
        [2_000, 6_000, 5_400, 6_000],
        [2_000, 5_400, 6_000, 6_000],
    ]
    panel = play(Round(task, [c0, c1, c2], scores))[task.task_id]
    finalize_all(task, outsider)

    fee = reward * 1_000 // 10_000  # 1e17: the 7 wei round away
    slashed = 3 * SLASH_AMOUNT
    pot = reward - fee + slashed  # three medians of 6000: equal weights
    share = pot // 3
    burned = pot - 3 * share  # dust of a pot that holds slashed wei
    assert burned == 1
    pay_out(
        task,
        {c0: CS + share, c1: CS + share, c2: CS + share, **dict.fromkeys(panel, 0), initiator: fee},
        burned=burned,
    )
    assert [pool.bondOf(m) for m in panel] == [VERIFIER_BOND - SLASH_AMOUNT] * 3


def test_outcome__contested__revealed_stakes_back_absentee_slashed_the_rest_burned(
    market, chain, people
):
    contributors, initiator, outsider, pool, _ = people
    c0, c1 = contributors[:2]
    task = new_task(market, chain, people, panelSize=5)
    # p0 and p1 inflate the start and sink the model; p2 and p3 score honestly; p4 never
    # reveals. Two against two: no median has three of the four revealing members behind it.
    scores = [[9_000, 0], [9_000, 0], [2_000, 7_000], [2_000, 7_000], [2_000, 7_000]]
    panel = play(Round(task, [c0, c1], scores, hidden=[c1], withheld=[4]))[task.task_id]
    receipts = finalize_all(task, outsider)

    assert [
        dict(log.event_arguments) for log in receipts[0].decode_logs(market.VerdictContested)
    ] == [
        {"taskId": task.task_id, "scoreIndex": 0, "medianScore": 5_500, "support": 0, "quorum": 3}
    ]
    settlement = market.getTask(task.task_id).settlement
    assert (settlement.contested, settlement.honestVerifiers, settlement.initiatorRefund) == (
        True,
        0,
        0,
    )
    # Nobody gains from a contest: c0 gets its stake back; the reward, c1's forfeited stake and
    # the absentee's slash are burned; the members who revealed are neither paid nor slashed.
    pay_out(
        task, {c0: CS, c1: 0, **dict.fromkeys(panel, 0), initiator: 0}, burned=R + CS + SLASH_AMOUNT
    )
    assert [pool.bondOf(m) for m in panel] == [VERIFIER_BOND] * 4 + [VERIFIER_BOND - SLASH_AMOUNT]
    assert [(v.honest, v.slashed) for v in market.getPanel(task.task_id)] == [
        (False, False)
    ] * 4 + [(False, True)]
    assert market.getSubmissions(task.task_id, 0, 1)[0].reward == 0


@pytest.mark.parametrize("others_beat_the_start", [True, False])
def test_outcome__contributor_never_reveals__stake_forfeit(
    market, chain, people, others_beat_the_start
):
    contributors, initiator, outsider, _, _ = people
    c0, c1, c2 = contributors[:3]
    task = new_task(market, chain, people)
    model_scores = [6_000, 4_000] if others_beat_the_start else [1_000, 1_000]
    panel = play(Round(task, [c0, c1, c2], [[1_000, *model_scores]] * 3, hidden=[c2]))[task.task_id]
    finalize_all(task, outsider)

    fee_each = F // 3
    fee_dust = F - 3 * fee_each
    if others_beat_the_start:
        pool_ = R - F + CS  # c2's stake joins the contributors' pool: 0.91 ETH
        rewards = [pool_ * 5_000 // 8_000, pool_ * 3_000 // 8_000]
        assert sum(rewards) == pool_
        payouts = {c0: CS + rewards[0], c1: CS + rewards[1], initiator: fee_dust}
    else:
        payouts = {
            c0: CS,
            c1: CS,
            initiator: R - F + CS + fee_dust,
        }  # nobody earned it: back with the pool
    pay_out(task, {**payouts, c2: 0, **dict.fromkeys(panel, fee_each)})


def test_outcome__test_set_withheld__paid_by_audit_scores_and_junk_earns_nothing(
    market, chain, people
):
    contributors, initiator, outsider, _, _ = people
    c0, junk = contributors[:2]
    task = new_task(market, chain, people)
    # The initiator never reveals the test set; the panel scores on the audit shards (voting
    # unavailable): the start 2000, c0's model 6000, the initiator's junk model 500.
    scores = [[2_000, 6_000, 500]] * 3
    panel = play(Round(task, [c0, junk], scores, reveal_test_set=False, available=[False] * 3))[
        task.task_id
    ]
    finalize_all(task, outsider)

    settlement = market.getTask(task.task_id).settlement
    assert (settlement.basis, settlement.countedVerifiers) == (1, 3)  # Audit
    fee_each = F // 3
    pay_out(
        task,
        {c0: CS + (R - F), junk: CS, **dict.fromkeys(panel, fee_each), initiator: F - 3 * fee_each},
    )


def test_outcome__test_set_served_to_a_minority__audit_basis_the_dissenter_unpaid_unslashed(
    market, chain, people
):
    contributors, initiator, outsider, pool, _ = people
    c0 = contributors[0]
    task = new_task(market, chain, people)
    # Revealed on chain but served to p0 only: p1 and p2 vote unavailable and score on the audit.
    scores = [[2_000, 9_000], [2_000, 6_000], [2_000, 6_000]]
    panel = play(Round(task, [c0], scores, available=[True, False, False]))[task.task_id]
    finalize_all(task, outsider)

    fee_each = F // 2
    pay_out(
        task, {c0: CS + (R - F), panel[0]: 0, panel[1]: fee_each, panel[2]: fee_each, initiator: 0}
    )
    assert pool.bondOf(panel[0]) == VERIFIER_BOND


def test_outcome__panel_drawn_but_no_model_revealed__stakes_forfeit_to_the_initiator_forfeit_burned(
    market, chain, people
):
    contributors, initiator, outsider, pool, _ = people
    c0, c1 = contributors[:2]
    task = new_task(market, chain, people)
    panel = play(Round(task, [c0, c1], hidden=[c0, c1]))[task.task_id]
    move_past(task, "reveal")
    assert task.phase() == "Finalizing"
    receipts = finalize_all(task, outsider)
    assert task.phase() == "Unfulfilled"
    assert only_event(receipts[0], market.Burned) == {"taskId": task.task_id, "amount": FORFEIT}

    # Nothing delivered: nobody is slashed (there was nothing to score), the committed stakes
    # go to the initiator (they could have revealed), the forfeit is burned.
    pay_out(
        task,
        {c0: 0, c1: 0, **dict.fromkeys(panel, 0), initiator: R - FORFEIT + 2 * CS},
        burned=FORFEIT,
    )
    assert [pool.memberOf(m).openPanels for m in panel] == [0] * 3
    assert [pool.bondOf(m) for m in panel] == [VERIFIER_BOND] * 3


@pytest.mark.parametrize("commitments", [0, 2])
def test_outcome__no_panel_drawn__unfulfilled_stakes_back_forfeit_burned_at_the_initiator_claim(
    market, chain, people, commitments
):
    contributors, initiator, outsider, _, _ = people
    c0, c1 = contributors[:2]
    task = new_task(market, chain, people)
    task.open_audit()
    for c in (c0, c1)[:commitments]:
        task.commit(c)
    move_past(task, "reveal")
    assert task.phase() == "Unfulfilled"
    burned_before = market.totalBurned()

    pay_out(
        task,
        {c0: CS if commitments else 0, c1: CS if commitments else 0, initiator: R - FORFEIT},
        burned=FORFEIT,
    )
    assert market.totalBurned() - burned_before == FORFEIT


def test_outcome__cancelled__reward_back_less_the_forfeit(market, chain, people):
    _, initiator, _, _, _ = people
    task = new_task(market, chain, people)
    market.cancelTask(task.task_id, sender=initiator)
    pay_out(task, {initiator: R - FORFEIT}, burned=FORFEIT)


def test_outcome__void__reward_back_less_the_forfeit(market, chain, people):
    _, initiator, _, _, _ = people
    task = new_task(market, chain, people)
    move_past(task, "audit")
    assert task.phase() == "Void"
    pay_out(task, {initiator: R - FORFEIT}, burned=FORFEIT)


def test_outcome__two_tasks_at_once__paid_from_their_own_funds(market, chain, people):
    contributors, initiator, outsider, _, _ = people
    c0, c1, c2 = contributors[:3]
    market_before = market.balance
    first = new_task(market, chain, people, label="first")
    # The second task: other amounts, the same contributor c0.
    cs2, r2 = 3 * 10**16, 3 * 10**18
    second = new_task(
        market,
        chain,
        people,
        reward=r2,
        label="second",
        contributorStake=cs2,
        **deadlines_of(first),
    )
    panels = play(
        Round(first, [c0, c1], [[1_000, 8_000, 4_000]] * 3),
        Round(second, [c0, c2], [[1_000, 6_000, 6_000]] * 3),
    )
    finalize_all(first, outsider)
    finalize_all(second, outsider)
    deposits = [R + 2 * CS, r2 + 2 * cs2]
    assert market.balance == market_before + sum(deposits)
    everyone = (c0, c2, initiator, *panels[second.task_id])
    owed_in_second = {a.address: market.owed(second.task_id, a) for a in everyone}

    fee_each = F // 3
    pay_out(
        first,
        {
            c0: CS + (R - F) * 7_000 // 10_000,
            c1: CS + (R - F) * 3_000 // 10_000,
            **dict.fromkeys(panels[first.task_id], fee_each),
            initiator: F - 3 * fee_each,
        },
    )

    # The second task is untouched: it owes the same, has paid nothing, and its funds are there.
    assert {a.address: market.owed(second.task_id, a) for a in everyone} == owed_in_second
    assert market.getTask(second.task_id).paidOut == 0
    assert market.balance == market_before + deposits[1]
    fee2 = r2 * 1_000 // 10_000
    fee2_each = fee2 // 3
    pool2 = r2 - fee2  # equal medians 6000: equal weights
    pay_out(
        second,
        {
            c0: cs2 + pool2 // 2,
            c2: cs2 + pool2 // 2,
            **dict.fromkeys(panels[second.task_id], fee2_each),
            initiator: fee2 - 3 * fee2_each,
        },
    )
    assert market.balance == market_before


def test_outcome__rewards_monotone_in_median(market, chain, people):
    contributors, _, outsider, _, _ = people
    task = new_task(market, chain, people, reward=R + 12_345)  # odd amounts: every share rounds
    scores = [
        [1_000, 9_000, 3_000, 7_000, 6_999],
        [1_000, 9_100, 3_000, 7_000, 7_000],
        [1_000, 8_900, 3_100, 6_900, 7_000],
    ]
    play(Round(task, contributors[:4], scores))
    finalize_all(task, outsider)

    submissions = market.getSubmissions(task.task_id, 0, 4)
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


def test_outcome__no_member_honest_and_bonds_already_slashed_to_nothing__dust_to_the_initiator(
    project, deployer, chain, accounts, initiator, contributors, outsider, by_address
):
    """A member drawn on two panels can be slashed in both; with a slash of the whole bond, the
    second slash takes nothing. Then a task with no honest member has no slashed wei to share:
    its contributors' pool is the reward less the fee, and its rounding dust is the initiator's."""
    from tests.utils.deploy import deploy_market, register

    deployed = deploy_market(project, deployer, slash_amount=VERIFIER_BOND)
    members = accounts[47:50]
    register(deployed.pool, members)
    c0, c1, c2 = contributors[:3]
    reward = R + 7
    first = open_task(deployed.market, chain, initiator, by_address, label="first")
    second = open_task(
        deployed.market,
        chain,
        initiator,
        by_address,
        reward=reward,
        label="second",
        **deadlines_of(first),
    )
    # Every median stands (two of three agree on it), but each member is 600 off on one model.
    scores = [
        [2_000, 6_000, 6_000, 5_400],
        [2_000, 6_000, 5_400, 6_000],
        [2_000, 5_400, 6_000, 6_000],
    ]
    play(Round(first, [c0, c1, c2], scores), Round(second, [c0, c1, c2], scores))
    finalize_all(first, outsider)
    assert [deployed.pool.bondOf(m) for m in members] == [0, 0, 0]

    finalize_all(second, outsider)

    settlement = deployed.market.getTask(second.task_id).settlement
    assert (settlement.honestVerifiers, settlement.slashed, settlement.burned) == (0, 0, 0)
    fee = reward * 1_000 // 10_000
    share = (reward - fee) // 3
    pay_out(
        second,
        {
            c0: CS + share,
            c1: CS + share,
            c2: CS + share,
            **dict.fromkeys(members, 0),
            initiator: fee + (reward - fee - 3 * share),
        },
    )
