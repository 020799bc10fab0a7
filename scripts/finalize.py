"""Runs a task's batched finalize until it is done: `ape run finalize --market 0x… --task 1`."""

from __future__ import annotations

import click
from ape.cli import ConnectedProviderCommand, account_option, ape_cli_context, network_option

from learning_market import steps
from learning_market.cli import connect, explained, market_option, task_option


@click.command(cls=ConnectedProviderCommand, short_help="Finalize a task (anyone may)")
@ape_cli_context()
@network_option()
@account_option()
@market_option()
@task_option()
@click.option("--max-steps", type=click.IntRange(min=1), default=64, show_default=True,
              help="Steps per transaction (one per submission and pass).")
def cli(cli_ctx, account, market_address, task_id, max_steps) -> None:
    """Sends finalize(task, MAX_STEPS) until the task is finalized; then claims open."""
    with explained():
        market = connect(market_address)
        transactions = steps.finalize_task(market, task_id, account, max_steps, log=click.echo)
    if transactions:
        cli_ctx.logger.success(f"task {task_id} finalized in {transactions} transaction(s): claims are open")
