"""Task spec files: canonical JSON, and a SpecError naming each bad field."""

from __future__ import annotations

import json
import re

import pytest

from ml import SpecError, TaskSpec, TrainConfig

ARCHITECTURE = {"name": "mlp", "input_shape": [1, 8, 8], "num_classes": 10, "hidden_sizes": [64]}
DIGEST = bytes(range(32))


def _document(**changes) -> dict:
    document = {
        "version": 1,
        "input_shape": [1, 8, 8],
        "num_classes": 10,
        "metric": "accuracy",
        "architecture": ARCHITECTURE,
        "training": {"epochs": 5, "lr": 0.1},
        "initial_model": "0x" + DIGEST.hex(),
    }
    document.update(changes)
    return {key: value for key, value in document.items() if value is not None}


def test_task_spec__json_round_trip():
    spec = TaskSpec.from_json_bytes(json.dumps(_document()).encode())

    assert spec == TaskSpec(
        input_shape=(1, 8, 8),
        num_classes=10,
        architecture=ARCHITECTURE,
        training=TrainConfig(epochs=5, lr=0.1),
        initial_model=DIGEST,
    )
    assert TaskSpec.from_json_bytes(spec.to_json_bytes()) == spec


def test_task_spec__to_json_bytes__canonical_whatever_the_input_order():
    shuffled = dict(reversed(list(_document().items())))

    first = TaskSpec.from_json_bytes(json.dumps(_document()).encode()).to_json_bytes()
    second = TaskSpec.from_json_bytes(json.dumps(shuffled).encode()).to_json_bytes()

    assert first == second
    assert list(json.loads(first)) == sorted(json.loads(first))


def test_task_spec__optional_fields_absent__none():
    spec = TaskSpec.from_json_bytes(
        json.dumps(_document(training=None, initial_model=None, version=None)).encode()
    )

    assert (spec.training, spec.initial_model, spec.version) == (None, None, 1)
    assert b"initial_model" not in spec.to_json_bytes()


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"input_shape": None}, "input_shape", "missing"),
        ({"input_shape": []}, "input_shape", "non-empty list of positive integers"),
        ({"input_shape": [1, 0, 8]}, "input_shape", "non-empty list of positive integers"),
        ({"input_shape": "1x8x8"}, "input_shape", "non-empty list of positive integers"),
        ({"num_classes": 1}, "num_classes", "integer >= 2"),
        ({"num_classes": True}, "num_classes", "integer >= 2"),
        ({"num_classes": 10.0}, "num_classes", "integer >= 2"),
        ({"metric": "f1"}, "metric", "must be one of ('accuracy',)"),
        ({"metric": None}, "metric", "missing"),
        ({"architecture": None}, "architecture", "missing"),
        ({"architecture": "mlp"}, "architecture", "must be an object"),
        (
            {"architecture": {**ARCHITECTURE, "name": "transformer"}},
            "architecture",
            "unknown architecture 'transformer'",
        ),
        (
            {"architecture": {**ARCHITECTURE, "hidden_sizes": [-1]}},
            "architecture",
            "hidden_sizes must hold positive integers",
        ),
        (
            {"architecture": {**ARCHITECTURE, "dropout": 0.5}},
            "architecture",
            "unexpected keyword argument 'dropout'",
        ),
        (
            {"architecture": {**ARCHITECTURE, "num_classes": 3}},
            "architecture",
            "with 3 classes, the spec says",
        ),
        ({"training": [5]}, "training", "must be an object"),
        ({"training": {"epochs": 0}}, "training.epochs", "integer >= 1"),
        ({"training": {"lr": -1.0}}, "training.lr", "finite number >= 0"),
        ({"training": {"optimizer": "adam"}}, "training.optimizer", "unknown field"),
        ({"initial_model": "0x1234"}, "initial_model", "64 hex digits"),
        ({"initial_model": DIGEST.hex()}, "initial_model", "64 hex digits"),
        ({"version": 2}, "version", "unsupported spec version 2"),
        ({"reward": 5}, "reward", "unknown field"),
    ],
)
def test_task_spec__bad_field__spec_error_names_it(changes, field, problem):
    with pytest.raises(SpecError, match=re.escape(problem)) as caught:
        TaskSpec.from_json_bytes(json.dumps(_document(**changes)).encode())

    assert caught.value.field == field


@pytest.mark.parametrize(
    ("data", "problem"),
    [(b"{", "not UTF-8 JSON"), (b"\xff", "not UTF-8 JSON"), (b"[1]", "JSON object")],
)
def test_task_spec__not_a_json_object__refused(data, problem):
    with pytest.raises(SpecError, match=re.escape(problem)) as caught:
        TaskSpec.from_json_bytes(data)

    assert caught.value.field == "spec"
