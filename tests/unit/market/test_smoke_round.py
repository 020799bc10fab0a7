"""One whole round, end to end: the shortest check that every action of mechanism v2 works
together."""

from tests.utils.market import DEFAULT_CONTRIBUTOR_STAKE as CS
from tests.utils.market import DEFAULT_REWARD as R
from tests.utils.settlement import Round, finalize_all, pay_out, play


def test_full_round__rewards_follow_median_scores_above_the_start(
    create_task, contributors, outsider, initiator
):
    c0, c1, c2 = contributors[:3]
    task = create_task()
    # The starting model scores 2000 for everyone: the baseline becomes max(1000, 2000).
    scores = [[2_000, 8_000, 6_000, 2_500]] * 3
    panel = play(Round(task, [c0, c1, c2], scores))[task.task_id]
    finalize_all(task, outsider)

    fee = R * 1_000 // 10_000
    pool = R - fee
    weights = [6_000, 4_000, 500]
    rewards = [pool * w // sum(weights) for w in weights]
    fee_each = fee // 3
    dust = pool - sum(rewards) + fee - 3 * fee_each
    pay_out(
        task,
        {
            c0: CS + rewards[0],
            c1: CS + rewards[1],
            c2: CS + rewards[2],
            **dict.fromkeys(panel, fee_each),
            initiator: dust,
        },
    )
