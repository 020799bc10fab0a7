"""Benchmark on the digits: each contributor alone, every fusion strategy, one central model.

For each number of contributors, on IID and on label-skewed (Dirichlet) shards of the train split,
with and without poisoned contributors (labels flipped), averaged over seeds. Every contributor
starts from the initiator's initial model (as in FedAvg), so parameter averaging is meaningful.

    .venv/bin/python -m ml.benchmark --contributors 2,5,10,20 --seeds 0,1,2 --out table.md
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from tqdm import tqdm

from ml.data import Dataset, flip_labels, load_digits, shard_dataset, split_dataset
from ml.evaluate import accuracy_bps
from ml.fusion import FusionError, fuse
from ml.models import Architecture, Model, build_model
from ml.train import TrainConfig, set_seed, train

DIGITS_MLP: Architecture = {
    "name": "mlp",
    "input_shape": [1, 8, 8],
    "num_classes": 10,
    "hidden_sizes": [64],
}
CONTRIBUTOR_TRAINING = TrainConfig(epochs=20, batch_size=32, lr=0.05)
SCHEMES = ("iid", "dirichlet")
# the table's fused columns: (column, strategy, weighted by score?)
FUSED_COLUMNS = (
    ("average", "average", True),
    ("average (uniform)", "average", False),
    ("median", "median", False),
    ("trimmed mean", "trimmed_mean", False),
    ("multi-krum", "krum", False),
    ("ensemble", "ensemble", True),
    ("stacking", "stacking", True),
)


@dataclass(frozen=True)
class BenchmarkConfig:
    """What every run of the benchmark shares."""

    architecture: Architecture = field(default_factory=lambda: dict(DIGITS_MLP))
    train: TrainConfig = CONTRIBUTOR_TRAINING  # each contributor, and the central model
    baseline_bps: int = 1000  # chance on ten classes: weight = max(0, val accuracy - baseline)
    val_fraction: float = 0.15  # the initiator's validation set: weights, the stacking layer
    test_fraction: float = 0.25  # the verifiers' test set: every number in the table
    alpha: float = 0.5  # Dirichlet concentration of the label-skewed shards
    poison_fraction: float = 0.3  # share of contributors who flip their labels in the poisoned rows
    trim_fraction: float = (
        0.3  # trimmed mean: cut as many from each end as there may be poisoned models
    )


@dataclass(frozen=True)
class Setting:
    """One row of the table."""

    contributors: int
    scheme: str
    poisoned: int


def num_poisoned(contributors: int, fraction: float) -> int:
    """How many contributors are poisoned: the fraction, rounded, at least one."""
    return max(1, round(fraction * contributors))


def assumed_byzantine(contributors: int, fraction: float) -> int | None:
    """Multi-Krum's f: the poisoned count, capped so that n >= 2f + 3 (None if impossible)."""
    f = min(num_poisoned(contributors, fraction), (contributors - 3) // 2)
    return f if f >= 0 else None


def run_setting(
    setting: Setting, seed: int, split: tuple[Dataset, Dataset, Dataset], config: BenchmarkConfig
) -> dict[str, float]:
    """Test accuracies (bps) of one setting and seed: contributors, central, every fused model."""
    train_set, val, test = split
    shards = shard_dataset(
        train_set, setting.contributors, setting.scheme, seed, alpha=config.alpha
    )
    poisoned = np.random.default_rng(seed).choice(
        setting.contributors, setting.poisoned, replace=False
    )
    shards = [flip_labels(s, seed=seed + i) if i in poisoned else s for i, s in enumerate(shards)]
    set_seed(seed)
    initial = Model(build_model(config.architecture), config.architecture)
    models = []
    for i, shard in enumerate(shards):
        model = copy.deepcopy(initial)
        train(model.module, shard, replace(config.train, seed=seed * 1000 + i), progress=False)
        models.append(model)
    scores = [accuracy_bps(m.module, test) for m in models]
    row = {"min": min(scores), "mean": float(np.mean(scores)), "max": max(scores)}
    central = copy.deepcopy(initial)
    everything = Dataset(
        np.concatenate([s.x for s in shards]),
        np.concatenate([s.y for s in shards]),
        test.num_classes,
    )
    train(central.module, everything, replace(config.train, seed=seed), progress=False)
    row["central"] = accuracy_bps(central.module, test)
    weights = [max(0, accuracy_bps(m.module, val) - config.baseline_bps) for m in models]
    byzantine = assumed_byzantine(setting.contributors, config.poison_fraction)
    for column, strategy, weighted in FUSED_COLUMNS:
        try:
            fused = fuse(
                strategy,
                models,
                weights if weighted else [1] * len(models),
                validation=val,
                trim_fraction=config.trim_fraction,
                num_byzantine=byzantine if byzantine is not None else 0,
            )
        except FusionError:
            continue  # e.g. Multi-Krum with too few models: the cell stays empty
        row[column] = accuracy_bps(fused.module, test)
    return row


def run_benchmark(
    contributors: Sequence[int], seeds: Sequence[int], config: BenchmarkConfig
) -> dict[Setting, list[dict[str, float]]]:
    """Every setting's rows, one per seed."""
    digits = load_digits()
    settings = [
        Setting(n, scheme, poisoned)
        for poison in (False, True)
        for scheme in SCHEMES
        for n in contributors
        for poisoned in [num_poisoned(n, config.poison_fraction) if poison else 0]
    ]
    results: dict[Setting, list[dict[str, float]]] = {s: [] for s in settings}
    with tqdm(total=len(settings) * len(seeds), desc="benchmark", file=sys.stderr) as bar:
        for seed in seeds:
            split = split_dataset(digits, config.val_fraction, config.test_fraction, seed)
            for setting in settings:
                results[setting].append(run_setting(setting, seed, split, config))
                bar.update()
    return results


def markdown_table(results: dict[Setting, list[dict[str, float]]]) -> str:
    """A markdown table of test accuracy in %, averaged over seeds; the best fused in bold."""
    columns = ["central"] + [column for column, _, _ in FUSED_COLUMNS]
    lines = [
        "| shards | contributors | poisoned | each contributor: min / mean / max | "
        + " | ".join(columns)
        + " |",
        "|---|---:|---:|---|" + "---:|" * len(columns),
    ]
    for setting, rows in results.items():
        means = {
            key: float(np.mean([row[key] for row in rows]))
            for key in rows[0]
            if all(key in row for row in rows)
        }
        best = max(means[c] for c in columns[1:] if c in means)
        spread = " / ".join(_cell(means, key) for key in ("min", "mean", "max"))
        cells = [_cell(means, c, bold=c != "central" and means.get(c) == best) for c in columns]
        lines.append(
            f"| {setting.scheme} | {setting.contributors} | {setting.poisoned} | {spread} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines) + "\n"


def _cell(means: dict[str, float], key: str, bold: bool = False) -> str:
    if key not in means:
        return "n/a"
    text = f"{means[key] / 100:.1f}"
    return f"**{text}**" if bold else text


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line, run the benchmark, print (and optionally write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--contributors", default="2,5,10,20", help="comma-separated numbers of contributors"
    )
    parser.add_argument(
        "--seeds", default="0,1,2", help="comma-separated seeds (split, shards, initial model)"
    )
    parser.add_argument(
        "--epochs", type=int, default=BenchmarkConfig.train.epochs, help="training epochs"
    )
    parser.add_argument(
        "--quick", action="store_true", help="one seed, 3 epochs: a smoke test, not a result"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (small models: 1 is fastest)"
    )
    parser.add_argument("--out", help="also write the markdown table to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    contributors = [int(n) for n in args.contributors.split(",")]
    seeds = [0] if args.quick else [int(s) for s in args.seeds.split(",")]
    config = BenchmarkConfig()
    config = replace(config, train=replace(config.train, epochs=3 if args.quick else args.epochs))
    table = markdown_table(run_benchmark(contributors, seeds, config))
    print(table)
    if args.out:
        with open(args.out, "w") as file:
            file.write(table)


if __name__ == "__main__":
    main()
