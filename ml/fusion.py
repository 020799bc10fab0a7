"""Fusing contributors' models into one: parameter-level (same architecture) and output-level (any).

The aggregate_* functions are pure, over lists of numpy arrays (one list per model, as Flower);
`fuse_models` applies a strategy, by name, to whole models. Fusion never fails a round over one
bad model: a model the strategy cannot take (unpaid, another architecture, wrong tensors) is left
out with a reason, and the result says which models were fused.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import cast

import numpy as np
import torch

from ml.data import Dataset
from ml.distill import DistillConfig, distill
from ml.models import (
    Architecture,
    ArchitectureError,
    Model,
    Stacked,
    architecture_json,
    expected_tensors,
    io_signature,
    load_module,
)
from ml.train import TrainConfig, train

NDArrays = list[np.ndarray]

PARAMETER_STRATEGIES = ("average", "median", "trimmed_mean", "krum")
OUTPUT_STRATEGIES = ("ensemble", "stacking")
# the composite architectures that output strategies build
OUTPUT_STRATEGY_ARCHITECTURES = ("ensemble", "stacked")
STRATEGIES = PARAMETER_STRATEGIES + OUTPUT_STRATEGIES

# training of the stacking fusion layer on the initiator's (small) validation set
STACKING_CONFIG = TrainConfig(steps=200, batch_size=32, lr=0.002)


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


def krum_selection(results: list[NDArrays], num_byzantine: int, num_selected: int) -> list[int]:
    """Multi-Krum's choice: the indices of the num_selected models with the lowest Krum scores, ascending."""
    return sorted(int(i) for i in np.argsort(krum_scores(results, num_byzantine), kind="stable")[:num_selected])


def aggregate_krum(results: list[NDArrays], num_byzantine: int, num_selected: int) -> NDArrays:
    """Multi-Krum: the plain average of the num_selected models with the lowest Krum scores."""
    chosen = krum_selection(results, num_byzantine, num_selected)
    return aggregate_weighted([(results[i], 1.0) for i in chosen])


def clip_updates(updates: list[NDArrays]) -> list[NDArrays]:
    """Each update (float64 layers) scaled down to at most the median of their L2 norms.

    A model-replacement attacker scales its update up so that it survives averaging; clipped to
    what a typical contributor moved, it weighs no more than one honest update.
    """
    norms = [
        float(np.sqrt(sum(float((layer.astype(np.float64) ** 2).sum()) for layer in update)))
        for update in updates
    ]
    bound = float(np.median(norms))
    return [
        update if norm <= bound else [layer * (bound / norm) for layer in update]
        for update, norm in zip(updates, norms)
    ]


@dataclass(frozen=True)
class FusionSettings:
    """The knobs of the strategies; each strategy reads only its own."""

    trim_fraction: float = 0.2  # trimmed_mean: cut this share of values at each end
    num_byzantine: int = 0  # krum: f, capped at (n - 3) // 2 for the n models fused
    num_selected: int | None = None  # krum: m, default n - f
    clip_updates: bool = False  # parameter strategies, given `initial`: see `clip_updates`
    stacking: TrainConfig = STACKING_CONFIG  # stacking: the fusion layer's training
    distillation: DistillConfig | None = None  # output strategies: distil into the architecture

    def __post_init__(self) -> None:
        if not 0 <= self.trim_fraction < 0.5:
            raise FusionError(f"trim_fraction must lie in [0, 0.5), got {self.trim_fraction}")
        if self.num_byzantine < 0:
            raise FusionError(f"num_byzantine must be >= 0, got {self.num_byzantine}")
        if self.num_selected is not None and self.num_selected < 1:
            raise FusionError(f"num_selected must be >= 1, got {self.num_selected}")


@dataclass(frozen=True)
class Exclusion:
    """A model left out of the fusion: its index among the models given, and why."""

    index: int
    reason: str


class NothingToFuse(FusionError):
    """Every model was left out: `excluded` holds each one's reason."""

    def __init__(self, strategy: str, excluded: tuple[Exclusion, ...]) -> None:
        self.excluded = excluded
        reasons = "; ".join(f"model {e.index}: {e.reason}" for e in excluded)
        super().__init__(f"no model can be fused by {strategy!r}: {reasons}")


@dataclass(frozen=True)
class FusionResult:
    """The fused model, which of the given models went into it, and why the others did not."""

    model: Model
    fused: tuple[int, ...]  # indices into the models given, ascending
    excluded: tuple[Exclusion, ...]  # the others, ascending by index
    teacher: Model | None = None  # output strategies with distillation: the model distilled


