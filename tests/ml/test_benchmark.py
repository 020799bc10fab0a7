"""The benchmark commands: each runs end to end on a tiny setting and prints its table."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml.benchmark.__main__ import main
from ml.benchmark.oneshot import assumed_byzantine, num_poisoned
from ml.benchmark.rounds import rounds_within


@pytest.mark.parametrize(
    ("n", "poisoned", "byzantine"), [(2, 1, None), (5, 2, 1), (10, 3, 3), (20, 6, 6)]
)
def test_poisoned_and_assumed_byzantine_counts(n, poisoned, byzantine):
    assert num_poisoned(n, 0.3) == poisoned
    assert assumed_byzantine(n, 0.3) == byzantine


@pytest.mark.parametrize(
    ("command", "rows", "first_cells"),
    [
        (["architectures", "--datasets", "digits"], 3, ["digits", "logistic"]),
        (["oneshot", "--contributors", "2"], 4, ["iid", "2"]),
        (
            [
                "rounds",
                "--datasets",
                "digits",
                "--splits",
                "iid",
                "--fusions",
                "average",
                "--rounds",
                "2",
            ],
            1,
            ["digits", "iid", "average"],
        ),
        (
            [
                "attacks",
                "--dataset",
                "digits",
                "--attacks",
                "none,backdoor",
                "--fusions",
                "average",
            ],
            2 + 1,
            ["none"],
        ),
        (
            [
                "privacy",
                "--dataset",
                "digits",
                "--examples",
                "300",
                "--epsilons",
                "inf,3",
                "--contributors",
                "3",
            ],
            2 + 2,
            ["300", "inf (no DP)"],
        ),
    ],
    ids=lambda value: value[0] if isinstance(value, list) else None,
)
def test_main__quick_run__prints_and_writes_the_table_with_its_commit(
    tmp_path: Path, capsys, command, rows, first_cells
):
    out = tmp_path / "table.md"

    main([*command, "--quick", "--out", str(out)])

    printed = capsys.readouterr().out
    assert printed.strip() == out.read_text().strip()
    assert printed.startswith("Measured at commit ")
    body = [
        line
        for line in printed.splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
    ]
    data_rows = [
        line
        for line in body
        if not any(
            line.startswith(h)
            for h in ("| dataset", "| shards", "| attack", "| examples", "| epsilon")
        )
    ]
    assert len(data_rows) == rows
    assert data_rows[0].strip("| ").split(" | ")[: len(first_cells)] == first_cells


def test_rounds_within__first_round_close_enough():
    from types import SimpleNamespace

    records = [
        SimpleNamespace(round=r, fused_bps=bps) for r, bps in enumerate((9000, 9550, 9700), 1)
    ]

    assert rounds_within(records, 9700, 1) == 3
    assert rounds_within(records, 9700, 2) == 2
    assert rounds_within(records, 9900, 0.5) is None
