"""Model files: safetensors weights and the architecture as JSON metadata."""

from __future__ import annotations

import json

import safetensors
import torch
from safetensors.torch import save as save_tensors
from torch import nn

from content import sha256_digest
from ml.models import (
    Architecture,
    ArchitectureError,
    Model,
    architecture_json,
    expected_tensors,
    load_module,
)
from ml.privacy import PrivacyError, PrivacyGuarantee
from ml.tensorfile import HeaderError, read_header

# the safetensors __metadata__ key of a model file; its value is the architecture's JSON
ARCHITECTURE_METADATA_KEY = "learning_market.architecture"
# the optional key of a model trained with differential privacy: {"delta": ..., "epsilon": ...}
PRIVACY_METADATA_KEY = "learning_market.privacy"

# safetensors dtype names of the tensors a model file may hold
_DTYPE_NAMES = {torch.float32: "F32"}


class ModelFileError(ValueError):
    """Bytes that are not a well-formed model file, or not the file that was asked for."""


def encode_model(
    model: nn.Module, architecture: Architecture, *, privacy: PrivacyGuarantee | None = None
) -> bytes:
    """The model file of `model` (which must match `architecture`); same weights, same bytes.

    `privacy`, for a model trained with differential privacy, is recorded beside the
    architecture: the (epsilon, delta) its trainer claims towards its training data.
    """
    tensors = {name: t.detach().cpu().contiguous() for name, t in model.state_dict().items()}
    _check_tensors(
        {name: (tuple(t.shape), _dtype_name(t.dtype)) for name, t in tensors.items()}, architecture
    )
    metadata = {ARCHITECTURE_METADATA_KEY: architecture_json(architecture)}
    if privacy is not None:
        metadata[PRIVACY_METADATA_KEY] = json.dumps(
            {"delta": privacy.delta, "epsilon": privacy.epsilon},
            sort_keys=True,
            separators=(",", ":"),
            allow_nan=False,
        )
    return save_tensors(tensors, metadata=metadata)


def decode_model(data: bytes, expected_digest: bytes | None = None) -> Model:
    """The model in a model file, digest checked first; refuses anything else (`ModelFileError`).

    Nothing in the file is executed: the header is JSON, the weights are raw little-endian floats.
    """
    if expected_digest is not None and sha256_digest(data) != expected_digest:
        raise ModelFileError(
            f"digest mismatch: expected 0x{expected_digest.hex()}, "
            f"the bytes hash to 0x{sha256_digest(data).hex()}"
        )
    try:
        header = read_header(data)
    except HeaderError as error:
        raise ModelFileError(f"not a safetensors model file: {error}") from error
    architecture = _read_architecture(header.metadata)
    privacy = _read_privacy(header.metadata)
    _check_tensors(
        {name: (info.shape, info.dtype) for name, info in header.tensors.items()}, architecture
    )
    try:
        tensors = {name: _tensor(view) for name, view in safetensors.deserialize(data)}
    except safetensors.SafetensorError as error:
        raise ModelFileError(f"not a safetensors model file: {error}") from error
    for name, tensor in tensors.items():
        if not torch.isfinite(tensor).all():
            raise ModelFileError(f"tensor {name!r} holds NaN or infinite values")
    return Model(load_module(architecture, tensors), architecture, privacy)


def _read_privacy(metadata: dict[str, str]) -> PrivacyGuarantee | None:
    if PRIVACY_METADATA_KEY not in metadata:
        return None
    try:
        claim = json.loads(metadata[PRIVACY_METADATA_KEY])
    except (ValueError, RecursionError) as error:
        raise ModelFileError(f"{PRIVACY_METADATA_KEY!r} is not JSON: {error}") from error
    if not isinstance(claim, dict) or sorted(claim) != ["delta", "epsilon"]:
        raise ModelFileError(
            f"{PRIVACY_METADATA_KEY!r} must be an object of exactly epsilon and delta, "
            f"got {claim!r}"
        )
    try:
        return PrivacyGuarantee(epsilon=claim["epsilon"], delta=claim["delta"])
    except PrivacyError as error:
        raise ModelFileError(f"{PRIVACY_METADATA_KEY!r}: {error}") from error


def _read_architecture(metadata: dict[str, str]) -> Architecture:
    if ARCHITECTURE_METADATA_KEY not in metadata:
        raise ModelFileError(
            f"header has no {ARCHITECTURE_METADATA_KEY!r} metadata: not a model file"
        )
    try:
        architecture = json.loads(metadata[ARCHITECTURE_METADATA_KEY])
    except (ValueError, RecursionError) as error:
        raise ModelFileError(f"{ARCHITECTURE_METADATA_KEY!r} is not JSON: {error}") from error
    if not isinstance(architecture, dict):
        raise ModelFileError(f"{ARCHITECTURE_METADATA_KEY!r} is not a JSON object")
    return architecture


def _dtype_name(dtype: torch.dtype) -> str:
    return _DTYPE_NAMES.get(dtype, str(dtype))


def _check_tensors(
    found: dict[str, tuple[tuple[int, ...], str]], architecture: Architecture
) -> None:
    try:
        expected = {
            name: (shape, _dtype_name(dtype))
            for name, (shape, dtype) in expected_tensors(architecture).items()
        }
    except ArchitectureError as error:
        raise ModelFileError(f"invalid architecture: {error}") from error
    if found.keys() != expected.keys():
        missing, extra = (
            sorted(expected.keys() - found.keys()),
            sorted(found.keys() - expected.keys()),
        )
        raise ModelFileError(
            f"tensors do not match the architecture: missing {missing}, unexpected {extra}"
        )
    for name, (shape, dtype) in expected.items():
        if found[name] != (shape, dtype):
            raise ModelFileError(
                f"tensor {name!r} is {found[name]}, the architecture needs {(shape, dtype)}"
            )


def _tensor(view: dict) -> torch.Tensor:
    # only F32 tensors get here (checked against the architecture), stored little-endian
    flat = torch.frombuffer(view["data"], dtype=torch.float32) if view["data"] else torch.empty(0)
    return flat.reshape(view["shape"])
