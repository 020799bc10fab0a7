"""Finalize: the verdict's basis, batching, the starting model's median and the baseline,
medians, weights, flags, the panel's release and slashing, and the settlement it fixes.

Tasks here have reward 1 ETH + 1 wei, contributor stake 0.01 ETH, fee 1000 bps, baseline 1000
bps, tolerance 200 bps (the defaults but for the extra wei, which makes the split leave dust).
Panel members are named p0, p1, ... in draw order; score rows are per model (the starting model
first), columns per member.
"""

import math

import pytest

from tests.utils.lifecycle import reverts
from tests.utils.market import BASIS, DEFAULT_CONTRIBUTOR_STAKE, PHASE, SLASH_AMOUNT, open_task
from tests.utils.settlement import Round, copy_of, deadlines_of, finalize_all, play

REWARD = 10**18 + 1
CS = DEFAULT_CONTRIBUTOR_STAKE
FEE = REWARD * 1_000 // 10_000  # 100000000000000000 (the extra wei rounds away)
POOL = REWARD - FEE  # 900000000000000001: no forfeited contributor stake

# The main task: the start and four submissions, scored by five members. p1 and p2 sit exactly
# the tolerance (200) away from a median; p3 and p4 one more than that.
MAIN_SCORES = [
    # p0     p1     p2     p3     p4
    [2_000, 2_000, 2_000, 2_000, 2_000],  # the start: median 2000 raises the baseline to 2000
    [9_000, 9_200, 8_800, 9_000, 9_000],  # median 9000; p1 +200 and p2 -200: honest
    [7_000, 7_000, 7_000, 7_201, 7_000],  # median 7000; p3 +201: dishonest from here
    [5_000, 5_000, 5_000, 9_000, 4_799],  # median 5000; p3 off again (no new event), p4 -201
    [1_800, 1_900, 1_700, 1_800, 1_800],  # median 1800: below the start, weight 0
]
MAIN_MEDIANS = [9_000, 7_000, 5_000, 1_800]
MAIN_WEIGHTS = [7_000, 5_000, 3_000, 0]  # median - 2000, or 0; total 15000
REWARDS = [POOL * w // 15_000 for w in MAIN_WEIGHTS]
assert REWARDS == [42 * 10**16, 30 * 10**16, 18 * 10**16, 0]
SLASHED = 2 * SLASH_AMOUNT  # p3 and p4
FEE_POT = FEE + SLASHED  # the fee and the slashed bonds go to the three honest members
FEE_PER_VERIFIER = FEE_POT // 3  # 66666666666666666
BURNED = FEE_POT - 3 * FEE_PER_VERIFIER  # 2 wei: dust of a pot that holds slashed wei
INITIATOR_REFUND = REWARD + SLASHED - sum(REWARDS) - 3 * FEE_PER_VERIFIER - BURNED
assert (BURNED, INITIATOR_REFUND) == (2, 1)  # the initiator gets the pool's dust only
MAIN_SETTLEMENT = (
    15_000,
    2_000,
    2_000,
    BASIS["Test"],
    POOL,
    sum(REWARDS),
    FEE_PER_VERIFIER,
    3,
    5,
    5,
    SLASHED,
    BURNED,
    INITIATOR_REFUND,
    False,
)

# Even count: p4 does not reveal; the median is the floor of the mean of the two middle scores.
EVEN_SCORES = [[2_000] * 5, [7_001, 7_000, 9_000, 7_000, 7_000]]  # 7000 7000 7001 9000 -> 7000
# Dissent: the test set is revealed; p3 and p4 say they could not fetch it.
DISSENT_SCORES = [[2_000] * 3 + [1_000] * 2, [6_000] * 3 + [3_000] * 2]


def columns(rows):
    """Per-member score lists from per-model rows."""
    return [list(column) for column in zip(*rows, strict=True)]


@pytest.fixture(scope="module")
def tasks(market, pool, chain, initiator, contributors, verifiers, outsider, by_address):
    """Five tasks in step, all in the ScoreReveal window: main (4 submissions, 5 members, 2
    dishonest), silent (3 submissions, no member reveals), flat (2 submissions, none above the
    start), even (1 submission, 4 of 5 members reveal), dissent (1 submission, 2 of 5 members
    vote unavailable). (`pool` is requested so that every session fixture the module's tests use
    comes before this one: ape's snapshots then nest.)"""

    def task(label, **kw):
        return open_task(market, chain, initiator, by_address, reward=REWARD, label=label, **kw)

    main = task("main", panelSize=5)
    same = deadlines_of(main)
    silent = task("silent", **same)
    flat = task("flat", **same)
    even = task("even", panelSize=5, **same)
    dissent = task("dissent", panelSize=5, **same)
    play(
        Round(main, contributors[:4], columns(MAIN_SCORES)),
        Round(silent, contributors[:3], [[5_000] * 4] * 3, withheld=[0, 1, 2]),
        Round(flat, contributors[:2], [[1_000, 1_000, 500]] * 3),
        Round(even, contributors[:1], columns(EVEN_SCORES), withheld=[4]),
        Round(
            dissent, contributors[:1], columns(DISSENT_SCORES), available=[True] * 3 + [False] * 2
        ),
    )
    return {"main": main, "silent": silent, "flat": flat, "even": even, "dissent": dissent}


@pytest.fixture
def main(tasks):
    return copy_of(tasks["main"])


def settlement_of(task):
    return tuple(task.market.getTask(task.task_id).settlement)


def logs_of(receipts, event):
    return [dict(log.event_arguments) for receipt in receipts for log in receipt.decode_logs(event)]


# ----------------------------------------------------------------- errors and phases


def test_finalize__zero_steps__reverts(main, outsider):
    main.after("scoreReveal")
    with reverts(main.market.ZeroSteps):
        main.finalize(outsider, 0)


def test_finalize__at_score_reveal_deadline__reverts(main, outsider):
    main.at_deadline("scoreReveal")
    with reverts(
        main.market.WrongPhase,
        taskId=main.task_id,
        current=PHASE["ScoreReveal"],
        required=PHASE["Finalizing"],
    ):
        main.finalize(outsider)


def test_finalize__after_done__reverts(main, outsider):
    finalize_all(main, outsider)
    with reverts(
        main.market.WrongPhase,
        taskId=main.task_id,
        current=PHASE["Finalized"],
        required=PHASE["Finalizing"],
    ):
        main.finalize(outsider)


def test_finalize__no_such_task__reverts(market, outsider):
    with reverts(market.TaskNotFound, taskId=42):
        market.finalize(42, 1, sender=outsider)


# ------------------------------------------------------------------------ batching


def test_finalize__one_step_per_call__one_step_per_model_then_per_submission(main, outsider):
    main.after("scoreReveal")

    done = [main.finalize(outsider, 1).return_value for _ in range(5 + 4)]

    assert done == [False] * 8 + [True]
    assert main.phase() == "Finalized"


@pytest.mark.parametrize("max_steps", [1, 2, 4, 5, 6, 1_000], ids=lambda n: f"max_steps_{n}")
def test_finalize__any_batch_size__same_settlement(
    main, contributors, initiator, outsider, max_steps
):
    panel = main.panel()

    receipts = finalize_all(main, outsider, max_steps)

    assert len(receipts) == math.ceil(9 / max_steps)
    assert settlement_of(main) == MAIN_SETTLEMENT
    market, task_id = main.market, main.task_id
    assert [market.owed(task_id, c) for c in contributors[:4]] == [CS + r for r in REWARDS]
    assert [market.owed(task_id, m) for m in panel] == [FEE_PER_VERIFIER] * 3 + [0, 0]
    assert market.owed(task_id, initiator) == INITIATOR_REFUND
    scored = [
        (log["submissionIndex"], log["medianScore"], log["weight"])
        for log in logs_of(receipts, market.SubmissionScored)
    ]
    assert scored == list(zip(range(4), MAIN_MEDIANS, MAIN_WEIGHTS, strict=True))


def test_finalize__nobody_revealed_scores__done_in_one_call_and_every_member_slashed(
    tasks, pool, outsider
):
    silent = copy_of(tasks["silent"])
    panel = silent.panel()
    silent.after("scoreReveal")

    receipt = silent.finalize(outsider, 1)

    assert receipt.return_value is True
    market = silent.market
    assert logs_of([receipt], market.BasisFixed) == [
        {"taskId": silent.task_id, "basis": BASIS["Audit"], "countedVerifiers": 0}
    ]
    assert logs_of([receipt], market.BaselineFixed) == [
        {"taskId": silent.task_id, "startMedian": 0, "baseline": 1_000}
    ]
    assert logs_of([receipt], market.SubmissionScored) == []
    assert logs_of([receipt], pool.VerifierSlashed) == [
        {"taskId": silent.task_id, "member": m.address, "amount": SLASH_AMOUNT} for m in panel
    ]
    # Nobody honest, nobody paid by weight: the slashed bonds are burned; the reward goes back.
    assert settlement_of(silent) == (
        0,
        0,
        1_000,
        BASIS["Audit"],
        POOL + 3 * SLASH_AMOUNT,
        0,
        0,
        0,
        0,
        0,
        3 * SLASH_AMOUNT,
        3 * SLASH_AMOUNT,
        REWARD,
        False,
    )


def test_finalize__no_weight_above_the_start__one_step_per_model(tasks, outsider):
    flat = copy_of(tasks["flat"])
    flat.after("scoreReveal")

    done = [flat.finalize(outsider, 1).return_value for _ in range(3)]

    # Medians 1000 (start), 1000 and 500: no weight, so the second pass has nothing to sum. The
    # pool goes back to the initiator; the three honest members share the fee.
    assert done == [False, False, True]
    fee_each = FEE // 3
    assert settlement_of(flat) == (
        0,
        1_000,
        1_000,
        BASIS["Test"],
        POOL,
        0,
        fee_each,
        3,
        3,
        3,
        0,
        0,
        POOL + FEE - 3 * fee_each,
        False,
    )


# -------------------------------------------------------------------------- events


def test_finalize__basis_baseline_and_each_submission__emitted(main, pool, outsider):
    panel = main.panel()

    receipts = finalize_all(main, outsider, 1)

    market, task_id = main.market, main.task_id
    assert logs_of(receipts, market.BasisFixed) == [
        {"taskId": task_id, "basis": BASIS["Test"], "countedVerifiers": 5}
    ]
    assert logs_of(receipts, market.BaselineFixed) == [
        {"taskId": task_id, "startMedian": 2_000, "baseline": 2_000}
    ]
    assert logs_of(receipts, market.SubmissionScored) == [
        {"taskId": task_id, "submissionIndex": i, "medianScore": m, "weight": w}
        for i, (m, w) in enumerate(zip(MAIN_MEDIANS, MAIN_WEIGHTS, strict=True))
    ]
    assert logs_of(receipts, pool.VerifierSlashed) == [
        {"taskId": task_id, "member": panel[3].address, "amount": SLASH_AMOUNT},
        {"taskId": task_id, "member": panel[4].address, "amount": SLASH_AMOUNT},
    ]
    assert logs_of(receipts, market.Burned) == [{"taskId": task_id, "amount": BURNED}]
    assert logs_of(receipts, market.TaskFinalized) == [
        {"taskId": task_id, "settlement": list(MAIN_SETTLEMENT)}
    ]
    assert [v.medianScore for v in market.getSubmissions(task_id, 0, 10)] == MAIN_MEDIANS


def test_finalize__dishonest_members__each_emitted_once_with_first_offence(main, outsider):
    panel = main.panel()

    receipts = finalize_all(main, outsider, 1)

    assert logs_of(receipts, main.market.VerifierDishonest) == [
        {
            "taskId": main.task_id,
            "verifier": panel[3].address,
            "scoreIndex": 2,
            "score": 7_201,
            "medianScore": 7_000,
        },
        {
            "taskId": main.task_id,
            "verifier": panel[4].address,
            "scoreIndex": 3,
            "score": 4_799,
            "medianScore": 5_000,
        },
    ]
    views = main.market.getPanel(main.task_id)
    assert [(v.counted, v.honest, v.slashed) for v in views] == [(True, True, False)] * 3 + [
        (True, False, True)
    ] * 2


def test_finalize__start_model_outside_tolerance__flags_the_member(
    market, chain, initiator, contributors, outsider, by_address
):
    task = open_task(market, chain, initiator, by_address)
    play(Round(task, contributors[:1], [[2_000, 6_000], [2_000, 6_000], [2_500, 6_000]]))
    panel = task.panel()

    receipts = finalize_all(task, outsider)

    assert logs_of(receipts, market.VerifierDishonest) == [
        {
            "taskId": task.task_id,
            "verifier": panel[2].address,
            "scoreIndex": 0,
            "score": 2_500,
            "medianScore": 2_000,
        }
    ]


# ------------------------------------------------------------------ medians, honesty


def test_finalize__even_count__floor_of_the_middle_two(tasks, outsider):
    even = copy_of(tasks["even"])
    panel = even.panel()
    finalize_all(even, outsider)
    assert [v.medianScore for v in even.market.getSubmissions(even.task_id, 0, 10)] == [7_000]
    views = even.market.getPanel(even.task_id)
    # p2 (9000) is 2000 off; p4 never revealed: both slashed. Three of the four stand behind 7000.
    assert [(v.revealed, v.honest, v.slashed) for v in views] == [
        (True, True, False),
        (True, True, False),
        (True, False, True),
        (True, True, False),
        (False, False, True),
    ]
    assert [v.member for v in views] == [m.address for m in panel]


def test_finalize__dissenting_members__neither_counted_nor_slashed_nor_paid(
    tasks, initiator, outsider
):
    dissent = copy_of(tasks["dissent"])
    panel = dissent.panel()

    finalize_all(dissent, outsider)

    market, task_id = dissent.market, dissent.task_id
    views = market.getPanel(task_id)
    assert [(v.testSetAvailable, v.counted, v.honest, v.slashed) for v in views] == [
        (True, True, True, False)
    ] * 3 + [(False, False, False, False)] * 2
    settlement = market.getTask(task_id).settlement
    assert (
        settlement.basis,
        settlement.countedVerifiers,
        settlement.revealedVerifiers,
        settlement.slashed,
    ) == (
        BASIS["Test"],
        3,
        5,
        0,
    )
    assert [market.owed(task_id, m) for m in panel] == [FEE // 3] * 3 + [0, 0]


@pytest.mark.parametrize(
    "index, honest, first_offence",
    [
        pytest.param(1, True, None, id="exactly_tolerance_above__honest"),
        pytest.param(2, True, None, id="exactly_tolerance_below__honest"),
        pytest.param(3, False, (2, 7_201, 7_000), id="tolerance_plus_1_above__dishonest"),
        pytest.param(4, False, (3, 4_799, 5_000), id="tolerance_plus_1_below__dishonest"),
    ],
)
def test_finalize__distance_from_median__honest_within_tolerance(
    main, outsider, index, honest, first_offence
):
    member = main.panel()[index]

    receipts = finalize_all(main, outsider)

    assert main.market.getPanel(main.task_id)[index].honest is honest
    flagged = [
        (log["scoreIndex"], log["score"], log["medianScore"])
        for log in logs_of(receipts, main.market.VerifierDishonest)
        if log["verifier"] == member.address
    ]
    assert flagged == ([] if honest else [first_offence])
