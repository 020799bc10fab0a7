"""Runs a task's batched finalize until it is done: `ape run finalize --market 0x… --task 1`."""

from __future__ import annotations

from typing import Any

import click
from ape.cli import ape_cli_context, network_option

from learning_market.cli import MarketCommand, acting
from learning_market.roles.anyone import DEFAULT_FINALIZE_STEPS, Participant


@click.command(cls=MarketCommand, short_help="Finalize a task (anyone may)")
@ape_cli_context()
@network_option()
@acting(Participant)
@click.option("--max-steps", type=click.IntRange(min=1), default=DEFAULT_FINALIZE_STEPS, show_default=True,
              help="Steps per transaction (one per submission and pass).")
def cli(cli_ctx: Any, me: Participant, task_id: int, max_steps: int) -> None:
    """Sends finalize(task, MAX_STEPS) until the task is finalized; then claims open."""
    transactions = me.finalize(task_id, max_steps)
    if transactions:
        cli_ctx.logger.success(f"task {task_id} finalized in {transactions} transaction(s): claims are open")
