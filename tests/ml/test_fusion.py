"""Fusion: pure aggregation over arrays (exact hand computations) and whole-model strategies."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from ml import (
    STRATEGIES,
    FusionError,
    Model,
    TrainConfig,
    accuracy_bps,
    decode_model,
    encode_model,
    flip_labels,
    fuse,
    predict_logits,
    shard_dataset,
    train,
)
from ml.fusion import (
    PARAMETER_STRATEGIES,
    aggregate_krum,
    aggregate_median,
    aggregate_trimmed_mean,
    aggregate_weighted,
    krum_scores,
)

LOGISTIC = {"name": "logistic", "input_shape": [1, 8, 8], "num_classes": 10}


def _same(a: Model, b: Model) -> bool:
    return a.module.state_dict().keys() == b.module.state_dict().keys() and all(
        torch.equal(a.module.state_dict()[name], b.module.state_dict()[name])
        for name in a.module.state_dict()
    )


def _wild(model: Model) -> Model:
    """A copy with large random weights: an attacker's or a broken model."""
    wild = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in wild.module.parameters():
            parameter.copy_(100 * torch.randn(parameter.shape, generator=generator))
    return wild


# ---------------------------------------------------------------- pure aggregation


def test_aggregate_weighted__hand_computation():
    # Prepare
    results = [
        (
            [
                np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32),
                np.array([1.0], dtype=np.float32),
            ],
            1.0,
        ),
        (
            [
                np.array([[5.0, 6.0], [7.0, 8.0]], dtype=np.float32),
                np.array([5.0], dtype=np.float32),
            ],
            3.0,
        ),
    ]
    expected = [
        np.array([[4.0, 5.0], [6.0, 7.0]], dtype=np.float32),
        np.array([4.0], dtype=np.float32),
    ]

    # Execute
    actual = aggregate_weighted(results)

    # Assert
    for layer, expected_layer in zip(actual, expected):
        assert layer.dtype == np.float32
        np.testing.assert_array_equal(layer, expected_layer)


def test_aggregate_median__ignores_one_wild_model():
    # Prepare
    results = [[np.array([1.0, 10.0])], [np.array([2.0, 20.0])], [np.array([1e9, -1e9])]]
    expected = [np.array([2.0, 10.0])]

    # Execute
    actual = aggregate_median(results)

    # Assert
    np.testing.assert_array_equal(actual[0], expected[0])


def test_aggregate_trimmed_mean__drops_the_extremes_of_each_coordinate():
    # Prepare
    results = [
        [np.array([1.0, -50.0])],
        [np.array([2.0, 4.0])],
        [np.array([3.0, 6.0])],
        [np.array([100.0, 8.0])],
    ]
    expected = [np.array([2.5, 5.0])]

    # Execute
    actual = aggregate_trimmed_mean(results, trim_fraction=0.25)

    # Assert
    np.testing.assert_array_equal(actual[0], expected[0])


def test_krum_scores__sum_of_squared_distances_to_nearest_neighbours():
    # Prepare
    results = [[np.array([float(v)])] for v in (0, 1, 2, 3, 100)]

    # Execute
    scores = krum_scores(results, num_byzantine=1)

    # Assert: n - f - 2 = 2 neighbours each
    np.testing.assert_array_equal(
        scores, np.array([1 + 4, 1 + 1, 1 + 1, 1 + 4, 97**2 + 98**2], dtype=np.float64)
    )


def test_aggregate_krum__excludes_the_outlier_and_averages_the_selected():
    # Prepare
    results = [[np.array([float(v)])] for v in (0, 1, 2, 3, 100)]
    expected = [np.array([1.0])]  # lowest scores: 1 and 2, then 0 (tied with 3, earlier wins)

    # Execute
    actual = aggregate_krum(results, num_byzantine=1, num_selected=3)

    # Assert
    np.testing.assert_array_equal(actual[0], expected[0])


# ---------------------------------------------------------------- whole models


