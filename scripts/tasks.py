"""Lists the open tasks of a market: `ape run tasks --network <network> --market 0x…`."""

from __future__ import annotations

import click
from ape.cli import network_option

from learning_market.cli import MarketCommand, connect
from learning_market.options import explained, market_option
from learning_market.overview import format_tasks, market_tasks


@click.command(cls=MarketCommand, short_help="List the open tasks, their terms and windows in local time")
@network_option()
@market_option
@click.option("--all", "settled", is_flag=True, help="Also the settled tasks.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="The latest tasks only.")
def cli(market_address: str, settled: bool, limit: int) -> None:
    """Prints every open task: phase and how long it lasts, reward, stakes, takers and each window."""
    with explained():
        market = connect(market_address)
        click.echo(format_tasks(market_tasks(market, settled, limit), market.address))
