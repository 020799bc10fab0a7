"""The scoring benchmark's resubmissions, and one quick end-to-end run of its command line."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch

from ml.scoring_benchmark import byte_variant, junk_tuned, main, permuted, perturbed
from ml.similarity import exact_norm, predict_float64, view_model
from tests.ml.conftest import CNN, MLP


def _parameters(model) -> np.ndarray:
    return np.concatenate([t.double().numpy().ravel() for t in model.module.state_dict().values()])


def test_perturbed__noise_of_exactly_the_asked_norm(trained_mlp):
    # Execute
    noisy = perturbed(trained_mlp, 0.01, scale=3.0, seed=1)

    # Assert: 0.01 * 3, up to float32 rounding of the weights
    distance = exact_norm(_parameters(noisy) - _parameters(trained_mlp))
    assert distance == pytest.approx(0.03, rel=1e-4)


def test_byte_variant__every_weight_moves_by_one_unit_in_the_last_place(trained_mlp):
    # Execute
    variant = byte_variant(trained_mlp)

    # Assert
    for name, tensor in trained_mlp.module.state_dict().items():
        moved = variant.module.state_dict()[name]
        assert not torch.equal(moved, tensor)
        bits = (moved.view(torch.int32) - tensor.view(torch.int32)).abs()
        assert bits.max() == 1


@pytest.mark.parametrize("architecture", [MLP, CNN], ids=["mlp", "cnn"])
def test_permuted__same_function_other_parameters(fresh_model, digits_split, architecture):
    # Prepare
    model = fresh_model(architecture, seed=3)

    # Execute
    shuffled = permuted(model, seed=1)

    # Assert
    test = digits_split[2]
    np.testing.assert_allclose(
        predict_float64(shuffled, test), predict_float64(model, test), rtol=0, atol=1e-12
    )
    assert exact_norm(_parameters(shuffled) - _parameters(model)) > 0.5 * exact_norm(
        _parameters(model)
    )


def test_junk_tuned__moves_the_model_and_leaves_the_original(trained_mlp, digits_split):
    # Prepare
    before = copy.deepcopy(trained_mlp.module.state_dict())

    # Execute
    tuned = junk_tuned(trained_mlp, steps=5, seed=1)

    # Assert
    assert all(torch.equal(before[n], t) for n, t in trained_mlp.module.state_dict().items())
    original, moved = view_model(trained_mlp, digits_split[2]), view_model(tuned, digits_split[2])
    assert exact_norm(moved.parameters - original.parameters) > 0


def test_main__quick_run__prints_and_writes_every_table(tmp_path: Path, capsys):
    out = tmp_path / "tables.md"

    main(
        [
            "--seeds", "0", "--rounds", "2", "--contributors", "2", "--architectures", "mlp",
            "--shapley-players", "5", "--out", str(out),
        ]
    )  # fmt: skip

    printed = capsys.readouterr().out
    text = out.read_text()
    assert printed.strip() == text.strip()
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert [h.split(":")[0] for h in headings] == [
        "### Near-duplicate measures",
        (
            "### Weights paid (max(0, score - max(baseline, start's score)), bps, mean over seeds) "
            "and share of the total"
        ),
        "### Replication",
        "### The start's cap (audit accuracy + 3 standard errors)",
        "### Monte Carlo Shapley",
    ]
    # one seed, two schemes, two rounds, two contributors
    assert "| honest, 1 epoch(s) | honest | 8 |" in text
    assert "| start, byte-variant | resubmission | 4 |" in text
    # honest starts: each round's start and its 3 x 2 honest models, over the 28 audits; the fit start over
    # the 6 audits that miss its shards
    assert "| honest (not fit to the test set) | 784 | " in text
    assert "| fit to 4 of 8 shards, audit missed them | 24 | 24 |" in text


def test_main__too_many_shapley_players__refused(capsys):
    with pytest.raises(SystemExit):
        main(["--contributors", "2", "--shapley-players", "7"])

    assert "--shapley-players must lie in [1, 6]" in capsys.readouterr().err
