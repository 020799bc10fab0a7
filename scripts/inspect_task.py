"""Prints a task: `ape run inspect_task --market 0x… --task 1 [--account-address 0x…] [--store …]`."""

from __future__ import annotations

import click
from ape.cli import network_option

from learning_market.cli import MarketCommand, connect, task_option
from learning_market.options import ADDRESS, explained, market_option, open_files
from learning_market.overview import format_overview, with_fused_accuracy


@click.command(cls=MarketCommand, short_help="Print a task, its deadlines, submissions and verifiers")
@network_option()
@market_option
@task_option
@click.option("--account-address", type=ADDRESS, help="Also say what this address is owed.")
@click.option("--store", default=None, help="Where the test set and the fused model are (for its accuracy).")
@click.option("--fetch", default=None, help="Fetch them from here when --store lacks them.")
def cli(market_address: str, task_id: int, account_address: str | None, store: str | None, fetch: str | None) -> None:
    """Prints the task's parameters, deadlines (UTC, and how far away), phase, counts, submissions and verifiers;
    with --store, the fused model's accuracy on the task's test set."""
    with explained():
        view = with_fused_accuracy(connect(market_address), task_id, account_address, open_files(store, fetch))
        click.echo(format_overview(view))
