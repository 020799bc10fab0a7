"""Scoring rules (issue 12): deterministic scores, each rule, and the "done when" facts on real training.

A contributor's pay follows the contract: weight = max(0, score - max(baselineScore, start's score)).
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import pytest
import torch

from ml import (
    Dataset,
    Model,
    SpecError,
    TaskSpec,
    TrainConfig,
    flip_labels,
    shard_dataset,
    train,
)
from ml.contribution import exact_shapley
from ml.fusion import fuse_models
from ml.scoring import BPS, PublicModel, Scores, ScoringError, ScoringRules, score_models, start_cap
from ml.scoring_benchmark import byte_variant, permuted, perturbed
from ml.similarity import correct_predictions, exact_norm
from tests.ml.conftest import LOGISTIC, MLP

SEED = bytes(range(32))
BASELINE = 1000  # the contract's baselineScore: chance on ten classes
TRAINING = TrainConfig(epochs=5, lr=0.05)
ROUNDS = 3
CONTRIBUTORS = 4


def _average(models: list[Model], weights: list[float]) -> Model:
    """The parameter average the scoring rules' coalitions use."""
    return fuse_models("average", models, weights).model


def _spec(**rules) -> TaskSpec:
    return TaskSpec(
        input_shape=(1, 8, 8), num_classes=10, architecture=MLP, scoring=ScoringRules(**rules)
    )


def _trained(start: Model, data: Dataset, seed: int) -> Model:
    model = copy.deepcopy(start)
    train(model.module, data, dataclasses.replace(TRAINING, seed=seed), progress=False)
    return model


def _weights(scores: Scores) -> list[int]:
    """What the contract pays each submission by, given these (median) scores."""
    baseline = max(BASELINE, scores.bps[0])
    return [max(0, score - baseline) for score in scores.bps[1:]]


def _norm(model: Model) -> float:
    return exact_norm(
        np.concatenate([t.double().numpy().ravel() for t in model.module.state_dict().values()])
    )


def _update_norm(model: Model, start: Model) -> float:
    return exact_norm(
        np.concatenate(
            [
                (a.double() - b.double()).numpy().ravel()
                for a, b in zip(
                    model.module.state_dict().values(), start.module.state_dict().values()
                )
            ]
        )
    )


@pytest.fixture(scope="module")
def shards(digits_split) -> list[Dataset]:
    return shard_dataset(digits_split[0], CONTRIBUTORS, "iid", seed=0)


@pytest.fixture(scope="module")
def test_set(digits_split) -> Dataset:
    return digits_split[2]


@pytest.fixture(scope="module")
def rounds(fresh_model, shards) -> list[tuple[Model, list[Model]]]:
    """A short multi-round run: (start, honest models) per round; the next start is their average."""
    start = fresh_model(MLP, seed=0)
    result = []
    for number in range(ROUNDS):
        honest = [_trained(start, shard, seed=100 * number + i) for i, shard in enumerate(shards)]
        result.append((start, honest))
        start = _average(honest, [1.0] * len(honest))
    return result


@pytest.fixture(scope="module")
def skewed_rounds(fresh_model, digits_split) -> list[tuple[Model, list[Model]]]:
    """The same run on label-skewed (Dirichlet) shards."""
    shards = shard_dataset(digits_split[0], CONTRIBUTORS, "dirichlet", seed=0)
    start = fresh_model(MLP, seed=0)
    result = []
    for number in range(ROUNDS):
        honest = [_trained(start, shard, seed=100 * number + i) for i, shard in enumerate(shards)]
        result.append((start, honest))
        start = _average(honest, [1.0] * len(honest))
    return result


@pytest.fixture(scope="module")
def first_round(rounds) -> tuple[Model, list[Model]]:
    return rounds[0]


# ---------------------------------------------------------------- determinism


def test_score_models__same_inputs_twice__same_scores_and_reasons(first_round, test_set):
    # Prepare
    start, honest = first_round
    submissions = [*honest, byte_variant(start), byte_variant(honest[0])]

    # Execute
    first = score_models(
        _spec(), start, submissions, test_set, SEED, baseline_bps=BASELINE, public_models=[]
    )
    second = score_models(
        _spec(),
        copy.deepcopy(start),
        copy.deepcopy(submissions),
        test_set,
        SEED,
        baseline_bps=BASELINE,
        public_models=[],
    )

    # Assert
    assert first == second
    assert len(first.bps) == 1 + len(submissions)
    assert all(isinstance(score, int) and 0 <= score <= BPS for score in first.bps)


