"""The verifier's steps on a real network: `ape run verifier <register|exit|withdraw|score|reveal|claim>`.

A verifier joins the market's pool once, with its bond; it is then drawn at random onto task panels
(`ape run inspect_task` shows a task's panel), scores only where drawn, and leaves in two steps."""

from __future__ import annotations

from typing import Any

import click
from ape.cli import account_option

from learning_market.checks import eth
from learning_market.cli import acting, claim_command, command, role
from learning_market.options import explained, market_option
from learning_market.roles.verifier import Verifier
from learning_market.timeline import when


@click.group()
def cli() -> None:
    """A verifier: bond into the pool, score the tasks whose panel draws it, reveal the scores, claim, leave."""


def pool_command(name: str, short_help: str) -> Any:
    """A pool step: `--account` and `--market`, no task."""

    def decorate(function: Any) -> Any:
        return command(cli, name, short_help=short_help)(account_option()(market_option(function)))

    return decorate


@pool_command("register", "Bond into the market's verifier pool")
def register(cli_ctx: Any, account: Any, market_address: str) -> None:
    """Sends the pool's bond: panels requested from the next block on may draw this account."""
    with explained():
        me = role(Verifier, account, market_address)
        bond = me.register()
    cli_ctx.logger.success(f"{me.address} registered in the verifier pool with a bond of {eth(bond)}")


@pool_command("exit", "Ask to leave the verifier pool")
def exit_pool(cli_ctx: Any, account: Any, market_address: str) -> None:
    """Asks to leave: no panel requested after this block draws the account; the bond unbonds."""
    with explained():
        me = role(Verifier, account, market_address)
        available = me.request_exit()
    cli_ctx.logger.success(
        f"{me.address} leaves the verifier pool: withdraw its bond from {when(available, me.market.now())}"
    )


@pool_command("withdraw", "Withdraw the bond after the unbonding period")
def withdraw(cli_ctx: Any, account: Any, market_address: str) -> None:
    """Takes back what is left of the bond, once unbonded and on no unsettled panel."""
    with explained():
        me = role(Verifier, account, market_address)
        amount = me.withdraw_bond()
    cli_ctx.logger.success(f"{me.address} withdrew {eth(amount)} from the verifier pool")
    click.echo(f"withdrawn: {amount}")


@command(cli, short_help="Score every model and commit the verdict and scores")
@acting(Verifier, files=True)
@click.option("--zero-missing", is_flag=True,
              help="Score 0 for a model whose file the store cannot fetch, instead of stopping.")
def score(cli_ctx: Any, me: Verifier, task_id: int, zero_missing: bool) -> None:
    """Fetches the spec, the starting model, every model and the test shards by their on-chain digests, checks
    them, scores by the spec's rules (on the audit shards if the test set is withheld or unservable), commits."""
    secret = me.commit_scores(task_id, missing_as_zero=zero_missing)
    market = me.market
    basis = "the test set" if secret.test_set_available else "the audit shards (the test set is unavailable)"
    cli_ctx.logger.success(f"committed scores for task {task_id} on {basis}")
    click.echo(f"test set available: {'yes' if secret.test_set_available else 'no'}")
    click.echo(f"starting model: {secret.scores[0] / 100:.2f}%")
    for index, value in enumerate(secret.scores[1:]):
        click.echo(f"submission #{index}: {value / 100:.2f}%")
    click.echo(f"secret kept in {me.need_keyring().path(market.chain_id, market.address, task_id, me.address)}")


@command(cli, short_help="Reveal the committed verdict and scores")
@acting(Verifier, files=True)
def reveal(cli_ctx: Any, me: Verifier, task_id: int) -> None:
    """Opens the score commitment with the verdict, scores and salt from the keyring."""
    scores = me.reveal_scores(task_id)
    cli_ctx.logger.success(f"scores revealed in task {task_id}: {', '.join(f'{s / 100:.2f}%' for s in scores)}")


cli.add_command(claim_command, "claim")
