"""A participant's data file (.npz with arrays x and y): built from a CSV file or from the bundled
digits, and checked against a task spec before anyone stakes on it."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from learning_market.checks import PreflightRefusal, Reason
from learning_market.roles.files import load_dataset_file, load_spec_file, require_fits
from ml import Dataset, DatasetError, load_digits, shard_dataset, split_dataset

PARTS = ("train", "validation", "test")


def _bad(sentence: str) -> PreflightRefusal:
    return PreflightRefusal(Reason.BAD_FILE, sentence)


def describe(data: Dataset) -> str:
    """`1,078 examples shaped [1, 8, 8] in 10 classes (per class: 0: 107, 1: 110, …)`."""
    counts = np.bincount(data.y, minlength=data.num_classes)
    per_class = ", ".join(f"{label}: {count}" for label, count in enumerate(counts))
    empty = [str(label) for label, count in enumerate(counts) if count == 0]
    return (
        f"{len(data):,} examples shaped {list(data.input_shape)} in {data.num_classes} classes (per class: {per_class})"
        + (f"; no example of class {', '.join(empty)}" if empty else "")
    )


def _from_csv(path: Path, label: str, shape: tuple[int, ...] | None) -> Dataset:
    try:
        table = np.genfromtxt(path, delimiter=",", names=True, dtype=np.float64)
    except (OSError, ValueError) as error:
        raise _bad(f"{path} cannot be read as a CSV with a header line: {error}.") from error
    names = list(table.dtype.names or ())
    if label not in names:
        raise _bad(f"{path} has no column {label!r} (its columns: {', '.join(names)}): name it with --label.")
    features = [name for name in names if name != label]
    rows = np.atleast_1d(table)
    x = np.stack([rows[name] for name in features], axis=1).astype(np.float32)
    y_float = rows[label]
    if np.isnan(x).any() or np.isnan(y_float).any() or (y_float != np.round(y_float)).any() or (y_float < 0).any():
        raise _bad(f"{path} has empty cells, or labels that are not whole numbers from 0.")
    if shape is not None:
        if math.prod(shape) != x.shape[1]:
            raise _bad(f"{path} has {x.shape[1]} features per row, which cannot be shaped {list(shape)}.")
        x = x.reshape(-1, *shape)
    y = y_float.astype(np.int64)
    try:
        return Dataset(x, y, num_classes=int(y.max()) + 1)
    except DatasetError as error:
        raise _bad(f"{path} is not a dataset this market can use: {error}.") from error


def _from_digits(part: str, shard: int, shards: int, split: str, seed: int) -> Dataset:
    train, validation, test = split_dataset(load_digits(), val_fraction=0.1, test_fraction=0.3, seed=seed)
    chosen = dict(zip(PARTS, (train, validation, test)))[part]
    if not 1 <= shard <= shards:
        raise PreflightRefusal(Reason.BAD_PARAMETER, f"there is no shard {shard} of {shards}.")
    try:
        return shard_dataset(chosen, shards, split, seed=seed)[shard - 1]
    except DatasetError as error:
        raise PreflightRefusal(Reason.BAD_PARAMETER, f"the digits cannot be cut so: {error}.") from error


def build_npz(
    out: Path,
    csv_path: Path | None,
    label: str,
    shape: str | None,
    source: str | None,
    part: str,
    shard: int,
    shards: int,
    split: str,
    seed: int,
) -> str:
    """Writes x and y to `out`, from a CSV (`label` column, features shaped `shape`, e.g. "1,8,8") or from
    the bundled digits (`part`, shard `shard` of `shards`); returns what was written, in a sentence."""
    if (csv_path is None) == (source is None):
        raise PreflightRefusal(Reason.BAD_PARAMETER, "give the data either as --csv or as --source (not both).")
    try:
        dims = None if shape is None else tuple(int(d) for d in shape.split(","))
    except ValueError as error:
        raise PreflightRefusal(Reason.BAD_PARAMETER, f"--shape {shape!r} is not numbers with commas (1,8,8).") \
            from error
    data = _from_csv(csv_path, label, dims) if csv_path is not None else _from_digits(part, shard, shards, split, seed)
    try:
        np.savez(out, x=data.x, y=data.y)
    except OSError as error:
        raise _bad(f"{out} cannot be written: {(error.strerror or str(error)).lower()}.") from error
    return f"wrote {out}: {describe(data)}"


def check_npz(data_path: Path, spec_path: Path) -> str:
    """Refuses, in a sentence, data that does not fit the spec; says what it holds when it does."""
    spec = load_spec_file(spec_path)
    data = load_dataset_file(data_path, int(spec.num_classes))
    require_fits(spec, data, f"data in {data_path}")
    return f"{data_path} fits the task of {spec_path}: {describe(data)}"