def test_score_models__order_of_examples_and_shards__irrelevant(first_round, test_set):
    # Prepare: the same examples, shuffled, then cut into three shards
    start, honest = first_round
    shuffled = test_set.subset(np.random.default_rng(7).permutation(len(test_set)))
    pieces = [shuffled.subset(part) for part in np.array_split(np.arange(len(shuffled)), 3)]

    # Execute
    whole = score_models(
        _spec(), start, honest, test_set, SEED, baseline_bps=BASELINE, public_models=[]
    )
    sharded = score_models(
        _spec(), start, honest, pieces, SEED, baseline_bps=BASELINE, public_models=[]
    )

    # Assert
    assert sharded == whole


def test_score_models__torch_thread_count__irrelevant_and_restored(first_round, test_set):
    # Prepare
    start, honest = first_round
    one_thread = score_models(
        _spec(), start, honest, test_set, SEED, baseline_bps=BASELINE, public_models=[]
    )
    torch.set_num_threads(2)
    try:
        # Execute
        two_threads = score_models(
            _spec(), start, honest, test_set, SEED, baseline_bps=BASELINE, public_models=[]
        )

        # Assert
        assert two_threads == one_thread
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


def test_score_models__models_left_as_they_were(first_round, test_set):
    # Prepare
    start, honest = first_round
    model = copy.deepcopy(honest[0])
    model.module.train()
    before = {name: t.clone() for name, t in model.module.state_dict().items()}

    # Execute
    score_models(_spec(), start, [model], test_set, SEED, baseline_bps=BASELINE, public_models=[])

    # Assert
    assert model.module.training
    assert all(torch.equal(before[name], t) for name, t in model.module.state_dict().items())
    assert all(t.dtype == torch.float32 for t in model.module.state_dict().values())


def test_score_models__shapley_sampled__same_seed_same_scores_other_seed_may_differ(
    first_round, test_set
):
    # Prepare: 2^4 > 2 * 4, so two orders are drawn from the seed
    start, honest = first_round
    spec = _spec(permutations=2)

    # Execute
    first = score_models(
        spec, start, honest, test_set, SEED, baseline_bps=BASELINE, public_models=[]
    )
    again = score_models(
        spec, start, honest, test_set, SEED, baseline_bps=BASELINE, public_models=[]
    )
    other = score_models(
        spec, start, honest, test_set, bytes(32), baseline_bps=BASELINE, public_models=[]
    )

    # Assert
    assert first == again
    assert first.bps != other.bps


def test_score_models__shapley_exact__seed_irrelevant(first_round, test_set):
    # Prepare: 2^4 <= 128 * 4: every coalition is valued
    start, honest = first_round

    # Execute / Assert
    assert score_models(
        _spec(), start, honest, test_set, SEED, baseline_bps=BASELINE, public_models=[]
    ) == score_models(
        _spec(), start, honest, test_set, bytes(32), baseline_bps=BASELINE, public_models=[]
    )


# ---------------------------------------------------------------- rule 1: architecture


def test_architecture__another_architecture__scores_zero(
    first_round, test_set, fresh_model, shards
):
    # Prepare: a good logistic model and a wider MLP, both off the spec's architecture
    start, honest = first_round
    wider = {**MLP, "hidden_sizes": [48]}
    logistic = _trained(fresh_model(LOGISTIC, seed=1), shards[0], seed=1)
    mlp48 = _trained(fresh_model(wider, seed=1), shards[1], seed=1)

    # Execute
    scores = score_models(
        _spec(),
        start,
        [honest[0], logistic, mlp48],
        test_set,
        SEED,
        baseline_bps=BASELINE,
        public_models=[],
    )

    # Assert
    assert scores.bps[2:] == [0, 0]
    assert scores.models[2].reason.startswith("off-spec architecture: ")
    assert scores.models[3].reason.startswith("off-spec architecture: ")
    assert scores.models[2].accuracy_bps > 8000  # good, and still paid nothing
    assert scores.bps[1] > scores.bps[0]


def test_architecture__other_input_or_classes__scores_zero_unevaluated(
    first_round, test_set, fresh_model
):
    # Prepare
    start, _ = first_round
    other = fresh_model({"name": "logistic", "input_shape": [64], "num_classes": 10}, seed=0)

    # Execute
    scores = score_models(
        _spec(), start, [other, None], test_set, SEED, baseline_bps=BASELINE, public_models=[]
    )

    # Assert
    assert scores.models[1].bps == 0
    assert scores.models[1].accuracy_bps is None
    assert scores.models[1].reason == (
        "off-spec input or classes: takes [64] with 10 classes, the spec says [1, 8, 8] with 10"
    )
    assert scores.models[2].bps == 0
    assert scores.models[2].reason == "no model: the file could not be fetched or decoded"


