"""Prints a task: `ape run inspect_task --market 0x… --task 1 [--account-address 0x…]`."""

from __future__ import annotations

import click
from ape.cli import network_option

from learning_market.cli import ADDRESS, MarketCommand, connect, explained, market_option, task_option
from learning_market.overview import format_overview, overview


@click.command(cls=MarketCommand, short_help="Print a task, its deadlines, submissions and verifiers")
@network_option()
@market_option
@task_option
@click.option("--account-address", type=ADDRESS, help="Also say what this address is owed.")
def cli(market_address: str, task_id: int, account_address: str | None) -> None:
    """Prints the task's parameters, deadlines (UTC, and how far away), phase, counts, submissions and verifiers."""
    with explained():
        click.echo(format_overview(overview(connect(market_address), task_id, account_address)))