@pytest.mark.parametrize("strategy", PARAMETER_STRATEGIES)
def test_fuse__identical_models__exactly_that_model(trained_mlp, strategy):
    models = [copy.deepcopy(trained_mlp) for _ in range(5)]

    fused = fuse(strategy, models, [8700, 9100, 8500, 9300, 8900], num_byzantine=1)

    assert fused.architecture == trained_mlp.architecture
    assert _same(fused, trained_mlp)


def test_fuse__ensemble_of_identical_models__same_predictions(trained_mlp, digits_split):
    test = digits_split[2]

    fused = fuse("ensemble", [trained_mlp, copy.deepcopy(trained_mlp)], [3, 1])

    assert torch.equal(
        predict_logits(fused.module, test).argmax(1),
        predict_logits(trained_mlp.module, test).argmax(1),
    )


def test_fuse__stacking_of_identical_models__as_accurate_within_one_percent(
    trained_mlp, digits_split
):
    _, val, test = digits_split

    fused = fuse("stacking", [trained_mlp, copy.deepcopy(trained_mlp)], [1, 1], validation=val)

    assert accuracy_bps(fused.module, test) >= accuracy_bps(trained_mlp.module, test) - 100


def test_fuse__median__ignores_a_single_wild_model(trained_mlp, digits_split):
    models = [trained_mlp, copy.deepcopy(trained_mlp), _wild(trained_mlp)]

    median = fuse("median", models, [1, 1, 1])
    average = fuse("average", models, [1, 1, 1])

    assert _same(median, trained_mlp)
    assert accuracy_bps(average.module, digits_split[2]) < 3000


def test_fuse__zero_weight_model__left_out(trained_mlp):
    fused = fuse("average", [trained_mlp, _wild(trained_mlp)], [9000, 0])

    assert _same(fused, trained_mlp)


@pytest.fixture(scope="module")
def honest_and_poisoned(digits_split, fresh_model) -> list[Model]:
    """Four honest MLPs and (last) one trained on flipped labels, all from one initial model."""
    shards = shard_dataset(digits_split[0], 5, "iid", seed=0)
    shards[-1] = flip_labels(shards[-1], seed=0)
    initial = fresh_model(seed=0)
    models = []
    for i, shard in enumerate(shards):
        model = copy.deepcopy(initial)
        train(model.module, shard, TrainConfig(epochs=10, seed=i), progress=False)
        models.append(model)
    return models


def test_fuse__krum__excludes_the_poisoned_model(honest_and_poisoned, digits_split):
    results = [[t.numpy() for t in m.module.state_dict().values()] for m in honest_and_poisoned]

    scores = krum_scores(results, num_byzantine=1)
    krum = fuse("krum", honest_and_poisoned, [1] * 5, num_byzantine=1)
    honest_average = fuse("average", honest_and_poisoned[:4], [1] * 4)

    assert int(np.argmax(scores)) == 4
    assert _same(krum, honest_average)


def test_fuse__robust_strategies__beat_plain_averaging_under_poisoning(
    honest_and_poisoned, digits_split
):
    test = digits_split[2]
    uniform = [1] * 5

    average = accuracy_bps(fuse("average", honest_and_poisoned, uniform).module, test)
    for strategy in ("median", "krum"):
        assert (
            accuracy_bps(fuse(strategy, honest_and_poisoned, uniform, num_byzantine=1).module, test)
            > average
        )


def test_fuse__ensemble_and_stacking_of_different_architectures__saved_and_loaded_as_model_files(
    trained_mlp, digits_split, fresh_model
):
    train_set, val, test = digits_split
    logistic = fresh_model(LOGISTIC)
    train(logistic.module, train_set, TrainConfig(epochs=5), progress=False)
    members = [trained_mlp, logistic]
    before = encode_model(logistic.module, LOGISTIC)

    for strategy in ("ensemble", "stacking"):
        fused = fuse(strategy, members, [8000, 6000], validation=val)
        loaded = decode_model(encode_model(fused.module, fused.architecture))

        assert loaded.architecture == fused.architecture
        assert [m["name"] for m in fused.architecture["members"]] == ["mlp", "logistic"]
        assert accuracy_bps(loaded.module, test) == accuracy_bps(fused.module, test) > 9000
    assert encode_model(logistic.module, LOGISTIC) == before  # inputs untouched