def test_architecture__not_required__other_architectures_scored_and_fused_by_ensemble(
    first_round, test_set, fresh_model, shards
):
    # Prepare
    start, honest = first_round
    logistic = _trained(fresh_model(LOGISTIC, seed=1), shards[3], seed=1)
    spec = _spec(require_architecture=False, fusion="ensemble")

    # Execute
    scores = score_models(
        spec,
        start,
        [*honest[:3], logistic],
        test_set,
        SEED,
        baseline_bps=BASELINE,
        public_models=[],
    )

    # Assert
    assert all(" contribution to the fused model" in m.reason for m in scores.models[1:])
    assert _weights(scores)[3] > 0


# ---------------------------------------------------------------- rule 2: near-duplicates


@pytest.mark.parametrize(
    "resubmit",
    [
        pytest.param(lambda start: copy.deepcopy(start), id="identical"),
        pytest.param(byte_variant, id="byte-variant"),
        pytest.param(lambda start: perturbed(start, 1e-3, _norm(start), seed=1), id="noise-1e-3"),
        pytest.param(lambda start: perturbed(start, 1e-2, _norm(start), seed=1), id="noise-1e-2"),
        pytest.param(lambda start: permuted(start, seed=1), id="hidden-units-permuted"),
    ],
)
def test_near_duplicate__of_the_start__scores_zero(first_round, test_set, resubmit):
    # Prepare
    start, honest = first_round

    # Execute
    scores = score_models(
        _spec(),
        start,
        [honest[0], resubmit(start)],
        test_set,
        SEED,
        baseline_bps=BASELINE,
        public_models=[],
    )

    # Assert
    assert scores.bps[2] == 0
    assert scores.models[2].reason.startswith("near-duplicate of the starting model (")
    assert scores.bps[1] > scores.bps[0]


@pytest.mark.parametrize(
    "copy_of",
    [
        pytest.param(lambda m, start: byte_variant(m), id="byte-variant"),
        pytest.param(
            lambda m, start: perturbed(m, 1e-2, _update_norm(m, start), seed=2), id="noise-1e-2"
        ),
        pytest.param(
            lambda m, start: perturbed(m, 5e-2, _update_norm(m, start), seed=2), id="noise-5e-2"
        ),
        pytest.param(lambda m, start: permuted(m, seed=2), id="hidden-units-permuted"),
    ],
)
def test_near_duplicate__of_an_earlier_reveal__scores_zero_the_original_keeps_its_score(
    first_round, test_set, copy_of
):
    # Prepare
    start, honest = first_round
    original = honest[1]
    duplicate = copy_of(original, start)
    alone = score_models(
        _spec(marginal="none"),
        start,
        [honest[0], original],
        test_set,
        SEED,
        baseline_bps=BASELINE,
        public_models=[],
    )

    # Execute
    scores = score_models(
        _spec(marginal="none"),
        start,
        [honest[0], original, duplicate],
        test_set,
        SEED,
        baseline_bps=BASELINE,
        public_models=[],
    )

    # Assert
    assert scores.bps[3] == 0
    assert scores.models[3].reason.startswith("near-duplicate of #2 (")
    assert scores.bps[:3] == alone.bps


def _public(label: str, models: Sequence[Model | None]) -> list[PublicModel]:
    return [PublicModel(f"{label} #{k}", model) for k, model in enumerate(models, start=1)]


def test_near_duplicate__of_a_parent_task_model__scores_zero(rounds, test_set):
    # Prepare: in round 2, resubmit a byte-variant of a round-1 model (a new digest)
    parent_models = rounds[0][1]
    start, honest = rounds[1]
    stale = byte_variant(parent_models[2])

    # Execute
    scores = score_models(
        _spec(),
        start,
        [*honest, stale],
        test_set,
        SEED,
        baseline_bps=BASELINE,
        public_models=_public("the parent task's", [None, *parent_models]),
    )

    # Assert: numbered in the parent's reveal order, the missing file included
    assert scores.bps[-1] == 0
    assert scores.models[-1].reason.startswith("near-duplicate of the parent task's #4 (")
    assert all("contribution" in m.reason for m in scores.models[1:-1])


def test_near_duplicate__honest_models_of_every_round__never_flagged(rounds, test_set):
    parent_models: list[Model] = []
    for start, honest in rounds:
        # Execute: each contributor trains on the same shard as in the parent task
        scores = score_models(
            _spec(marginal="none"),
            start,
            honest,
            test_set,
            SEED,
            baseline_bps=BASELINE,
            public_models=_public("the parent task's", parent_models),
        )
        parent_models = honest

        # Assert
        assert [m.reason for m in scores.models[1:]] == ["accuracy"] * len(honest)


