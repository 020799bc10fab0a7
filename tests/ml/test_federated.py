"""Rounds without the chain: each fused model seeds the next round, at constant size."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ml import TrainConfig, encode_model, shard_dataset
from ml.attacks import Attack, corner_trigger
from ml.distill import DistillConfig
from ml.federated import DEFAULT_FUSION, FUSIONS, RoundsConfig, contributor_seed, run_rounds
from ml.fusion import FusionSettings
from ml.privacy import PrivacyConfig

QUICK = TrainConfig(steps=5, batch_size=16)


@pytest.fixture(scope="module")
def shards(digits_split):
    return shard_dataset(digits_split[0], 3, "iid", seed=0)


@pytest.mark.parametrize("strategy", ["ensemble", "stacking"])
def test_run_rounds__output_fusion_distilled__ten_rounds_without_growth(
    trained_mlp, shards, digits_split, strategy
):
    _, val, test = digits_split
    settings = replace(FUSIONS[f"{strategy}+distil"][1], distillation=DistillConfig(steps=5))
    size = len(encode_model(trained_mlp.module, trained_mlp.architecture))

    records = run_rounds(
        trained_mlp, shards, val, test, RoundsConfig(strategy, QUICK, settings), 10
    )

    assert [r.round for r in records] == list(range(1, 11))
    for record in records:
        assert record.model.architecture == trained_mlp.architecture
        assert len(encode_model(record.model.module, record.model.architecture)) == size
        assert record.fused == (0, 1, 2)


def test_run_rounds__deterministic_given_the_seed(trained_mlp, shards, digits_split):
    _, val, test = digits_split
    config = RoundsConfig("median", QUICK, FusionSettings(clip_updates=True))

    first = run_rounds(trained_mlp, shards, val, test, config, 2, seed=4)
    second = run_rounds(trained_mlp, shards, val, test, config, 2, seed=4)

    assert [r.fused_bps for r in first] == [r.fused_bps for r in second]
    assert encode_model(first[-1].model.module, trained_mlp.architecture) == encode_model(
        second[-1].model.module, trained_mlp.architecture
    )


def test_run_rounds__a_targeted_attack_is_measured_every_round(trained_mlp, shards, digits_split):
    train_set, val, test = digits_split
    attack = Attack("scaled_backdoor", fraction=0.5, trigger=corner_trigger(train_set), scale=3.0)

    records = run_rounds(
        trained_mlp, shards, val, test, RoundsConfig("average", QUICK), 2, attacks={2: attack}
    )

    assert all(
        r.attack_success_bps is not None and 0 <= r.attack_success_bps <= 10_000 for r in records
    )


def test_run_rounds__with_privacy__each_contributor_reports_what_it_spent(
    trained_mlp, shards, digits_split
):
    _, val, test = digits_split
    private = replace(QUICK, privacy=PrivacyConfig(target_epsilon=2.0, delta=1e-4))

    records = run_rounds(trained_mlp, shards, val, test, RoundsConfig("average", private), 2)

    for record in records:
        assert len(record.privacy) == 3
        assert all(spent is not None and spent.epsilon <= 2.0 for spent in record.privacy)


def test_contributor_seed__distinct_per_contributor_and_round():
    seeds = {contributor_seed(0, r, i) for r in range(1, 11) for i in range(50)}

    assert len(seeds) == 500


def test_fusions__the_default_is_multi_krum_expecting_three_attackers_in_ten():
    strategy, settings = FUSIONS[DEFAULT_FUSION]

    assert (strategy, settings.num_byzantine) == ("krum", 3)
    assert all(
        name.endswith("distil") for name, (s, _) in FUSIONS.items() if s in ("ensemble", "stacking")
    )
