"""The pool's constructor, reached through its market's: bond, slash and unbonding checks."""

import pytest

from tests.utils.deploy import deploy_market
from tests.utils.lifecycle import reverts
from tests.utils.market import (
    FORFEIT_BPS,
    MIN_WINDOW,
    SLASH_AMOUNT,
    UNBONDING_PERIOD,
    VERIFIER_BOND,
)


def test_deploy__market__deploys_its_pool_with_these_terms(market, pool):
    assert market.verifierPool() == pool.address
    assert pool.market() == market.address
    assert (pool.verifierBond(), pool.slashAmount(), pool.unbondingPeriod()) == (
        VERIFIER_BOND,
        SLASH_AMOUNT,
        UNBONDING_PERIOD,
    )
    assert (market.minWindow(), market.forfeitBps()) == (MIN_WINDOW, FORFEIT_BPS)


def test_deploy__zero_bond__reverts(project, deployer, pool):
    with reverts(pool.ZeroBond):
        deploy_market(project, deployer, verifier_bond=0)


@pytest.mark.parametrize("slash", [0, VERIFIER_BOND + 1], ids=["zero", "above_the_bond"])
def test_deploy__bad_slash__reverts(project, deployer, pool, slash):
    with reverts(pool.InvalidSlashAmount, slashAmount=slash, bond=VERIFIER_BOND):
        deploy_market(project, deployer, slash_amount=slash)


def test_deploy__slash_equal_to_the_bond__accepted(project, deployer):
    assert (
        deploy_market(project, deployer, slash_amount=VERIFIER_BOND).pool.slashAmount()
        == VERIFIER_BOND
    )


def test_deploy__zero_unbonding_period__reverts(project, deployer, pool):
    with reverts(pool.ZeroUnbondingPeriod):
        deploy_market(project, deployer, unbonding_period=0)


def test_deploy__zero_min_window__reverts(project, deployer, market):
    with reverts(market.ZeroMinWindow):
        deploy_market(project, deployer, min_window=0)


@pytest.mark.parametrize("bps", [10_000, 65_535])
def test_deploy__forfeit_of_the_whole_reward_or_more__reverts(project, deployer, market, bps):
    with reverts(market.InvalidBps, value=bps):
        deploy_market(project, deployer, forfeit_bps=bps)


def test_deploy__largest_forfeit__accepted(project, deployer):
    assert deploy_market(project, deployer, forfeit_bps=9_999).market.forfeitBps() == 9_999


@pytest.mark.parametrize(
    "bond, slash, unbonding, error, fields",
    [
        (0, 0, UNBONDING_PERIOD, "ZeroBond", {}),
        (
            VERIFIER_BOND,
            0,
            UNBONDING_PERIOD,
            "InvalidSlashAmount",
            {"slashAmount": 0, "bond": VERIFIER_BOND},
        ),
        (
            VERIFIER_BOND,
            VERIFIER_BOND + 1,
            UNBONDING_PERIOD,
            "InvalidSlashAmount",
            {"slashAmount": VERIFIER_BOND + 1, "bond": VERIFIER_BOND},
        ),
        (VERIFIER_BOND, SLASH_AMOUNT, 0, "ZeroUnbondingPeriod", {}),
    ],
    ids=["zero_bond", "zero_slash", "slash_above_bond", "zero_unbonding"],
)
def test_deploy__pool_alone__refuses_bad_terms(
    project, deployer, pool, bond, slash, unbonding, error, fields
):
    """The pool deployed on its own (its deployer is then its market): the same checks."""
    with reverts(getattr(pool, error), **fields):
        deployer.deploy(project.VerifierPool, bond, slash, unbonding)


def test_deploy__pool_alone__its_deployer_is_its_market(project, deployer):
    alone = deployer.deploy(project.VerifierPool, VERIFIER_BOND, SLASH_AMOUNT, UNBONDING_PERIOD)
    assert (alone.market(), alone.size(), alone.activeCount()) == (deployer.address, 0, 0)
