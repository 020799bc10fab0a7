"""ScoreBook against a Python model: sixteen uint16 scores to a storage word, low bits first.

Each example stores a list in a fresh book (on a chain snapshot restored afterwards), then
reads it back: every score, the padding of the last word, and the exact packing.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.utils.isolation import isolated
from tests.utils.lifecycle import panics
from tests.utils.profiles import PROPERTIES, PROPERTIES_WITH_TRANSACTIONS

PER_WORD = 16
UINT16_MAX = 2**16 - 1

scores = st.one_of(
    st.integers(0, 10_000), st.integers(0, UINT16_MAX), st.sampled_from([0, 10_000, UINT16_MAX])
)
# Lengths around word boundaries matter most: 15, 16, 17, 31, 32, 33, ...
score_lists = st.one_of(
    st.lists(scores, max_size=200),
    st.integers(1, 12).flatmap(
        lambda words: st.lists(scores, min_size=words * PER_WORD - 1, max_size=words * PER_WORD + 1)
    ),
)


def model_words(values: list[int]) -> list[int]:
    """Sixteen scores per word, score i at bits 16*(i % 16) of word i // 16."""
    return [
        sum(score << (16 * j) for j, score in enumerate(values[start : start + PER_WORD]))
        for start in range(0, len(values), PER_WORD)
    ]


@PROPERTIES_WITH_TRANSACTIONS
@given(values=score_lists, data=st.data())
def test_score_book__stored_scores__read_back_exactly_packed_sixteen_to_a_word(
    score_book_harness, chain, deployer, values, data
):
    with isolated(chain):  # not chain.isolate(): it swallows failed asserts
        # Execute
        score_book_harness.store(values, sender=deployer)

        # Assert
        words = list(score_book_harness.words())
        assert words == model_words(values)
        assert len(words) == -(-len(values) // PER_WORD)  # ceil: a slot per 16 scores
        assert list(score_book_harness.load(len(values))) == values
        if values:
            index = data.draw(st.integers(0, len(values) - 1), label="index")
            assert score_book_harness.at(index) == values[index]
        capacity = PER_WORD * len(model_words(values))
        if capacity > len(values):  # the rest of the last word reads as zeros
            padding = data.draw(st.integers(len(values), capacity - 1), label="padding index")
            assert score_book_harness.at(padding) == 0


@PROPERTIES
@given(
    word=st.one_of(st.integers(0, 2**256 - 1), st.sampled_from([0, 2**256 - 1])),
    index=st.one_of(st.integers(0, 2**256 - 1), st.integers(0, 1_000)),
)
def test_score_book__word_of_and_from_word__locate_and_extract_the_sixteen_bit_lane(
    score_book_harness, word, index
):
    assert score_book_harness.wordOf(index) == index // PER_WORD
    assert (
        score_book_harness.fromWord(word, index) == (word >> (16 * (index % PER_WORD))) & UINT16_MAX
    )


@pytest.mark.parametrize("count", [0, 1, 15, 16, 17, 200], ids=lambda n: f"{n}-scores")
def test_score_book__index_past_the_last_word__reverts(score_book_harness, chain, deployer, count):
    with isolated(chain):
        score_book_harness.store(list(range(count)), sender=deployer)
        capacity = PER_WORD * -(-count // PER_WORD)

        with panics(0x32):
            score_book_harness.at(capacity)
