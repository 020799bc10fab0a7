"""A pool of its own for each module: `PoolMarketHarness` deploys it and plays its market, so
tests can draw panels with chosen seeds and dismiss and slash members directly."""

from __future__ import annotations

import pytest

from tests.utils.market import SLASH_AMOUNT, UNBONDING_PERIOD, VERIFIER_BOND

ZERO_SEED = bytes(32)


@pytest.fixture(scope="module")
def harness(project, deployer):
    return deployer.deploy(project.PoolMarketHarness, VERIFIER_BOND, SLASH_AMOUNT, UNBONDING_PERIOD)


@pytest.fixture(scope="module")
def hpool(project, harness):
    return project.VerifierPool.at(harness.pool())


@pytest.fixture(scope="session")
def members(accounts):
    """Accounts that join the module's pool (accounts[30:64] are free for such pools)."""
    return accounts[30:42]


def slash(harness, registered, target, chain):
    """Slashes `target` once: draws every one of `registered` (the whole pool, in index order)
    on a panel, then dismisses it with `target`'s bit set."""
    drawn = harness.drawPanel(
        99,
        ZERO_SEED,
        len(registered),
        chain.blocks.head.number + 1,
        len(registered),
        NOBODY,
        sender=registered[0],
    ).return_value
    harness.dismiss(99, drawn, 1 << drawn.index(target.address), sender=registered[0])


NOBODY = "0x" + "00" * 20
