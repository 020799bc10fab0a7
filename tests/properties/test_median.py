"""Median.compute against a Python model, over uint16 scores and the whole uint256 range.

The market takes, per submission, the median of the revealed verifiers' scores (at most
MAX_PANEL_SIZE = 63 of them, the counted members of a panel): the middle value, or for an even
count the floor of the mean of the two middle values, computed without overflow.
"""

from hypothesis import given
from hypothesis import strategies as st

from tests.utils.lifecycle import panics
from tests.utils.profiles import PROPERTIES

MAX_VERIFIERS_CAP = 63  # the market's MAX_PANEL_SIZE
UINT16_MAX = 2**16 - 1
UINT256_MAX = 2**256 - 1

# Scores as verifiers send them (0..10000 bps), and anything a uint16 holds.
scores = st.one_of(
    st.integers(0, 10_000), st.integers(0, UINT16_MAX), st.sampled_from([0, 10_000, UINT16_MAX])
)
# The library takes uint256: its floor-mean must not overflow near the top of the range.
words = st.one_of(
    st.integers(0, UINT256_MAX), st.sampled_from([0, 1, 2**255, UINT256_MAX - 1, UINT256_MAX])
)


def model_median(values: list[int]) -> int:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) // 2


@PROPERTIES
@given(values=st.lists(scores, min_size=1, max_size=MAX_VERIFIERS_CAP))
def test_median__uint16_scores__is_the_middle_or_the_floor_mean_of_the_two_middles(
    median_harness, values
):
    median, ordered = median_harness.compute(values)

    assert median == model_median(values)
    assert min(values) <= median <= max(values)
    assert list(ordered) == sorted(values)


@PROPERTIES
@given(values=st.lists(words, min_size=1, max_size=8))
def test_median__uint256_extremes__floor_mean_does_not_overflow(median_harness, values):
    median, ordered = median_harness.compute(values)

    assert median == model_median(values)
    assert list(ordered) == sorted(values)


@PROPERTIES
@given(data=st.data(), honest_count=st.integers(1, MAX_VERIFIERS_CAP))
def test_median__fewer_than_half_outliers__stays_within_the_honest_scores(
    median_harness, data, honest_count
):
    # Prepare: honest verifiers agree within a band; fewer than half of all scores are outliers.
    low = data.draw(st.integers(0, 10_000), label="band low")
    high = data.draw(st.integers(low, min(10_000, low + 500)), label="band high")
    honest = data.draw(
        st.lists(st.integers(low, high), min_size=honest_count, max_size=honest_count)
    )
    outlier_count = data.draw(
        st.integers(0, min(honest_count - 1, MAX_VERIFIERS_CAP - honest_count))
    )
    outliers = data.draw(st.lists(scores, min_size=outlier_count, max_size=outlier_count))
    values = data.draw(st.permutations(honest + outliers), label="in join order")

    # Execute
    median, _ = median_harness.compute(values)

    # Assert
    assert min(honest) <= median <= max(honest)


def test_median__no_values__reverts(median_harness):
    with panics(0x32):
        median_harness.compute([])