def test_near_duplicate__thresholds_at_zero__only_exact_copies_flagged(first_round, test_set):
    # Prepare
    start, _ = first_round
    spec = _spec(
        start_parameter_ratio=0,
        start_output_distance=0,
        copy_parameter_ratio=0,
        copy_output_distance=0,
        marginal="none",
    )
    noisy = perturbed(start, 1e-3, _norm(start), seed=1)

    # Execute
    scores = score_models(
        spec,
        start,
        [copy.deepcopy(start), noisy],
        test_set,
        SEED,
        baseline_bps=BASELINE,
        public_models=[],
    )

    # Assert
    assert scores.models[1].reason.startswith("near-duplicate of the starting model")
    assert scores.models[2].reason == "accuracy"


def test_near_duplicate__of_a_model_revealed_in_another_task__scores_zero_if_committed_after_it(
    first_round, test_set
):
    """Threat model, open issue 9 closed: a model revealed in another task and copied with one byte
    changed into this one scores 0 if committed after the original was public; a submission committed
    before is not compared with it (it cannot have copied it, and publishing a model just before an
    honest reveal must not zero it)."""
    # Prepare: task A's model, public before the commit of this task's second reveal only
    start, honest = first_round
    original = honest[3]
    public = [PublicModel("task 7's #1", original, compared_with=frozenset({1}))]

    # Execute: the copy revealed first, then again second
    early = score_models(_spec(), start, [byte_variant(original), honest[0]], test_set, SEED,
                         baseline_bps=BASELINE, public_models=public)
    late = score_models(_spec(), start, [honest[0], byte_variant(original)], test_set, SEED,
                        baseline_bps=BASELINE, public_models=public)

    # Assert
    assert "contribution" in early.models[1].reason and early.bps[1] > 0
    assert late.bps[2] == 0 and late.models[2].reason.startswith("near-duplicate of task 7's #1 (")
    assert "contribution" in late.models[1].reason


# ---------------------------------------------------------------- the start's cap


def test_start_cap__exact_integers__audit_accuracy_plus_z_pooled_standard_errors():
    # 60 of 100 audit examples right, 260 of 300 test examples: p = 320/400, so the variance of the
    # difference is 0.8 * 0.2 * (1/100 + 1/300) = 0.0021333..., its root 0.0461880..., times 3 in bps
    cap = start_cap(3.0, 60, 100, 260, 300)

    assert (cap.audit_bps, cap.margin_bps, cap.bps) == (6_000, 1_386, 7_386)
    assert start_cap(0.0, 60, 100, 260, 300).bps == 6_000
    assert start_cap(3.0, 100, 100, 300, 300).margin_bps == 0  # no variance: the audit accuracy alone


def test_start_cap__honest_start__scores_its_accuracy(first_round, test_set, digits_split):
    start, honest = first_round
    audit = digits_split[1]

    with_audit = score_models(_spec(), start, honest, test_set, SEED, baseline_bps=BASELINE,
                              public_models=[], audit=audit)
    without = score_models(_spec(), start, honest, test_set, SEED, baseline_bps=BASELINE, public_models=[])

    assert with_audit == without
    assert with_audit.models[0].reason == "the starting model: accuracy"


@pytest.fixture(scope="module")
def fitted_round(fresh_model, shards, test_set, digits_split) -> tuple[Model, list[Model]]:
    """The initiator's start fit to the test shards the audit missed (learnt by heart with 360
    randomly labelled training examples, so that it generalises poorly), and the honest models
    trained from it on the contributors' shards."""
    noise = np.random.default_rng(0).integers(0, 10, len(test_set))
    memorised = Dataset(
        np.concatenate([test_set.x, digits_split[0].x[: len(test_set)]]),
        np.concatenate([test_set.y, noise]),
        test_set.num_classes,
    )
    start = fresh_model(MLP, seed=0)
    train(start.module, memorised, dataclasses.replace(TRAINING, epochs=100, seed=7), progress=False)
    return start, [_trained(start, shard, seed=i) for i, shard in enumerate(shards)]


