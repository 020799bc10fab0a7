"""The verifier's steps on a real network: `ape run verifier <join|score|reveal|claim>`."""

from __future__ import annotations

import click
from ape.cli import ConnectedProviderCommand, account_option, ape_cli_context, network_option

from learning_market import steps
from learning_market.checks import eth
from learning_market.cli import (
    ADDRESS,
    AMOUNT,
    explained,
    keyring_option,
    market_option,
    session,
    store_option,
    task_option,
)


@click.group()
def cli() -> None:
    """A verifier: join a task with a stake, score every model on the test set, reveal the scores, claim."""


@cli.command(cls=ConnectedProviderCommand, short_help="Join a task as verifier and stake")
@ape_cli_context()
@network_option()
@account_option()
@market_option()
@task_option()
@click.option("--stake", type=AMOUNT, help="The stake you agree to lock; refused unless it is the task's.")
def join(cli_ctx, account, market_address, task_id, stake) -> None:
    """Joins the task in its commit phase, staking the task's verifier stake."""
    with explained():
        me = session(account, market_address)
        steps.join_as_verifier(me, task_id, stake)
    staked = me.market.params(task_id).verifier_stake
    cli_ctx.logger.success(f"joined task {task_id} as verifier, staking {eth(staked)}")


@cli.command(cls=ConnectedProviderCommand, short_help="Score every model and commit the scores")
@ape_cli_context()
@network_option()
@account_option()
@market_option()
@task_option()
@click.option("--zero-missing", is_flag=True,
              help="Score 0 for a model whose file the store cannot fetch, instead of stopping.")
@store_option()
@keyring_option()
def score(cli_ctx, account, market_address, task_id, zero_missing, store, fetch, keyring_dir) -> None:
    """Fetches the test set and every model by their on-chain digests, checks them, scores, commits."""
    with explained():
        me = session(account, market_address, store, keyring_dir, fetch)
        secret = steps.score_and_commit(me, task_id, missing_as_zero=zero_missing)
    cli_ctx.logger.success(f"committed scores for task {task_id}")
    for index, value in enumerate(secret.scores):
        click.echo(f"submission #{index}: {value / 100:.2f}%")
    click.echo(f"secret kept in {me.keyring.path(me.market.chain_id, me.market.address, task_id, me.address)}")


@cli.command(cls=ConnectedProviderCommand, short_help="Reveal the committed scores")
@ape_cli_context()
@network_option()
@account_option()
@market_option()
@task_option()
@store_option()
@keyring_option()
def reveal(cli_ctx, account, market_address, task_id, store, fetch, keyring_dir) -> None:
    """Opens the score commitment with the scores and salt from the keyring."""
    with explained():
        scores = steps.reveal_scores(session(account, market_address, store, keyring_dir, fetch), task_id)
    cli_ctx.logger.success(f"scores revealed in task {task_id}: {', '.join(f'{s / 100:.2f}%' for s in scores)}")


@cli.command(cls=ConnectedProviderCommand, short_help="Claim stake and fee")
@ape_cli_context()
@network_option()
@account_option()
@market_option()
@task_option()
@click.option("--to", type=ADDRESS, help="Pay this address instead (claimTo).")
def claim(cli_ctx, account, market_address, task_id, to) -> None:
    """Pays the stake back and the fee, once the task is settled (an honest verifier's)."""
    with explained():
        amount = steps.claim(session(account, market_address), task_id, to)
    cli_ctx.logger.success(f"claimed {eth(amount)} in task {task_id}" + (f", paid to {to}" if to else ""))
