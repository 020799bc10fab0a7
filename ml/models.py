"""Models built by name from a JSON architecture description, and the registry of those names."""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ml.privacy import PrivacyGuarantee

# {"name": "mlp", "input_shape": [1, 8, 8], "num_classes": 10, "hidden_sizes": [64]}: JSON-ready
Architecture = Mapping[str, Any]
Builder = Callable[..., nn.Module]

# composite architectures (ensembles of ensembles ...) nest at most this deep
MAX_NESTING = 4

_REGISTRY: dict[str, Builder] = {}


class ArchitectureError(ValueError):
    """An architecture description that cannot be built."""


@dataclass(frozen=True)
class Model:
    """A network, the architecture description that builds it, and its DP claim if any."""

    module: nn.Module
    architecture: Architecture
    privacy: PrivacyGuarantee | None = None  # (epsilon, delta) claimed by whoever trained it


def register_architecture(name: str) -> Callable[[Builder], Builder]:
    """Decorator: `build_model({"name": name, **kwargs})` calls the builder with kwargs."""

    def register(builder: Builder) -> Builder:
        if name in _REGISTRY:
            raise ValueError(f"architecture {name!r} is already registered")
        _REGISTRY[name] = builder
        return builder

    return register


def architecture_names() -> list[str]:
    """The registered architecture names."""
    return sorted(_REGISTRY)


def build_model(architecture: Architecture) -> nn.Module:
    """A freshly initialised network (from torch's global RNG: call `set_seed` first)."""
    _check_nesting(architecture, depth=0)
    name = architecture.get("name")
    if name not in _REGISTRY:
        raise ArchitectureError(
            f"unknown architecture {name!r}; registered: {architecture_names()}"
        )
    builder = _REGISTRY[name]
    kwargs = {key: value for key, value in architecture.items() if key != "name"}
    try:
        inspect.signature(builder).bind(**kwargs)
    except TypeError as error:
        raise ArchitectureError(f"{name}: {error}") from error
    try:
        return builder(**kwargs)
    except (TypeError, OverflowError, RuntimeError, MemoryError) as error:  # sizes torch cannot take
        raise ArchitectureError(f"{name}: cannot be built ({error})") from error


def expected_tensors(architecture: Architecture) -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """Name -> (shape, dtype) of every tensor in the state dict, without allocating them."""
    with torch.device("meta"):
        module = build_model(architecture)
    return {name: (tuple(t.shape), t.dtype) for name, t in module.state_dict().items()}


def load_module(architecture: Architecture, tensors: Mapping[str, torch.Tensor]) -> nn.Module:
    """The network for `architecture` holding exactly `tensors` (no random initialisation)."""
    with torch.device("meta"):
        module = build_model(architecture)
    module.load_state_dict(tensors, strict=True, assign=True)
    return module


def architecture_json(architecture: Architecture) -> str:
    """The canonical JSON text of an architecture: equal architectures, equal text."""
    return json.dumps(architecture, sort_keys=True, separators=(",", ":"), allow_nan=False)


def io_signature(architecture: Architecture) -> tuple[tuple[int, ...], int]:
    """(input_shape, num_classes) of a buildable architecture."""
    if "members" in architecture:
        return io_signature(architecture["members"][0])
    return tuple(architecture["input_shape"]), architecture["num_classes"]


def _check_nesting(architecture: Architecture, depth: int) -> None:
    if not isinstance(architecture, Mapping):
        raise ArchitectureError(
            f"an architecture must be a JSON object, got {type(architecture).__name__}"
        )
    if depth > MAX_NESTING:
        raise ArchitectureError(f"architectures nest at most {MAX_NESTING} deep")
    members = architecture.get("members")
    if isinstance(members, Sequence) and not isinstance(members, str):
        for member in members:
            _check_nesting(member, depth + 1)


def _positive_ints(name: str, value: Any, *, min_length: int) -> list[int]:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) < min_length:
        raise ArchitectureError(
            f"{name} must be a list of at least {min_length} positive integers, got {value!r}"
        )
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        raise ArchitectureError(f"{name} must hold positive integers, got {value!r}")
    return list(value)


def _io(input_shape: Any, num_classes: Any) -> tuple[list[int], int]:
    shape = _positive_ints("input_shape", input_shape, min_length=1)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ArchitectureError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    return shape, num_classes


@register_architecture("logistic")
def logistic(input_shape: Sequence[int], num_classes: int) -> nn.Module:
    """Multinomial logistic regression on the flattened input."""
    shape, classes = _io(input_shape, num_classes)
    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(shape), classes))


