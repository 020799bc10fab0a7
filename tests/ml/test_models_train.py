"""Model registry, seeded training and accuracy in basis points."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ml import (
    ArchitectureError,
    Dataset,
    TrainConfig,
    accuracy_bps,
    architecture_names,
    build_model,
    predict_logits,
    register_architecture,
    set_seed,
    train,
)

CNN = {"name": "cnn", "input_shape": [1, 8, 8], "num_classes": 10, "channels": [4, 8]}
LOGISTIC = {"name": "logistic", "input_shape": [1, 8, 8], "num_classes": 10}
MLP = {"name": "mlp", "input_shape": [1, 8, 8], "num_classes": 10, "hidden_sizes": [32]}


def _weights(module: nn.Module) -> dict[str, torch.Tensor]:
    return {name: t.detach().clone() for name, t in module.state_dict().items()}


def test_architecture_names__built_in():
    assert {"logistic", "mlp", "cnn", "ensemble", "stacked"} <= set(architecture_names())


@pytest.mark.parametrize("architecture", [LOGISTIC, MLP, CNN], ids=lambda a: a["name"])
def test_build_model__maps_a_batch_to_class_logits(architecture):
    module = build_model(architecture)

    assert module(torch.zeros(5, 1, 8, 8)).shape == (5, 10)


@pytest.mark.parametrize(
    ("architecture", "message"),
    [
        ({"name": "resnet"}, "unknown architecture 'resnet'"),
        ({"input_shape": [4], "num_classes": 2}, "unknown architecture None"),
        ({**MLP, "hidden_sizes": [0]}, "hidden_sizes must hold positive integers"),
        ({**MLP, "hidden_sizes": 64}, "hidden_sizes must be a list"),
        ({**MLP, "num_classes": 1}, "num_classes must be an integer >= 2"),
        ({**LOGISTIC, "input_shape": []}, "input_shape must be a list of at least 1"),
        ({**CNN, "input_shape": [64]}, r"cnn needs input_shape \[channels, height, width\]"),
        ({**CNN, "channels": [4, 8, 16, 32]}, "4 pooling blocks need height and width >= 16"),
        (
            {"name": "mlp", "input_shape": [4], "num_classes": 2},
            "missing a required argument: 'hidden_sizes'",
        ),
        ({**LOGISTIC, "bias": False}, "unexpected keyword argument 'bias'"),
        ({"name": "ensemble", "members": [], "weights": []}, "members must be a non-empty list"),
        (
            {
                "name": "ensemble",
                "members": [LOGISTIC, {**LOGISTIC, "num_classes": 3}],
                "weights": [1, 1],
            },
            "members disagree",
        ),
        ({"name": "ensemble", "members": [LOGISTIC], "weights": [0]}, "positive sum"),
        (
            {"name": "ensemble", "members": [LOGISTIC], "weights": [1, 2]},
            "weights must be a list of 1 numbers",
        ),
    ],
)
def test_build_model__bad_architecture__refused(architecture, message):
    with pytest.raises(ArchitectureError, match=message):
        build_model(architecture)


def test_build_model__nesting_too_deep__refused():
    architecture = LOGISTIC
    for _ in range(6):
        architecture = {"name": "ensemble", "members": [architecture], "weights": [1]}

    with pytest.raises(ArchitectureError, match="nest at most 4 deep"):
        build_model(architecture)


@register_architecture("test_two_layer")
def _two_layer(input_shape: list[int], num_classes: int, width: int) -> nn.Module:
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(int(np.prod(input_shape)), width),
        nn.Tanh(),
        nn.Linear(width, num_classes),
    )


def test_register_architecture__bring_your_own__built_by_name():
    module = build_model(
        {"name": "test_two_layer", "input_shape": [1, 8, 8], "num_classes": 10, "width": 7}
    )

    assert module(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    with pytest.raises(ValueError, match="already registered"):
        register_architecture("test_two_layer")(_two_layer)


def test_train__mlp_on_digits__far_above_chance(trained_mlp, digits_split):
    assert accuracy_bps(trained_mlp.module, digits_split[2]) > 9000  # chance is 1000


@pytest.mark.parametrize("architecture", [LOGISTIC, CNN], ids=lambda a: a["name"])
def test_train__other_architectures__above_chance(architecture, digits_split):
    train_set, _, test_set = digits_split
    set_seed(0)
    module = build_model(architecture)

    train(module, train_set, TrainConfig(epochs=3), progress=False)

    assert accuracy_bps(module, test_set) > 8000


def test_train__same_seed__bitwise_identical_weights_other_seed_differs(digits_split):
    runs = []
    for seed in (1, 1, 2):
        set_seed(0)
        module = build_model(CNN)
        train(module, digits_split[1], TrainConfig(epochs=2, seed=seed), progress=False)
        runs.append(_weights(module))

    assert all(torch.equal(runs[0][name], runs[1][name]) for name in runs[0])
    assert not all(torch.equal(runs[0][name], runs[2][name]) for name in runs[0])


def test_train__history__one_entry_per_epoch_loss_falls(digits_split):
    set_seed(0)
    module = build_model(MLP)

    result = train(module, digits_split[1], TrainConfig(epochs=4), progress=False)

    assert result.model is module
    assert [m.epoch for m in result.history] == [1, 2, 3, 4]
    assert result.history[-1].loss < result.history[0].loss
    assert result.history[-1].accuracy_bps > result.history[0].accuracy_bps


@pytest.mark.parametrize(
    ("config", "steps", "passes"),
    [
        (TrainConfig(steps=7, batch_size=50), 7, 2),  # 180 examples: 4 batches a pass
        (TrainConfig(steps=1, epochs=2, batch_size=50), 8, 2),  # epochs, when given, win
    ],
)
def test_train__takes_exactly_the_configured_steps(digits_split, config, steps, passes):
    set_seed(0)

    result = train(build_model(MLP), digits_split[1], config, progress=False)

    assert result.steps == config.total_steps(len(digits_split[1])) == steps
    assert [m.epoch for m in result.history] == list(range(1, passes + 1))
    assert result.privacy is None


def test_train__progress_bar__on_stderr_only_when_asked(digits_split, capsys):
    for progress in (False, True):
        train(build_model(LOGISTIC), digits_split[1], TrainConfig(epochs=1), progress=progress)
        assert ("train" in capsys.readouterr().err) is progress


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": 0}, "epochs"),
        ({"steps": 0}, "steps must be an integer >= 1"),
        ({"privacy": {"target_epsilon": 3}}, "privacy must be a PrivacyConfig"),
        ({"batch_size": 1.5}, "batch_size"),
        ({"lr": 0.0}, "lr must be > 0"),
        ({"momentum": float("nan")}, "momentum"),
        ({"seed": -1}, "seed"),
    ],
)
def test_train_config__bad_value__refused(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


class _Fixed(nn.Module):
    """Always predicts class 1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tensor([[0.0, 1.0, 0.0]]).repeat(len(x), 1)


def test_accuracy_bps__floor_of_correct_per_ten_thousand():
    dataset = Dataset(np.zeros((3, 2)), np.array([1, 1, 0]), 3)

    assert accuracy_bps(_Fixed(), dataset) == 6666


def test_predict_logits__eval_mode_without_autograd(trained_mlp, digits_split):
    trained_mlp.module.train()

    logits = predict_logits(trained_mlp.module, digits_split[1])

    assert not trained_mlp.module.training
    assert (logits.shape, logits.requires_grad) == ((180, 10), False)
