"""Off-chain machine learning for the learning market: data, specs, models, files, fusion."""

from ml.data import (
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
from ml.evaluate import accuracy_bps, predict_logits
from ml.fusion import STRATEGIES, FusionError, fuse
from ml.modelfile import ModelFileError, decode_model, encode_model
from ml.models import (
    Architecture,
    ArchitectureError,
    Model,
    architecture_names,
    build_model,
    register_architecture,
)
from ml.scoring import ModelScore, Scores, ScoringError, ScoringRules, score_models
from ml.spec import SpecError, TaskSpec
from ml.train import EpochMetrics, GradientTransform, TrainConfig, TrainResult, set_seed, train

__all__ = [
    "STRATEGIES",
    "Architecture",
    "ArchitectureError",
    "Dataset",
    "DatasetError",
    "EpochMetrics",
    "FusionError",
    "GradientTransform",
    "Model",
    "ModelFileError",
    "ModelScore",
    "Scores",
    "ScoringError",
    "ScoringRules",
    "SpecError",
    "TaskSpec",
    "TrainConfig",
    "TrainResult",
    "accuracy_bps",
    "architecture_names",
    "build_model",
    "decode_dataset",
    "decode_model",
    "encode_dataset",
    "encode_model",
    "flip_labels",
    "fuse",
    "load_digits",
    "load_npz",
    "predict_logits",
    "register_architecture",
    "score_models",
    "set_seed",
    "shard_dataset",
    "split_dataset",
    "train",
]