@pytest.mark.parametrize("marginal", ["none", "leave_one_out", "shapley"])
def test_start_cap__start_fit_to_the_test_shards__capped_and_its_excess_paid_to_the_contributors(
    fitted_round, test_set, digits_split, marginal
):
    """Threat model, open issue 8 closed: a start fit to the test shards the audit missed scores
    far above what it generalises to, and raises the bar every submission must clear. With the cap
    it counts for its audit accuracy plus three standard errors. Under "none" every weight rises by
    what the start lost; under a marginal rule (contributions measured against the fit start are
    about 0) what the start scored above its cap goes to the contributors in proportion to their
    gain over the start on the audit shards."""
    # Prepare
    start, honest = fitted_round
    audit = digits_split[1]
    spec = _spec(marginal=marginal)
    size = len(test_set)
    test_correct, audit_correct = (correct_predictions(start, d) for d in (test_set, audit))
    cap = start_cap(3.0, audit_correct, len(audit), test_correct, size)
    accuracy = test_correct * BPS // size

    # Execute
    uncapped = score_models(spec, start, honest, test_set, SEED, baseline_bps=BASELINE, public_models=[])
    capped = score_models(
        spec, start, honest, test_set, SEED, baseline_bps=BASELINE, public_models=[], audit=audit
    )

    # Assert: the fit shows (the start knows the test set far better than the audit)
    assert accuracy - cap.bps > 2_000
    assert uncapped.bps[0] == accuracy and uncapped.models[0].reason == "the starting model: accuracy"
    # ... the start is capped ...
    assert capped.bps[0] == cap.bps and capped.models[0].accuracy_bps == accuracy
    assert capped.models[0].reason == (
        f"the starting model: accuracy {accuracy} bps capped at its audit accuracy {cap.audit_bps} "
        f"+ {cap.margin_bps} bps (3 standard errors)"
    )
    # ... and each contributor's weight rises by its part of the excess (to the bps it is rounded to)
    raised = [c - u for c, u in zip(_weights(capped), _weights(uncapped))]
    if marginal == "none":
        assert raised == [accuracy - cap.bps] * len(honest)
    else:
        gains = [correct_predictions(model, audit) - audit_correct for model in honest]
        assert all(gain > 0 for gain in gains)
        excess = (test_correct - Fraction(cap.bps * size, BPS)) * BPS / size
        shares = [excess * gain / sum(gains) for gain in gains]
        assert all(abs(r - share) <= 1 for r, share in zip(raised, shares)), (raised, shares)
    assert all(w > 0 for w in _weights(capped))


@pytest.mark.parametrize("marginal", ["leave_one_out", "shapley"])
def test_start_cap__copies_of_the_fit_start__take_almost_none_of_its_excess(fitted_round, test_set, digits_split,
                                                                            marginal):
    """The excess goes by the gain on the audit shards, not per player: four noisy copies of the fit
    start (the initiator's own submissions, 5 % of the start's norm apart, each a player of its own)
    generalise no better than the start and take under a tenth of the pool (an equal share per player
    would have given them about half of it)."""
    # Prepare
    start, honest = fitted_round
    fakes = [perturbed(start, 0.05, _norm(start), seed=k) for k in range(4)]

    # Execute
    scores = score_models(_spec(marginal=marginal), start, [*honest, *fakes], test_set, SEED,
                          baseline_bps=BASELINE, public_models=[], audit=digits_split[1])

    # Assert
    weights = _weights(scores)
    assert all(w > 0 for w in weights[: len(honest)])
    assert sum(weights[len(honest):]) * 10 < sum(weights)


def test_start_cap__audit_shards_unavailable__the_start_counts_zero(fitted_round, test_set):
    """Audit shards that cannot be fetched support nothing: the start counts 0 (the initiator, who
    withheld them, gains nothing by it), and under "none" each weight is its accuracy above the
    baselineScore."""
    start, honest = fitted_round

    scores = score_models(_spec(marginal="none"), start, honest, test_set, SEED, baseline_bps=BASELINE,
                          public_models=[], audit=[])

    accuracy = correct_predictions(start, test_set) * BPS // len(test_set)
    assert scores.bps[0] == 0 and scores.models[0].accuracy_bps == accuracy
    assert scores.models[0].reason == (
        f"the starting model: accuracy {accuracy} bps counted 0: its audit shards are unavailable"
    )
    assert _weights(scores) == [m.accuracy_bps - BASELINE for m in scores.models[1:]]


# ---------------------------------------------------------------- rules 3 and 4: accuracy, marginal


def test_base_score__accuracy_in_bps_rounded_down(first_round, test_set):
    # Prepare
    start, honest = first_round
    expected = [
        correct_predictions(model, test_set) * BPS // len(test_set) for model in [start, *honest]
    ]

    # Execute
    scores = score_models(
        _spec(marginal="none"),
        start,
        honest,
        test_set,
        SEED,
        baseline_bps=BASELINE,
        public_models=[],
    )

    # Assert
    assert scores.bps == expected
    assert [m.accuracy_bps for m in scores.models] == expected


