"""Rounds of the market without the chain: train, score, pay, fuse, start the next round from it.

What a simulation does over the chain, reduced to its learning: every round each contributor
trains the round's initial model on its shard (an attacker poisons its data or its update), the
models are scored on the initiator's validation set (standing in for the verifiers' test set),
paid `max(0, score - baseline)`, and fused; the fused model is the next round's initial model.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ml.attacks import Attack, attack_success_bps, poison, scale_update
from ml.data import Dataset
from ml.distill import DistillConfig
from ml.evaluate import accuracy_bps, correct_predictions
from ml.fusion import FusionSettings, fuse_models
from ml.models import Model
from ml.privacy import PrivacySpent
from ml.train import TrainConfig, train

# The fusions a multi-round task can use, by name: a strategy and its settings. Robust ones fuse
# the updates from the round's initial model, clipped to their median norm; output-level ones
# are distilled into the task's architecture on the initiator's validation inputs, so that the
# next round starts from a model of the same size.
FUSIONS: dict[str, tuple[str, FusionSettings]] = {
    "average": ("average", FusionSettings()),
    "average+clip": ("average", FusionSettings(clip_updates=True)),
    "median+clip": ("median", FusionSettings(clip_updates=True)),
    "trimmed_mean+clip": ("trimmed_mean", FusionSettings(clip_updates=True, trim_fraction=0.3)),
    "krum": ("krum", FusionSettings(num_byzantine=3)),
    "ensemble+distil": ("ensemble", FusionSettings(distillation=DistillConfig())),
    "stacking+distil": ("stacking", FusionSettings(distillation=DistillConfig())),
}
DEFAULT_FUSION = "krum"


@dataclass(frozen=True)
class RoundsConfig:
    """How every round trains, pays and fuses."""

    strategy: str  # a fusion strategy (ml.fusion.STRATEGIES)
    training: TrainConfig  # each contributor's training in a round (its seed is varied)
    settings: FusionSettings = FusionSettings()
    baseline_bps: int = 1000  # the score a model must beat to be paid (chance on ten classes)


@dataclass(frozen=True)
class RoundRecord:
    """What one round gave: the fused model's test accuracy, and the best single model's."""

    round: int
    model: Model  # the fused model: the next round's initial model
    fused_bps: int
    best_single_bps: int
    attack_success_bps: int | None  # of the fused model, for a targeted attack
    fused: tuple[int, ...]  # contributors whose models were fused
    fused_correct: np.ndarray  # per test example: did the fused model get it right
    best_correct: np.ndarray  # the same for the best single model
    training_seconds: float  # all contributors' training this round, on this machine
    privacy: tuple[PrivacySpent | None, ...]  # per contributor: what DP training spent, if used


def contributor_seed(seed: int, round_number: int, contributor: int) -> int:
    """The training seed of one contributor in one round: distinct for every pair."""
    return seed * 1_000_003 + round_number * 1_009 + contributor


def run_rounds(
    initial: Model,
    shards: Sequence[Dataset],
    validation: Dataset,
    test: Dataset,
    config: RoundsConfig,
    rounds: int,
    *,
    attacks: Mapping[int, Attack] | None = None,
    seed: int = 0,
    on_round: Callable[[RoundRecord], None] | None = None,
) -> list[RoundRecord]:
    """`rounds` rounds from `initial`; `attacks` maps a contributor's index to its attack."""
    attacks = attacks or {}
    targeted = next((a for a in attacks.values() if a.kind != "label_flip"), None)
    data = [poison(s, attacks[i], seed + i) if i in attacks else s for i, s in enumerate(shards)]
    current, records = initial, []
    for number in range(1, rounds + 1):
        started = time.process_time()
        models, spent = [], []
        for i, shard in enumerate(data):
            model = copy.deepcopy(current)
            local = replace(config.training, seed=contributor_seed(seed, number, i))
            spent.append(train(model.module, shard, local, progress=False).privacy)
            if i in attacks and attacks[i].poisons_updates:
                model = scale_update(model, current, attacks[i].scale)
            models.append(model)
        seconds = time.process_time() - started
        weights = [max(0, accuracy_bps(m.module, validation) - config.baseline_bps) for m in models]
        if sum(weights) == 0:  # nobody was paid: the round changes nothing
            fused_model, fused_indices = current, ()
        else:
            result = fuse_models(
                config.strategy,
                models,
                weights,
                architecture=current.architecture,
                initial=current,
                validation=validation,
                settings=config.settings,
            )
            fused_model, fused_indices = result.model, result.fused
        scores = [accuracy_bps(m.module, test) for m in models]
        best = int(np.argmax(scores))
        record = RoundRecord(
            round=number,
            model=fused_model,
            fused_bps=accuracy_bps(fused_model.module, test),
            best_single_bps=scores[best],
            attack_success_bps=attack_success_bps(fused_model.module, test, targeted)
            if targeted is not None
            else None,
            fused=fused_indices,
            fused_correct=correct_predictions(fused_model.module, test),
            best_correct=correct_predictions(models[best].module, test),
            training_seconds=seconds,
            privacy=tuple(spent),
        )
        records.append(record)
        if on_round is not None:
            on_round(record)
        current = fused_model
    return records
