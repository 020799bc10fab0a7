"""Shared fixtures for the ML package: the digits data, its split, and small trained models."""

from __future__ import annotations

import copy

import pytest
import torch

from ml import Dataset, Model, TrainConfig, build_model, load_digits, set_seed, split_dataset, train

MLP = {"name": "mlp", "input_shape": [1, 8, 8], "num_classes": 10, "hidden_sizes": [32]}
LOGISTIC = {"name": "logistic", "input_shape": [1, 8, 8], "num_classes": 10}
CNN = {"name": "cnn", "input_shape": [1, 8, 8], "num_classes": 10, "channels": [4, 8]}


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return load_digits()


@pytest.fixture(scope="session")
def digits_split(digits: Dataset) -> tuple[Dataset, Dataset, Dataset]:
    return split_dataset(digits, val_fraction=0.1, test_fraction=0.2, seed=0)


@pytest.fixture(scope="session")
def trained_mlp(digits_split: tuple[Dataset, Dataset, Dataset]) -> Model:
    set_seed(0)
    module = build_model(MLP)
    train(module, digits_split[0], TrainConfig(epochs=8), progress=False)
    return Model(module, MLP)


@pytest.fixture(scope="session")
def fresh_model():
    """Factory: an untrained model of `architecture`, initialised from `seed`."""

    def make(architecture: dict = MLP, seed: int = 0) -> Model:
        set_seed(seed)
        return Model(build_model(copy.deepcopy(architecture)), architecture)

    return make


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> None:
    """Small models train faster on one thread, and far faster when other jobs share the cores."""
    torch.set_num_threads(1)
