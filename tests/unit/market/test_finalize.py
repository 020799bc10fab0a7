"""Finalize: batching, medians, weights, honesty and the settlement it fixes.

Every task here has reward 1 ETH + 1 wei, contributor stake 0.01 ETH, verifier stake
0.02 ETH, fee 1000 bps, baseline 1000 bps and tolerance 200 bps (the defaults but for the
extra wei, which makes the pro-rata split leave dust).
"""

import math

import ape
import pytest

from tests.utils.market import DEFAULT_CONTRIBUTOR_STAKE, DEFAULT_VERIFIER_STAKE, PHASE, open_task
from tests.utils.settlement import (  # noqa: F401
    Round,
    copy_of,
    deadlines_of,
    finalize_all,
    play,
)

REWARD = 10**18 + 1
CS, VS = DEFAULT_CONTRIBUTOR_STAKE, DEFAULT_VERIFIER_STAKE

# The main task: four submissions scored by five verifiers (columns v0..v4). v1 and v2 sit
# exactly the tolerance (200) away from a median; v3 and v4 one more than that.
MAIN_SCORES = [
    # v0     v1     v2     v3     v4
    [9_000, 9_200, 8_800, 9_000, 9_000],  # median 9000; v1 +200 and v2 -200: honest
    [7_000, 7_000, 7_000, 7_201, 7_000],  # median 7000; v3 +201: dishonest from here
    [5_000, 5_000, 5_000, 9_000, 4_799],  # median 5000; v3 off again (no new event), v4 -201
    [800, 900, 700, 800, 800],  # median 800: below the baseline, weight 0
]
MAIN_MEDIANS = [9_000, 7_000, 5_000, 800]
MAIN_WEIGHTS = [8_000, 6_000, 4_000, 0]  # median - 1000, or 0; total 18000

