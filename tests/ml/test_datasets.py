"""The dataset registry, MNIST-1D generated locally, and the 1-d CNN."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest
import torch

from ml import ArchitectureError, DatasetError, build_model
from ml.datasets import _mnist1d, dataset_names, dataset_recipe, load_dataset, load_mnist1d

# SHA-256 of MNIST-1D's x (float32) and y (int64) bytes as generated here (numpy 1.26.4,
# scipy 1.17.1, x86-64): a change means verifiers elsewhere may no longer agree on scores
MNIST1D_SHA256 = "87768586c06762dab54af92ecf5d0d111d179fb41e12891976643ae06da00272"


@pytest.fixture(scope="module")
def mnist1d():
    return load_mnist1d()


def test_dataset_names__digits_and_mnist1d():
    assert dataset_names() == ["digits", "mnist1d"]


def test_dataset_recipe__unknown__dataset_error_names_the_known_ones():
    with pytest.raises(
        DatasetError, match=r"unknown dataset 'cifar'; choose one of \['digits', 'mnist1d'\]"
    ):
        dataset_recipe("cifar")


def test_load_mnist1d__24000_signals_of_length_40_ten_balanced_classes(mnist1d):
    assert (len(mnist1d), mnist1d.input_shape, mnist1d.num_classes) == (24_000, (1, 40), 10)
    assert np.bincount(mnist1d.y).tolist() == [2_400] * 10
    assert abs(float(mnist1d.x.mean())) < 1e-3 and abs(float(mnist1d.x.std()) - 1) < 1e-3


def test_load_mnist1d__the_same_bytes_on_every_machine(mnist1d):
    # verifiers on other machines must score on exactly these examples
    digest = hashlib.sha256(mnist1d.x.tobytes() + mnist1d.y.tobytes()).hexdigest()

    assert digest == MNIST1D_SHA256


def test_load_mnist1d__leaves_the_global_random_generators_as_they_were():
    random.seed(7)
    np.random.seed(7)
    expected = (random.random(), np.random.random())
    random.seed(7)
    np.random.seed(7)
    _mnist1d.cache_clear()  # generate again

    load_mnist1d()

    assert (random.random(), np.random.random()) == expected


@pytest.mark.parametrize("name", ["digits", "mnist1d"])
def test_dataset_recipe__every_architecture_takes_the_data(name):
    recipe = dataset_recipe(name)
    data = load_dataset(name)

    for architecture in recipe.architectures.values():
        outputs = build_model(dict(architecture))(torch.tensor(data.x[:3]))
        assert outputs.shape == (3, data.num_classes)
    assert recipe.architecture == recipe.architectures[recipe.default_architecture]
    assert recipe.val_fraction + recipe.test_fraction < 1


def test_cnn1d__three_halving_blocks_then_a_linear_layer():
    module = build_model(
        {
            "name": "cnn1d",
            "input_shape": [1, 40],
            "num_classes": 10,
            "channels": [25, 25, 25],
            "kernel_size": 5,
        }
    )

    convolutions = [m for m in module if isinstance(m, torch.nn.Conv1d)]
    assert [(c.in_channels, c.out_channels, c.stride, c.padding) for c in convolutions] == [
        (1, 25, (2,), (2,)),
        (25, 25, (2,), (2,)),
        (25, 25, (2,), (2,)),
    ]
    assert module[-1].in_features == 25 * 5  # 40 -> 20 -> 10 -> 5
    assert sum(p.numel() for p in module.parameters()) == 7_710


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"input_shape": [1, 8, 8]}, r"cnn1d needs input_shape \[channels, length\]"),
        ({"kernel_size": 0}, "kernel_size must be a positive integer"),
        ({"channels": []}, "channels must be a list of at least 1"),
        (
            {"input_shape": [1, 2], "channels": [4, 4, 4]},
            "3 stride-2 blocks need a longer input than 2",
        ),
    ],
)
def test_cnn1d__bad_architecture__refused(changes, message):
    architecture = {
        "name": "cnn1d",
        "input_shape": [1, 40],
        "num_classes": 10,
        "channels": [8],
        "kernel_size": 3,
    }

    with pytest.raises(ArchitectureError, match=message):
        build_model({**architecture, **changes})