def test_fuse__ensemble__records_the_weights(trained_mlp):
    fused = fuse("ensemble", [trained_mlp, trained_mlp], [8000, 2000])

    assert fused.architecture["weights"] == [8000.0, 2000.0]
    assert set(fused.module.state_dict()) == {
        f"members.{i}.{n}" for i in (0, 1) for n in trained_mlp.module.state_dict()
    }


def _logistic() -> Model:
    return Model(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10)), LOGISTIC)


@pytest.mark.parametrize(
    ("strategy", "make", "weights", "options", "message"),
    [
        ("average", lambda m: [], [], {}, "no models to fuse"),
        ("average", lambda m: [m, m], [1], {}, "2 models but 1 weights"),
        ("average", lambda m: [m, m], [1, -1], {}, "finite and non-negative"),
        ("average", lambda m: [m, m], [1, float("nan")], {}, "finite and non-negative"),
        ("ensemble", lambda m: [m, m], [0, 0], {}, "total weight must be positive"),
        ("bagging", lambda m: [m], [1], {}, "unknown fusion strategy 'bagging'"),
        ("average", lambda m: [m, _logistic()], [1, 1], {}, "same architecture"),
        ("median", lambda m: [m, _logistic()], [1, 1], {}, "same architecture"),
        ("trimmed_mean", lambda m: [m, _logistic()], [1, 1], {}, "same architecture"),
        ("krum", lambda m: [m, _logistic()], [1, 1], {}, "same architecture"),
        (
            "trimmed_mean",
            lambda m: [m, m],
            [1, 1],
            {"trim_fraction": 0.5},
            r"trim_fraction must lie in \[0, 0.5\)",
        ),
        (
            "krum",
            lambda m: [m] * 4,
            [1] * 4,
            {"num_byzantine": 1},
            "needs at least 5 models, got 4",
        ),
        ("krum", lambda m: [m] * 2, [1] * 2, {}, "needs at least 3 models, got 2"),
        (
            "krum",
            lambda m: [m] * 5,
            [1] * 5,
            {"num_byzantine": 1, "num_selected": 5},
            r"num_selected must lie in \[1, 4\]",
        ),
        ("krum", lambda m: [m] * 5, [1] * 5, {"num_byzantine": -1}, "num_byzantine must be >= 0"),
        ("stacking", lambda m: [m, m], [1, 1], {}, "pass validation="),
    ],
    ids=[
        "empty",
        "weights-length",
        "negative-weight",
        "nan-weight",
        "zero-total",
        "unknown-strategy",
        "average-mixed",
        "median-mixed",
        "trimmed-mixed",
        "krum-mixed",
        "trim-half",
        "krum-f1-too-few",
        "krum-f0-too-few",
        "krum-select-too-many",
        "krum-negative-f",
        "stacking-no-validation",
    ],
)
def test_fuse__unfusable_input__fusion_error_says_why(
    trained_mlp, strategy, make, weights, options, message
):
    with pytest.raises(FusionError, match=message):
        fuse(strategy, make(trained_mlp), weights, **options)


def test_fuse__output_level_classes_disagree__refused(trained_mlp):
    three_classes = {**LOGISTIC, "num_classes": 3}
    other = Model(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3)), three_classes)

    with pytest.raises(FusionError, match="members disagree"):
        fuse("ensemble", [trained_mlp, other], [1, 1])


def test_fuse__stacking_validation_of_another_task__refused(trained_mlp, digits_split):
    wrong = flip_labels(digits_split[1], seed=0)
    wrong = type(wrong)(wrong.x.reshape(len(wrong), 64), wrong.y, 10)

    with pytest.raises(FusionError, match=r"validation data is \(64,\) with 10 classes"):
        fuse("stacking", [trained_mlp], [1], validation=wrong)


def test_strategies__all_named():
    assert STRATEGIES == ("average", "median", "trimmed_mean", "krum", "ensemble", "stacking")
