"""Model files: deterministic safetensors with an architecture header, strict decoding."""

from __future__ import annotations

import io
import json
import pickle
import random
import struct

import pytest
import torch
from safetensors.torch import save as save_tensors

from content import sha256_digest
from ml import ModelFileError, decode_model, encode_model
from ml.modelfile import ARCHITECTURE_METADATA_KEY

LOGISTIC = {"name": "logistic", "input_shape": [1, 8, 8], "num_classes": 10}
MLP = {
    "name": "mlp",
    "input_shape": [1, 8, 8],
    "num_classes": 10,
    "hidden_sizes": [32],
}  # as trained_mlp


def _file(tensors: dict[str, torch.Tensor], architecture: object = LOGISTIC) -> bytes:
    text = architecture if isinstance(architecture, str) else json.dumps(architecture)
    return save_tensors(tensors, metadata={ARCHITECTURE_METADATA_KEY: text})


def _logistic_tensors() -> dict[str, torch.Tensor]:
    return {"1.weight": torch.zeros(10, 64), "1.bias": torch.zeros(10)}


def test_encode_model__decodes_to_the_same_outputs(trained_mlp, digits_split):
    data = encode_model(trained_mlp.module, trained_mlp.architecture)

    loaded = decode_model(data, sha256_digest(data))

    x = torch.tensor(digits_split[2].x)
    assert loaded.architecture == trained_mlp.architecture
    assert torch.equal(loaded.module.eval()(x), trained_mlp.module.eval()(x))


def test_encode_model__same_weights__same_bytes(trained_mlp):
    data = encode_model(trained_mlp.module, trained_mlp.architecture)

    assert encode_model(decode_model(data).module, dict(reversed(list(MLP.items())))) == data


def test_encode_model__architecture_does_not_match_module__refused(trained_mlp):
    with pytest.raises(ModelFileError, match="tensors do not match the architecture"):
        encode_model(trained_mlp.module, LOGISTIC)


def test_decode_model__flipped_byte__refused_by_digest(trained_mlp):
    data = bytearray(encode_model(trained_mlp.module, trained_mlp.architecture))
    digest = sha256_digest(bytes(data))
    data[len(data) // 2] ^= 0x01

    with pytest.raises(ModelFileError, match=f"digest mismatch: expected 0x{digest.hex()}"):
        decode_model(bytes(data), digest)


def test_decode_model__pickle_file__refused_without_unpickling():
    buffer = io.BytesIO()
    torch.save({"1.weight": torch.zeros(10, 64)}, buffer)

    for data in (pickle.dumps({"weights": [1.0, 2.0]}), buffer.getvalue()):
        with pytest.raises(ModelFileError, match="not a safetensors model file"):
            decode_model(data)


def test_decode_model__random_bytes__refused():
    data = random.Random(0).randbytes(4096)

    with pytest.raises(ModelFileError, match="not a safetensors model file: header length"):
        decode_model(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "0 bytes is too short"),
        (struct.pack("<Q", 3) + b"{x}", "header is not UTF-8 JSON"),
        (struct.pack("<Q", 2) + b"[]", "header is not a JSON object"),
        (save_tensors(_logistic_tensors()), "no 'learning_market.architecture' metadata"),
        (_file(_logistic_tensors(), "{not json"), "is not JSON"),
        (_file(_logistic_tensors(), [1, 2]), "is not a JSON object"),
        (
            _file(_logistic_tensors(), {"name": "gpt5"}),
            "invalid architecture: unknown architecture 'gpt5'",
        ),
        (
            _file(_logistic_tensors(), {**LOGISTIC, "num_classes": 0}),
            "invalid architecture: num_classes",
        ),
        (_file({"1.weight": torch.zeros(10, 64)}), r"missing \['1.bias'\], unexpected \[\]"),
        (
            _file({**_logistic_tensors(), "extra": torch.zeros(1)}),
            r"missing \[\], unexpected \['extra'\]",
        ),
        (
            _file({"1.weight": torch.zeros(10, 63), "1.bias": torch.zeros(10)}),
            r"'1.weight' is \(\(10, 63\), 'F32'\)",
        ),
        (
            _file(
                {"1.weight": torch.zeros(10, 64, dtype=torch.float64), "1.bias": torch.zeros(10)}
            ),
            "'F64'",
        ),
        (
            _file({"1.weight": torch.zeros(10, 64), "1.bias": torch.full((10,), float("nan"))}),
            "'1.bias' holds NaN",
        ),
        (
            _file({"1.weight": torch.full((10, 64), float("inf")), "1.bias": torch.zeros(10)}),
            "'1.weight' holds NaN or inf",
        ),
    ],
    ids=[
        "empty",
        "header-not-json",
        "header-not-object",
        "no-architecture",
        "architecture-not-json",
        "architecture-not-object",
        "unknown-architecture",
        "bad-hyperparameter",
        "missing-tensor",
        "extra-tensor",
        "wrong-shape",
        "wrong-dtype",
        "nan",
        "inf",
    ],
)
def test_decode_model__malformed__refused_saying_why(data, message):
    with pytest.raises(ModelFileError, match=message):
        decode_model(data)


def test_decode_model__huge_architecture_in_header__refused_before_allocating():
    architecture = {**MLP, "hidden_sizes": [10**7, 10**7]}  # 10^14 weights if built

    with pytest.raises(ModelFileError, match="tensors do not match the architecture"):
        decode_model(_file(_logistic_tensors(), architecture))


@pytest.mark.parametrize(
    "architecture",
    [
        {**LOGISTIC, "num_classes": 10**30},
        {**MLP, "input_shape": [10**6, 10**6, 10**6]},
        {"name": "cnn", "input_shape": [1, 8, 8], "num_classes": 10, "channels": [10**30]},
    ],
    ids=["classes-beyond-int64", "input-beyond-storage", "channels-beyond-int64"],
)
def test_decode_model__sizes_torch_cannot_take__refused_as_a_model_file_error(architecture):
    """A stranger's header can name sizes torch refuses with TypeError or RuntimeError: the file is refused
    like any other malformed one, so that a verifier scores it 0 (or skips it) instead of stopping."""
    with pytest.raises(ModelFileError, match=r"invalid architecture: \w+: cannot be built"):
        decode_model(_file(_logistic_tensors(), architecture))


def test_decode_model__loaded_weights_do_not_alias_the_input_bytes(trained_mlp):
    data = encode_model(trained_mlp.module, trained_mlp.architecture)
    loaded = decode_model(data)

    with torch.no_grad():
        next(loaded.module.parameters()).add_(1.0)

    assert decode_model(data).module.state_dict().keys() == loaded.module.state_dict().keys()
    assert encode_model(decode_model(data).module, MLP) == data
