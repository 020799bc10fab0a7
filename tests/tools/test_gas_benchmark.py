"""The gas benchmark's core on two tiny tasks: what a participant pays does not depend on how many
others take part, every transaction costs at least its floor, and each floor is the gas schedule
applied by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils import keccak

from learning_market.rpc import Abi, JsonRpc
from tools.gasbench import (
    BEGIN,
    CLAIM_WRITES,
    COMMIT_WRITES,
    END,
    Bench,
    Floor,
    TaskRun,
    finalize_writes,
    score_reveal_writes,
    write_section,
)

SMALL, LARGE = (2, 1), (4, 3)  # contributors, verifiers


@pytest.fixture(scope="module")
def runs(project, accounts, chain, deployer) -> dict[tuple[int, int], TaskRun]:
    market = deployer.deploy(project.LearningMarket, 60)
    # an initiator, 4 contributors, 3 verifiers (the module's isolation reverts their tasks)
    funded = [a.address for a in accounts[16:24]]
    bench = Bench(JsonRpc(chain.provider.http_uri), market.address, Abi(market.contract_type), funded)
    return {size: bench.run_task(*size, batch=2) for size in (SMALL, LARGE)}


def _gas(run: TaskRun, action: str) -> list[int]:
    return [s.gas for s in run.of(action)]


@pytest.mark.parametrize(
    "action", ["commit", "score commit", "claim contributor", "claim verifier", "claim initiator"]
)
def test_participant_gas__2x1_and_4x3__every_transaction_of_the_action_costs_the_same(
    runs, action
):
    small, large = _gas(runs[SMALL], action), _gas(runs[LARGE], action)

    assert small and large
    assert set(small) == set(large) and len(set(small)) == 1


@pytest.mark.parametrize("action", ["reveal", "join"])
def test_participant_gas__2x1_and_4x3__nth_transactions_cost_the_same_and_later_ones_equal(
    runs, action
):
    # The first reveal (join) of a task writes the length of an empty array: a fresh slot
    # (22,100) where the later ones update it (5,000). Only that may differ, never the size.
    small, large = _gas(runs[SMALL], action), _gas(runs[LARGE], action)

    assert small == large[: len(small)]
    assert len(set(large[1:])) == 1


def test_score_reveal__more_submissions__costs_more_per_verifier(runs):
    (small,) = set(_gas(runs[SMALL], "score reveal"))
    large = set(_gas(runs[LARGE], "score reveal"))

    assert len(large) == 1 and large.pop() > small


def test_every_transaction__both_sizes__costs_at_least_its_floor(runs):
    sent = runs[SMALL].sent + runs[LARGE].sent

    below = [(s.action, s.gas, s.floor.total) for s in sent if s.gas < s.floor.total]
    assert not below
    assert {s.action for s in sent} >= {
        "create", "commit", "join", "reveal", "test reveal", "score commit", "score reveal",
        "finalize pass 1", "finalize pass 2",
        "claim contributor", "claim verifier", "claim initiator",
    }


def test_commit_floor__real_transaction__is_intrinsic_plus_calldata_by_hand_plus_two_writes(runs):
    (commit, *_) = runs[SMALL].of("commit")
    selector = keccak(text="commitModel(uint256,bytes32)")[:4]
    # selector, then the task id (31 zero bytes, 1 non-zero), then a commitment with no zero byte
    calldata = 4 * selector.count(0) + 16 * (4 - selector.count(0)) + 4 * 31 + 16 * 1 + 16 * 32

    assert commit.floor.calldata == calldata
    assert commit.floor.total == 21_000 + calldata + 22_100 + 5_000


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
        (CLAIM_WRITES, 2_100 + 2_900 + 100 + 9_000 - 2_300),
        (score_reveal_writes(16), 22_100 + 5_000),
        (score_reveal_writes(17), 2 * 22_100 + 5_000),
        (finalize_writes(1, 10, 9, ends_stage=False), 5_000 + 10 * 5_000 + 10 * 9 * 2_100 // 16),
        (finalize_writes(2, 10, 9, ends_stage=True), 5_000 + 10 * 2_100 + 22_100),
    ],
    ids=["claim", "16-scores", "17-scores", "finalize-pass-1", "finalize-last-pass-2"],
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
