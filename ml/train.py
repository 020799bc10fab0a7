"""Seeded, deterministic training of a classifier on one contributor's data, optionally with DP."""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ml.data import Dataset
from ml.evaluate import BPS
from ml.privacy import PrivacyConfig, PrivacySpent, dp_sgd, epsilon_spent

# SGD steps of one contributor in one round: the digits recipe's, chosen by measurement (see
# docs/ml.md, "Choosing the steps per round"); every dataset's recipe carries its own
DEFAULT_STEPS = 100


@dataclass(frozen=True)
class TrainConfig:
    """How one contributor trains in one round: a number of SGD steps, not of epochs.

    A number of steps costs the same whatever the shard's size, and gives a small shard as many
    updates as a large one (epochs of a 100-example shard are a handful of steps each).
    """

    steps: int = DEFAULT_STEPS  # optimiser steps (batches) of this training
    batch_size: int = 32  # examples per step (with privacy: the expected size of a Poisson batch)
    lr: float = 0.05  # SGD learning rate
    momentum: float = 0.9  # SGD momentum
    weight_decay: float = 0.0  # L2 penalty applied by the optimiser
    seed: int = 0  # fixes the batches, the DP noise and any randomness inside the model
    epochs: int | None = None  # instead of steps: this many passes over the data
    privacy: PrivacyConfig | None = None  # DP-SGD (clip, noise, account) when set

    def __post_init__(self) -> None:
        for name, minimum in (("steps", 1), ("batch_size", 1), ("seed", 0)):
            _check_int(name, getattr(self, name), minimum)
        if self.epochs is not None:
            _check_int("epochs", self.epochs, 1)
        for name in ("lr", "momentum", "weight_decay"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 <= value < float("inf")
            ):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.privacy is not None and not isinstance(self.privacy, PrivacyConfig):
            raise ValueError(f"privacy must be a PrivacyConfig, got {type(self.privacy).__name__}")

    def total_steps(self, examples: int) -> int:
        """The optimiser steps this config takes on `examples` examples."""
        if self.epochs is None:
            return self.steps
        return self.epochs * math.ceil(examples / self.batch_size)


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


@dataclass(frozen=True)
class EpochMetrics:
    """What one pass over the data (or the last, partial one) measured."""

    epoch: int
    loss: float  # mean cross-entropy over the pass's examples
    accuracy_bps: int  # accuracy on the examples as they were trained on


@dataclass(frozen=True)
class TrainResult:
    """The trained model (the same object that was passed in), its metrics, its privacy spent."""

    model: nn.Module
    history: list[EpochMetrics]
    steps: int
    privacy: PrivacySpent | None = None  # with DP: noise, sampling and this training's epsilon


def set_seed(seed: int) -> None:
    """Seed Python's, numpy's and torch's global random generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(
    model: nn.Module,
    dataset: Dataset,
    config: TrainConfig = TrainConfig(),
    *,
    progress: bool = True,
) -> TrainResult:
    """Train `model` in place by SGD on cross-entropy, all RNGs seeded from `config.seed`.

    Deterministic on CPU: the same model, data and config give bitwise the same weights. With
    `config.privacy`, by DP-SGD (Opacus): Poisson-sampled batches, per-example clipping, Gaussian
    noise; the result says what it spent.
    """
    set_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    x, y = torch.tensor(dataset.x), torch.tensor(dataset.y)
    steps = config.total_steps(len(y))
    optimizer = torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
    )
    bar = tqdm(total=steps, desc="train", unit="step", disable=not progress, leave=False)
    with bar:
        if config.privacy is None:
            batches = _shuffled_batches(len(y), config.batch_size, steps, generator)
            history = _run(model, optimizer, x, y, batches, bar)
            return TrainResult(model, history, steps)
        with dp_sgd(
            model,
            optimizer,
            config.privacy,
            examples=len(y),
            batch_size=config.batch_size,
            steps=steps,
        ) as private:
            batches = _poisson_batches(len(y), private.sample_rate, steps, generator)
            history = _run(private.module, private.optimizer, x, y, batches, bar)
    spent = PrivacySpent(
        noise_multiplier=private.noise_multiplier,
        sample_rate=private.sample_rate,
        steps=steps,
        max_grad_norm=config.privacy.max_grad_norm,
        epsilon=0.0,
        delta=config.privacy.delta,
    )
    spent = dataclasses.replace(spent, epsilon=epsilon_spent([spent], config.privacy.delta))
    return TrainResult(model, history, steps, spent)


def _shuffled_batches(
    examples: int, batch_size: int, steps: int, generator: torch.Generator
) -> Iterator[tuple[int, torch.Tensor]]:
    """(pass, indices) of `steps` batches: passes over fresh permutations, the last cut short."""
    step, epoch = 0, 0
    while step < steps:
        epoch += 1
        for batch in torch.randperm(examples, generator=generator).split(batch_size):
            if step == steps:
                return
            yield epoch, batch
            step += 1


def _poisson_batches(
    examples: int, sample_rate: float, steps: int, generator: torch.Generator
) -> Iterator[tuple[int, torch.Tensor]]:
    """(pass, indices) of `steps` batches, each example in each with probability `sample_rate`."""
    per_pass = max(1, round(1 / sample_rate))
    for step in range(steps):
        chosen = torch.rand(examples, generator=generator) < sample_rate
        yield step // per_pass + 1, chosen.nonzero().flatten()


def _run(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    batches: Iterator[tuple[int, torch.Tensor]],
    bar: tqdm,
) -> list[EpochMetrics]:
    model.train()
    history: list[EpochMetrics] = []
    current, total_loss, correct, seen = 1, 0.0, 0, 0
    for epoch, batch in batches:
        if epoch != current and seen:
            history.append(EpochMetrics(current, total_loss / seen, correct * BPS // seen))
            bar.set_postfix(loss=f"{history[-1].loss:.4f}")
            total_loss, correct, seen = 0.0, 0, 0
        current = epoch
        optimizer.zero_grad()
        output = model(x[batch])
        loss = nn.functional.cross_entropy(output, y[batch]) if len(batch) else output.sum()
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(batch)
        correct += int((output.argmax(dim=1) == y[batch]).sum())
        seen += len(batch)
        bar.update()
    if seen:
        history.append(EpochMetrics(current, total_loss / seen, correct * BPS // seen))
    return history
