"""Fusing contributors' models into one: parameter-level (same architecture) and output-level (any).

The aggregate_* functions are pure, over lists of numpy arrays (one list per model, as Flower);
`fuse` applies a strategy, by name, to whole models.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import reduce
from typing import cast

import numpy as np
import torch

from ml.data import Dataset
from ml.models import (
    Architecture,
    ArchitectureError,
    Model,
    Stacked,
    architecture_json,
    io_signature,
    load_module,
)
from ml.train import TrainConfig, train

NDArrays = list[np.ndarray]

PARAMETER_STRATEGIES = ("average", "median", "trimmed_mean", "krum")
OUTPUT_STRATEGIES = ("ensemble", "stacking")
STRATEGIES = PARAMETER_STRATEGIES + OUTPUT_STRATEGIES

# training of the stacking fusion layer on the initiator's (small) validation set
STACKING_CONFIG = TrainConfig(epochs=20, batch_size=32, lr=0.002)


class FusionError(ValueError):
    """Models that a strategy cannot fuse, and why."""


# ---------------------------------------------------------------- pure aggregation over arrays


def aggregate_weighted(results: list[tuple[NDArrays, float]]) -> NDArrays:
    """Weighted average of each layer (computed in float64, returned in the layers' dtype)."""
    total = sum(weight for _, weight in results)
    weighted = [
        [layer.astype(np.float64) * weight for layer in layers] for layers, weight in results
    ]
    dtypes = [layer.dtype for layer in results[0][0]]
    return [
        (reduce(np.add, updates) / total).astype(dtype)
        for updates, dtype in zip(zip(*weighted), dtypes)
    ]


def aggregate_median(results: list[NDArrays]) -> NDArrays:
    """Coordinate-wise median of each layer."""
    return [np.median(np.stack(layers), axis=0).astype(layers[0].dtype) for layers in zip(*results)]


def aggregate_trimmed_mean(results: list[NDArrays], trim_fraction: float) -> NDArrays:
    """Coordinate-wise mean without the floor(trim_fraction * n) lowest and highest values."""
    cut = math.floor(trim_fraction * len(results))
    return [
        np.sort(np.stack(layers).astype(np.float64), axis=0)[cut : len(results) - cut]
        .mean(axis=0)
        .astype(layers[0].dtype)
        for layers in zip(*results)
    ]


def krum_scores(results: list[NDArrays], num_byzantine: int) -> np.ndarray:
    """Each model's Krum score: summed squared distance to its n - f - 2 nearest other models."""
    vectors = np.stack(
        [
            np.concatenate([layer.astype(np.float64).ravel() for layer in arrays])
            for arrays in results
        ]
    )
    squared = (vectors**2).sum(axis=1)
    distances = np.maximum(squared[:, None] + squared[None, :] - 2 * vectors @ vectors.T, 0.0)
    np.fill_diagonal(distances, np.inf)
    neighbours = len(results) - num_byzantine - 2
    return np.sort(distances, axis=1)[:, :neighbours].sum(axis=1)


def aggregate_krum(results: list[NDArrays], num_byzantine: int, num_selected: int) -> NDArrays:
    """Multi-Krum: the plain average of the num_selected models with the lowest Krum scores."""
    chosen = np.argsort(krum_scores(results, num_byzantine), kind="stable")[:num_selected]
    return aggregate_weighted([(results[i], 1.0) for i in sorted(chosen)])


# ---------------------------------------------------------------- whole models


def fuse(
    strategy: str,
    models: Sequence[Model],
    weights: Sequence[float],
    *,
    validation: Dataset | None = None,
    trim_fraction: float = 0.2,
    num_byzantine: int = 0,
    num_selected: int | None = None,
    stacking_config: TrainConfig = STACKING_CONFIG,
    progress: bool = False,
) -> Model:
    """Fuse `models` by `strategy` (one of STRATEGIES) into a new model; the inputs stay untouched.

    A model of weight 0 (paid nothing) is left out. `average`, `ensemble` and `stacking` weigh the
    rest by `weights`; the robust `median`, `trimmed_mean` and `krum` (Multi-Krum, tolerating
    `num_byzantine` poisoned models, averaging `num_selected`, default n - f) treat them alike.
    `stacking` trains a linear fusion layer on `validation`, starting from the weighted product
    of the members' probabilities.
    """
    if strategy not in STRATEGIES:
        raise FusionError(f"unknown fusion strategy {strategy!r}; expected one of {STRATEGIES}")
    kept, kept_weights = _paid(models, weights)
    if strategy in OUTPUT_STRATEGIES:
        return _fuse_outputs(strategy, kept, kept_weights, validation, stacking_config, progress)
    architecture = _common_architecture(strategy, kept)
    results = [[t.detach().cpu().numpy() for t in m.module.state_dict().values()] for m in kept]
    if strategy == "average":
        fused = aggregate_weighted(list(zip(results, kept_weights)))
    elif strategy == "median":
        fused = aggregate_median(results)
    elif strategy == "trimmed_mean":
        if not 0 <= trim_fraction < 0.5:
            raise FusionError(f"trim_fraction must lie in [0, 0.5), got {trim_fraction}")
        fused = aggregate_trimmed_mean(results, trim_fraction)
    else:
        fused = aggregate_krum(
            results, num_byzantine, _check_krum(len(results), num_byzantine, num_selected)
        )
    names = kept[0].module.state_dict().keys()
    return Model(
        load_module(architecture, {n: torch.from_numpy(a) for n, a in zip(names, fused)}),
        architecture,
    )


def _paid(models: Sequence[Model], weights: Sequence[float]) -> tuple[list[Model], list[float]]:
    if not models:
        raise FusionError("no models to fuse")
    if len(weights) != len(models):
        raise FusionError(f"{len(models)} models but {len(weights)} weights")
    if not all(math.isfinite(w) and w >= 0 for w in weights):
        raise FusionError(f"weights must be finite and non-negative, got {list(weights)}")
    if not sum(weights) > 0:
        raise FusionError(
            f"total weight must be positive, got {sum(weights)}: no model earned anything"
        )
    kept = [(m, float(w)) for m, w in zip(models, weights) if w > 0]
    return [m for m, _ in kept], [w for _, w in kept]


def _common_architecture(strategy: str, models: list[Model]) -> Architecture:
    texts = sorted({architecture_json(m.architecture) for m in models})
    if len(texts) > 1:
        raise FusionError(
            f"{strategy} fuses parameters, so every model needs the same architecture; "
            f"got {len(texts)}: {texts} "
            f"(use an output-level strategy: {OUTPUT_STRATEGIES})"
        )
    return models[0].architecture


def _check_krum(n: int, num_byzantine: int, num_selected: int | None) -> int:
    if num_byzantine < 0:
        raise FusionError(f"num_byzantine must be >= 0, got {num_byzantine}")
    if n < 2 * num_byzantine + 3:
        raise FusionError(
            f"krum with num_byzantine={num_byzantine} needs at least "
            f"{2 * num_byzantine + 3} models, got {n}"
        )
    selected = n - num_byzantine if num_selected is None else num_selected
    if not 1 <= selected <= n - num_byzantine:
        raise FusionError(f"num_selected must lie in [1, {n - num_byzantine}], got {selected}")
    return selected


def _fuse_outputs(
    strategy: str,
    models: list[Model],
    weights: list[float],
    validation: Dataset | None,
    config: TrainConfig,
    progress: bool,
) -> Model:
    members = [m.architecture for m in models]
    tensors = {
        f"members.{i}.{name}": t.detach().clone()
        for i, m in enumerate(models)
        for name, t in m.module.state_dict().items()
    }
    if strategy == "ensemble":
        architecture = {"name": "ensemble", "members": members, "weights": weights}
        return Model(_load(architecture, tensors), architecture)
    if validation is None:
        raise FusionError("stacking trains its fusion layer on validation data: pass validation=")
    input_shape, num_classes = io_signature(members[0])
    if (validation.input_shape, validation.num_classes) != (input_shape, num_classes):
        raise FusionError(
            f"validation data is {validation.input_shape} with {validation.num_classes} classes, "
            f"the models take {input_shape} with {num_classes} classes"
        )
    shares = torch.tensor(weights) / sum(weights)
    # start from the weighted product of experts: logits = sum_i share_i * log p_i
    tensors["combiner.weight"] = torch.cat([s * torch.eye(num_classes) for s in shares], dim=1)
    tensors["combiner.bias"] = torch.zeros(num_classes)
    architecture = {"name": "stacked", "members": members}
    module = cast(Stacked, _load(architecture, tensors))
    with torch.no_grad():
        module.eval()
        features = module.member_features(torch.tensor(validation.x)).numpy()
    train(module.combiner, Dataset(features, validation.y, num_classes), config, progress=progress)
    return Model(module, architecture)


def _load(architecture: Architecture, tensors: dict[str, torch.Tensor]) -> torch.nn.Module:
    try:
        return load_module(architecture, tensors)
    except ArchitectureError as error:
        raise FusionError(f"cannot combine these models' outputs: {error}") from error
