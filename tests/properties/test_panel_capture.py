"""How often a cheater's seats capture a panel: the pool's very draw code against the
hypergeometric law that docs/threat-model.md states.

A panel of k is a uniform sample without replacement of the N eligible seats (candidate j is
a uniform index of the member list; repeated and excluded members are skipped). A cheater with
M of them holds X seats of the panel with

    P(X = x) = C(M, x) * C(N - M, k - x) / C(N, k),

and captures the panel (a strict majority) when X >= (k + 1) / 2. The test draws thousands of
panels with fixed seeds (keccak256 of 0, 1, 2, ...), through `PoolMarketHarness` (it plays the
market for a pool of its own: the same `VerifierPool.drawPanel` the market calls), in view
calls batched over JSON-RPC, and checks every frequency within four binomial standard errors
of its probability. Fixed seeds: the result is the same on every run.
"""

from __future__ import annotations

from math import comb, sqrt

import pytest
from eth_utils import keccak

from tests.utils.fast_rpc import ContractRpc
from tests.utils.market import SLASH_AMOUNT, UNBONDING_PERIOD, VERIFIER_BOND

DRAWS = 4_000
BATCH = 400
NOBODY = "0x" + "00" * 20


def hypergeometric(n_eligible: int, cheater: int, k: int, x: int) -> float:
    return comb(cheater, x) * comb(n_eligible - cheater, k - x) / comb(n_eligible, k)


def capture_probability(n_eligible: int, cheater: int, k: int) -> float:
    return sum(hypergeometric(n_eligible, cheater, k, x) for x in range((k + 1) // 2, k + 1))


@pytest.fixture(scope="module")
def drawing(project, deployer, accounts, chain):
    """A pool of 32 seats: 30 eligible, of which the cheater holds 9 (30% of the eligible bonds,
    under a third); the initiator's own seat and one contributor's seat are excluded."""
    harness = deployer.deploy(
        project.PoolMarketHarness, VERIFIER_BOND, SLASH_AMOUNT, UNBONDING_PERIOD
    )
    pool = project.VerifierPool.at(harness.pool())
    seats = accounts[30:62]
    for seat in seats:
        pool.register(value=VERIFIER_BOND, sender=seat)
    initiator, contributor = seats[0], seats[1]
    harness.markContributors([contributor], sender=deployer)
    cheater = {s.address for s in seats[2:11]}
    rpc = ContractRpc(
        chain.provider.web3.provider.endpoint_uri, harness.address, harness.contract_type
    )
    request_block = chain.blocks.head.number + 1
    return (
        rpc,
        deployer.address,
        len(seats),
        request_block,
        initiator.address,
        contributor.address,
        cheater,
    )


def draw_all(rpc, caller, pool_size, request_block, initiator, k):
    panels = []
    for start in range(0, DRAWS, BATCH):
        calls = [
            (
                "drawPanel",
                (1, keccak(i.to_bytes(32, "big")), pool_size, request_block, k, initiator),
            )
            for i in range(start, start + BATCH)
        ]
        panels += rpc.view_batch(calls)[0]
    return panels


def test_panel_capture__30_percent_of_the_bonds__frequencies_follow_the_hypergeometric_law(drawing):
    rpc, caller, pool_size, request_block, initiator, contributor, cheater = drawing
    k, n_eligible, m = 5, 30, len(cheater)

    panels = draw_all(rpc, caller, pool_size, request_block, initiator, k)

    assert all(len(p) == k and len(set(p)) == k for p in panels)
    assert not any(initiator in p or contributor in p for p in panels)
    held = [sum(member in cheater for member in p) for p in panels]
    for x in range(k + 1):
        p = hypergeometric(n_eligible, m, k, x)
        frequency = held.count(x) / DRAWS
        tolerance = 4 * sqrt(p * (1 - p) / DRAWS)
        assert abs(frequency - p) <= tolerance, f"P(X={x}) = {p:.4f}, drawn {frequency:.4f}"
    captured = sum(x >= 3 for x in held) / DRAWS
    p_capture = capture_probability(n_eligible, m, k)
    assert round(p_capture, 4) == 0.1432  # the figure docs/threat-model.md states
    assert abs(captured - p_capture) <= 4 * sqrt(p_capture * (1 - p_capture) / DRAWS)


def test_panel_capture__two_seats_of_twelve__never_a_majority_of_five(
    project, deployer, accounts, chain
):
    harness = deployer.deploy(
        project.PoolMarketHarness, VERIFIER_BOND, SLASH_AMOUNT, UNBONDING_PERIOD
    )
    pool = project.VerifierPool.at(harness.pool())
    seats = accounts[30:42]
    for seat in seats:
        pool.register(value=VERIFIER_BOND, sender=seat)
    cheater = {seats[0].address, seats[1].address}
    rpc = ContractRpc(
        chain.provider.web3.provider.endpoint_uri, harness.address, harness.contract_type
    )

    panels = draw_all(rpc, deployer.address, 12, chain.blocks.head.number + 1, NOBODY, 5)

    held = [sum(member in cheater for member in p) for p in panels]
    assert max(held) == 2 and capture_probability(12, 2, 5) == 0
    # Both seats together on a panel: C(10,3) / C(12,5) = 120 / 792.
    p_both = hypergeometric(12, 2, 5, 2)
    assert abs(held.count(2) / DRAWS - p_both) <= 4 * sqrt(p_both * (1 - p_both) / DRAWS)
