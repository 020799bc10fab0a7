"""Requests and draws a task's panel from the verifier pool (anyone may), after the commit deadline:
`ape run panel --market 0x… --task 1`. Contributors reveal once it is drawn."""

from __future__ import annotations

from typing import Any

import click
from ape.cli import ape_cli_context, network_option

from learning_market.cli import MarketCommand, acting
from learning_market.roles.anyone import Participant


@click.command(cls=MarketCommand, short_help="Request and draw a task's panel (anyone may)")
@ape_cli_context()
@network_option()
@acting(Participant)
def cli(cli_ctx: Any, me: Participant, task_id: int) -> None:
    """Requests the panel unless a request is pending, waits for the seed block and draws the panel."""
    members = me.open_panel(task_id)
    cli_ctx.logger.success(f"panel of task {task_id} drawn")
    for index, member in enumerate(members):
        click.echo(f"member #{index}: {member}")
