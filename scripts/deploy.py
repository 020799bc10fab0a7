"""Deploys the market and its verifier pool: `ape run deploy --network <network> --account <alias>
--min-window 3600 --verifier-bond '0.1 ether' --slash-amount '0.05 ether' --unbonding-period 86400
--forfeit-bps 500`."""

from __future__ import annotations

from typing import Any

import click
from ape import project
from ape.cli import account_option, ape_cli_context, network_option

from learning_market.cli import MarketCommand
from learning_market.options import deployment_options, explained
from learning_market.terms import PoolTerms


@click.command(cls=MarketCommand, short_help="Deploy the LearningMarket contract")
@ape_cli_context()
@network_option()
@account_option()
@deployment_options
@click.option("--verify-source", is_flag=True, help="Publish the verified source on the network's explorer.")
def cli(
    cli_ctx: Any, network: Any, account: Any, min_window: int, verifier_bond: int, slash_amount: int,
    unbonding_period: int, forfeit_bps: int, verify_source: bool,
) -> None:
    """Deploys LearningMarket (which deploys its VerifierPool) and prints both addresses."""
    if verify_source and network.explorer is None:
        raise click.BadOptionUsage(
            "verify_source", f"--verify-source needs an explorer, and {network.name} has none."
        )
    with explained():
        terms = PoolTerms(verifier_bond, slash_amount, unbonding_period)
    market = account.deploy(
        project.LearningMarket, min_window, terms.verifier_bond, terms.slash_amount, terms.unbonding_period,
        forfeit_bps, publish=verify_source,
    )
    click.echo(f"market address: {market.address}")
    click.echo(f"verifier pool address: {market.verifierPool()}")
    cli_ctx.logger.success(
        f"LearningMarket deployed at {click.style(market.address, bold=True)} on {network.name} "
        f"(minimum window {min_window} s, pool bond {verifier_bond} wei, slash {slash_amount} wei, "
        f"unbonding {unbonding_period} s, forfeit {forfeit_bps} bps)"
    )
