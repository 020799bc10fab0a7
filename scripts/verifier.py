"""The verifier's steps on a real network: `ape run verifier <join|score|reveal|claim>`."""

from __future__ import annotations

from typing import Any

import click

from learning_market.checks import eth
from learning_market.cli import acting, claim_command, command, stake_option
from learning_market.roles.verifier import Verifier


@click.group()
def cli() -> None:
    """A verifier: join a task with a stake, score every model on the test set, reveal the scores, claim."""


@command(cli, short_help="Join a task as verifier and stake")
@acting(Verifier)
@stake_option
def join(cli_ctx: Any, me: Verifier, task_id: int, stake: int | None) -> None:
    """Joins the task in its commit phase, staking the task's verifier stake."""
    me.join(task_id, stake)
    staked = me.market.params(task_id).verifier_stake
    cli_ctx.logger.success(f"joined task {task_id} as verifier, staking {eth(staked)}")


@command(cli, short_help="Score every model and commit the scores")
@acting(Verifier, files=True)
@click.option("--zero-missing", is_flag=True,
              help="Score 0 for a model whose file the store cannot fetch, instead of stopping.")
def score(cli_ctx: Any, me: Verifier, task_id: int, zero_missing: bool) -> None:
    """Fetches the test set and every model by their on-chain digests, checks them, scores, commits."""
    secret = me.commit_scores(task_id, missing_as_zero=zero_missing)
    market = me.market
    cli_ctx.logger.success(f"committed scores for task {task_id}")
    for index, value in enumerate(secret.scores):
        click.echo(f"submission #{index}: {value / 100:.2f}%")
    click.echo(f"secret kept in {me.need_keyring().path(market.chain_id, market.address, task_id, me.address)}")


@command(cli, short_help="Reveal the committed scores")
@acting(Verifier, files=True)
def reveal(cli_ctx: Any, me: Verifier, task_id: int) -> None:
    """Opens the score commitment with the scores and salt from the keyring."""
    scores = me.reveal_scores(task_id)
    cli_ctx.logger.success(f"scores revealed in task {task_id}: {', '.join(f'{s / 100:.2f}%' for s in scores)}")


cli.add_command(claim_command, "claim")
