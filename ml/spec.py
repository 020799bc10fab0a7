"""The task spec: a JSON file, published by digest, telling contributors what to deliver."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from ml.models import (
    Architecture,
    ArchitectureError,
    architecture_json,
    expected_tensors,
    io_signature,
)
from ml.privacy import PrivacyConfig, PrivacyError
from ml.scoring import ScoringError, ScoringRules
from ml.train import TrainConfig

SPEC_VERSION = 1
METRICS = ("accuracy",)
_FIELDS = (
    "version",
    "input_shape",
    "num_classes",
    "metric",
    "architecture",
    "training",
    "scoring",
    "initial_model",
)
_REQUIRED = ("input_shape", "num_classes", "metric", "architecture")
_DIGEST = re.compile(r"0x[0-9a-f]{64}")


class SpecError(ValueError):
    """A task spec field that is missing or wrong; `field` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class TaskSpec:
    """What the initiator asks for: data schema, metric, architecture, hint, initial model."""

    input_shape: tuple[int, ...]
    num_classes: int
    architecture: (
        Architecture  # complete, as in a model file: {"name": ..., "input_shape": ..., ...}
    )
    metric: str = "accuracy"
    training: TrainConfig | None = None  # a hint; contributors may train as they like
    # how verifiers score (ml/scoring.py); absent from a file: the defaults
    scoring: ScoringRules = dataclasses.field(default_factory=ScoringRules)
    initial_model: bytes | None = None  # SHA-256 digest of the model file to start from
    version: int = SPEC_VERSION

    def __post_init__(self) -> None:
        if self.version != SPEC_VERSION:
            raise SpecError(
                "version",
                f"unsupported spec version {self.version!r}; this code reads {SPEC_VERSION}",
            )
        if (
            not isinstance(self.input_shape, (list, tuple))
            or not self.input_shape
            or not all(_is_int(d) and d > 0 for d in self.input_shape)
        ):
            raise SpecError(
                "input_shape",
                f"must be a non-empty list of positive integers, got {self.input_shape!r}",
            )
        object.__setattr__(self, "input_shape", tuple(self.input_shape))
        if not _is_int(self.num_classes) or self.num_classes < 2:
            raise SpecError("num_classes", f"must be an integer >= 2, got {self.num_classes!r}")
        if self.metric not in METRICS:
            raise SpecError("metric", f"must be one of {METRICS}, got {self.metric!r}")
        object.__setattr__(
            self,
            "architecture",
            _check_architecture(self.architecture, self.input_shape, self.num_classes),
        )
        if self.training is not None and not isinstance(self.training, TrainConfig):
            raise SpecError(
                "training", f"must be a TrainConfig, got {type(self.training).__name__}"
            )
        if self.initial_model is not None and (
            not isinstance(self.initial_model, bytes) or len(self.initial_model) != 32
        ):
            raise SpecError(
                "initial_model", f"must be a 32-byte SHA-256 digest, got {self.initial_model!r}"
            )
        if not isinstance(self.scoring, ScoringRules):
            raise SpecError("scoring", f"must be ScoringRules, got {type(self.scoring).__name__}")

    def to_json_bytes(self) -> bytes:
        """Canonical file: compact JSON, sorted keys, trailing newline; same spec, same bytes."""
        document: dict[str, Any] = {
            "version": self.version,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "metric": self.metric,
            "architecture": self.architecture,
        }
        if self.training is not None:
            document["training"] = training_document(self.training)
        if self.initial_model is not None:
            document["initial_model"] = "0x" + self.initial_model.hex()
        document["scoring"] = self.scoring.to_json()
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
        return (text + "\n").encode()

    @classmethod
    def from_json_bytes(cls, data: bytes) -> TaskSpec:
        """The spec in a JSON file; raises `SpecError` naming the first bad field."""
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise SpecError("spec", f"not UTF-8 JSON: {error}") from error
        if not isinstance(document, dict):
            raise SpecError("spec", f"must be a JSON object, got {type(document).__name__}")
        for field in document:
            if field not in _FIELDS:
                raise SpecError(field, f"unknown field; expected some of {_FIELDS}")
        for field in _REQUIRED:
            if field not in document:
                raise SpecError(field, "missing")
        return cls(
            input_shape=document["input_shape"],
            num_classes=document["num_classes"],
            architecture=document["architecture"],
            metric=document["metric"],
            training=_training(document["training"]) if "training" in document else None,
            initial_model=_digest(document["initial_model"])
            if "initial_model" in document
            else None,
            scoring=_scoring(document["scoring"]) if "scoring" in document else ScoringRules(),
            version=document.get("version", SPEC_VERSION),
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_architecture(
    architecture: Any, input_shape: tuple[int, ...], num_classes: int
) -> Architecture:
    if not isinstance(architecture, dict):
        raise SpecError("architecture", f"must be an object with a name, got {architecture!r}")
    try:
        normalised = json.loads(architecture_json(architecture))
        expected_tensors(normalised)
    except (ArchitectureError, TypeError, ValueError) as error:
        raise SpecError("architecture", str(error)) from error
    signature = io_signature(normalised)
    if signature != (input_shape, num_classes):
        raise SpecError(
            "architecture",
            f"takes input_shape {list(signature[0])} with {signature[1]} classes, "
            f"the spec says {list(input_shape)} with {num_classes}",
        )
    return normalised


def training_document(config: TrainConfig) -> dict[str, Any]:
    """The `training` section of a spec: every field of the config that is set (not None)."""
    return {key: value for key, value in dataclasses.asdict(config).items() if value is not None}


def _training(hint: Any) -> TrainConfig:
    fields = _known_fields("training", hint, TrainConfig)
    if "privacy" in fields:
        fields["privacy"] = _privacy(fields["privacy"])
    try:
        return TrainConfig(**fields)
    except ValueError as error:
        raise SpecError(f"training.{str(error).split()[0]}", str(error)) from error


def _scoring(section: Any) -> ScoringRules:
    try:
        return ScoringRules.from_json(section)
    except ScoringError as error:
        field = "scoring" if error.field == "scoring" else f"scoring.{error.field}"
        raise SpecError(field, error.problem) from error


def _privacy(section: Any) -> PrivacyConfig:
    fields = _known_fields("training.privacy", section, PrivacyConfig)
    try:
        return PrivacyConfig(**fields)
    except PrivacyError as error:
        raise SpecError(f"training.privacy.{str(error).split()[0]}", str(error)) from error


def _known_fields(where: str, section: Any, config: type) -> dict[str, Any]:
    if not isinstance(section, dict):
        raise SpecError(where, f"must be an object, got {section!r}")
    known = [f.name for f in dataclasses.fields(config)]
    for key, value in section.items():
        if key not in known:
            raise SpecError(f"{where}.{key}", f"unknown field; expected some of {known}")
        if isinstance(value, float) and not math.isfinite(value):
            raise SpecError(f"{where}.{key}", f"must be finite, got {value}")
    return dict(section)


def _digest(value: Any) -> bytes:
    if not isinstance(value, str) or not _DIGEST.fullmatch(value.lower()):
        raise SpecError(
            "initial_model", f"must be '0x' and 64 hex digits (a SHA-256 digest), got {value!r}"
        )
    return bytes.fromhex(value[2:])
