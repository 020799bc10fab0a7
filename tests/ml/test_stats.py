"""Confidence intervals of accuracies: hand-computed figures."""

from __future__ import annotations

import numpy as np
import pytest

from ml.stats import Interval, accuracy_interval, paired_difference


def test_accuracy_interval__wilson_figures():
    # 90 of 100 right: the Wilson 95% interval is [82.56%, 94.48%]
    interval = accuracy_interval(np.array([True] * 90 + [False] * 10))

    assert interval.estimate == pytest.approx(90.0)
    assert (round(interval.low, 2), round(interval.high, 2)) == (82.56, 94.48)


def test_paired_difference__hand_computation():
    # a wins 6 examples, b wins 2, 92 tie: mean 0.04, sd of the differences 0.2828
    a = np.array([True] * 6 + [False] * 2 + [True] * 50 + [False] * 42)
    b = np.array([False] * 6 + [True] * 2 + [True] * 50 + [False] * 42)
    differences = np.array([1.0] * 6 + [-1.0] * 2 + [0.0] * 92)
    half = 1.959963984540054 * differences.std(ddof=1) / 10

    interval = paired_difference(a, b)

    assert interval.estimate == pytest.approx(4.0)
    assert (interval.low, interval.high) == pytest.approx((4.0 - 100 * half, 4.0 + 100 * half))
    assert interval.verdict == "~"  # -1.5 to +9.5 points: this test set cannot tell


@pytest.mark.parametrize(
    ("interval", "verdict", "text"),
    [
        (Interval(2.0, 0.5, 3.5), ">", "+2.0 [+0.5, +3.5]"),
        (Interval(-2.0, -3.5, -0.5), "<", "-2.0 [-3.5, -0.5]"),
        (Interval(0.3, -0.4, 1.0), "~", "+0.3 [-0.4, +1.0]"),
    ],
)
def test_interval__verdict_and_text(interval, verdict, text):
    assert (interval.verdict, str(interval)) == (verdict, text)


def test_paired_difference__different_examples__refused():
    with pytest.raises(ValueError, match="same examples"):
        paired_difference(np.array([True, False]), np.array([True]))
