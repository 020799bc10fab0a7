"""The header of a safetensors file, read strictly before any tensor is touched."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

# safetensors' own limit on the JSON header
MAX_HEADER_BYTES = 100_000_000


class HeaderError(ValueError):
    """The bytes do not start with a well-formed safetensors header."""


@dataclass(frozen=True)
class TensorInfo:
    """One tensor's entry in the header."""

    dtype: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Header:
    """The string metadata and the tensor entries of a safetensors file."""

    metadata: dict[str, str]
    tensors: dict[str, TensorInfo]


def read_header(data: bytes) -> Header:
    """The parsed header of a safetensors file; raises `HeaderError` saying what is wrong."""
    if len(data) < 8:
        raise HeaderError(f"{len(data)} bytes is too short for a safetensors file")
    (length,) = struct.unpack("<Q", data[:8])
    if length > min(MAX_HEADER_BYTES, len(data) - 8):
        raise HeaderError(
            f"header length {length} exceeds the {len(data) - 8} bytes that follow it"
        )
    try:
        header = json.loads(data[8 : 8 + length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise HeaderError(f"header is not UTF-8 JSON: {error}") from error
    if not isinstance(header, dict):
        raise HeaderError("header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise HeaderError("__metadata__ is not an object of strings")
    tensors = {}
    for name, entry in header.items():
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("dtype"), str)
            or not _is_shape(entry.get("shape"))
        ):
            raise HeaderError(f"tensor {name!r} has no valid dtype and shape")
        tensors[name] = TensorInfo(entry["dtype"], tuple(entry["shape"]))
    return Header(metadata, tensors)


def _is_shape(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in value
    )
