"""Rounds: the fused model's test accuracy round after round, per dataset, split and fusion.

Rows give the accuracy after each round, the first round within 1 and 2 points of the central
model, and at the last round the gap to the best single contributor and to the central model
with 95% confidence intervals (paired, on the same test examples), and the model file's size.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tqdm import tqdm

from ml.benchmark.common import commit, markdown, percent, prepare, train_central
from ml.evaluate import accuracy_bps, correct_predictions
from ml.federated import FUSIONS, RoundRecord, RoundsConfig, run_rounds
from ml.modelfile import encode_model
from ml.stats import paired_difference


@dataclass(frozen=True)
class Row:
    """One curve: a fusion on one dataset and split, at one number of steps per round."""

    dataset: str
    split: str
    fusion: str
    steps: int
    central_bps: int
    records: list[RoundRecord]
    central_gap: str  # last round minus central, with its interval
    model_bytes: int


def rounds_within(records: Sequence[RoundRecord], central_bps: int, points: float) -> int | None:
    """The first round whose fused model is within `points` of the central model (None: none)."""
    for record in records:
        if record.fused_bps >= central_bps - points * 100:
            return record.round
    return None


def run(args: argparse.Namespace) -> list[Row]:
    """Every curve the arguments ask for."""
    jobs = [
        (dataset, split, fusion, steps)
        for dataset in args.datasets
        for split in args.splits
        for fusion in args.fusions
        for steps in (args.steps or [None])
    ]
    rows: list[Row] = []
    central: dict[
        str, tuple[int, object]
    ] = {}  # the split of the data is the same for every shard scheme
    with tqdm(total=len(jobs) * args.rounds, desc="rounds", unit="round", file=sys.stderr) as bar:
        for dataset, split, fusion, steps in jobs:
            setup = prepare(dataset, args.contributors, split, args.seed)
            if dataset not in central:
                model = train_central(setup)
                central[dataset] = (
                    accuracy_bps(model.module, setup.test),
                    correct_predictions(model.module, setup.test),
                )
            central_bps, central_correct = central[dataset]
            training = setup.recipe.training
            if steps is not None:
                training = replace(training, steps=steps)
            strategy, settings = FUSIONS[fusion]
            config = RoundsConfig(strategy, training, settings)
            bar.set_postfix(run=f"{dataset} {split} {fusion} {training.steps}")
            records = run_rounds(
                setup.initial,
                setup.shards,
                setup.validation,
                setup.test,
                config,
                args.rounds,
                seed=args.seed,
                on_round=lambda record: _progress(bar, record),
            )
            last = records[-1]
            rows.append(
                Row(
                    dataset,
                    split,
                    fusion,
                    training.steps,
                    central_bps,
                    records,
                    str(paired_difference(last.fused_correct, central_correct)),
                    len(encode_model(last.model.module, last.model.architecture)),
                )
            )
    return rows


def _progress(bar: tqdm, record: RoundRecord) -> None:
    bar.update()
    bar.write(f"  round {record.round}: fused {percent(record.fused_bps)}%", file=sys.stderr)


def table(rows: Sequence[Row], rounds: int) -> str:
    """The markdown table of the curves."""
    header = [
        "dataset",
        "split",
        "fusion",
        "steps/round",
        "central",
        *(f"r{r}" for r in range(1, rounds + 1)),
        "within 1 pt",
        "within 2 pt",
        "last - best single [95% CI]",
        "last - central [95% CI]",
        "model KB",
        "training CPU s/round",
    ]
    body = [
        [
            row.dataset,
            row.split,
            row.fusion,
            row.steps,
            percent(row.central_bps),
            *(percent(r.fused_bps) for r in row.records),
            rounds_within(row.records, row.central_bps, 1) or "-",
            rounds_within(row.records, row.central_bps, 2) or "-",
            str(paired_difference(row.records[-1].fused_correct, row.records[-1].best_correct)),
            row.central_gap,
            f"{row.model_bytes / 1000:.1f}",
            f"{sum(r.training_seconds for r in row.records) / len(row.records):.1f}",
        ]
        for row in rows
    ]
    return markdown(header, body, align="llll")


def plot(rows: Sequence[Row], path: str) -> None:
    """One panel per dataset and split: each fusion's curve, the central model dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({(row.dataset, row.split) for row in rows})
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for axis, (dataset, split) in zip(axes[0], panels):
        for row in rows:
            if (row.dataset, row.split) == (dataset, split):
                label = row.fusion + (
                    f" ({row.steps} steps)" if len({r.steps for r in rows}) > 1 else ""
                )
                axis.plot(
                    [r.round for r in row.records],
                    [r.fused_bps / 100 for r in row.records],
                    marker="o",
                    label=label,
                )
                central = row.central_bps / 100
        axis.axhline(central, linestyle="--", color="black", label="central")
        axis.axhspan(central - 1, central, color="grey", alpha=0.2)
        axis.set(title=f"{dataset}, {split}", xlabel="round", ylabel="test accuracy (%)")
        axis.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `rounds` command's options."""
    parser.add_argument("--datasets", default="mnist1d,digits", type=_names)
    parser.add_argument("--splits", default="iid,dirichlet", type=_names)
    parser.add_argument(
        "--fusions", default=",".join(FUSIONS), type=_names, help=f"of {list(FUSIONS)}"
    )
    parser.add_argument("--steps", type=_ints, help="steps per round (default: each dataset's)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--contributors", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", help="also draw the curves into this PNG")


def main(args: argparse.Namespace) -> str:
    """Run, and return the table (with the commit it was measured at)."""
    measured_at = commit()  # before the run: the code that ran
    rows = run(args)
    if args.plot:
        plot(rows, args.plot)
    return f"Measured at commit {measured_at}, seed {args.seed}.\n\n" + table(rows, args.rounds)


def _names(text: str) -> list[str]:
    return [part for part in text.split(",") if part]


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]
