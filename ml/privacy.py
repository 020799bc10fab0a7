"""Differential privacy in local training: DP-SGD with Opacus and the (epsilon, delta) it spends.

Each example's gradient is clipped to `max_grad_norm`, Gaussian noise of standard deviation
`noise_multiplier * max_grad_norm` is added to their sum, and batches are Poisson-sampled (each
example joins a batch with probability `sample_rate`), which is what the RDP accountant assumes.
Opacus is imported on first use: it takes about two seconds to load.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from opacus.optimizers import DPOptimizer

# Renyi orders of the accountant: Opacus' defaults (up to 63) and on to 256, which tightens the
# bound at small epsilon where the best order is large (Opacus warns when it hits its largest)
RDP_ORDERS: tuple[float, ...] = (
    *(1 + x / 10 for x in range(1, 100)),
    *map(float, range(12, 257)),
)


class PrivacyError(ValueError):
    """A privacy setting that cannot be met or is not well formed."""


@dataclass(frozen=True)
class PrivacyConfig:
    """DP-SGD settings of one training: the epsilon it may spend at `delta`, and the clip norm."""

    target_epsilon: float  # the budget of this training (one round), at delta
    delta: float = 1e-5  # must be below 1 / (examples held) to mean anything
    max_grad_norm: float = 1.0  # every example's gradient is clipped to this L2 norm

    def __post_init__(self) -> None:
        for name in ("target_epsilon", "max_grad_norm"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 < value < math.inf:
                raise PrivacyError(f"{name} must be a finite number > 0, got {value!r}")
        if not _is_number(self.delta) or not 0 < self.delta < 1:
            raise PrivacyError(f"delta must lie in (0, 1), got {self.delta!r}")


@dataclass(frozen=True)
class PrivacyGuarantee:
    """(epsilon, delta)-differential privacy of a model towards the data it was trained on."""

    epsilon: float
    delta: float

    def __post_init__(self) -> None:
        if not _is_number(self.epsilon) or not 0 <= self.epsilon < math.inf:
            raise PrivacyError(f"epsilon must be a finite number >= 0, got {self.epsilon!r}")
        if not _is_number(self.delta) or not 0 < self.delta < 1:
            raise PrivacyError(f"delta must lie in (0, 1), got {self.delta!r}")


@dataclass(frozen=True)
class PrivacySpent:
    """What one DP-SGD training did (noise, sampling, steps) and the epsilon it spent at delta."""

    noise_multiplier: float
    sample_rate: float
    steps: int
    max_grad_norm: float
    epsilon: float
    delta: float

    @property
    def guarantee(self) -> PrivacyGuarantee:
        """This training's (epsilon, delta) alone."""
        return PrivacyGuarantee(self.epsilon, self.delta)


def epsilon_spent(trainings: Sequence[PrivacySpent], delta: float) -> float:
    """The epsilon at `delta` of several trainings on the same data (RDP composition).

    A contributor who trains one model per round on the same shard releases them all: its
    data's guarantee is the composition of every round, which grows slower than their sum.
    """
    from opacus.accountants.analysis.rdp import compute_rdp, get_privacy_spent

    if not trainings:
        return 0.0
    rdp = sum(
        compute_rdp(
            q=t.sample_rate, noise_multiplier=t.noise_multiplier, steps=t.steps, orders=RDP_ORDERS
        )
        for t in trainings
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Optimal order is the")
        epsilon, _ = get_privacy_spent(orders=RDP_ORDERS, rdp=rdp, delta=delta)
    return float(epsilon)


def composed_guarantee(trainings: Sequence[PrivacySpent], delta: float) -> PrivacyGuarantee:
    """The (epsilon, delta) of several trainings on the same data, as a model file records it."""
    return PrivacyGuarantee(epsilon_spent(trainings, delta), delta)


@functools.cache
def noise_multiplier_for(config: PrivacyConfig, sample_rate: float, steps: int) -> float:
    """The smallest noise multiplier (to 0.01 in epsilon) that keeps `steps` steps within budget.

    A binary search over the accountant (about a second); cached, since every round of a
    contributor asks the same question.
    """
    from opacus.accountants.utils import get_noise_multiplier

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Optimal order is the")
            return float(
                get_noise_multiplier(
                    target_epsilon=config.target_epsilon,
                    target_delta=config.delta,
                    sample_rate=sample_rate,
                    steps=steps,
                    accountant="rdp",
                    alphas=list(RDP_ORDERS),
                )
            )
    except ValueError as error:
        raise PrivacyError(
            f"no noise level reaches epsilon {config.target_epsilon} at delta {config.delta} "
            f"in {steps} steps at sample rate {sample_rate:.4f}: {error}"
        ) from error


@dataclass
class PrivateStep:
    """The module to run forward, the optimizer to step, and the settings of one DP-SGD run."""

    module: nn.Module
    optimizer: DPOptimizer
    noise_multiplier: float
    sample_rate: float


@contextmanager
def dp_sgd(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    config: PrivacyConfig,
    *,
    examples: int,
    batch_size: int,
    steps: int,
) -> Iterator[PrivateStep]:
    """Wraps `model` and `optimizer` for DP-SGD; on exit the model is plain again.

    Noise is drawn from torch's global generator (seeded by `set_seed`), so training stays
    deterministic; Opacus' secure mode (a cryptographic generator) would not be.
    """
    from opacus.grad_sample import GradSampleModule
    from opacus.optimizers import DPOptimizer

    if 1 / examples <= config.delta:
        raise PrivacyError(
            f"delta {config.delta} is not below 1 / {examples} examples: "
            "such a guarantee allows releasing a whole example; choose a smaller delta"
        )
    sample_rate = min(1.0, batch_size / examples)
    noise = noise_multiplier_for(config, sample_rate, steps)
    wrapped = GradSampleModule(model)
    private = DPOptimizer(
        optimizer,
        noise_multiplier=noise,
        max_grad_norm=config.max_grad_norm,
        expected_batch_size=batch_size,
    )
    try:
        with warnings.catch_warnings():
            # a model's first layer gets no input gradient: Opacus' hooks still fire, as they should
            warnings.filterwarnings("ignore", message="Full backward hook is firing")
            yield PrivateStep(wrapped, private, noise, sample_rate)
    finally:
        wrapped.cleanup()


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