def test_leave_one_out__reference_plus_drop_in_fused_accuracy(first_round, test_set):
    # Prepare
    start, honest = first_round

    def correct(models: Sequence[Model]) -> int:
        return correct_predictions(_average(models, [1.0] * len(models)), test_set)

    everyone = correct(honest)
    reference = max(BASELINE, correct_predictions(start, test_set) * BPS // len(test_set))
    expected = [
        reference + (everyone - correct(honest[:i] + honest[i + 1 :])) * BPS // len(test_set)
        for i in range(len(honest))
    ]

    # Execute
    scores = score_models(
        _spec(marginal="leave_one_out", mix_with_start=False),
        start,
        honest,
        test_set,
        SEED,
        baseline_bps=BASELINE,
        public_models=[],
    )

    # Assert
    assert scores.bps[1:] == expected


@pytest.mark.parametrize("baseline", [0, BASELINE, 5000])
def test_shapley__weights_are_exact_shapley_values_whatever_the_baseline(
    rounds, test_set, baseline
):
    # Prepare: round 2, whose start (about 88%) is above the contract baseline but for 5000
    start, honest = rounds[1]
    start_correct = correct_predictions(start, test_set)

    def value(coalition: tuple[int, ...]) -> int:
        # the best of the start and the fused model, alone or mixed 1:3, 1:1, 3:1
        if not coalition:
            return start_correct
        fused = _average([honest[k] for k in coalition], [1.0] * len(coalition))
        mixed = [_average([start, fused], [1 - w, w]) for w in (0.25, 0.5, 0.75)]
        return max(start_correct, *(correct_predictions(m, test_set) for m in [*mixed, fused]))

    contributions = [phi * BPS // len(test_set) for phi in exact_shapley(len(honest), value)]

    # Execute
    scores = score_models(
        _spec(), start, honest, test_set, SEED, baseline_bps=baseline, public_models=[]
    )

    # Assert: the contract's weights are the contributions, which add up to the gain of the
    # whole coalition's value but for rounding down (< 1 bps each)
    weights = [max(0, s - max(baseline, scores.bps[0])) for s in scores.bps[1:]]
    assert weights == [max(0, int(c)) for c in contributions]
    gain = (value(tuple(range(len(honest)))) - start_correct) * BPS / len(test_set)
    assert gain - len(honest) < sum(contributions) <= gain
    assert any(c < 0 for c in contributions) or sum(weights) == sum(contributions)


def test_shapley__start_copy_past_the_gate__mixing_with_the_start_pays_it_nothing(
    skewed_rounds, test_set
):
    # Prepare: no near-duplicate gate for the start; in the last round on skewed shards the
    # averaged honest models gain from being pulled toward the (good) start
    start, honest = skewed_rounds[-1]
    ungated = {"start_parameter_ratio": 0, "start_output_distance": 0}
    submissions = [*honest, byte_variant(start)]

    # Execute
    mixed, plain = (
        score_models(
            _spec(**ungated, mix_with_start=mix),
            start,
            submissions,
            test_set,
            SEED,
            baseline_bps=BASELINE,
            public_models=[],
        )
        for mix in (True, False)
    )

    # Assert: a coalition's value already holds the best mixture with the start
    assert _weights(mixed)[-1] == 0
    assert _weights(plain)[-1] > min(w for w in _weights(plain)[:-1] if w > 0)
    assert sum(_weights(mixed)[:-1]) > 0


# ---------------------------------------------------------------- issue 12: done when


@pytest.mark.parametrize("marginal", ["none", "leave_one_out", "shapley"])
def test_done_when__resubmitted_start__earns_zero_in_every_round(rounds, test_set, marginal):
    for start, honest in rounds:
        # Prepare
        resubmissions = [
            byte_variant(start),
            perturbed(start, 1e-3, _norm(start), seed=3),
            permuted(start, seed=3),
        ]

        # Execute
        scores = score_models(
            _spec(marginal=marginal),
            start,
            [*honest, *resubmissions],
            test_set,
            SEED,
            baseline_bps=BASELINE,
            public_models=[],
        )

        # Assert
        assert _weights(scores)[len(honest) :] == [0, 0, 0]
        assert all(
            m.reason.startswith("near-duplicate of the starting model") for m in scores.models[-3:]
        )


@pytest.mark.parametrize("marginal", ["none", "leave_one_out", "shapley"])
def test_done_when__k_near_copies__earn_together_no_more_than_the_model_alone(
    rounds, test_set, marginal
):
    # Prepare: in round 2 (in round 1, leave-one-out pays none of four IID substitutes), the
    # copier holds the model that earns most, and reveals it and three copies
    start, honest = rounds[1]
    spec = _spec(marginal=marginal)
    paid = _weights(
        score_models(spec, start, honest, test_set, SEED, baseline_bps=BASELINE, public_models=[])
    )
    best = paid.index(max(paid))
    original, others = honest[best], honest[:best] + honest[best + 1 :]
    update = _update_norm(original, start)
    copies = [byte_variant(original)] + [perturbed(original, 1e-2, update, seed=k) for k in (4, 5)]
    alone = _weights(
        score_models(
            spec,
            start,
            [original, *others],
            test_set,
            SEED,
            baseline_bps=BASELINE,
            public_models=[],
        )
    )

    # Execute
    scores = score_models(
        spec,
        start,
        [original, *copies, *others],
        test_set,
        SEED,
        baseline_bps=BASELINE,
        public_models=[],
    )

    # Assert
    weights = _weights(scores)
    family = sum(weights[: 1 + len(copies)])
    assert alone[0] > 0
    assert family <= 1.1 * alone[0]
    assert weights[1 + len(copies) :] == alone[1:]  # the honest rivals lose nothing


def _far_copies(first_round, test_set, group_parameter_ratio: float) -> tuple[Scores, int]:
    """A copier reveals its model and two copies 20% of its update away (beyond the gate)."""
    start, honest = first_round
    original, others = honest[0], honest[1:]
    update = _update_norm(original, start)
    copies = [perturbed(original, 0.2, update, seed=k) for k in (4, 5)]
    spec = _spec(group_parameter_ratio=group_parameter_ratio)
    alone = _weights(
        score_models(spec, start, honest, test_set, SEED, baseline_bps=BASELINE, public_models=[])
    )
    scores = score_models(
        spec,
        start,
        [original, *copies, *others],
        test_set,
        SEED,
        baseline_bps=BASELINE,
        public_models=[],
    )
    return scores, alone[0]


def test_shapley__copies_too_far_for_the_gate__grouped_they_earn_what_one_would(
    first_round, test_set
):
    # Execute
    scores, alone = _far_copies(first_round, test_set, group_parameter_ratio=0.25)

    # Assert
    assert all(m.reason.endswith("shared by the alike #1, #2, #3") for m in scores.models[1:4])
    assert len(set(scores.bps[1:4])) == 1
    assert 0 < sum(_weights(scores)[:3]) <= 1.1 * alone


def test_shapley__copies_too_far_for_the_gate__without_groups_paid_more_than_one(
    first_round, test_set
):
    # Execute: why the groups exist (Agarwal, Dahleh and Sarkar 2019: Shapley rewards replication)
    scores, alone = _far_copies(first_round, test_set, group_parameter_ratio=0.0)

    # Assert
    assert all(m.reason.endswith("contribution to the fused model") for m in scores.models[1:4])
    assert sum(_weights(scores)[:3]) > 1.5 * alone


@pytest.mark.parametrize("marginal", ["none", "leave_one_out", "shapley"])
def test_done_when__later_round_poisoner__scores_below_the_start_and_earns_zero(
    rounds, shards, test_set, marginal
):
    # Prepare: in round 2 the poisoner starts from the good fused model and flips its labels
    start, honest = rounds[1]
    poisoner = copy.deepcopy(start)
    train(
        poisoner.module,
        flip_labels(shards[0], seed=9),
        TrainConfig(epochs=1, seed=9),
        progress=False,
    )

    # Execute
    scores = score_models(
        _spec(marginal=marginal),
        start,
        [*honest[1:], poisoner],
        test_set,
        SEED,
        baseline_bps=BASELINE,
        public_models=[],
    )

    # Assert
    assert scores.models[-1].accuracy_bps > BASELINE  # above chance: the old rule would pay it
    assert scores.bps[-1] < scores.bps[0]
    assert _weights(scores)[-1] == 0


def test_done_when__off_spec_model__scores_zero(first_round, test_set, fresh_model, shards):
    # Prepare
    start, honest = first_round
    off_spec = _trained(fresh_model({**MLP, "hidden_sizes": [32, 32]}, seed=3), shards[0], seed=3)

    # Execute
    scores = score_models(
        _spec(), start, [*honest, off_spec], test_set, SEED, baseline_bps=BASELINE, public_models=[]
    )

    # Assert
    assert scores.bps[-1] == 0
    assert scores.models[-1].reason.startswith("off-spec architecture")
    assert all(w > 0 for w in _weights(scores)[:-1])


def test_done_when__honest_scores__monotone_in_contribution(digits_split, fresh_model, test_set):
    # Prepare: contributors with 30, 120 and 480 examples, in two rounds
    train_set = digits_split[0]
    order = np.random.default_rng(0).permutation(len(train_set))
    data = [train_set.subset(np.sort(order[a:b])) for a, b in ((0, 30), (30, 150), (150, 630))]
    start = fresh_model(MLP, seed=0)
    for number in range(2):
        models = [_trained(start, shard, seed=10 * number + i) for i, shard in enumerate(data)]

        # Execute
        scores = score_models(
            _spec(), start, models, test_set, SEED, baseline_bps=BASELINE, public_models=[]
        )

        # Assert
        assert scores.bps[1] < scores.bps[2] < scores.bps[3]
        start = _average(models, [1.0] * len(models))


# ---------------------------------------------------------------- inputs and the spec section


def test_score_models__evaluation_of_another_shape__refused(first_round):
    # Prepare
    start, honest = first_round
    other = Dataset(np.zeros((4, 64), dtype=np.float32), np.zeros(4, dtype=np.int64), 10)

    # Execute / Assert
    with pytest.raises(ScoringError, match=r"shard 0 holds \[64\] examples with 10 classes"):
        score_models(_spec(), start, honest, other, SEED, baseline_bps=BASELINE, public_models=[])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"seed": b"short"}, "seed"),
        ({"submissions": ["a model file"]}, "submissions[0]"),
        ({"public_models": [PublicModel("a", None), PublicModel("b", b"a model file")]}, "public_models[1]"),
        ({"public_models": [b"a model file"]}, "public_models[0]"),
        ({"evaluation": []}, "evaluation"),
        ({"baseline_bps": 10_001}, "baseline_bps"),
        ({"baseline_bps": True}, "baseline_bps"),
        ({"start": None}, "start"),
    ],
)
def test_score_models__bad_inputs__refused_naming_them(first_round, test_set, changes, field):
    start, _ = first_round
    inputs = {
        "start": start,
        "submissions": [],
        "evaluation": test_set,
        "seed": SEED,
        "baseline_bps": BASELINE,
        "public_models": [],
        **changes,
    }

    with pytest.raises(ScoringError) as raised:
        score_models(
            _spec(),
            inputs["start"],
            inputs["submissions"],
            inputs["evaluation"],
            inputs["seed"],
            baseline_bps=inputs["baseline_bps"],
            public_models=inputs["public_models"],
        )

    assert raised.value.field == field


