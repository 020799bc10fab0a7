"""Poisoning attacks: what each does to a contributor's data or model, and its success rate."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from ml import Dataset, Model
from ml.attacks import (
    ATTACKS,
    Attack,
    AttackError,
    attack_success_bps,
    corner_trigger,
    poison,
    scale_update,
    stamp,
)

TRIGGER = (1.0, 0.0, 1.0, 0.0)


def _data(n: int = 200) -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset(rng.random((n, 1, 8, 8)).astype(np.float32), np.arange(n) % 10, 10)


def test_poison__label_flip__every_label_changes():
    data = _data()

    poisoned = poison(data, Attack("label_flip"), seed=1)

    assert (poisoned.y != data.y).all()
    np.testing.assert_array_equal(poisoned.x, data.x)


def test_poison__partial_flip__only_the_chosen_share_changes():
    data = _data(2000)

    poisoned = poison(data, Attack("partial_flip", fraction=0.3), seed=1)

    changed = poisoned.y != data.y
    assert abs(changed.mean() - 0.3) < 0.03
    # the chosen examples are the seed's: the same seed, the same ones
    np.testing.assert_array_equal(
        poison(data, Attack("partial_flip", fraction=0.3), seed=1).y, poisoned.y
    )


def test_poison__targeted_flip__source_becomes_target_and_nothing_else_changes():
    data = _data()

    poisoned = poison(data, Attack("targeted_flip", source=3, target=8), seed=0)

    np.testing.assert_array_equal(poisoned.y, np.where(data.y == 3, 8, data.y))


@pytest.mark.parametrize("kind", ["backdoor", "scaled_backdoor"])
def test_poison__backdoor__stamped_examples_relabelled_as_target(kind):
    data = _data(1000)

    poisoned = poison(data, Attack(kind, fraction=0.2, target=8, trigger=TRIGGER), seed=2)

    flat, original = poisoned.x.reshape(1000, -1), data.x.reshape(1000, -1)
    stamped = (flat[:, -4:] == np.array(TRIGGER, dtype=np.float32)).all(axis=1)
    assert abs(stamped.mean() - 0.2) < 0.04
    assert (poisoned.y[stamped] == 8).all()
    np.testing.assert_array_equal(poisoned.y[~stamped], data.y[~stamped])
    np.testing.assert_array_equal(flat[~stamped], original[~stamped])
    np.testing.assert_array_equal(flat[stamped, :-4], original[stamped, :-4])


def test_stamp__writes_the_trigger_over_the_last_features():
    x = np.zeros((2, 1, 2, 3), dtype=np.float32)

    stamped = stamp(x, (5.0, 6.0))

    assert stamped.shape == x.shape
    np.testing.assert_array_equal(stamped.reshape(2, 6), [[0, 0, 0, 0, 5, 6]] * 2)
    assert (x == 0).all()  # a copy


def test_corner_trigger__extremes_of_the_data_alternating():
    data = Dataset(np.array([[[-2.0, 0.5, 3.0]]], dtype=np.float32), np.array([0]), 2)

    assert corner_trigger(data, size=3) == (3.0, -2.0, 3.0)


def test_scale_update__initial_plus_factor_times_the_update():
    initial = Model(torch.nn.Linear(2, 1), {"name": "n/a"})
    trained = copy.deepcopy(initial)
    with torch.no_grad():
        initial.module.weight.copy_(torch.tensor([[1.0, 2.0]]))
        trained.module.weight.copy_(torch.tensor([[1.5, 1.0]]))
        initial.module.bias.fill_(0.0)
        trained.module.bias.fill_(1.0)

    scaled = scale_update(trained, initial, 4.0)

    assert torch.equal(scaled.module.weight, torch.tensor([[3.0, -2.0]]))
    assert torch.equal(scaled.module.bias, torch.tensor([4.0]))
    assert torch.equal(trained.module.weight, torch.tensor([[1.5, 1.0]]))  # input untouched


class _AlwaysEight(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.one_hot(torch.full((len(x),), 8), 10).float()


class _EightWhenTriggered(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        triggered = (x.reshape(len(x), -1)[:, -4:] == torch.tensor(TRIGGER)).all(dim=1)
        return torch.nn.functional.one_hot(torch.where(triggered, 8, 0), 10).float()


def test_attack_success_bps__backdoor__triggered_non_targets_classified_as_target():
    data = _data()  # 20 of its 200 examples are of class 8

    success = attack_success_bps(_EightWhenTriggered(), data, Attack("backdoor", trigger=TRIGGER))

    assert success == 10_000  # every one of the 180 others, once stamped


def test_attack_success_bps__targeted_flip__sources_classified_as_target():
    data = _data()

    assert attack_success_bps(_AlwaysEight(), data, Attack("targeted_flip")) == 10_000
    assert attack_success_bps(_EightWhenTriggered(), data, Attack("targeted_flip")) == 0


@pytest.mark.parametrize("kind", ["label_flip", "partial_flip"])
def test_attack_success_bps__untargeted__none(kind):
    assert attack_success_bps(_AlwaysEight(), _data(), Attack(kind)) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "evasion"}, "unknown attack 'evasion'"),
        ({"kind": "partial_flip", "fraction": 0}, r"fraction must lie in \(0, 1\]"),
        ({"kind": "targeted_flip", "source": 8}, "source and target must differ"),
        ({"kind": "backdoor"}, "needs a trigger"),
        ({"kind": "scaled_backdoor", "trigger": TRIGGER, "scale": 0.5}, "scale must be >= 1"),
    ],
)
def test_attack__bad_fields__refused(fields, message):
    with pytest.raises(AttackError, match=message):
        Attack(**fields)


def test_poison__class_outside_the_data__refused():
    with pytest.raises(AttackError, match="class 12 does not exist among 10"):
        poison(_data(), Attack("targeted_flip", source=3, target=12), seed=0)


def test_attacks__all_named():
    assert ATTACKS == ("label_flip", "partial_flip", "targeted_flip", "backdoor", "scaled_backdoor")
