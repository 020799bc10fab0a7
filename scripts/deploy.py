"""Deploys the market and its verifier pool: `ape run deploy --network <network> --account <alias>
--min-window 3600 --verifier-bond '0.1 ether' --slash-amount '0.05 ether' --unbonding-period 86400
--forfeit-bps 500`."""

from __future__ import annotations

from typing import Any

import click
from ape import project
from ape.cli import account_option, ape_cli_context, network_option

from learning_market.cli import MarketCommand
from learning_market.options import AMOUNT
from learning_market.terms import DEFAULT_FORFEIT_BPS, DEFAULT_POOL_TERMS


@click.command(cls=MarketCommand, short_help="Deploy the LearningMarket contract")
@ape_cli_context()
@network_option()
@account_option()
@click.option(
    "--min-window",
    type=click.IntRange(min=1, max=2**64 - 1),
    default=3_600,
    show_default=True,
    help="Shortest window between two deadlines, in seconds (hours on a real network).",
)
@click.option("--verifier-bond", type=AMOUNT, default=str(DEFAULT_POOL_TERMS.verifier_bond), show_default=True,
              help="The bond of one seat in the verifier pool (wei, or with a unit).")
@click.option("--slash-amount", type=AMOUNT, default=str(DEFAULT_POOL_TERMS.slash_amount), show_default=True,
              help="What a panel member loses when it does not reveal or strays (at most the bond).")
@click.option("--unbonding-period", type=click.IntRange(min=1, max=2**64 - 1),
              default=DEFAULT_POOL_TERMS.unbonding_period, show_default=True,
              help="Seconds between a member's exit request and its withdrawal.")
@click.option("--forfeit-bps", type=click.IntRange(min=0, max=10_000), default=DEFAULT_FORFEIT_BPS,
              show_default=True, help="Share of the reward burned when a task ends without a model.")
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
    if not 0 < slash_amount <= verifier_bond:
        raise click.BadParameter("the slash must be above zero and at most the bond.", param_hint="--slash-amount")
    market = account.deploy(
        project.LearningMarket, min_window, verifier_bond, slash_amount, unbonding_period, forfeit_bps,
        publish=verify_source,
    )
    click.echo(f"market address: {market.address}")
    click.echo(f"verifier pool address: {market.verifierPool()}")
    cli_ctx.logger.success(
        f"LearningMarket deployed at {click.style(market.address, bold=True)} on {network.name} "
        f"(minimum window {min_window} s, pool bond {verifier_bond} wei, slash {slash_amount} wei, "
        f"unbonding {unbonding_period} s, forfeit {forfeit_bps} bps)"
    )
