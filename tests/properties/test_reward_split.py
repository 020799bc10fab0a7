"""RewardSplit against a Python model, over the whole uint256 range.

fee and proRata go through OpenZeppelin's Math.mulDiv: `amount * bps / 10000` and
`pool * share / total` are exact (rounded down) even where the product overflows 256 bits,
and revert only when the result itself does not fit.
"""

from hypothesis import given
from hypothesis import strategies as st

from tests.utils.lifecycle import panics
from tests.utils.profiles import PROPERTIES

BPS = 10_000
UINT256_MAX = 2**256 - 1

uint256 = st.one_of(
    st.integers(0, UINT256_MAX),
    st.sampled_from(
        [0, 1, 2, BPS - 1, BPS, 2**96 - 1, 2**128 - 1, 2**255, UINT256_MAX - 1, UINT256_MAX]
    ),
)
bps = st.one_of(st.integers(0, BPS), st.sampled_from([0, 1, BPS - 1, BPS, BPS + 1]))


@PROPERTIES
@given(amount=uint256, fee_bps=st.one_of(bps, uint256))
def test_fee__any_amount_and_bps__is_the_exact_floor_and_reverts_only_when_it_does_not_fit(
    reward_split_harness, amount, fee_bps
):
    expected = amount * fee_bps // BPS
    if expected > UINT256_MAX:  # only with bps above 10000
        with panics(0x11):
            reward_split_harness.fee(amount, fee_bps)
        return

    fee = reward_split_harness.fee(amount, fee_bps)

    assert fee == expected
    assert fee_bps > BPS or fee <= amount  # a fee in range never exceeds the amount


@PROPERTIES
@given(score=uint256, baseline=uint256)
def test_weight__any_score_and_baseline__is_how_far_the_score_beats_the_baseline(
    reward_split_harness, score, baseline
):
    assert reward_split_harness.weight(score, baseline) == max(0, score - baseline)


@PROPERTIES
@given(data=st.data(), pool=uint256, total=uint256.filter(bool))
def test_pro_rata__share_up_to_total__is_the_exact_floor_at_most_the_pool_and_monotone(
    reward_split_harness, data, pool, total
):
    smaller = data.draw(
        st.one_of(st.integers(0, total), st.sampled_from([0, total])), label="share"
    )
    larger = data.draw(st.integers(smaller, total), label="larger share")

    part = reward_split_harness.proRata(pool, smaller, total)
    larger_part = reward_split_harness.proRata(pool, larger, total)

    assert part == pool * smaller // total
    assert larger_part == pool * larger // total
    assert part <= larger_part <= pool


@PROPERTIES
@given(pool=uint256, share=uint256, total=uint256)
def test_pro_rata__any_input__is_the_exact_floor_zero_without_total_or_reverts_if_too_big(
    reward_split_harness, pool, share, total
):
    expected = pool * share // total if total else 0
    if expected > UINT256_MAX:  # only with share above total
        with panics(0x11):
            reward_split_harness.proRata(pool, share, total)
        return

    assert reward_split_harness.proRata(pool, share, total) == expected


@PROPERTIES
@given(
    pool=st.one_of(st.integers(0, 2**128 - 1), st.sampled_from([0, 1, 2**128 - 1])),
    weights=st.lists(st.integers(0, BPS), min_size=1, max_size=64).filter(any),
)
def test_pro_rata__a_pool_split_by_weight__pays_at_most_the_pool_and_a_higher_weight_never_less(
    reward_split_harness, pool, weights
):
    # The market's contributors' pool fits 128 bits; weights are medians above a baseline.
    parts = reward_split_harness.proRataAll(pool, weights)

    total = sum(weights)
    assert list(parts) == [pool * w // total for w in weights]
    assert pool - len(weights) < sum(parts) <= pool  # dust: less than one wei per part
    for w_i, part_i in zip(weights, parts, strict=True):
        for w_j, part_j in zip(weights, parts, strict=True):
            assert w_i <= w_j or part_i >= part_j


@PROPERTIES
@given(pool=uint256, count=uint256)
def test_equal_share__any_pool_and_count__is_the_floor_and_leaves_less_than_count_as_dust(
    reward_split_harness, pool, count
):
    share = reward_split_harness.equalShare(pool, count)

    if count == 0:
        assert share == 0
    else:
        assert share == pool // count
        assert 0 <= pool - share * count < count