def test_scoring_rules__spec_round_trip_pins_every_parameter():
    # Prepare
    rules = ScoringRules(marginal="leave_one_out", copy_output_distance=0.01, permutations=32)
    spec = dataclasses.replace(_spec(), scoring=rules)

    # Execute
    document = json.loads(spec.to_json_bytes())
    again = TaskSpec.from_json_bytes(spec.to_json_bytes())

    # Assert
    assert again == spec
    assert document["scoring"] == rules.to_json()
    assert set(document["scoring"]) == {f.name for f in dataclasses.fields(ScoringRules)}


def test_scoring_rules__absent_section__defaults():
    document = json.loads(_spec().to_json_bytes())
    del document["scoring"]

    assert TaskSpec.from_json_bytes(json.dumps(document).encode()).scoring == ScoringRules()


@pytest.mark.parametrize(
    ("section", "field", "problem"),
    [
        ({"name": "plain"}, "scoring.name", "unknown scoring rules 'plain'"),
        ({"version": 1}, "scoring.version", "unsupported version 1"),  # before the start's cap
        ({"start_audit_z": 10.5}, "scoring.start_audit_z", "must be a number in [0, 10], got 10.5"),
        ({"start_audit_z": True}, "scoring.start_audit_z", "must be a number in [0, 10], got True"),
        ({"require_architecture": 1}, "scoring.require_architecture", "must be true or false"),
        ({"mix_with_start": "yes"}, "scoring.mix_with_start", "must be true or false"),
        ({"start_parameter_ratio": -0.1}, "scoring.start_parameter_ratio", "in [0, 1)"),
        ({"copy_output_distance": "0.1"}, "scoring.copy_output_distance", "in [0, 1)"),
        ({"copy_parameter_ratio": 1.0}, "scoring.copy_parameter_ratio", "in [0, 1)"),
        ({"marginal": "banzhaf"}, "scoring.marginal", "must be one of"),
        ({"permutations": 0}, "scoring.permutations", "integer in [1, 10000]"),
        ({"fusion": "stacking"}, "scoring.fusion", "must be one of"),
        ({"require_architecture": False}, "scoring.fusion", "needs require_architecture: true"),
        ({"shapley": True}, "scoring.shapley", "unknown field"),
        ([], "scoring", "must be an object"),
    ],
)
def test_scoring_rules__bad_section__spec_error_names_the_field(section, field, problem):
    document = json.loads(_spec().to_json_bytes())
    document["scoring"] = section

    with pytest.raises(SpecError) as raised:
        TaskSpec.from_json_bytes(json.dumps(document).encode())

    assert raised.value.field == field
    assert problem in raised.value.problem
