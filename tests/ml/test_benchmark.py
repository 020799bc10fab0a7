"""The benchmark's bookkeeping, and one quick end-to-end run of its command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml.benchmark import FUSED_COLUMNS, assumed_byzantine, main, num_poisoned


@pytest.mark.parametrize(
    ("n", "poisoned", "byzantine"), [(2, 1, None), (5, 2, 1), (10, 3, 3), (20, 6, 6)]
)
def test_poisoned_and_assumed_byzantine_counts(n, poisoned, byzantine):
    assert num_poisoned(n, 0.3) == poisoned
    assert assumed_byzantine(n, 0.3) == byzantine


def test_main__quick_run__prints_and_writes_the_table(tmp_path: Path, capsys):
    out = tmp_path / "table.md"

    main(["--quick", "--contributors", "2", "--out", str(out)])

    printed = capsys.readouterr().out
    lines = out.read_text().splitlines()
    assert printed.strip() == out.read_text().strip()
    assert len(lines) == 2 + 4  # header, rule, {iid, dirichlet} x {clean, poisoned}
    assert [column for column, _, _ in FUSED_COLUMNS] == lines[0].strip("| ").split(" | ")[5:]
    assert [line.split(" | ")[1:3] for line in lines[2:]] == [
        ["2", "0"],
        ["2", "0"],
        ["2", "1"],
        ["2", "1"],
    ]
    assert all(
        line.split(" | ")[9] == "n/a" for line in lines[2:]
    )  # Multi-Krum needs 3 models or more
