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
from ml.fusion import STRATEGIES, Exclusion, FusionError, FusionResult, FusionSettings, fuse, fuse_models
from ml.modelfile import (
    CidError,
    ModelFileError,
    cid_to_digest,
    decode_model,
    digest_to_cid,
    encode_model,
    sha256_digest,
)
from ml.models import (
    Architecture,
    ArchitectureError,
    Model,
    architecture_names,
    build_model,
    register_architecture,
)
from ml.spec import SpecError, TaskSpec
from ml.store import ContentStore, IpfsHttpStore, LocalStore, StoreError
from ml.train import EpochMetrics, TrainConfig, TrainResult, set_seed, train

__all__ = [
    "STRATEGIES",
    "Architecture",
    "ArchitectureError",
    "CidError",
    "ContentStore",
    "Dataset",
    "DatasetError",
    "EpochMetrics",
    "FusionError",
    "IpfsHttpStore",
    "LocalStore",
    "Model",
    "ModelFileError",
    "SpecError",
    "StoreError",
    "TaskSpec",
    "TrainConfig",
    "TrainResult",
    "accuracy_bps",
    "architecture_names",
    "build_model",
    "cid_to_digest",
    "decode_dataset",
    "decode_model",
    "digest_to_cid",
    "encode_dataset",
    "encode_model",
    "flip_labels",
    "fuse",
    "load_digits",
    "load_npz",
    "predict_logits",
    "register_architecture",
    "set_seed",
    "sha256_digest",
    "shard_dataset",
    "split_dataset",
    "train",
]
