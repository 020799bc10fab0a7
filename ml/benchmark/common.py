"""What every benchmark table shares: the data of a run, the central model, the commit, tables."""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ml.data import Dataset, shard_dataset, split_dataset
from ml.datasets import DatasetRecipe, dataset_recipe
from ml.models import Architecture, Model, build_model
from ml.train import TrainConfig, set_seed, train


@dataclass(frozen=True)
class Setup:
    """One run's data: the split, the contributors' shards and the shared initial model."""

    recipe: DatasetRecipe
    architecture: Architecture
    train: Dataset  # every contributor's shard, pooled: what the central model sees
    validation: Dataset  # the initiator's: payments, stacking, distillation
    test: Dataset  # every figure of the tables
    shards: list[Dataset]
    initial: Model


def prepare(
    dataset: str,
    contributors: int,
    split: str,
    seed: int,
    *,
    architecture: str | None = None,
    alpha: float = 0.5,
) -> Setup:
    """The split of `dataset` fixed by `seed`, cut into shards, and an initial model."""
    recipe = dataset_recipe(dataset)
    train_set, validation, test = split_dataset(
        recipe.load(), recipe.val_fraction, recipe.test_fraction, seed
    )
    shards = shard_dataset(train_set, contributors, split, seed, alpha=alpha)
    chosen = recipe.architectures[architecture or recipe.default_architecture]
    set_seed(seed)
    initial = Model(build_model(chosen), chosen)
    return Setup(recipe, chosen, train_set, validation, test, shards, initial)


def train_central(setup: Setup, config: TrainConfig | None = None) -> Model:
    """One model trained on all the contributors' data at once, from the same initial model."""
    central = copy.deepcopy(setup.initial)
    train(central.module, setup.train, config or setup.recipe.central_training, progress=False)
    return central


def commit() -> str:
    """The commit the benchmark runs at (with '+changes' if the work tree differs from it)."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + ("+changes" if dirty else "")


def markdown(header: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """A markdown table; `align` gives each column's alignment ('l' or 'r'), default right."""
    marks = [("---" if (align[i : i + 1] or "r") == "l" else "---:") for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def percent(bps: int | float | None) -> str:
    """Basis points as a percentage with one decimal, or n/a."""
    return "n/a" if bps is None else f"{bps / 100:.1f}"
