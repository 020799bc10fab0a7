"""Randomness against a Python model: draw steps, the audit's k distinct indices of n, and
seeds from block hashes. The draws the market makes must be the ones anybody can recompute
from the chain, and the audit must always be A distinct shards of K."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.utils.market import mine_blocks
from tests.utils.profiles import PROPERTIES
from tests.utils.randomness import at, distinct, seed

seeds = st.binary(min_size=32, max_size=32)


@PROPERTIES
@given(seed_=seeds, j=st.integers(0, 2**256 - 1), n=st.integers(1, 2**256 - 1))
def test_at__any_seed_step_and_range__equals_python_and_is_in_range(
    randomness_harness, seed_, j, n
):
    value = randomness_harness.at(seed_, j, n)
    assert value == at(seed_, j, n)
    assert 0 <= value < n


@PROPERTIES
@given(data=st.data(), seed_=seeds, n=st.integers(1, 256))
def test_distinct__k_of_n__exactly_k_distinct_indices_below_n_equal_to_python(
    randomness_harness, data, seed_, n
):
    k = data.draw(st.integers(0, n), label="k")
    mask = randomness_harness.distinct(seed_, k, n)
    assert mask == distinct(seed_, k, n)
    assert bin(mask).count("1") == k
    assert mask < 1 << n


@pytest.fixture(scope="module")
def long_chain(chain):
    """At least 260 blocks, so that some block's hash has expired."""
    mine_blocks(chain, 260)
    return chain


@PROPERTIES
@given(task_id=st.integers(0, 2**256 - 1), tag=st.binary(min_size=32, max_size=32))
def test_seed__a_readable_block__equals_python(randomness_harness, long_chain, task_id, tag):
    parent = long_chain.blocks[long_chain.blocks.head.number - 1]
    expected = seed(parent.hash, long_chain.chain_id, randomness_harness.address, task_id, tag)
    assert randomness_harness.seed(parent.number, task_id, tag) == expected
    assert randomness_harness.readable(parent.number)
    assert not randomness_harness.readable(parent.number + 2)  # not mined yet
    assert not randomness_harness.readable(parent.number - 257)  # expired
