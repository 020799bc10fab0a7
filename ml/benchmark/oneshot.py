"""One-shot fusion: each contributor alone, every fusion strategy, one central model.

For each number of contributors, on IID and on label-skewed (Dirichlet) shards of the train split,
with and without poisoned contributors (labels flipped), averaged over seeds. Every contributor
starts from the initiator's initial model (as in FedAvg), so parameter averaging is meaningful.

    .venv/bin/python -m ml.benchmark oneshot --dataset digits --contributors 2,5,10,20 --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from tqdm import tqdm

from ml.benchmark.common import commit
from ml.data import Dataset, flip_labels, shard_dataset, split_dataset
from ml.datasets import dataset_recipe
from ml.evaluate import accuracy_bps
from ml.fusion import FusionError, FusionSettings, fuse_models
from ml.models import Model, build_model
from ml.train import TrainConfig, set_seed, train

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

    dataset: str = "digits"
    train: TrainConfig | None = None  # each contributor, and the central model (default: dataset's)
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
    recipe = dataset_recipe(config.dataset)
    training = config.train or recipe.training
    set_seed(seed)
    initial = Model(build_model(recipe.architecture), recipe.architecture)
    models = []
    for i, shard in enumerate(shards):
        model = copy.deepcopy(initial)
        train(model.module, shard, replace(training, seed=seed * 1000 + i), progress=False)
        models.append(model)
    scores = [accuracy_bps(m.module, test) for m in models]
    row = {"min": min(scores), "mean": float(np.mean(scores)), "max": max(scores)}
    central = copy.deepcopy(initial)
    everything = Dataset(
        np.concatenate([s.x for s in shards]),
        np.concatenate([s.y for s in shards]),
        test.num_classes,
    )
    train(central.module, everything, replace(recipe.central_training, seed=seed), progress=False)
    row["central"] = accuracy_bps(central.module, test)
    weights = [max(0, accuracy_bps(m.module, val) - config.baseline_bps) for m in models]
    byzantine = assumed_byzantine(setting.contributors, config.poison_fraction)
    for column, strategy, weighted in FUSED_COLUMNS:
        try:
            settings = FusionSettings(
                trim_fraction=config.trim_fraction,
                num_byzantine=byzantine if byzantine is not None else 0,
            )
            fused = fuse_models(
                strategy,
                models,
                weights if weighted else [1] * len(models),
                validation=val,
                settings=settings,
            ).model
        except FusionError:
            continue  # e.g. Multi-Krum with too few models: the cell stays empty
        row[column] = accuracy_bps(fused.module, test)
    return row


def run_benchmark(
    contributors: Sequence[int], seeds: Sequence[int], config: BenchmarkConfig
) -> dict[Setting, list[dict[str, float]]]:
    """Every setting's rows, one per seed."""
    data = dataset_recipe(config.dataset).load()
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
            split = split_dataset(data, config.val_fraction, config.test_fraction, seed)
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `oneshot` command's options."""
    parser.add_argument("--dataset", default="digits", help="digits or mnist1d")
    parser.add_argument(
        "--contributors", default="2,5,10,20", help="comma-separated numbers of contributors"
    )
    parser.add_argument(
        "--seeds", default="0,1,2", help="comma-separated seeds (split, shards, initial model)"
    )
    parser.add_argument("--steps", type=int, help="training steps (default: the dataset's)")


def main(args: argparse.Namespace) -> str:
    """Run, and return the table (with the commit it was measured at)."""
    measured_at = commit()  # before the run: the code that ran
    contributors = [int(n) for n in args.contributors.split(",")]
    seeds = [0] if args.quick else [int(s) for s in args.seeds.split(",")]
    training = dataset_recipe(args.dataset).training
    if args.quick or args.steps:
        training = replace(training, steps=20 if args.quick else args.steps)
    config = BenchmarkConfig(dataset=args.dataset, train=training)
    table = markdown_table(run_benchmark(contributors, seeds, config))
    return f"Measured at commit {measured_at} on {args.dataset}.\n\n" + table
