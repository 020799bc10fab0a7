"""Claims what an account is owed in a settled task, whatever its role: `ape run claim --market 0x… --task 1`."""

from __future__ import annotations

import click
from ape.cli import ConnectedProviderCommand, account_option, ape_cli_context, network_option

from learning_market import steps
from learning_market.checks import eth
from learning_market.cli import ADDRESS, explained, market_option, session, task_option


@click.command(cls=ConnectedProviderCommand, short_help="Claim what an account is owed in a task")
@ape_cli_context()
@network_option()
@account_option()
@market_option()
@task_option()
@click.option("--to", type=ADDRESS, help="Pay this address instead (claimTo).")
def cli(cli_ctx, account, market_address, task_id, to) -> None:
    """Pays the account (initiator, contributor or verifier) everything it is owed in the task, once."""
    with explained():
        amount = steps.claim(session(account, market_address), task_id, to)
    cli_ctx.logger.success(f"claimed {eth(amount)} in task {task_id}" + (f", paid to {to}" if to else ""))
