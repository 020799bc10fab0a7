"""Each model's contribution to a fused model: leave-one-out, and Shapley values by permutations.

Players are numbered 0..n-1. A coalition's value is an integer (the evaluation examples its fused
model classifies right; the empty coalition is the starting model), so contributions are exact
fractions: no float is ever summed. Sampled Shapley orders come from SHA-256 of the task's public
seed, a construction any implementation can reproduce bit for bit.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable
from fractions import Fraction

# a coalition (player indices in increasing order) -> its value
CoalitionValue = Callable[[tuple[int, ...]], int]

# domain tag of the permutation draws, so the seed's other uses never share a stream with them
PERMUTATION_TAG = b"learning-market/shapley-permutation"


def leave_one_out(players: int, value: CoalitionValue) -> list[Fraction]:
    """v(everyone) - v(everyone but i), for each player i."""
    everyone = tuple(range(players))
    total = value(everyone)
    return [Fraction(total - value(everyone[:i] + everyone[i + 1 :])) for i in everyone]


def shapley(players: int, value: CoalitionValue, permutations: int, seed: bytes) -> list[Fraction]:
    """Each player's Shapley value: exact (over all 2^n coalitions) when 2^n <= permutations * n,
    the work that many sampled orders would cost at most; else the mean marginal value over
    `permutations` orders of arrival drawn from `seed` (Monte Carlo).
    """
    if players == 0:
        return []
    if 2**players <= permutations * players:
        return exact_shapley(players, value)
    cached = functools.cache(value)
    totals = [0] * players
    for index in range(permutations):
        order = seeded_permutation(players, seed, index)
        previous = cached(())
        for arrived in range(1, players + 1):
            current = cached(tuple(sorted(order[:arrived])))
            totals[order[arrived - 1]] += current - previous
            previous = current
    return [Fraction(total, permutations) for total in totals]


def exact_shapley(players: int, value: CoalitionValue) -> list[Fraction]:
    """phi_i = sum over coalitions S without i of |S|! (n - |S| - 1)! / n! (v(S + i) - v(S))."""
    factorial = [math.factorial(k) for k in range(players + 1)]
    values = [
        value(tuple(i for i in range(players) if mask >> i & 1)) for mask in range(2**players)
    ]
    result = []
    for i in range(players):
        total = 0
        for mask in range(2**players):
            if not mask >> i & 1:
                size = mask.bit_count()
                weight = factorial[size] * factorial[players - size - 1]
                total += weight * (values[mask | 1 << i] - values[mask])
        result.append(Fraction(total, factorial[players]))
    return result


def seeded_permutation(n: int, seed: bytes, index: int) -> tuple[int, ...]:
    """Permutation `index` of 0..n-1: Fisher-Yates, swapping position i (from n-1 down to 1) with
    j = SHA-256(tag || seed || index || i) mod (i + 1), index and i as 4-byte big-endian integers.
    """
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        digest = hashlib.sha256(
            PERMUTATION_TAG + seed + index.to_bytes(4, "big") + i.to_bytes(4, "big")
        ).digest()
        j = int.from_bytes(digest, "big") % (i + 1)
        order[i], order[j] = order[j], order[i]
    return tuple(order)
