"""Confidence intervals for accuracies measured on a finite test set."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# two-sided 95% normal quantile
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    """An estimate in percentage points and its 95% confidence interval."""

    estimate: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.estimate:+.1f} [{self.low:+.1f}, {self.high:+.1f}]"

    @property
    def verdict(self) -> str:
        """'>' or '<' when the interval excludes 0, '~' when the test set cannot tell."""
        return ">" if self.low > 0 else "<" if self.high < 0 else "~"


def accuracy_interval(correct: np.ndarray) -> Interval:
    """Accuracy in % with its Wilson 95% interval, from per-example correctness."""
    n, k = len(correct), int(np.sum(correct))
    if n == 0:
        raise ValueError("no examples: accuracy is undefined")
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / (1 + Z95**2 / n)
    return Interval(100 * p, 100 * (centre - half), 100 * (centre + half))


def paired_difference(correct_a: np.ndarray, correct_b: np.ndarray) -> Interval:
    """Accuracy of a minus accuracy of b, in points, on the same examples, with a 95% interval.

    The normal interval of the mean of per-example differences (each -1, 0 or 1): pairing
    removes the examples both get right or both get wrong, so it is far narrower than two
    separate intervals.
    """
    if len(correct_a) != len(correct_b) or len(correct_a) < 2:
        raise ValueError("paired accuracies need the same examples, at least two")
    differences = correct_a.astype(np.float64) - correct_b.astype(np.float64)
    mean = float(differences.mean())
    half = Z95 * float(differences.std(ddof=1)) / math.sqrt(len(differences))
    return Interval(100 * mean, 100 * (mean - half), 100 * (mean + half))
