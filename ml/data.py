"""Datasets: the digits demo data, a user's own .npz, seeded splits, private shards, files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import safetensors
from safetensors.numpy import save as save_arrays

from ml.tensorfile import HeaderError, read_header

ShardScheme = Literal["iid", "dirichlet", "size"]
SHARD_SCHEMES: tuple[ShardScheme, ...] = ("iid", "dirichlet", "size")

# the safetensors __metadata__ key of a dataset file; its value is JSON
DATASET_METADATA_KEY = "learning_market.dataset"


class DatasetError(ValueError):
    """A dataset, its file or a split/shard request is not well formed."""


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Examples x (float32, shaped (n, *input_shape)) with int64 labels y in [0, num_classes)."""

    x: np.ndarray
    y: np.ndarray
    num_classes: int

    def __post_init__(self) -> None:
        _check_arrays(self.x, self.y, self.num_classes)
        # read-only copies: a frozen dataset must not change under whoever holds it
        for name, array, dtype in (("x", self.x, np.float32), ("y", self.y, np.int64)):
            array = np.array(array, dtype=dtype, order="C", copy=True)
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    def __len__(self) -> int:
        return len(self.y)

    def __repr__(self) -> str:
        shape, classes = self.input_shape, self.num_classes
        return f"Dataset(n={len(self)}, input_shape={shape}, num_classes={classes})"

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one example."""
        return tuple(self.x.shape[1:])

    def subset(self, indices: np.ndarray) -> Dataset:
        """The examples at `indices`, in that order."""
        return Dataset(self.x[indices], self.y[indices], self.num_classes)


def _check_arrays(x: np.ndarray, y: np.ndarray, num_classes: int) -> None:
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise DatasetError("x and y must be numpy arrays")
    if x.dtype.kind not in "fiu":
        raise DatasetError(f"x must hold real numbers, got dtype {x.dtype}")
    if y.dtype.kind not in "iu":
        raise DatasetError(f"y must hold integer class labels, got dtype {y.dtype}")
    if x.ndim < 2:
        raise DatasetError(f"x must be shaped (n, *input_shape), got shape {x.shape}")
    if y.ndim != 1:
        raise DatasetError(f"y must be shaped (n,), got shape {y.shape}")
    if len(x) != len(y):
        raise DatasetError(f"x has {len(x)} examples but y has {len(y)} labels")
    if len(y) == 0:
        raise DatasetError("the dataset is empty")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise DatasetError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    if y.min() < 0 or y.max() >= num_classes:
        raise DatasetError(f"labels must lie in [0, {num_classes}), got [{y.min()}, {y.max()}]")
    if not np.isfinite(x).all():
        raise DatasetError("x holds NaN or infinite values")


def load_digits() -> Dataset:
    """The 1,797 8x8 digits shipped with scikit-learn, scaled to [0, 1], shaped (1, 8, 8)."""
    from sklearn import datasets as sk_datasets  # sklearn costs as long to import as torch: only when used

    digits = sk_datasets.load_digits()
    x = (digits.images / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return Dataset(x, digits.target.astype(np.int64), num_classes=10)


def load_npz(path: str | Path, num_classes: int | None = None) -> Dataset:
    """A user's .npz with arrays `x` and `y` (no pickles); num_classes defaults to max(y) + 1."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in ("x", "y") if key not in npz.files]
            if missing:
                raise DatasetError(f"{path}: missing array(s) {missing}; found {sorted(npz.files)}")
            x, y = npz["x"], npz["y"]
    except (OSError, ValueError) as error:
        if isinstance(error, DatasetError):
            raise
        raise DatasetError(f"{path}: not a readable .npz without pickles: {error}") from error
    if y.dtype.kind not in "iu":
        raise DatasetError(f"{path}: y must hold integer class labels, got dtype {y.dtype}")
    if y.size and y.min() < 0:
        raise DatasetError(f"{path}: labels must be >= 0, got {y.min()}")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    try:
        return Dataset(x, y, num_classes)
    except DatasetError as error:
        raise DatasetError(f"{path}: {error}") from error


def split_dataset(
    ds: Dataset, val_fraction: float, test_fraction: float, seed: int
) -> tuple[Dataset, Dataset, Dataset]:
    """Train, validation and test sets, stratified by label, fixed by `seed`."""
    for name, fraction in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0 < fraction < 1:
            raise DatasetError(f"{name} must lie in (0, 1), got {fraction}")
    if val_fraction + test_fraction >= 1:
        raise DatasetError(
            f"val_fraction + test_fraction must be < 1, got {val_fraction + test_fraction}"
        )
    from sklearn.model_selection import train_test_split  # only when used (slow to import)

    indices = np.arange(len(ds))
    try:
        rest, test = train_test_split(
            indices, test_size=test_fraction, stratify=ds.y, random_state=seed
        )
        train, val = train_test_split(
            rest,
            test_size=val_fraction / (1 - test_fraction),
            stratify=ds.y[rest],
            random_state=seed,
        )
    except ValueError as error:
        raise DatasetError(f"cannot split {len(ds)} examples this way: {error}") from error
    return ds.subset(train), ds.subset(val), ds.subset(test)


