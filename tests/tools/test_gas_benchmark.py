"""The gas benchmark's core on small mechanism-v2 tasks: what a participant pays does not depend on
how many others take part, every transaction costs at least its floor, and each floor is the gas
schedule applied by hand. The tasks run on an anvil of the module's own (a market, its pool)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_utils import keccak

from learning_market.rpc import JsonRpc
from tests.utils.anvil import standalone_anvil
from tools.abi import BUILD
from tools.gasbench import (
    BEGIN,
    CLAIM_WRITES,
    COMMIT_WRITES,
    END,
    WITHDRAW_WRITES,
    Benchmark,
    Floor,
    draw_panel_writes,
    finalize_writes,
    format_report,
    open_shards_writes,
    run_benchmark,
    score_reveal_writes,
    write_section,
)

SMALL, LARGE = (2, 3), (4, 5)  # contributors, panel size
EVERY_ACTION = {
    "register", "requestExit", "withdrawBond", "createTask", "drawAudit", "revealAudit",
    "commitModel", "requestPanel", "drawPanel", "revealModel", "revealTestSet", "commitScores",
    "revealScores", "finalize pass 1", "finalize pass 2", "claim: contributor",
    "claim: panel member", "publishFusedModel",
}


@pytest.fixture(scope="module")
def result(project) -> Iterator[Benchmark]:
    project.LearningMarket  # noqa: B018 - compiles the project if it is not compiled yet
    build = json.loads(BUILD.read_text())["contractTypes"]
    with standalone_anvil(None) as node:
        yield run_benchmark(JsonRpc(node), build["LearningMarket"], build["VerifierPool"],
                            [SMALL[0], LARGE[0]], [SMALL[1], LARGE[1]], batch=2)


def _run(result: Benchmark, size: tuple[int, int]):
    (run,) = [r for r in result.runs if (r.contributors, r.panel) == size]
    return run


def _gas(result: Benchmark, size: tuple[int, int], action: str) -> list[int]:
    return [s.gas for s in _run(result, size).of(action)]


@pytest.mark.parametrize("action", ["commitModel", "commitScores", "claim: panel member"])
def test_participant_gas__2x3_and_4x5__every_transaction_of_the_action_costs_the_same(
    result, action
):
    small, large = _gas(result, SMALL, action), _gas(result, LARGE, action)

    assert small and large
    assert set(small) == set(large) and len(set(small)) == 1


@pytest.mark.parametrize("action", ["revealModel", "claim: contributor"])
def test_participant_gas__2x3_and_4x5__nth_transactions_cost_the_same_and_later_ones_equal(
    result, action
):
    # The first reveal of a task pushes onto an empty submissions array, the first claim writes
    # the task's paid-out total: a fresh slot (22,100) where later ones update it (5,000).
    small, large = _gas(result, SMALL, action), _gas(result, LARGE, action)

    assert small == large[: len(small)]
    assert len(set(large[1:])) == 1 and large[0] - large[1] == 17_100


def test_score_reveal__more_submissions__costs_more_per_member(result):
    (small,) = set(_gas(result, SMALL, "revealScores")[1:])
    large = set(_gas(result, LARGE, "revealScores")[1:])

    assert len(large) == 1 and large.pop() > small


def test_every_transaction__every_action_of_both_tasks_and_the_pool__costs_at_least_its_floor(
    result,
):
    sent = [s for run in (*result.runs, result.pool) for s in run.sent]

    below = [(s.action, s.gas, s.floor.total) for s in sent if s.gas < s.floor.total]
    assert not below
    assert {s.action for s in sent} >= EVERY_ACTION


def test_pool__every_member__registers_exits_and_withdraws_its_bond(result):
    members = result.pool_size

    assert result.pool_size == LARGE[1] + 4
    assert [len(result.pool.of(a)) for a in ("register", "requestExit", "withdrawBond")] == [
        members, members, members,
    ]


def test_commit_floor__real_transaction__is_intrinsic_plus_calldata_by_hand_plus_two_writes(
    result,
):
    (commit, *_) = _run(result, SMALL).of("commitModel")
    selector = keccak(text="commitModel(uint256,bytes32)")[:4]
    # selector, then the task id (31 zero bytes, 1 non-zero), then a commitment with no zero byte
    calldata = 4 * selector.count(0) + 16 * (4 - selector.count(0)) + 4 * 31 + 16 * 1 + 16 * 32

    assert commit.floor.calldata == calldata
    assert commit.floor.total == 21_000 + calldata + 22_100 + 5_000


def test_report__both_tasks__a_row_each_and_the_pool_table(result):
    report = format_report(result, "abc1234", "ape run gas_benchmark")

    assert "| 2 x 3 |" in report and "| 4 x 5 |" in report
    assert "### The pool: joining and leaving" in report and "| withdrawBond |" in report
    assert "### Each action against its floor (4 x 5)" in report


def test_floor__calldata_heavy__eip7623_floor_binds_only_after_prague():
    data = bytes(1_000) + b"\xff" * 100  # 1,000 zero bytes, 100 others

    after = Floor.of(data, (), eip7623=True)
    before = Floor.of(data, (), eip7623=False)

    assert (after.calldata, after.tokens) == (4 * 1_000 + 16 * 100, 1_000 + 4 * 100)
    assert after.total == 21_000 + 10 * 1_400
    assert before.total == 21_000 + 4 * 1_000 + 16 * 100


def test_floor__execution_heavy__is_the_standard_cost():
    data = bytes(10) + b"\x01" * 6

    floor = Floor.of(data, COMMIT_WRITES, eip7623=True)

    assert floor.token_floor == 21_000 + 10 * (10 + 4 * 6)
    assert floor.total == 21_000 + 4 * 10 + 16 * 6 + 22_100 + 5_000


@pytest.mark.parametrize(
    ("writes", "gas"),
    [
        (CLAIM_WRITES, 2 * (2_100 + 2_900) + 100 + 9_000 - 2_300),
        (WITHDRAW_WRITES, 2 * (5_000 - 4_800) + 2 * 5_000 + 100 + 9_000 - 2_300),
        (score_reveal_writes(16), 2 * 22_100 + 2 * 5_000),
        (score_reveal_writes(17), 3 * 22_100 + 2 * 5_000),
        (open_shards_writes(6), 6 * 22_100 + 5_000),
        (draw_panel_writes(3), 3 * 22_100 + 4 * 22_100 + 3 * 5_000 + 22_100 + 5_000),
        (finalize_writes(1, 10, 9, starts_stage=True, ends_stage=False),
         5_000 + 9 * 5_000 + 10 * 9 * 2_100 // 16),
        (finalize_writes(1, 10, 9, starts_stage=False, ends_stage=True),
         5_000 + 10 * 5_000 + 10 * 9 * 2_100 // 16 + 9 * 5_000 + 22_100),
        (finalize_writes(2, 10, 9, starts_stage=False, ends_stage=True),
         5_000 + 10 * 2_100 + 22_100),
    ],
    ids=["claim", "withdraw", "16-scores", "17-scores", "6-shards", "panel-of-3",
         "finalize-first-pass-1", "finalize-last-pass-1", "finalize-last-pass-2"],
)
def test_floor_writes__each_action__match_the_gas_schedule_by_hand(writes, gas):
    assert sum(g for _, g in writes) == gas


def test_write_section__rerun__replaces_only_the_text_between_the_markers(tmp_path: Path):
    doc = tmp_path / "gas.md"
    write_section(doc, "first")
    generated = doc.read_text().split("# Gas\n\n", 1)[1]
    doc.write_text(f"# Gas\n\nintro\n\n{generated}\n## Optimisations\n")

    write_section(doc, "second")

    assert doc.read_text() == f"# Gas\n\nintro\n\n{BEGIN}\nsecond\n{END}\n\n## Optimisations\n"
