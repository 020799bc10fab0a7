"""Contributions to a fused model: leave-one-out and Shapley values on hand-computable games."""

from __future__ import annotations

import hashlib
from fractions import Fraction

from ml.contribution import exact_shapley, leave_one_out, seeded_permutation, shapley

SEED = bytes(range(32))


def _additive(worths: list[int]):
    """v(S) = 100 + sum of the members' worths: each player's contribution is its worth."""
    return lambda coalition: 100 + sum(worths[i] for i in coalition)


def _glove(coalition: tuple[int, ...]) -> int:
    """Player 0 holds a left glove, players 1 and 2 a right one; a pair is worth 6."""
    return 6 if 0 in coalition and (1 in coalition or 2 in coalition) else 0


def test_leave_one_out__glove_game():
    # Prepare / Execute
    actual = leave_one_out(3, _glove)

    # Assert: only the holder of the scarce left glove is missed when it leaves
    assert actual == [Fraction(6), Fraction(0), Fraction(0)]


def test_exact_shapley__glove_game__hand_computation():
    # Prepare: player 0 completes a pair in 4 of 6 orders, each right glove in 1 of 6
    expected = [Fraction(4), Fraction(1), Fraction(1)]

    # Execute
    actual = exact_shapley(3, _glove)

    # Assert
    assert actual == expected
    assert sum(actual) == _glove((0, 1, 2)) - _glove(())


def test_shapley__additive_game__every_player_gets_its_worth_exactly_even_when_sampled():
    # Prepare
    worths = [5, -3, 0, 12, 7, 1]
    value = _additive(worths)

    # Execute: 2^6 > 2 * 6, so two orders are sampled
    sampled = shapley(6, value, permutations=2, seed=SEED)

    # Assert
    assert sampled == [Fraction(w) for w in worths]


def test_shapley__few_players__exact_whatever_the_seed():
    # Prepare: 2^3 = 8 <= 4 * 3, so every coalition is valued and no order is drawn
    calls: list[tuple[int, ...]] = []

    def value(coalition: tuple[int, ...]) -> int:
        calls.append(coalition)
        return _glove(coalition)

    # Execute
    first = shapley(3, value, permutations=4, seed=SEED)
    second = shapley(3, _glove, permutations=4, seed=bytes(32))

    # Assert
    assert first == second == [Fraction(4), Fraction(1), Fraction(1)]
    assert sorted(calls) == sorted({tuple(c) for c in calls})  # each coalition valued once
    assert len(calls) == 8


def test_shapley__sampled__same_seed_same_values_other_seed_other_values():
    # Prepare: a game where the order matters (who completes the pair)
    def value(coalition: tuple[int, ...]) -> int:
        return sum(1 for i in coalition if i % 2 == 0) * sum(1 for i in coalition if i % 2 == 1)

    # Execute: 2^8 > 3 * 8, so three orders are drawn
    first = shapley(8, value, permutations=3, seed=SEED)
    again = shapley(8, value, permutations=3, seed=SEED)
    other = shapley(8, value, permutations=3, seed=bytes(32))

    # Assert: efficiency holds order by order, so for any sample
    assert first == again
    assert first != other
    assert sum(first) == sum(other) == value(tuple(range(8))) - value(())


def test_shapley__no_players__nothing():
    assert shapley(0, _glove, permutations=1, seed=SEED) == []


def test_seeded_permutation__pinned_values_for_other_implementations():
    # Prepare: the first swap, by hand: position 5 with SHA-256(tag || seed || 0 || 5) mod 6
    digest = hashlib.sha256(
        b"learning-market/shapley-permutation"
        + SEED
        + (0).to_bytes(4, "big")
        + (5).to_bytes(4, "big")
    ).digest()
    first_swap = int.from_bytes(digest, "big") % 6

    # Execute
    orders = [seeded_permutation(6, SEED, index) for index in range(3)]

    # Assert
    assert orders[0][5] == first_swap
    assert orders == [(4, 0, 2, 1, 3, 5), (3, 4, 1, 2, 0, 5), (2, 4, 5, 3, 1, 0)]
    assert all(sorted(order) == list(range(6)) for order in orders)
