"""Deploys the market: `ape run deploy --network <network> --account <alias> --min-window 3600`."""

from __future__ import annotations

import click
from ape import project
from ape.cli import ConnectedProviderCommand, account_option, ape_cli_context, network_option


@click.command(cls=ConnectedProviderCommand, short_help="Deploy the LearningMarket contract")
@ape_cli_context()
@network_option()
@account_option()
@click.option(
    "--min-window",
    type=int,
    default=3_600,
    show_default=True,
    help="Shortest window between two deadlines, in seconds (hours on a real network).",
)
@click.option("--publish", is_flag=True, help="Verify the source on the network's explorer.")
def cli(cli_ctx, network, account, min_window: int, publish: bool) -> None:
    """Deploys LearningMarket with MIN_WINDOW and prints its address."""
    if min_window <= 0:
        raise click.BadArgumentUsage("--min-window must be at least one second")
    if min_window >= 2**64:
        raise click.BadArgumentUsage("--min-window must fit in 64 bits")
    market = account.deploy(project.LearningMarket, min_window, publish=publish)
    cli_ctx.logger.success(
        f"LearningMarket deployed at {click.style(market.address, bold=True)} on {network.name} "
        f"(minimum window {min_window} s)"
    )
