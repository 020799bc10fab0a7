"""Seeded, deterministic training of a classifier on one contributor's data."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ml.data import Dataset
from ml.evaluate import BPS


@dataclass(frozen=True)
class TrainConfig:
    """How to train; the defaults suit the digits demo."""

    epochs: int = 20  # passes over the dataset
    batch_size: int = 32  # examples per optimiser step
    lr: float = 0.05  # SGD learning rate
    momentum: float = 0.9  # SGD momentum
    weight_decay: float = 0.0  # L2 penalty applied by the optimiser
    seed: int = 0  # fixes the shuffling and any randomness inside the model

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "seed"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or value < (0 if name == "seed" else 1)
            ):
                raise ValueError(
                    f"{name} must be an integer >= {0 if name == 'seed' else 1}, got {value!r}"
                )
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


@dataclass(frozen=True)
class EpochMetrics:
    """What one epoch of training measured."""

    epoch: int
    loss: float  # mean cross-entropy over the epoch's examples
    accuracy_bps: int  # accuracy on the examples as they were trained on


@dataclass(frozen=True)
class TrainResult:
    """The trained model (the same object that was passed in) and its per-epoch metrics."""

    model: nn.Module
    history: list[EpochMetrics]


class GradientTransform(Protocol):
    """Rewrites the gradients in place after each backward pass, before the optimiser step.

    The hook for differential privacy (clip, then add noise); without one, gradients stay as is.
    """

    def __call__(self, model: nn.Module) -> None: ...


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
    gradient_transform: GradientTransform | None = None,
) -> TrainResult:
    """Train `model` in place by SGD on cross-entropy, all RNGs seeded from `config.seed`.

    Deterministic on CPU: the same model, data and config give bitwise the same weights.
    """
    set_seed(config.seed)
    x, y = torch.tensor(dataset.x), torch.tensor(dataset.y)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
    )
    history = []
    epochs = tqdm(
        range(1, config.epochs + 1), desc="train", unit="epoch", disable=not progress, leave=False
    )
    for epoch in epochs:
        history.append(
            _train_epoch(model, x, y, optimizer, config.batch_size, epoch, gradient_transform)
        )
        epochs.set_postfix(loss=f"{history[-1].loss:.4f}")
    return TrainResult(model, history)


def _train_epoch(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    batch_size: int,
    epoch: int,
    gradient_transform: GradientTransform | None,
) -> EpochMetrics:
    model.train()
    total_loss, correct = 0.0, 0
    for batch in torch.randperm(len(y)).split(batch_size):
        optimizer.zero_grad()
        output = model(x[batch])
        loss = nn.functional.cross_entropy(output, y[batch])
        loss.backward()
        if gradient_transform is not None:
            gradient_transform(model)
        optimizer.step()
        total_loss += loss.item() * len(batch)
        correct += int((output.argmax(dim=1) == y[batch]).sum())
    return EpochMetrics(epoch, total_loss / len(y), correct * BPS // len(y))
