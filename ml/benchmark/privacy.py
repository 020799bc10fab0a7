"""Privacy: test accuracy against epsilon, for one contributor alone and for all in rounds.

Alone: a contributor holding n examples trains the task's initial model by DP-SGD (clip each
example's gradient to norm 1, add Gaussian noise, RDP accountant, delta = 1e-5) at each target
epsilon, for as many steps as without privacy. In rounds: every contributor trains every round
at the given epsilon per round, with the dataset's DP round (`private_training`: few steps of
large batches); its data's epsilon over all rounds is their composition.
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
from dataclasses import replace

from tqdm import tqdm

from ml.benchmark.common import commit, markdown, percent, prepare
from ml.datasets import DatasetRecipe
from ml.evaluate import accuracy_bps
from ml.federated import DEFAULT_FUSION, FUSIONS, RoundsConfig, run_rounds
from ml.privacy import PrivacyConfig, PrivacySpent, epsilon_spent
from ml.train import TrainConfig, train

DELTA = 1e-5


def _epsilons(text: str) -> list[float]:
    return [math.inf if part == "inf" else float(part) for part in text.split(",") if part]


def _config(base: TrainConfig, epsilon: float) -> TrainConfig:
    privacy = None if math.isinf(epsilon) else PrivacyConfig(target_epsilon=epsilon, delta=DELTA)
    return replace(base, privacy=privacy)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `privacy` command's options."""
    parser.add_argument("--dataset", default="mnist1d")
    parser.add_argument("--epsilons", default="inf,8,3,1", help="targets; inf: no privacy")
    parser.add_argument("--examples", default="1000,4000", help="alone: the contributor's data")
    parser.add_argument("--alone-steps", type=int, default=2000, help="alone: training steps")
    parser.add_argument("--batch-size", type=int, help="alone: batch size (default: the dataset's)")
    parser.add_argument(
        "--warm-start",
        type=int,
        default=0,
        help="alone: first train the initial model this many steps on the initiator's validation "
        "set (no privacy needed: its own data), as a model from earlier rounds would be",
    )
    parser.add_argument("--contributors", type=int, default=10, help="rounds: how many")
    parser.add_argument("--rounds", type=int, default=5, help="rounds: how many (0: none)")
    parser.add_argument("--seed", type=int, default=0)


def main(args: argparse.Namespace) -> str:
    """Run, and return the tables (with the commit they were measured at)."""
    measured_at = commit()  # before the run: the code that ran
    epsilons = _epsilons(args.epsilons)
    sizes = [int(n) for n in args.examples.split(",") if n]
    rounds = min(1, args.rounds) if args.quick else args.rounds
    steps = 10 if args.quick else args.alone_steps
    setup = prepare(args.dataset, args.contributors, "iid", args.seed)
    start = copy.deepcopy(setup.initial)
    if args.warm_start:
        warm = replace(setup.recipe.training, steps=10 if args.quick else args.warm_start)
        train(start.module, setup.validation, warm, progress=False)
    alone_training = replace(setup.recipe.training, steps=steps)
    if args.batch_size:
        alone_training = replace(alone_training, batch_size=args.batch_size)
    total = len(sizes) * len(epsilons) + len(epsilons) * rounds
    alone_rows, round_rows = [], []
    with tqdm(total=total, desc="privacy", file=sys.stderr) as bar:
        for size in sizes:
            data = setup.train.subset(list(range(size)))
            plain = None
            for epsilon in epsilons:
                model = copy.deepcopy(start)
                config = _config(alone_training, epsilon)
                result = train(model.module, data, config, progress=False)
                accuracy = accuracy_bps(model.module, setup.test)
                plain = accuracy if math.isinf(epsilon) else plain
                alone_rows.append(_row(size, epsilon, result.privacy, accuracy, plain, steps))
                bar.write("  " + " | ".join(map(str, alone_rows[-1])), file=sys.stderr)
                bar.update()
        strategy, settings = FUSIONS[DEFAULT_FUSION]
        plain_curve = None
        for epsilon in epsilons if rounds else []:
            records = run_rounds(
                setup.initial,
                setup.shards,
                setup.validation,
                setup.test,
                RoundsConfig(
                    strategy, _round_training(setup.recipe, epsilon, args.quick), settings
                ),
                rounds,
                seed=args.seed,
                on_round=lambda _: bar.update(),
            )
            spent = [r.privacy[0] for r in records if r.privacy[0] is not None]
            curve = [r.fused_bps for r in records]
            plain_curve = curve if math.isinf(epsilon) else plain_curve
            total_epsilon = epsilon_spent(spent, DELTA) if spent else math.inf
            round_rows.append(
                [
                    _epsilon(epsilon),
                    _epsilon(total_epsilon),
                    *(percent(c) for c in curve),
                    f"{(curve[-1] - plain_curve[-1]) / 100:+.1f}" if plain_curve else "n/a",
                ]
            )
    shard = min(len(s) for s in setup.shards)
    intro = (
        f"Measured at commit {measured_at}: {args.dataset}, delta {DELTA}, seed {args.seed}.\n\n"
    )
    alone = markdown(
        [
            "examples",
            "target epsilon",
            "epsilon spent",
            "noise multiplier",
            "steps",
            "test accuracy %",
            "cost (points)",
        ],
        alone_rows,
    )
    fusion = (
        f"\nIn rounds: {args.contributors} contributors (at least {shard} examples each), IID, "
        f"every one training with DP every round, fused by {DEFAULT_FUSION}:\n\n"
    )
    in_rounds = markdown(
        [
            "epsilon per round",
            f"epsilon over {rounds} rounds",
            *(f"r{r}" for r in range(1, rounds + 1)),
            "cost at the last round (points)",
        ],
        round_rows,
    )
    origin = (
        f"the initial model trained {10 if args.quick else args.warm_start} steps on the "
        "initiator's validation set "
        f"({percent(accuracy_bps(start.module, setup.test))}% on test)"
        if args.warm_start
        else "the untrained initial model"
    )
    alone = (
        f"Alone, from {origin}, batch {alone_training.batch_size}, lr {alone_training.lr}:\n\n"
        + alone
    )
    return intro + alone + (fusion + in_rounds if rounds else "")


def _round_training(recipe: DatasetRecipe, epsilon: float, quick: bool) -> TrainConfig:
    """The dataset's round without privacy, or its measured DP round at `epsilon`."""
    config = recipe.training if math.isinf(epsilon) else _config(recipe.private_training, epsilon)
    return replace(config, steps=5) if quick else config


def _row(
    size: int,
    target: float,
    spent: PrivacySpent | None,
    accuracy: int,
    plain: int | None,
    steps: int,
) -> list[object]:
    return [
        size,
        _epsilon(target),
        _epsilon(spent.epsilon) if spent else "inf",
        f"{spent.noise_multiplier:.2f}" if spent else "0",
        steps,
        percent(accuracy),
        f"{(accuracy - plain) / 100:+.1f}" if plain is not None else "n/a",
    ]


def _epsilon(value: float) -> str:
    return "inf (no DP)" if math.isinf(value) else f"{value:.2f}"
