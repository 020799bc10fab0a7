"""Deploys the market: `ape run deploy --network <network> --account <alias> --min-window 3600`."""

from __future__ import annotations

from typing import Any

import click
from ape import project
from ape.cli import account_option, ape_cli_context, network_option

from learning_market.cli import MarketCommand


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
@click.option("--verify-source", is_flag=True, help="Publish the verified source on the network's explorer.")
def cli(cli_ctx: Any, network: Any, account: Any, min_window: int, verify_source: bool) -> None:
    """Deploys LearningMarket with MIN_WINDOW and prints its address."""
    if verify_source and network.explorer is None:
        raise click.BadOptionUsage(
            "verify_source", f"--verify-source needs an explorer, and {network.name} has none."
        )
    market = account.deploy(project.LearningMarket, min_window, publish=verify_source)
    click.echo(f"market address: {market.address}")
    cli_ctx.logger.success(
        f"LearningMarket deployed at {click.style(market.address, bold=True)} on {network.name} "
        f"(minimum window {min_window} s)"
    )
