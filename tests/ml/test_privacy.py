"""Differential privacy: DP-SGD training, its accounting, and the claim a model file records."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch

from ml import (
    SpecError,
    TaskSpec,
    TrainConfig,
    build_model,
    decode_model,
    encode_model,
    set_seed,
    train,
)
from ml.modelfile import PRIVACY_METADATA_KEY, ModelFileError
from ml.privacy import (
    RDP_ORDERS,
    PrivacyConfig,
    PrivacyError,
    PrivacyGuarantee,
    PrivacySpent,
    composed_guarantee,
    epsilon_spent,
)

MLP = {"name": "mlp", "input_shape": [1, 8, 8], "num_classes": 10, "hidden_sizes": [32]}
PRIVATE = TrainConfig(
    steps=30, batch_size=32, privacy=PrivacyConfig(target_epsilon=3.0, delta=1e-4)
)


def _private_training(data, config: TrainConfig = PRIVATE):
    set_seed(0)
    module = build_model(MLP)
    return module, train(module, data, config, progress=False)


def test_train__with_privacy__spends_at_most_the_target_epsilon(digits_split):
    train_set = digits_split[0]  # 1,257 examples

    _, result = _private_training(train_set)

    spent = result.privacy
    assert spent is not None
    assert spent.steps == 30 and spent.max_grad_norm == 1.0 and spent.delta == 1e-4
    assert spent.sample_rate == 32 / len(train_set)
    assert spent.noise_multiplier > 0
    assert 2.9 <= spent.epsilon <= 3.0  # the noise is searched to within 0.01 of the target
    assert spent.epsilon == epsilon_spent([spent], 1e-4)


def test_train__with_privacy__deterministic_and_the_model_plain_afterwards(digits_split):
    first, _ = _private_training(digits_split[0])
    second, _ = _private_training(digits_split[0])

    for name, tensor in first.state_dict().items():
        assert torch.equal(tensor, second.state_dict()[name])
    assert not any(hasattr(p, "grad_sample") for p in first.parameters())
    assert not first._forward_hooks and not any(m._forward_hooks for m in first.modules())
    encode_model(first, MLP)  # a plain module again


def test_train__with_privacy__noise_changes_the_weights(digits_split):
    private, _ = _private_training(digits_split[0])
    plain, _ = _private_training(digits_split[0], TrainConfig(steps=30, batch_size=32))

    assert not torch.equal(private.state_dict()["1.weight"], plain.state_dict()["1.weight"])


def test_epsilon_spent__full_batch_gaussian__the_closed_form():
    # q = 1: T steps of the Gaussian mechanism have RDP T * alpha / (2 sigma^2) at order alpha,
    # converted to (epsilon, delta) as Opacus does (Balle et al. 2020)
    sigma, steps, delta = 2.0, 10, 1e-5
    spent = PrivacySpent(sigma, 1.0, steps, 1.0, 0.0, delta)
    orders = np.array(RDP_ORDERS)
    rdp = steps * orders / (2 * sigma**2)
    expected = np.min(rdp + np.log1p(-1 / orders) - (np.log(delta) + np.log(orders)) / (orders - 1))

    assert epsilon_spent([spent], delta) == pytest.approx(expected, rel=1e-9)


def test_epsilon_spent__two_trainings_compose_as_one_of_twice_the_steps():
    one = PrivacySpent(1.1, 0.02, 500, 1.0, 0.0, 1e-5)
    twice = PrivacySpent(1.1, 0.02, 1000, 1.0, 0.0, 1e-5)

    composed = epsilon_spent([one, one], 1e-5)

    assert composed == pytest.approx(epsilon_spent([twice], 1e-5), rel=1e-12)
    assert epsilon_spent([one], 1e-5) < composed < 2 * epsilon_spent([one], 1e-5)
    assert composed_guarantee([one, one], 1e-5) == PrivacyGuarantee(composed, 1e-5)
    assert epsilon_spent([], 1e-5) == 0.0


def test_train__delta_not_below_one_over_the_examples__refused(digits_split):
    config = TrainConfig(steps=1, privacy=PrivacyConfig(target_epsilon=3.0, delta=0.01))

    with pytest.raises(PrivacyError, match=r"delta 0.01 is not below 1 / 100 examples"):
        train(build_model(MLP), digits_split[1].subset(np.arange(100)), config, progress=False)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"target_epsilon": 0}, "target_epsilon must be a finite number > 0"),
        ({"target_epsilon": math.inf}, "target_epsilon must be a finite number > 0"),
        ({"target_epsilon": 3, "delta": 1.0}, r"delta must lie in \(0, 1\)"),
        ({"target_epsilon": 3, "max_grad_norm": -1}, "max_grad_norm must be a finite number > 0"),
    ],
)
def test_privacy_config__bad_values__refused(fields, message):
    with pytest.raises(PrivacyError, match=message):
        PrivacyConfig(**fields)


def test_model_file__privacy_claim__recorded_and_read_back(trained_mlp):
    claim = PrivacyGuarantee(epsilon=2.96, delta=1e-5)

    data = encode_model(trained_mlp.module, trained_mlp.architecture, privacy=claim)

    assert decode_model(data).privacy == claim
    assert decode_model(encode_model(trained_mlp.module, trained_mlp.architecture)).privacy is None
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    assert header["__metadata__"][PRIVACY_METADATA_KEY] == '{"delta":1e-05,"epsilon":2.96}'


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        ("not json", "is not JSON"),
        ('{"epsilon": 3}', "exactly epsilon and delta"),
        ('{"epsilon": 3, "delta": 1e-5, "note": 1}', "exactly epsilon and delta"),
        ('{"epsilon": -1, "delta": 1e-5}', "epsilon must be a finite number >= 0"),
        ('{"epsilon": 3, "delta": 2}', r"delta must lie in \(0, 1\)"),
    ],
)
def test_model_file__malformed_privacy_claim__refused(trained_mlp, claim, message):
    from safetensors.torch import save as save_tensors

    from ml.modelfile import ARCHITECTURE_METADATA_KEY

    metadata = {ARCHITECTURE_METADATA_KEY: json.dumps(MLP), PRIVACY_METADATA_KEY: claim}
    data = save_tensors(dict(trained_mlp.module.state_dict()), metadata=metadata)

    with pytest.raises(ModelFileError, match=message):
        decode_model(data)


def test_task_spec__training_with_privacy__round_trip_and_canonical():
    spec = TaskSpec(
        input_shape=(1, 8, 8),
        num_classes=10,
        architecture=MLP,
        training=TrainConfig(steps=200, privacy=PrivacyConfig(target_epsilon=3.0)),
    )

    text = spec.to_json_bytes()

    assert TaskSpec.from_json_bytes(text) == spec
    assert json.loads(text)["training"] == {
        "batch_size": 32,
        "lr": 0.05,
        "momentum": 0.9,
        "privacy": {"delta": 1e-05, "max_grad_norm": 1.0, "target_epsilon": 3.0},
        "seed": 0,
        "steps": 200,
        "weight_decay": 0.0,
    }


@pytest.mark.parametrize(
    ("privacy", "field", "problem"),
    [
        ([3], "training.privacy", "must be an object"),
        ({"target_epsilon": 3, "sigma": 1}, "training.privacy.sigma", "unknown field"),
        ({"target_epsilon": 3, "delta": 0}, "training.privacy.delta", "delta must lie in (0, 1)"),
    ],
)
def test_task_spec__bad_privacy_section__spec_error_names_the_field(privacy, field, problem):
    document = {
        "input_shape": [1, 8, 8],
        "num_classes": 10,
        "metric": "accuracy",
        "architecture": MLP,
        "training": {"steps": 10, "privacy": privacy},
    }

    with pytest.raises(SpecError, match=re.escape(problem)) as caught:
        TaskSpec.from_json_bytes(json.dumps(document).encode())

    assert caught.value.field == field
