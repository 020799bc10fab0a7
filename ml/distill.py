"""Knowledge distillation: a model of the task's architecture trained to match a teacher's outputs.

Output-level fusion (an ensemble, a stacked model) holds every member; distilling it into the
task's own architecture gives a model of constant size that can seed the next round.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from tqdm import tqdm

from ml.data import Dataset
from ml.evaluate import predict_logits
from ml.train import set_seed


@dataclass(frozen=True)
class DistillConfig:
    """How the student learns the teacher's outputs (soft labels; the data's labels are unused)."""

    steps: int = 600  # optimiser steps
    batch_size: int = 64  # examples per step
    lr: float = 0.02  # SGD learning rate
    momentum: float = 0.9  # SGD momentum
    temperature: float = 2.0  # both outputs are softened by this before they are compared
    seed: int = 0  # fixes the batches

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {self.seed!r}")
        for name in ("lr", "temperature"):
            value = getattr(self, name)
            if (
                not isinstance(value, (int, float))
                or isinstance(value, bool)
                or not 0 < value < float("inf")
            ):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        if not isinstance(self.momentum, (int, float)) or not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must lie in [0, 1), got {self.momentum!r}")


def distill(
    teacher: nn.Module,
    student: nn.Module,
    data: Dataset,
    config: DistillConfig = DistillConfig(),
    *,
    progress: bool = False,
) -> nn.Module:
    """Train `student` in place to match `teacher` on `data`'s inputs (KL divergence at T).

    Deterministic: the teacher's outputs are computed once in eval mode, batches are drawn
    from a generator seeded by `config.seed`.
    """
    set_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    targets = torch.softmax(predict_logits(teacher, data) / config.temperature, dim=1)
    x = torch.tensor(data.x)
    optimizer = torch.optim.SGD(student.parameters(), lr=config.lr, momentum=config.momentum)
    student.train()
    done = 0
    with tqdm(
        total=config.steps, desc="distil", unit="step", disable=not progress, leave=False
    ) as bar:
        while done < config.steps:
            for batch in torch.randperm(len(x), generator=generator).split(config.batch_size):
                if done == config.steps:
                    break
                optimizer.zero_grad()
                log_probabilities = torch.log_softmax(student(x[batch]) / config.temperature, dim=1)
                loss = nn.functional.kl_div(
                    log_probabilities, targets[batch], reduction="batchmean"
                )
                (loss * config.temperature**2).backward()
                optimizer.step()
                done += 1
                bar.update()
    return student
