"""Scoring a model on a dataset, the way verifiers report it: accuracy in basis points."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ml.data import Dataset

BPS = 10_000


@torch.no_grad()
def predict_logits(model: nn.Module, dataset: Dataset, batch_size: int = 1024) -> torch.Tensor:
    """The model's outputs (n, num_classes) for every example, in evaluation mode."""
    model.eval()
    x = torch.tensor(dataset.x)
    return torch.cat([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def accuracy_bps(model: nn.Module, dataset: Dataset) -> int:
    """Correct predictions per 10,000 examples, rounded down (an integer in 0..10000)."""
    predictions = predict_logits(model, dataset).argmax(dim=1)
    correct = int((predictions == torch.tensor(dataset.y)).sum())
    return correct * BPS // len(dataset)


def correct_predictions(model: nn.Module, dataset: Dataset) -> np.ndarray:
    """Whether the model classifies each example right: booleans, one per example."""
    predictions = predict_logits(model, dataset).argmax(dim=1).numpy()
    return predictions == dataset.y