# Hand computation of the main task's settlement.
FEE = REWARD * 1_000 // 10_000  # 100000000000000000 (the extra wei rounds away)
POOL = REWARD - FEE  # 900000000000000001: no forfeited contributor stake
REWARDS = [POOL * w // 18_000 for w in MAIN_WEIGHTS]  # 4e17, 3e17, 2e17, 0 (rounded down)
assert REWARDS == [4 * 10**17, 3 * 10**17, 2 * 10**17, 0]
FEE_POOL = FEE + 2 * VS  # v3 and v4 forfeit their stakes to the three honest ones
FEE_PER_VERIFIER = FEE_POOL // 3  # 46666666666666666
DEPOSITED = REWARD + 4 * CS + 5 * VS
INITIATOR_REFUND = DEPOSITED - 4 * CS - sum(REWARDS) - 3 * (VS + FEE_PER_VERIFIER)
assert INITIATOR_REFUND == 1 + 2  # dust of the pool + dust of the fee pool
MAIN_SETTLEMENT = (18_000, POOL, sum(REWARDS), FEE_PER_VERIFIER, 3, 5, INITIATOR_REFUND)

# Even count: four verifiers; the median is the floor of the mean of the two middle scores.
EVEN_SCORES = [[7_001, 7_000, 9_000, 1_000]]  # 1000 7000 7001 9000 -> (7000 + 7001) // 2
EVEN_MEDIANS = [7_000]


def columns(rows):
    """Per-verifier score lists from per-submission rows."""
    return [list(column) for column in zip(*rows)]


@pytest.fixture(scope="module")
def tasks(market, chain, initiator, contributors, verifiers, outsider):
    """Four tasks in step, all in the ScoreReveal window with every score revealed:
    main (4 submissions, 5 verifiers, 2 dishonest), silent (3 submissions, no verifier
    revealed), flat (2 submissions below the baseline) and even (4 verifiers)."""
    main = open_task(market, chain, initiator, reward=REWARD, label="main")
    same = deadlines_of(main)
    silent = open_task(market, chain, initiator, reward=REWARD, label="silent", **same)
    flat = open_task(market, chain, initiator, reward=REWARD, label="flat", **same)
    even = open_task(market, chain, initiator, reward=REWARD, label="even", **same)
    play(
        Round(main, contributors[:4], verifiers, dict(zip(verifiers, columns(MAIN_SCORES)))),
        Round(
            silent,
            contributors[:3],
            verifiers[:2],
            {verifiers[0]: [5_000] * 3},
            withheld=[verifiers[0]],
        ),
        Round(flat, contributors[:2], verifiers[:1], {verifiers[0]: [1_000, 500]}),
        Round(
            even, contributors[:1], verifiers[:4], dict(zip(verifiers[:4], columns(EVEN_SCORES)))
        ),
    )
    return {"main": main, "silent": silent, "flat": flat, "even": even}


@pytest.fixture
def main(tasks):
    return copy_of(tasks["main"])


def settlement_of(task):
    return tuple(task.market.getTask(task.task_id).settlement)


def logs_of(receipts, event):
    return [log for receipt in receipts for log in receipt.decode_logs(event)]


# ----------------------------------------------------------------- errors and phases


def test_finalize__zero_steps__reverts(main, outsider):
    main.after("scoreReveal")

    with ape.reverts(main.market.ZeroSteps):
        main.finalize(outsider, 0)


def test_finalize__at_score_reveal_deadline__reverts(main, outsider):
    main.at_deadline("scoreReveal")

    with ape.reverts(
        main.market.WrongPhase,
        taskId=main.task_id,
        current=PHASE["ScoreReveal"],
        required=PHASE["Finalizing"],
    ):
        main.finalize(outsider)


def test_finalize__after_done__reverts(main, outsider):
    finalize_all(main, outsider)

    with ape.reverts(
        main.market.WrongPhase,
        taskId=main.task_id,
        current=PHASE["Finalized"],
        required=PHASE["Finalizing"],
    ):
        main.finalize(outsider)


# ------------------------------------------------------------------------ batching


def test_finalize__one_step_per_call__done_after_two_steps_per_submission(main, outsider):
    main.after("scoreReveal")

    done = [main.finalize(outsider, 1).return_value for _ in range(2 * 4)]

    assert done == [False] * 7 + [True]
    assert main.phase() == "Finalized"


def test_finalize__no_verifier_revealed__done_in_one_step_without_scores(tasks, outsider):
    silent = copy_of(tasks["silent"])
    silent.after("scoreReveal")

    tx = silent.finalize(outsider, 1)

    # No medians to compute (nobody scored) and the equal split needs no pass.
    assert tx.return_value is True
    assert list(tx.decode_logs(silent.market.SubmissionScored)) == []
    share = POOL // 3  # equal split of the pool among the three
    refund = FEE + 2 * VS + (POOL - 3 * share)  # the fee, both verifier stakes, 1 wei of dust
    # (totalWeight, contributorPool, rewardsTotal, feePerVerifier, honest, revealed, refund)
    assert settlement_of(silent) == (0, POOL, 3 * share, 0, 0, 0, refund)


def test_finalize__no_weight_above_baseline__done_after_one_step_per_submission(tasks, outsider):
    flat = copy_of(tasks["flat"])
    flat.after("scoreReveal")

    done = [flat.finalize(outsider, 1).return_value for _ in range(2)]

    # Medians 1000 and 500: no weight, so the second pass has nothing to sum. The pool goes
    # back to the initiator; the one honest verifier takes the whole fee.
    assert done == [False, True]
    assert settlement_of(flat) == (0, POOL, 0, FEE, 1, 1, POOL)


@pytest.mark.parametrize("max_steps", [1, 2, 3, 1_000], ids=lambda n: f"max_steps_{n}")
def test_finalize__any_batch_size__same_settlement(
    main, contributors, verifiers, initiator, outsider, max_steps
):
    receipts = finalize_all(main, outsider, max_steps)

    assert len(receipts) == math.ceil(2 * 4 / max_steps)
    assert settlement_of(main) == MAIN_SETTLEMENT
    market, task_id = main.market, main.task_id
    assert [market.owed(task_id, c) for c in contributors[:4]] == [CS + r for r in REWARDS]
    assert [market.owed(task_id, v) for v in verifiers] == [VS + FEE_PER_VERIFIER] * 3 + [0, 0]
    assert market.owed(task_id, initiator) == INITIATOR_REFUND
    scored = [
        (log.submissionIndex, log.medianScore, log.weight)
        for log in logs_of(receipts, market.SubmissionScored)
    ]
    assert scored == list(zip(range(4), MAIN_MEDIANS, MAIN_WEIGHTS))


# -------------------------------------------------------------------------- events


def test_finalize__each_submission__emits_submission_scored(main, outsider):
    receipts = finalize_all(main, outsider, 1)

    logs = logs_of(receipts, main.market.SubmissionScored)
    assert [(log.taskId, log.submissionIndex, log.medianScore, log.weight) for log in logs] == [
        (main.task_id, 0, 9_000, 8_000),
        (main.task_id, 1, 7_000, 6_000),
        (main.task_id, 2, 5_000, 4_000),
        (main.task_id, 3, 800, 0),
    ]
    views = main.market.getSubmissions(main.task_id, 0, 10)
    assert [v.medianScore for v in views] == MAIN_MEDIANS


def test_finalize__dishonest_verifiers__each_emitted_once_with_first_offence(
    main, verifiers, outsider
):
    receipts = finalize_all(main, outsider, 1)

    logs = logs_of(receipts, main.market.VerifierDishonest)
    assert [
        (log.taskId, log.verifier, log.submissionIndex, log.score, log.medianScore) for log in logs
    ] == [
        (main.task_id, verifiers[3].address, 1, 7_201, 7_000),
        (main.task_id, verifiers[4].address, 2, 4_799, 5_000),
    ]
    assert [v.honest for v in main.market.getVerifiers(main.task_id)] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_finalize__done__emits_task_finalized_with_settlement(main, outsider):
    receipts = finalize_all(main, outsider)

    logs = logs_of(receipts, main.market.TaskFinalized)
    assert len(logs) == 1
    assert logs[0].taskId == main.task_id
    assert tuple(logs[0].settlement) == MAIN_SETTLEMENT


# ------------------------------------------------------------------ medians, honesty


@pytest.mark.parametrize(
    "name, medians",
    [
        pytest.param("main", MAIN_MEDIANS, id="odd_5_verifiers"),
        pytest.param("even", EVEN_MEDIANS, id="even_4_verifiers"),
    ],
)
def test_finalize__median__middle_score_or_floor_of_middle_two(tasks, outsider, name, medians):
    task = copy_of(tasks[name])

    finalize_all(task, outsider)

    assert [v.medianScore for v in task.market.getSubmissions(task.task_id, 0, 10)] == medians


@pytest.mark.parametrize(
    "index, honest, first_offence",
    [
        pytest.param(1, True, None, id="exactly_tolerance_above__honest"),
        pytest.param(2, True, None, id="exactly_tolerance_below__honest"),
        pytest.param(3, False, (1, 7_201, 7_000), id="tolerance_plus_1_above__dishonest"),
        pytest.param(4, False, (2, 4_799, 5_000), id="tolerance_plus_1_below__dishonest"),
    ],
)
def test_finalize__distance_from_median__honest_within_tolerance(
    main, verifiers, outsider, index, honest, first_offence
):
    receipts = finalize_all(main, outsider)

    assert main.market.getVerifiers(main.task_id)[index].honest is honest
    flagged = [
        (log.submissionIndex, log.score, log.medianScore)
        for log in logs_of(receipts, main.market.VerifierDishonest)
        if log.verifier == verifiers[index].address
    ]
    assert flagged == ([] if honest else [first_offence])
