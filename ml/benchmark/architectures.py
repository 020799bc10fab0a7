"""Architectures: each dataset's models trained centrally on all its training data.

Shows where depth matters: on digits every model does well; on MNIST-1D the published order
(logistic near 32%, MLP near 68%, CNN near 94% with 4,000 training examples) should hold.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from dataclasses import replace

from tqdm import tqdm

from ml.benchmark.common import commit, markdown, prepare
from ml.evaluate import correct_predictions
from ml.modelfile import encode_model
from ml.models import Model, build_model
from ml.stats import accuracy_interval
from ml.train import set_seed, train


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `architectures` command's options."""
    parser.add_argument("--datasets", default="digits,mnist1d")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--steps", type=int, help="training steps (default: each dataset's central)"
    )


def main(args: argparse.Namespace) -> str:
    """Run, and return the table (with the commit it was measured at)."""
    measured_at = commit()  # before the run: the code that ran
    datasets = [name for name in args.datasets.split(",") if name]
    rows = []
    with tqdm(total=3 * len(datasets), desc="architectures", file=sys.stderr) as bar:
        for dataset in datasets:
            setup = prepare(dataset, 1, "iid", args.seed)
            config = setup.recipe.central_training
            if args.quick or args.steps:
                config = replace(config, steps=50 if args.quick else args.steps)
            for name, architecture in setup.recipe.architectures.items():
                set_seed(args.seed)
                model = Model(build_model(copy.deepcopy(dict(architecture))), architecture)
                started = time.process_time()
                train(model.module, setup.train, config, progress=False)
                seconds = time.process_time() - started
                interval = accuracy_interval(correct_predictions(model.module, setup.test))
                parameters = sum(p.numel() for p in model.module.parameters())
                size = len(encode_model(model.module, architecture))
                rows.append(
                    [
                        dataset,
                        name,
                        architecture["name"],
                        parameters,
                        f"{size / 1000:.1f}",
                        len(setup.train),
                        len(setup.test),
                        config.steps,
                        f"{interval.estimate:.1f} [{interval.low:.1f}, {interval.high:.1f}]",
                        f"{seconds:.1f}",
                    ]
                )
                bar.update()
    header = [
        "dataset",
        "model",
        "architecture",
        "parameters",
        "file KB",
        "train examples",
        "test examples",
        "steps",
        "test accuracy % [95% CI]",
        "CPU s (1 thread)",
    ]
    return f"Measured at commit {measured_at}, seed {args.seed}.\n\n" + markdown(
        header, rows, "lll"
    )