def fuse_models(
    strategy: str,
    models: Sequence[Model],
    weights: Sequence[float],
    *,
    architecture: Architecture | None = None,
    initial: Model | None = None,
    validation: Dataset | None = None,
    settings: FusionSettings = FusionSettings(),
    progress: bool = False,
) -> FusionResult:
    """Fuse `models` by `strategy` (one of STRATEGIES); the inputs stay untouched.

    `weights` are what the market paid (score above the baseline): a model of weight 0 is left
    out. `architecture` is the task's; without it, the paid model of the largest weight sets it.
    Parameter strategies take the models of exactly that architecture, output strategies those
    of its input shape and classes; the others are excluded with a reason. `average`,
    `ensemble` and `stacking` weigh models by `weights`; `median`, `trimmed_mean` and `krum`
    treat them alike. Given `initial` (the round's starting model), parameter strategies fuse
    the updates from it, clipped first if `settings.clip_updates`. `stacking` trains its layer on
    `validation`; with `settings.distillation`, output strategies distil the fused model into
    `architecture` on `validation`'s inputs, starting from `initial`, so that it can seed the
    next round at constant size.

    Raises `FusionError` for bad arguments, and `NothingToFuse` (a `FusionError` that holds every
    exclusion) when no model can be fused.
    """
    if strategy not in STRATEGIES:
        raise FusionError(f"unknown fusion strategy {strategy!r}; expected one of {STRATEGIES}")
    _check_weights(models, weights)
    paid = [i for i, w in enumerate(weights) if w > 0]
    reference = architecture if architecture is not None else _heaviest(models, weights, paid)
    excluded = {i: "not paid (weight 0)" for i in range(len(models)) if i not in paid}
    for i in paid:
        problem = _problem(strategy, models[i], reference)
        if problem is not None:
            excluded[i] = problem
    kept = [i for i in paid if i not in excluded]
    exclusions = tuple(Exclusion(i, excluded[i]) for i in sorted(excluded))
    if not kept:
        raise NothingToFuse(strategy, exclusions)
    chosen = [models[i] for i in kept]
    chosen_weights = [float(weights[i]) for i in kept]
    if strategy in PARAMETER_STRATEGIES:
        if initial is not None and _problem(strategy, initial, reference) is not None:
            raise FusionError(
                f"the initial model does not fit: {_problem(strategy, initial, reference)}"
            )
        fused, selected, why = _fuse_parameters(
            strategy, chosen, chosen_weights, reference, initial, settings
        )
        dropped = tuple(Exclusion(kept[p], why) for p in range(len(kept)) if p not in selected)
        return FusionResult(
            fused,
            tuple(kept[p] for p in selected),
            tuple(sorted(exclusions + dropped, key=lambda e: e.index)),
        )
    if strategy == "ensemble":
        teacher = _ensemble(chosen, chosen_weights)
    else:
        teacher = _stacking(chosen, chosen_weights, validation, settings.stacking, progress)
    if settings.distillation is None:
        return FusionResult(teacher, tuple(kept), exclusions)
    student = _student(reference, initial, validation)
    distill(teacher.module, student.module, validation, settings.distillation, progress=progress)
    return FusionResult(student, tuple(kept), exclusions, teacher)


def _check_weights(models: Sequence[Model], weights: Sequence[float]) -> None:
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


def _heaviest(models: Sequence[Model], weights: Sequence[float], paid: list[int]) -> Architecture:
    # the first of the largest weights: deterministic, and the market's favourite sets the task
    return models[max(paid, key=lambda i: (weights[i], -i))].architecture


def _problem(strategy: str, model: Model, reference: Architecture) -> str | None:
    """Why `strategy` cannot take `model` when fusing towards `reference`; None if it can."""
    if strategy in PARAMETER_STRATEGIES:
        if architecture_json(model.architecture) != architecture_json(reference):
            return (
                f"architecture {architecture_json(model.architecture)}, "
                f"{strategy} fuses parameters of {architecture_json(reference)} only"
            )
    else:
        try:
            signature = io_signature(model.architecture)
        except (KeyError, IndexError, TypeError) as error:
            return f"architecture without input shape and classes: {error!r}"
        wanted = io_signature(reference)
        if signature != wanted:
            return (
                f"takes input shape {list(signature[0])} with {signature[1]} classes, "
                f"the task {list(wanted[0])} with {wanted[1]}"
            )
    return _tensor_problem(model)