@register_architecture("mlp")
def mlp(input_shape: Sequence[int], num_classes: int, hidden_sizes: Sequence[int]) -> nn.Module:
    """A ReLU perceptron on the flattened input with the given hidden layer widths."""
    shape, classes = _io(input_shape, num_classes)
    layers: list[nn.Module] = [nn.Flatten()]
    width = math.prod(shape)
    for hidden in _positive_ints("hidden_sizes", hidden_sizes, min_length=0):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    return nn.Sequential(*layers, nn.Linear(width, classes))


@register_architecture("cnn")
def cnn(input_shape: Sequence[int], num_classes: int, channels: Sequence[int]) -> nn.Module:
    """Blocks of 3x3 conv, ReLU and 2x2 max-pool (one per channels entry), then a linear layer."""
    shape, classes = _io(input_shape, num_classes)
    if len(shape) != 3:
        raise ArchitectureError(f"cnn needs input_shape [channels, height, width], got {shape}")
    widths = _positive_ints("channels", channels, min_length=1)
    in_channels, height, width = shape
    if min(height, width) < 2 ** len(widths):
        raise ArchitectureError(
            f"{len(widths)} pooling blocks need height and width >= {2 ** len(widths)}, got {shape}"
        )
    layers: list[nn.Module] = []
    for out_channels in widths:
        layers += [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        in_channels, height, width = out_channels, height // 2, width // 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(in_channels * height * width, classes))


@register_architecture("cnn1d")
def cnn1d(
    input_shape: Sequence[int], num_classes: int, channels: Sequence[int], kernel_size: int
) -> nn.Module:
    """Blocks of 1-d convolution (stride 2, length-halving) and ReLU, one per channels entry,
    then a linear layer: the MNIST-1D paper's CNN is channels [25, 25, 25]."""
    shape, classes = _io(input_shape, num_classes)
    if len(shape) != 2:
        raise ArchitectureError(f"cnn1d needs input_shape [channels, length], got {shape}")
    widths = _positive_ints("channels", channels, min_length=1)
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size < 1:
        raise ArchitectureError(f"kernel_size must be a positive integer, got {kernel_size!r}")
    in_channels, length = shape
    layers: list[nn.Module] = []
    for out_channels in widths:
        if length < 2:
            raise ArchitectureError(
                f"{len(widths)} stride-2 blocks need a longer input than {shape[1]}"
            )
        layers += [
            nn.Conv1d(in_channels, out_channels, kernel_size, stride=2, padding=kernel_size // 2),
            nn.ReLU(),
        ]
        in_channels, length = out_channels, (length + 2 * (kernel_size // 2) - kernel_size) // 2 + 1
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(in_channels * length, classes))


class Ensemble(nn.Module):
    """Log of the weighted average of the members' softmax probabilities."""

    def __init__(self, members: Sequence[nn.Module], weights: Sequence[float]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        total = sum(weights)
        self.shares = [w / total for w in weights]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probabilities = sum(
            s * torch.softmax(m(x), dim=1) for s, m in zip(self.shares, self.members)
        )
        return torch.log(probabilities.clamp_min(torch.finfo(probabilities.dtype).tiny))


class Stacked(nn.Module):
    """A linear layer over the members' concatenated log-probabilities."""

    def __init__(self, members: Sequence[nn.Module], num_classes: int) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.combiner = nn.Linear(len(members) * num_classes, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.combiner(self.member_features(x))

    def member_features(self, x: torch.Tensor) -> torch.Tensor:
        """The combiner's input: every member's log-softmax, side by side."""
        return torch.cat([torch.log_softmax(m(x), dim=1) for m in self.members], dim=1)


def _members(members: Any) -> tuple[list[nn.Module], int]:
    if not isinstance(members, Sequence) or isinstance(members, str) or not members:
        raise ArchitectureError("members must be a non-empty list of architectures")
    modules = [build_model(member) for member in members]
    signatures = {io_signature(member) for member in members}
    if len(signatures) != 1:
        raise ArchitectureError(
            f"members disagree on (input_shape, num_classes): {sorted(signatures)}"
        )
    return modules, signatures.pop()[1]


@register_architecture("ensemble")
def ensemble(members: Sequence[Architecture], weights: Sequence[float]) -> nn.Module:
    """Weighted average of the members' probabilities (members may differ in architecture)."""
    modules, _ = _members(members)
    if not isinstance(weights, Sequence) or len(weights) != len(modules):
        raise ArchitectureError(
            f"weights must be a list of {len(modules)} numbers, got {weights!r}"
        )
    if not all(
        isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w) and w >= 0
        for w in weights
    ):
        raise ArchitectureError(f"weights must be finite and non-negative, got {weights!r}")
    if not sum(weights) > 0:
        raise ArchitectureError("weights must have a positive sum")
    return Ensemble(modules, weights)


@register_architecture("stacked")
def stacked(members: Sequence[Architecture]) -> nn.Module:
    """A trained linear fusion layer over the members' log-probabilities."""
    modules, num_classes = _members(members)
    return Stacked(modules, num_classes)
