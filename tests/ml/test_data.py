"""Datasets: digits, user .npz files, seeded splits and shards, label flipping, dataset files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml import (
    Dataset,
    DatasetError,
    decode_dataset,
    encode_dataset,
    flip_labels,
    load_digits,
    load_npz,
    shard_dataset,
    split_dataset,
)
from ml.data import SHARD_SCHEMES


def _examples(*parts: Dataset) -> list[bytes]:
    return sorted(
        row.tobytes() + label.tobytes() for part in parts for row, label in zip(part.x, part.y)
    )


def test_load_digits__shape_scale_and_labels():
    ds = load_digits()

    assert (len(ds), ds.input_shape, ds.num_classes) == (1797, (1, 8, 8), 10)
    assert (ds.x.dtype, ds.y.dtype) == (np.float32, np.int64)
    assert (ds.x.min(), ds.x.max()) == (0.0, 1.0)
    assert set(ds.y.tolist()) == set(range(10))


def test_dataset__is_read_only(digits):
    with pytest.raises(ValueError, match="read-only"):
        digits.x[0, 0, 0, 0] = 1.0


@pytest.mark.parametrize(
    ("x", "y", "num_classes", "message"),
    [
        (np.zeros((3, 2)), np.array([0, 1]), 2, "x has 3 examples but y has 2 labels"),
        (np.zeros((2, 2)), np.array([0.0, 1.0]), 2, "y must hold integer class labels"),
        (np.zeros((2, 2)), np.array([0, 2]), 2, r"labels must lie in \[0, 2\)"),
        (np.zeros((2, 2)), np.array([-1, 1]), 2, r"labels must lie in \[0, 2\)"),
        (np.zeros(2), np.array([0, 1]), 2, "x must be shaped"),
        (np.zeros((0, 2)), np.zeros(0, dtype=np.int64), 2, "empty"),
        (np.array([[np.nan, 0.0], [0.0, 0.0]]), np.array([0, 1]), 2, "NaN or infinite"),
        (np.zeros((2, 2)), np.array([0, 1]), 1, "num_classes must be an integer >= 2"),
    ],
    ids=[
        "length-mismatch",
        "float-labels",
        "label-too-big",
        "negative-label",
        "x-1d",
        "empty",
        "nan",
        "one-class",
    ],
)
def test_dataset__malformed__refused(x, y, num_classes, message):
    with pytest.raises(DatasetError, match=message):
        Dataset(x, y, num_classes)


def test_load_npz__valid_file__loaded(tmp_path: Path):
    path = tmp_path / "mine.npz"
    np.savez(path, x=np.ones((4, 3), dtype=np.float64), y=np.array([0, 2, 1, 2]))

    ds = load_npz(path)

    assert (len(ds), ds.input_shape, ds.num_classes, ds.x.dtype) == (4, (3,), 3, np.float32)
    assert ds.y.tolist() == [0, 2, 1, 2]


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x": np.ones((2, 3))}, r"missing array\(s\) \['y'\]"),
        (
            {"features": np.ones((2, 3)), "labels": np.array([0, 1])},
            r"missing array\(s\) \['x', 'y'\]",
        ),
        ({"x": np.ones((3, 3)), "y": np.array([0, 1])}, "x has 3 examples but y has 2 labels"),
        (
            {"x": np.ones((2, 3)), "y": np.array([0.0, 1.0])},
            "y must hold integer class labels, got dtype float64",
        ),
        ({"x": np.ones((2, 3)), "y": np.array([0, -1])}, "labels must be >= 0, got -1"),
        ({"x": np.array(["a", "b"]), "y": np.array([0, 1])}, "x must hold real numbers"),
        ({"x": np.ones((2, 3)), "y": np.array([[0], [1]])}, r"y must be shaped \(n,\)"),
        ({"x": np.array([{}, {}], dtype=object), "y": np.array([0, 1])}, "without pickles"),
    ],
    ids=[
        "no-y",
        "wrong-names",
        "length-mismatch",
        "float-labels",
        "negative",
        "strings",
        "y-2d",
        "pickled-objects",
    ],
)
def test_load_npz__bad_file__refused_naming_the_problem(tmp_path: Path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)

    with pytest.raises(DatasetError, match=message):
        load_npz(path)


def test_load_npz__not_an_npz__refused(tmp_path: Path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"definitely not a zip archive")

    with pytest.raises(DatasetError, match="not a readable .npz"):
        load_npz(path)


def test_split_dataset__same_seed_same_split_other_seed_other_split(digits):
    first, again, other = (split_dataset(digits, 0.1, 0.2, seed) for seed in (0, 0, 1))

    for a, b in zip(first, again):
        assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(first[2].x, other[2].x)


def test_split_dataset__partitions_by_the_fractions_stratified(digits):
    train, val, test = split_dataset(digits, 0.1, 0.2, seed=0)

    assert (len(train), len(val), len(test)) == (1257, 180, 360)
    assert _examples(train, val, test) == _examples(digits)
    assert np.bincount(test.y, minlength=10).min() >= 35  # every class about 36 times


@pytest.mark.parametrize(("val", "test"), [(0.0, 0.2), (0.2, 1.0), (0.5, 0.5)])
def test_split_dataset__bad_fractions__refused(digits, val, test):
    with pytest.raises(DatasetError, match="fraction"):
        split_dataset(digits, val, test, seed=0)


@pytest.mark.parametrize("scheme", SHARD_SCHEMES)
def test_shard_dataset__partitions_reproducibly_into_non_empty_shards(digits_split, scheme):
    train = digits_split[0]

    shards = shard_dataset(train, 20, scheme, seed=3, alpha=0.1)
    again = shard_dataset(train, 20, scheme, seed=3, alpha=0.1)
    other = shard_dataset(train, 20, scheme, seed=4, alpha=0.1)

    assert min(len(s) for s in shards) >= 1
    assert sum(len(s) for s in shards) == len(train)
    assert _examples(*shards) == _examples(train)
    assert all(np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y) for a, b in zip(shards, again))
    assert [len(s) for s in shards] != [len(s) for s in other] or any(
        not np.array_equal(a.y, b.y) for a, b in zip(shards, other)
    )


def test_shard_dataset__more_shards_than_examples__every_shard_still_non_empty():
    tiny = Dataset(np.zeros((5, 1)), np.array([0, 0, 0, 0, 1]), 2)

    shards = shard_dataset(tiny, 5, "dirichlet", seed=0, alpha=0.01)

    assert [len(s) for s in shards] == [1, 1, 1, 1, 1]


def _mean_label_share_of_top_class(shards: list[Dataset]) -> float:
    return float(
        np.mean([np.bincount(s.y, minlength=s.num_classes).max() / len(s) for s in shards])
    )


def test_shard_dataset__dirichlet__label_skewed_unlike_iid(digits_split):
    train = digits_split[0]

    iid = _mean_label_share_of_top_class(shard_dataset(train, 10, "iid", seed=0))
    skewed = _mean_label_share_of_top_class(
        shard_dataset(train, 10, "dirichlet", seed=0, alpha=0.5)
    )

    assert iid < 0.15  # ten balanced classes: about 0.1 each, plus sampling noise
    assert skewed > 0.3


def test_shard_dataset__size__sizes_skewed_unlike_iid(digits_split):
    train = digits_split[0]

    iid_sizes = [len(s) for s in shard_dataset(train, 10, "iid", seed=0)]
    skewed_sizes = [len(s) for s in shard_dataset(train, 10, "size", seed=0, alpha=0.5)]

    assert max(iid_sizes) - min(iid_sizes) <= 1
    assert max(skewed_sizes) > 3 * min(skewed_sizes)


@pytest.mark.parametrize(
    ("n", "scheme", "alpha", "message"),
    [
        (0, "iid", 0.5, "into 0 non-empty shards"),
        (10_000, "iid", 0.5, "into 10000"),
        (2, "zipf", 0.5, "unknown shard scheme"),
        (2, "dirichlet", 0.0, "alpha must be > 0"),
    ],
)
def test_shard_dataset__bad_request__refused(digits, n, scheme, alpha, message):
    with pytest.raises(DatasetError, match=message):
        shard_dataset(digits, n, scheme, seed=0, alpha=alpha)


def test_flip_labels__every_label_changes_consistently_and_reproducibly(digits):
    flipped = flip_labels(digits, seed=7)

    assert (flipped.y != digits.y).all()
    mapping = {int(a): int(b) for a, b in zip(digits.y, flipped.y)}
    assert sorted(mapping.values()) == list(range(10))  # a permutation of the classes
    assert np.array_equal(flip_labels(digits, seed=7).y, flipped.y)
    assert np.array_equal(flipped.x, digits.x)


def test_encode_dataset__round_trip_and_deterministic_bytes(digits_split):
    test = digits_split[2]

    data = encode_dataset(test)
    decoded = decode_dataset(data)

    assert data == encode_dataset(Dataset(test.x.copy(), test.y.copy(), test.num_classes))
    assert np.array_equal(decoded.x, test.x) and np.array_equal(decoded.y, test.y)
    assert decoded.num_classes == test.num_classes


def test_decode_dataset__model_file_or_junk__refused(trained_mlp):
    from ml import encode_model

    with pytest.raises(DatasetError, match="learning_market.dataset"):
        decode_dataset(encode_model(trained_mlp.module, trained_mlp.architecture))
    with pytest.raises(DatasetError, match="not a safetensors dataset file"):
        decode_dataset(b"\x00" * 3)