def shard_dataset(
    ds: Dataset, n: int, scheme: ShardScheme, seed: int, alpha: float = 0.5
) -> list[Dataset]:
    """`n` non-empty shards: `iid`, label-skewed `dirichlet` or size-skewed `size` (by alpha)."""
    if not 1 <= n <= len(ds):
        raise DatasetError(f"cannot cut {len(ds)} examples into {n} non-empty shards")
    if scheme not in SHARD_SCHEMES:
        raise DatasetError(f"unknown shard scheme {scheme!r}; expected one of {SHARD_SCHEMES}")
    if not alpha > 0:
        raise DatasetError(f"alpha must be > 0, got {alpha}")
    rng = np.random.default_rng(seed)
    if scheme == "iid":
        parts = np.array_split(rng.permutation(len(ds)), n)
    elif scheme == "size":
        parts = _size_skewed(rng, len(ds), n, alpha)
    else:
        parts = _label_skewed(rng, ds.y, ds.num_classes, n, alpha)
    return [ds.subset(np.sort(part)) for part in parts]


def _size_skewed(rng: np.random.Generator, size: int, n: int, alpha: float) -> list[np.ndarray]:
    # everyone gets one example, the rest is dealt by Dirichlet(alpha) proportions
    sizes = 1 + rng.multinomial(size - n, rng.dirichlet(np.full(n, alpha)))
    return np.split(rng.permutation(size), np.cumsum(sizes)[:-1])


def _label_skewed(
    rng: np.random.Generator, y: np.ndarray, num_classes: int, n: int, alpha: float
) -> list[np.ndarray]:
    # each class is dealt to the shards by its own Dirichlet(alpha) proportions
    parts: list[list[int]] = [[] for _ in range(n)]
    for label in range(num_classes):
        members = rng.permutation(np.flatnonzero(y == label))
        counts = rng.multinomial(len(members), rng.dirichlet(np.full(n, alpha)))
        for shard, chunk in enumerate(np.split(members, np.cumsum(counts)[:-1])):
            parts[shard].extend(chunk.tolist())
    # an empty shard takes one example from the largest: deterministic and bounded
    for shard in range(n):
        if not parts[shard]:
            largest = max(range(n), key=lambda i: len(parts[i]))
            parts[shard].append(parts[largest].pop())
    return [np.array(part, dtype=np.int64) for part in parts]


def flip_labels(ds: Dataset, seed: int) -> Dataset:
    """A poisoned copy: labels mapped by a random derangement of the classes (none stays)."""
    rng = np.random.default_rng(seed)
    # Sattolo's algorithm draws a random single cycle, so no class maps to itself
    mapping = np.arange(ds.num_classes)
    for i in range(ds.num_classes - 1, 0, -1):
        j = int(rng.integers(0, i))
        mapping[i], mapping[j] = mapping[j], mapping[i]
    return Dataset(ds.x, mapping[ds.y], ds.num_classes)


def encode_dataset(ds: Dataset) -> bytes:
    """The dataset as a safetensors file (x, y; num_classes in metadata); same data, same bytes."""
    metadata = {
        DATASET_METADATA_KEY: json.dumps({"num_classes": ds.num_classes}, separators=(",", ":"))
    }
    return save_arrays(
        {"x": np.ascontiguousarray(ds.x), "y": np.ascontiguousarray(ds.y)}, metadata=metadata
    )


def decode_dataset(data: bytes) -> Dataset:
    """The dataset in a file from `encode_dataset`; refuses anything else with a `DatasetError`."""
    try:
        header = read_header(data)
        tensors = dict(safetensors.deserialize(data))
    except (HeaderError, safetensors.SafetensorError) as error:
        raise DatasetError(f"not a safetensors dataset file: {error}") from error
    try:
        num_classes = json.loads(header.metadata[DATASET_METADATA_KEY])["num_classes"]
    except (KeyError, TypeError, ValueError) as error:
        raise DatasetError(
            f"missing or invalid {DATASET_METADATA_KEY!r} metadata: {error!r}"
        ) from error
    expected = {"x": "F32", "y": "I64"}
    found = {name: info["dtype"] for name, info in tensors.items()}
    if found != expected:
        raise DatasetError(f"expected tensors {expected}, found {found}")
    x = np.frombuffer(tensors["x"]["data"], dtype="<f4").reshape(tensors["x"]["shape"])
    y = np.frombuffer(tensors["y"]["data"], dtype="<i8").reshape(tensors["y"]["shape"])
    return Dataset(x, y, num_classes)
