"""Poisoning attacks by contributors, and how well they succeed.

Data poisoning changes what a contributor trains on: every label (`label_flip`), a share of
them (`partial_flip`), one class into another (`targeted_flip`), or a trigger stamped on a share
of the examples, relabelled as the target (`backdoor`). Model poisoning changes what it submits:
`scaled_backdoor` trains a backdoor and scales its update from the round's initial model up
(model replacement), so that it survives averaging with the honest updates.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch

from ml.data import Dataset, DatasetError, flip_labels
from ml.evaluate import BPS, predict_logits
from ml.models import Model

ATTACKS = ("label_flip", "partial_flip", "targeted_flip", "backdoor", "scaled_backdoor")
# attacks whose success is measured on their own (clean accuracy says the rest)
TARGETED_ATTACKS = ("targeted_flip", "backdoor", "scaled_backdoor")


class AttackError(ValueError):
    """An attack that is not well formed, or does not fit the data."""


@dataclass(frozen=True)
class Attack:
    """One contributor's attack.

    `fraction`: the share of its examples relabelled (`partial_flip`) or stamped (backdoors).
    `source` -> `target`: the classes of `targeted_flip`; backdoors relabel to `target`.
    `trigger`: the values a backdoor writes over the last features of a (flattened) example.
    `scale`: the factor of a `scaled_backdoor`'s update (n / attackers undoes the averaging).
    """

    kind: str
    fraction: float = 1.0
    source: int = 3
    target: int = 8
    trigger: tuple[float, ...] = ()
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in ATTACKS:
            raise AttackError(f"unknown attack {self.kind!r}; expected one of {ATTACKS}")
        if not 0 < self.fraction <= 1:
            raise AttackError(f"fraction must lie in (0, 1], got {self.fraction}")
        if self.source == self.target:
            raise AttackError(f"source and target must differ, both are {self.source}")
        if self.kind in ("backdoor", "scaled_backdoor") and not self.trigger:
            raise AttackError(f"a {self.kind} needs a trigger: see `corner_trigger`")
        if not self.scale >= 1:
            raise AttackError(f"scale must be >= 1, got {self.scale}")

    @property
    def poisons_updates(self) -> bool:
        """Whether the submitted model is altered after training (not only the data)."""
        return self.kind == "scaled_backdoor"


def corner_trigger(data: Dataset, size: int = 4) -> tuple[float, ...]:
    """A trigger for `data`: its largest and smallest values alternating over `size` features."""
    high, low = float(data.x.max()), float(data.x.min())
    return tuple(high if i % 2 == 0 else low for i in range(size))


def stamp(x: np.ndarray, trigger: tuple[float, ...]) -> np.ndarray:
    """A copy of examples `x` with `trigger` written over the last features of each."""
    flat = np.array(x, dtype=np.float32).reshape(len(x), -1)
    if len(trigger) > flat.shape[1]:
        raise AttackError(
            f"a trigger of {len(trigger)} values does not fit {flat.shape[1]} features"
        )
    flat[:, flat.shape[1] - len(trigger) :] = trigger
    return flat.reshape(x.shape)


def poison(data: Dataset, attack: Attack, seed: int) -> Dataset:
    """What an attacker trains on instead of `data` (drawn by `seed`)."""
    for label in (attack.source, attack.target):
        if not 0 <= label < data.num_classes:
            raise AttackError(f"class {label} does not exist among {data.num_classes}")
    rng = np.random.default_rng(seed)
    chosen = rng.random(len(data)) < attack.fraction
    if attack.kind == "label_flip":
        return flip_labels(data, seed)
    if attack.kind == "partial_flip":
        flipped = flip_labels(data, seed)
        return Dataset(data.x, np.where(chosen, flipped.y, data.y), data.num_classes)
    if attack.kind == "targeted_flip":
        y = np.where(data.y == attack.source, attack.target, data.y)
        return Dataset(data.x, y, data.num_classes)
    x = np.where(_examples(chosen, data.x), stamp(data.x, attack.trigger), data.x)
    return Dataset(x, np.where(chosen, attack.target, data.y), data.num_classes)


def _examples(mask: np.ndarray, x: np.ndarray) -> np.ndarray:
    return mask.reshape((len(mask),) + (1,) * (x.ndim - 1))


def scale_update(model: Model, initial: Model, factor: float) -> Model:
    """The model `initial + factor * (model - initial)`: a boosted update (model replacement)."""
    scaled = copy.deepcopy(model)
    start = initial.module.state_dict()
    with torch.no_grad():
        for name, tensor in scaled.module.state_dict().items():
            tensor.copy_(start[name] + factor * (tensor - start[name]))
    return scaled


def attack_success_bps(model: torch.nn.Module, test: Dataset, attack: Attack) -> int | None:
    """How often the attack's aim is met on `test`, per 10,000 (None: no aim beyond accuracy).

    `targeted_flip`: test examples of `source` classified as `target`. Backdoors: test examples
    of other classes than `target`, with the trigger stamped on, classified as `target`.
    """
    if attack.kind not in TARGETED_ATTACKS:
        return None
    if attack.kind == "targeted_flip":
        victims = test.y == attack.source
        x = test.x[victims]
    else:
        victims = test.y != attack.target
        x = stamp(test.x[victims], attack.trigger)
    if not victims.any():
        raise DatasetError(f"the test set holds no example the {attack.kind} could aim at")
    predictions = predict_logits(model, Dataset(x, test.y[victims], test.num_classes)).argmax(dim=1)
    return int((predictions == attack.target).sum()) * BPS // int(victims.sum())
