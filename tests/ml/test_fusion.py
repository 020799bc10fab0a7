"""Fusion: pure aggregation over arrays (exact hand computations) and whole-model strategies."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch

from ml import (
    STRATEGIES,
    Dataset,
    Exclusion,
    FusionError,
    Model,
    TrainConfig,
    accuracy_bps,
    decode_model,
    encode_model,
    flip_labels,
    predict_logits,
    shard_dataset,
    train,
)
from ml.attacks import scale_update
from ml.distill import DistillConfig
from ml.fusion import (
    PARAMETER_STRATEGIES,
    FusionSettings,
    aggregate_krum,
    aggregate_median,
    aggregate_trimmed_mean,
    aggregate_weighted,
    clip_updates,
    fuse_models,
    krum_scores,
)

LOGISTIC = {"name": "logistic", "input_shape": [1, 8, 8], "num_classes": 10}


def _same(a: Model, b: Model) -> bool:
    return a.module.state_dict().keys() == b.module.state_dict().keys() and all(
        torch.equal(a.module.state_dict()[name], b.module.state_dict()[name])
        for name in a.module.state_dict()
    )


def _fuse(
    strategy: str,
    models: list[Model],
    weights: list[float],
    validation: Dataset | None = None,
    **settings: Any,
) -> Model:
    """The fused model alone, with the named settings."""
    return fuse_models(
        strategy, models, weights, validation=validation, settings=FusionSettings(**settings)
    ).model


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

    fused = _fuse(strategy, models, [8700, 9100, 8500, 9300, 8900], num_byzantine=1)

    assert fused.architecture == trained_mlp.architecture
    assert _same(fused, trained_mlp)


def test_fuse__ensemble_of_identical_models__same_predictions(trained_mlp, digits_split):
    test = digits_split[2]

    fused = _fuse("ensemble", [trained_mlp, copy.deepcopy(trained_mlp)], [3, 1])

    assert torch.equal(
        predict_logits(fused.module, test).argmax(1),
        predict_logits(trained_mlp.module, test).argmax(1),
    )


def test_fuse__stacking_of_identical_models__as_accurate_within_one_percent(
    trained_mlp, digits_split
):
    _, val, test = digits_split

    fused = _fuse("stacking", [trained_mlp, copy.deepcopy(trained_mlp)], [1, 1], validation=val)

    assert accuracy_bps(fused.module, test) >= accuracy_bps(trained_mlp.module, test) - 100


def test_fuse__median__ignores_a_single_wild_model(trained_mlp, digits_split):
    models = [trained_mlp, copy.deepcopy(trained_mlp), _wild(trained_mlp)]

    median = _fuse("median", models, [1, 1, 1])
    average = _fuse("average", models, [1, 1, 1])

    assert _same(median, trained_mlp)
    assert accuracy_bps(average.module, digits_split[2]) < 3000


def test_fuse__zero_weight_model__left_out(trained_mlp):
    fused = _fuse("average", [trained_mlp, _wild(trained_mlp)], [9000, 0])

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


def test_fuse__krum__excludes_the_poisoned_model_and_says_so(honest_and_poisoned, digits_split):
    results = [[t.numpy() for t in m.module.state_dict().values()] for m in honest_and_poisoned]

    scores = krum_scores(results, num_byzantine=1)
    krum = fuse_models(
        "krum", honest_and_poisoned, [1] * 5, settings=FusionSettings(num_byzantine=1)
    )
    honest_average = _fuse("average", honest_and_poisoned[:4], [1] * 4)

    assert int(np.argmax(scores)) == 4
    assert _same(krum.model, honest_average)
    assert krum.fused == (0, 1, 2, 3)
    assert krum.excluded == (
        Exclusion(
            4, "left out by Multi-Krum (f = 1), which keeps the 4 of 5 models nearest the others"
        ),
    )


def test_fuse__robust_strategies__beat_plain_averaging_under_poisoning(
    honest_and_poisoned, digits_split
):
    test = digits_split[2]
    uniform = [1] * 5

    average = accuracy_bps(_fuse("average", honest_and_poisoned, uniform).module, test)
    for strategy in ("median", "krum"):
        assert (
            accuracy_bps(_fuse(strategy, honest_and_poisoned, uniform, num_byzantine=1).module, test)
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
        fused = _fuse(strategy, members, [8000, 6000], validation=val)
        loaded = decode_model(encode_model(fused.module, fused.architecture))

        assert loaded.architecture == fused.architecture
        assert [m["name"] for m in fused.architecture["members"]] == ["mlp", "logistic"]
        assert accuracy_bps(loaded.module, test) == accuracy_bps(fused.module, test) > 9000
    assert encode_model(logistic.module, LOGISTIC) == before  # inputs untouched


def test_fuse__ensemble__records_the_weights(trained_mlp):
    fused = _fuse("ensemble", [trained_mlp, trained_mlp], [8000, 2000])

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
        (
            "trimmed_mean",
            lambda m: [m, m],
            [1, 1],
            {"trim_fraction": 0.5},
            r"trim_fraction must lie in \[0, 0.5\)",
        ),
        ("krum", lambda m: [m] * 5, [1] * 5, {"num_byzantine": -1}, "num_byzantine must be >= 0"),
        ("stacking", lambda m: [m, m], [1, 1], {}, "pass validation="),
        ("krum", lambda m: [m] * 5, [1] * 5, {"num_selected": 0}, "num_selected must be >= 1"),
    ],
    ids=[
        "empty",
        "weights-length",
        "negative-weight",
        "nan-weight",
        "zero-total",
        "unknown-strategy",
        "trim-half",
        "krum-negative-f",
        "stacking-no-validation",
        "krum-select-none",
    ],
)
def test_fuse__unfusable_input__fusion_error_says_why(
    trained_mlp, strategy, make, weights, options, message
):
    with pytest.raises(FusionError, match=message):
        _fuse(strategy, make(trained_mlp), weights, **options)


def test_fuse__stacking_validation_of_another_task__refused(trained_mlp, digits_split):
    wrong = flip_labels(digits_split[1], seed=0)
    wrong = type(wrong)(wrong.x.reshape(len(wrong), 64), wrong.y, 10)

    with pytest.raises(FusionError, match=r"validation data is \(64,\) with 10 classes"):
        _fuse("stacking", [trained_mlp], [1], validation=wrong)


def test_strategies__all_named():
    assert STRATEGIES == ("average", "median", "trimmed_mean", "krum", "ensemble", "stacking")


# ---------------------------------------------------------------- exclusions, updates, distillation


def _wrong_shapes(model: Model) -> Model:
    """A model whose tensors do not fit the architecture it names."""
    hidden = model.architecture["hidden_sizes"][0]
    module = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(64, hidden + 1),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden + 1, 10),
    )
    return Model(module, model.architecture)


@pytest.mark.parametrize("strategy", PARAMETER_STRATEGIES)
def test_fuse_models__parameter_strategy__other_architecture_and_wrong_shapes_excluded_with_reasons(
    trained_mlp, strategy
):
    models = [
        _logistic(),
        trained_mlp,
        _wrong_shapes(trained_mlp),
        copy.deepcopy(trained_mlp),
        trained_mlp,
    ]

    result = fuse_models(
        strategy, models, [9000, 5000, 5000, 5000, 0], architecture=trained_mlp.architecture
    )

    assert result.fused == (1, 3)
    assert [e.index for e in result.excluded] == [0, 2, 4]
    assert (
        "architecture" in result.excluded[0].reason
        and "fuses parameters of" in result.excluded[0].reason
    )
    assert "tensor '1.weight' is (33, 64)" in result.excluded[1].reason
    assert result.excluded[2].reason == "not paid (weight 0)"
    assert _same(result.model, trained_mlp)


def test_fuse_models__no_architecture_given__the_heaviest_paid_model_sets_it(trained_mlp):
    result = fuse_models("average", [_logistic(), trained_mlp], [1000, 2000])

    assert result.fused == (1,)
    assert _same(result.model, trained_mlp)


def test_fuse_models__output_strategy__other_classes_excluded(trained_mlp, digits_split):
    three_classes = {**LOGISTIC, "num_classes": 3}
    other = Model(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3)), three_classes)

    result = fuse_models("ensemble", [trained_mlp, other, _logistic()], [1, 1, 1])

    assert result.fused == (0, 2)
    assert result.excluded[0].index == 1
    assert (
        "takes input shape [1, 8, 8] with 3 classes, the task [1, 8, 8] with 10"
        in result.excluded[0].reason
    )
    assert [m["name"] for m in result.model.architecture["members"]] == ["mlp", "logistic"]


def test_fuse_models__nothing_fusable__fusion_error_gives_every_reason(trained_mlp):
    with pytest.raises(
        FusionError,
        match=r"no model can be fused by 'median': model 0: architecture .*; model 1: not paid",
    ):
        fuse_models(
            "median", [_logistic(), trained_mlp], [1, 0], architecture=trained_mlp.architecture
        )


def test_fuse_models__krum_with_fewer_models_than_f_needs__f_capped(trained_mlp):
    result = fuse_models(
        "krum", [trained_mlp, trained_mlp], [1, 1], settings=FusionSettings(num_byzantine=3)
    )

    assert result.fused == (0, 1)
    assert _same(result.model, trained_mlp)


def test_clip_updates__scaled_down_to_the_median_norm():
    updates = [[np.array([3.0, 4.0])], [np.array([0.0, 1.0])], [np.array([30.0, 40.0])]]

    clipped = clip_updates(updates)

    # norms 5, 1, 50: the median is 5
    np.testing.assert_array_equal(clipped[0][0], [3.0, 4.0])
    np.testing.assert_array_equal(clipped[1][0], [0.0, 1.0])
    np.testing.assert_allclose(clipped[2][0], [3.0, 4.0])


def test_fuse_models__clipped_updates__a_boosted_update_weighs_no_more_than_a_typical_one(
    trained_mlp, fresh_model
):
    initial = fresh_model(trained_mlp.architecture)
    boosted = scale_update(trained_mlp, initial, 10.0)
    models = [trained_mlp, copy.deepcopy(trained_mlp), boosted]

    clipped = fuse_models(
        "average", models, [1, 1, 1], initial=initial, settings=FusionSettings(clip_updates=True)
    )
    plain = fuse_models("average", models, [1, 1, 1], initial=initial)

    expected = dict(trained_mlp.module.state_dict().items())
    for name, tensor in clipped.model.module.state_dict().items():
        torch.testing.assert_close(tensor, expected[name], rtol=1e-5, atol=1e-6)
    assert not torch.allclose(plain.model.module.state_dict()["3.weight"], expected["3.weight"])


@pytest.mark.parametrize("strategy", ["ensemble", "stacking"])
def test_fuse_models__output_strategy_distilled__the_task_architecture_from_the_initial_model(
    trained_mlp, fresh_model, digits_split, strategy
):
    _, val, test = digits_split
    initial = fresh_model(trained_mlp.architecture)
    settings = FusionSettings(distillation=DistillConfig())

    result = fuse_models(
        strategy,
        [trained_mlp, copy.deepcopy(trained_mlp)],
        [1, 1],
        architecture=trained_mlp.architecture,
        initial=initial,
        validation=val,
        settings=settings,
    )

    assert result.model.architecture == trained_mlp.architecture
    assert result.teacher is not None and result.teacher.architecture["name"] in (
        "ensemble",
        "stacked",
    )
    assert len(encode_model(result.model.module, result.model.architecture)) == len(
        encode_model(trained_mlp.module, trained_mlp.architecture)
    )
    assert accuracy_bps(result.model.module, test) >= accuracy_bps(trained_mlp.module, test) - 300
    assert _same(initial, fresh_model(trained_mlp.architecture))  # the initial model untouched


def test_fuse_models__distillation_without_initial_model__refused(trained_mlp, digits_split):
    settings = FusionSettings(distillation=DistillConfig(steps=1))

    with pytest.raises(FusionError, match="pass initial="):
        fuse_models("ensemble", [trained_mlp], [1], validation=digits_split[1], settings=settings)
