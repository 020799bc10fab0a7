"""The worked example of docs/protocol.md, run on anvil: every figure the document states is
asserted here, to the wei."""

from tests.utils.market import DEFAULT_CONTRIBUTOR_STAKE as CS
from tests.utils.market import DEFAULT_REWARD as R
from tests.utils.market import SLASH_AMOUNT, VERIFIER_BOND
from tests.utils.settlement import Round, finalize_all, pay_out, play

# Scores per panel member in draw order (p1..p5): the starting model, then A, B and C.
SCORES = [
    [2_000, 8_000, 6_500, 2_200],  # p1
    [2_000, 8_100, 6_400, 2_150],  # p2
    [2_100, 8_000, 6_500, 2_200],  # p3
    [9_000, 3_000, 9_000, 5_000],  # p4: far off everywhere
    [2_000, 8_000, 6_500, 2_200],  # p5: commits, never reveals
]


def test_worked_example__protocol_md__every_figure(
    create_task, contributors, initiator, outsider, pool
):
    a, b, c, d = contributors[:4]
    task = create_task(panelSize=5)
    panel = play(Round(task, [a, b, c, d], SCORES, hidden=[d], withheld=[4]))[task.task_id]
    receipts = finalize_all(task, outsider, max_steps=3)

    assert [r.return_value for r in receipts] == [False, False, True]  # 4 + 3 steps: 3, 3, 1
    market, task_id = task.market, task.task_id
    s = market.getTask(task_id).settlement
    assert (s.startMedian, s.baseline, s.totalWeight) == (2_050, 2_050, 10_550)
    assert [v.medianScore for v in market.getSubmissions(task_id, 0, 3)] == [8_000, 6_500, 2_200]
    assert (s.revealedVerifiers, s.countedVerifiers, s.honestVerifiers) == (4, 4, 3)
    assert (s.slashed, s.contributorPool, s.rewardsTotal) == (
        2 * SLASH_AMOUNT,
        910 * 10**15,
        909_999_999_999_999_999,
    )
    assert (s.feePerVerifier, s.burned, s.initiatorRefund, s.contested) == (
        66_666_666_666_666_666,
        2,
        1,
        False,
    )
    assert [
        dict(log.event_arguments)
        for r in receipts
        for log in r.decode_logs(market.VerifierDishonest)
    ] == [
        {
            "taskId": task_id,
            "verifier": panel[3].address,
            "scoreIndex": 0,
            "score": 9_000,
            "medianScore": 2_050,
        }
    ]
    pay_out(
        task,
        {
            a: 523_222_748_815_165_876,
            b: 393_838_862_559_241_706,
            c: 22_938_388_625_592_417,
            d: 0,
            **dict.fromkeys(panel[:3], 66666666666666666),
            panel[3]: 0,
            panel[4]: 0,
            initiator: 1,
        },
        burned=2,
    )
    assert (
        market.getTask(task_id).deposited
        == R + 4 * CS + 2 * SLASH_AMOUNT
        == 1_140_000_000_000_000_000
    )
    assert [pool.bondOf(m) for m in panel] == [VERIFIER_BOND] * 3 + [
        VERIFIER_BOND - SLASH_AMOUNT
    ] * 2
