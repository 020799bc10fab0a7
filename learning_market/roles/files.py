"""The files the roles read: datasets and specs from disk, specs and models from the content store
by the digest the chain recorded. A file that cannot be used is refused in a sentence."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from content import ContentStore
from learning_market.checks import PreflightRefusal, Reason, TaskState, fetch_verified, store_file
from ml import (
    Dataset,
    DatasetError,
    Model,
    ModelFileError,
    TaskSpec,
    accuracy_bps,
    decode_dataset,
    decode_model,
    load_npz,
)
from ml.models import io_signature

T = TypeVar("T")


def _unreadable(path: Path, error: OSError) -> PreflightRefusal:
    return PreflightRefusal(Reason.BAD_FILE, f"{path} cannot be read: {(error.strerror or str(error)).lower()}.")


def load_dataset_file(path: str | Path, num_classes: int | None = None) -> Dataset:
    """A dataset from an .npz (arrays x and y) or from a dataset file written by `ml.encode_dataset`."""
    path = Path(path)
    try:
        if path.suffix == ".npz":
            return load_npz(path, num_classes)
        dataset = decode_dataset(path.read_bytes())
    except DatasetError as error:
        raise PreflightRefusal(Reason.BAD_FILE, f"{path} is not a dataset this market can use: {error}.") from error
    except OSError as error:
        raise _unreadable(path, error) from error
    if num_classes is not None and dataset.num_classes != num_classes:
        raise PreflightRefusal(
            Reason.BAD_FILE, f"{path} has {dataset.num_classes} classes, and the task has {num_classes}."
        )
    return dataset


def load_spec_file(path: str | Path) -> TaskSpec:
    """A task spec from a JSON file, validated by `ml.spec.TaskSpec`."""
    path = Path(path)
    try:
        return TaskSpec.from_json_bytes(path.read_bytes())
    except OSError as error:
        raise _unreadable(path, error) from error
    except ValueError as error:
        raise PreflightRefusal(Reason.BAD_FILE, f"{path} is not a valid task spec: {error}.") from error


def require_fits(spec: TaskSpec, dataset: Dataset, what: str) -> None:
    """Refuses a dataset whose examples or classes are not the task's."""
    shape, classes = tuple(spec.input_shape), int(spec.num_classes)
    if tuple(dataset.input_shape) != shape or dataset.num_classes != classes:
        raise PreflightRefusal(
            Reason.BAD_FILE,
            f"the {what} has examples shaped {list(dataset.input_shape)} in {dataset.num_classes} classes, and the "
            f"task needs {list(shape)} in {classes}.",
        )


def _fetch_decoded(store: ContentStore, digest: bytes, what: str, decode: Callable[[bytes], T]) -> T:
    """The file of `digest`, fetched and checked, then decoded; a file that does not decode is refused."""
    data = fetch_verified(store, digest, what)
    try:
        return decode(data)
    except ValueError as error:  # DatasetError and the spec's errors are ValueErrors
        raise PreflightRefusal(Reason.BAD_FILE, f"the {what} is not a usable file: {error}.") from error


def fetch_spec(store: ContentStore, state: TaskState) -> TaskSpec:
    """The task's spec, fetched by the digest the chain recorded and checked."""
    what = f"task spec of task {state.task_id}"
    return _fetch_decoded(store, state.params.spec_digest, what, TaskSpec.from_json_bytes)


def decode_model_file(data: bytes, digest: bytes, what: str) -> Model:
    """A model file's model (nothing in it runs), refused in a sentence if it is not one."""
    try:
        return decode_model(data, digest)
    except ModelFileError as error:
        raise PreflightRefusal(
            Reason.BAD_FILE, f"the {what} 0x{digest.hex()} is not a usable model file: {error}."
        ) from error


def fetch_model(store: ContentStore, digest: bytes, what: str) -> Model:
    """A model file fetched by digest, checked, and decoded."""
    return decode_model_file(fetch_verified(store, digest, what), digest, what)


def fetch_shards(store: ContentStore, digests: Sequence[bytes], what: str) -> list[Dataset]:
    """Shard files fetched by the digests the chain recorded, each checked and decoded."""
    return [
        _fetch_decoded(store, digest, f"{what} shard 0x{digest.hex()[:12]}…", decode_dataset) for digest in digests
    ]


def revealed_shards(state: TaskState, digests: Sequence[bytes], audit: bool) -> list[bytes]:
    """The digests of the task's audit shards (`audit`) or test shards, once revealed (else refused)."""
    indices = state.audit_indices if audit else state.test_indices
    revealed = state.audit_revealed if audit else state.test_revealed
    if not revealed:
        what = "audit shards" if audit else "test set"
        raise PreflightRefusal(Reason.TOO_EARLY, f"the {what} of task {state.task_id} is not revealed.")
    return [digests[i] for i in indices]


def cut_into_shards(dataset: Dataset, shards: int) -> list[Dataset]:
    """`shards` shards of the same size (the spec's rule: every shard holds as many examples), from a
    random permutation of the examples; the few left over when the size does not divide are left out."""
    size = len(dataset) // shards
    if size == 0:
        raise PreflightRefusal(
            Reason.BAD_PARAMETER, f"a test set of {len(dataset)} examples cannot be cut into {shards} shards."
        )
    order = np.random.default_rng(secrets.randbits(64)).permutation(len(dataset))
    return [dataset.subset(np.sort(order[i * size:(i + 1) * size])) for i in range(shards)]


def fused_accuracy(store: ContentStore, state: TaskState, shard_digests: Sequence[bytes]) -> int:
    """The fused model's accuracy (bps) on the task's revealed test shards, all fetched by the digests the
    chain recorded and checked."""
    if state.fused_digest == bytes(32):
        raise PreflightRefusal(Reason.TOO_EARLY, f"task {state.task_id} has no fused model yet.")
    if not state.test_revealed:
        raise PreflightRefusal(Reason.TOO_EARLY, f"the test set of task {state.task_id} was never revealed.")
    model = fetch_model(store, state.fused_digest, f"fused model of task {state.task_id}")
    test_set = concatenate(fetch_shards(store, revealed_shards(state, shard_digests, audit=False), "test"))
    return accuracy_bps(model.module, test_set)


def concatenate(shards: Sequence[Dataset]) -> Dataset:
    """The shards' examples as one dataset, in shard order."""
    return Dataset(
        np.concatenate([s.x for s in shards]), np.concatenate([s.y for s in shards]), shards[0].num_classes
    )


def with_initial_model(store: ContentStore, spec: TaskSpec, model_file: bytes) -> TaskSpec:
    """The spec naming `model_file` (put into the store) as the model contributors start from."""
    try:
        decode_model(model_file)
    except ModelFileError as error:
        raise PreflightRefusal(Reason.BAD_FILE, f"the initial model is not a usable model file: {error}.") from error
    return dataclasses.replace(spec, initial_model=store_file(store, model_file, "initial model"))


def require_initial_model_fits(store: ContentStore, spec: TaskSpec) -> bytes | None:
    """The file of the spec's initial model (None if it names none), refused unless it takes the spec's
    inputs and gives its classes."""
    if spec.initial_model is None:
        return None
    what = "initial model named by the spec"
    data = fetch_verified(store, spec.initial_model, what)
    initial = decode_model_file(data, spec.initial_model, what)
    if io_signature(initial.architecture) != (tuple(spec.input_shape), int(spec.num_classes)):
        raise PreflightRefusal(
            Reason.BAD_FILE, "the spec's initial model does not take the spec's inputs or give its classes."
        )
    return data
