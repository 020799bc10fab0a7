"""Deploying a market (which deploys its verifier pool and its setup module), filling the pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rlp
from eth_utils import keccak, to_checksum_address

from tests.utils.market import (
    FORFEIT_BPS,
    MIN_WINDOW,
    SLASH_AMOUNT,
    UNBONDING_PERIOD,
    VERIFIER_BOND,
)


@dataclass(frozen=True)
class Deployment:
    """A market and its pool, as ape contracts."""

    market: Any
    pool: Any


def deploy_market(
    project: Any,
    deployer: Any,
    *,
    min_window: int = MIN_WINDOW,
    verifier_bond: int = VERIFIER_BOND,
    slash_amount: int = SLASH_AMOUNT,
    unbonding_period: int = UNBONDING_PERIOD,
    forfeit_bps: int = FORFEIT_BPS,
) -> Deployment:
    """Deploys `LearningMarket` with these constructor arguments; returns it and its pool."""
    market = deployer.deploy(
        project.LearningMarket,
        min_window,
        verifier_bond,
        slash_amount,
        unbonding_period,
        forfeit_bps,
    )
    pool = project.VerifierPool.at(market.verifierPool())
    return Deployment(market, pool)


def register(pool: Any, members: list[Any]) -> None:
    """Registers each of `members` with the pool's bond."""
    bond = pool.verifierBond()
    for member in members:
        pool.register(value=bond, sender=member)


def setup_module_address(market: Any) -> str:
    """The market's setup module (TaskSetup): its second contract creation (nonce 2), after
    its pool's (nonce 1)."""
    return to_checksum_address(keccak(rlp.encode([bytes.fromhex(market.address[2:]), 2]))[12:])
