"""How alike two models are: in parameters, and in what they predict on an evaluation set.

Every measure is computed in float64 and summed with `math.fsum` (the correctly rounded sum, which
does not depend on the order of its terms), so that any verifier, on any machine, gets the same
number from the same models: no BLAS reduction, no thread count, no SIMD width decides it.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch

from ml.data import Dataset
from ml.models import Model, architecture_json

# rows of the evaluation set per forward pass: fixed, so every verifier batches alike
EVALUATION_BATCH = 256


@dataclass(frozen=True, eq=False)
class ModelView:
    """What the scoring rules read of one model: its parameters and its predictions."""

    architecture: str  # canonical JSON: equal architectures, equal text
    parameters: np.ndarray  # every state-dict tensor, flattened in state-dict order, float64
    probabilities: np.ndarray  # (n, num_classes) softmax outputs on the evaluation set, float64
    correct: int  # examples of the evaluation set it classifies right

    def accuracy_bps(self, examples: int) -> int:
        """Correct predictions per 10,000 examples, rounded down."""
        return self.correct * 10_000 // examples


def view_model(model: Model, evaluation: Dataset) -> ModelView:
    """The model's parameters and its float64 predictions on `evaluation`, in evaluation mode."""
    parameters = np.concatenate(
        [
            t.detach().cpu().to(torch.float64).numpy().ravel()
            for t in model.module.state_dict().values()
        ]
        or [np.zeros(0)]
    )
    probabilities, predictions = _outputs(predict_float64(model, evaluation))
    return ModelView(
        architecture=architecture_json(model.architecture),
        parameters=parameters,
        probabilities=probabilities,
        correct=int((predictions == evaluation.y).sum()),
    )


def correct_predictions(model: Model, evaluation: Dataset) -> int:
    """How many examples of `evaluation` the model classifies right (float64, evaluation mode)."""
    _, predictions = _outputs(predict_float64(model, evaluation))
    return int((predictions == evaluation.y).sum())


def _outputs(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # a row whose logits overflow predicts nothing: no class (-1), probabilities all 0
    finite = np.isfinite(logits).all(axis=1)
    safe = np.where(finite[:, None], logits, 0.0)
    probabilities = torch.softmax(torch.from_numpy(safe), dim=1).numpy()
    probabilities[~finite] = 0.0
    return probabilities, np.where(finite, safe.argmax(axis=1), -1)


@torch.no_grad()
def predict_float64(model: Model, evaluation: Dataset) -> np.ndarray:
    """The model's logits on every example, computed in float64 on a copy in evaluation mode.

    float32 weights convert to float64 exactly; in float64, the last-bit differences between
    BLAS kernels (AVX2, AVX-512, ...) cannot flip an argmax unless two logits tie to ~1e-15.
    """
    module = copy.deepcopy(model.module).to(torch.float64).eval()
    x = torch.from_numpy(np.asarray(evaluation.x, dtype=np.float64))
    batches = [module(x[i : i + EVALUATION_BATCH]) for i in range(0, len(x), EVALUATION_BATCH)]
    return torch.cat(batches).numpy()


def exact_norm(vector: np.ndarray) -> float:
    """The Euclidean norm, its squares summed by `math.fsum` (order-independent)."""
    return math.sqrt(math.fsum(np.square(vector).tolist()))


def parameter_distance(a: ModelView, b: ModelView) -> float | None:
    """||theta_a - theta_b||, or None when the two architectures differ (nothing to compare)."""
    if a.architecture != b.architecture:
        return None
    return exact_norm(a.parameters - b.parameters)


def output_distance(a: ModelView, b: ModelView) -> float:
    """Mean total-variation distance of the predicted class distributions: 0 same, 1 disjoint."""
    examples = len(a.probabilities)
    return math.fsum(np.abs(a.probabilities - b.probabilities).ravel().tolist()) / (2 * examples)