def _tensor_problem(model: Model) -> str | None:
    try:
        expected = expected_tensors(model.architecture)
    except ArchitectureError as error:
        return f"architecture cannot be built: {error}"
    found = model.module.state_dict()
    if found.keys() != expected.keys():
        return f"tensors {sorted(found)} do not match its architecture's {sorted(expected)}"
    for name, tensor in found.items():
        shape, dtype = expected[name]
        if (tuple(tensor.shape), tensor.dtype) != (shape, dtype):
            return (
                f"tensor {name!r} is {tuple(tensor.shape)} {tensor.dtype}, "
                f"its architecture needs {shape} {dtype}"
            )
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            return f"tensor {name!r} holds NaN or infinite values"
    return None


def _arrays(model: Model) -> NDArrays:
    return [t.detach().cpu().numpy() for t in model.module.state_dict().values()]


def _fuse_parameters(
    strategy: str,
    models: list[Model],
    weights: list[float],
    architecture: Architecture,
    initial: Model | None,
    settings: FusionSettings,
) -> tuple[Model, list[int], str]:
    """The fused model, the positions of the models that went into it, and why the others did not
    (only Multi-Krum leaves models out here)."""
    dtypes = [t.dtype for t in _arrays(models[0])]
    selected, why = list(range(len(models))), ""
    start = [a.astype(np.float64) for a in _arrays(initial)] if initial is not None else None
    results = [[a.astype(np.float64) for a in _arrays(m)] for m in models]
    if start is not None:
        results = [[layer - base for layer, base in zip(r, start)] for r in results]
        if settings.clip_updates:
            results = clip_updates(results)
    if strategy == "average":
        fused = aggregate_weighted(list(zip(results, weights)))
    elif strategy == "median":
        fused = aggregate_median(results)
    elif strategy == "trimmed_mean":
        fused = aggregate_trimmed_mean(results, settings.trim_fraction)
    else:
        byzantine = min(settings.num_byzantine, max(0, (len(results) - 3) // 2))
        count = len(results) - byzantine if settings.num_selected is None else settings.num_selected
        if len(results) >= 3:  # Krum needs three models; with fewer, all are averaged
            count = min(count, len(results) - byzantine)
            selected = krum_selection(results, byzantine, count)
            why = (
                f"left out by Multi-Krum (f = {byzantine}), which keeps the {count} of "
                f"{len(results)} models nearest the others"
            )
        fused = aggregate_weighted([(results[i], 1.0) for i in selected])
    if start is not None:
        fused = [layer + base for layer, base in zip(fused, start)]
    names = models[0].module.state_dict().keys()
    tensors = {n: torch.from_numpy(a.astype(d)) for n, a, d in zip(names, fused, dtypes)}
    return Model(load_module(architecture, tensors), architecture), selected, why


def _ensemble(models: list[Model], weights: list[float]) -> Model:
    architecture = {
        "name": "ensemble",
        "members": [m.architecture for m in models],
        "weights": weights,
    }
    return Model(_load(architecture, _member_tensors(models)), architecture)


def _stacking(
    models: list[Model],
    weights: list[float],
    validation: Dataset | None,
    config: TrainConfig,
    progress: bool,
) -> Model:
    if validation is None:
        raise FusionError("stacking trains its fusion layer on validation data: pass validation=")
    members = [m.architecture for m in models]
    input_shape, num_classes = io_signature(members[0])
    _check_validation(validation, input_shape, num_classes)
    tensors = _member_tensors(models)
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


def _student(
    architecture: Architecture, initial: Model | None, validation: Dataset | None
) -> Model:
    if validation is None:
        raise FusionError("distillation trains on the validation data's inputs: pass validation=")
    if architecture.get("name") in OUTPUT_STRATEGY_ARCHITECTURES:
        raise FusionError(
            "distillation needs the task's own architecture to distil into, "
            f"got {architecture.get('name')!r}"
        )
    if initial is None or _problem("average", initial, architecture) is not None:
        raise FusionError(
            "distillation starts from the round's initial model of the task's architecture: "
            "pass initial="
        )
    _check_validation(validation, *io_signature(architecture))
    return copy.deepcopy(initial)


def _check_validation(validation: Dataset, input_shape: tuple[int, ...], num_classes: int) -> None:
    if (validation.input_shape, validation.num_classes) != (input_shape, num_classes):
        raise FusionError(
            f"validation data is {validation.input_shape} with {validation.num_classes} classes, "
            f"the models take {input_shape} with {num_classes} classes"
        )


def _member_tensors(models: list[Model]) -> dict[str, torch.Tensor]:
    return {
        f"members.{i}.{name}": t.detach().clone()
        for i, m in enumerate(models)
        for name, t in m.module.state_dict().items()
    }


def _load(architecture: Architecture, tensors: dict[str, torch.Tensor]) -> torch.nn.Module:
    try:
        return load_module(architecture, tensors)
    except ArchitectureError as error:
        raise FusionError(f"cannot combine these models' outputs: {error}") from error
