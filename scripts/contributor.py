"""The contributor's steps on a real network: `ape run contributor <train|commit|reveal|claim>`."""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option, ape_cli_context, network_option

from learning_market import steps
from learning_market.checks import eth
from learning_market.cli import (
    ADDRESS,
    AMOUNT,
    DIGEST,
    connect,
    explained,
    keyring_option,
    market_option,
    publish_option,
    open_keyring,
    open_store,
    session,
    store_option,
    task_option,
)


@click.group()
def cli() -> None:
    """A contributor: train on private data, commit to the model, reveal it, claim the reward."""


@cli.command(cls=ConnectedProviderCommand, short_help="Train the task's model on private data")
@ape_cli_context()
@network_option()
@market_option()
@task_option()
@click.option("--data", "data_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="Private training data: .npz (x, y) or a dataset file. It never leaves this machine.")
@click.option("--epochs", type=click.IntRange(min=1), help="Overrides the spec's training hint.")
@click.option("--seed", type=click.IntRange(min=0), help="Overrides the spec's training hint.")
@click.option("--lr", type=float, help="Overrides the spec's training hint.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Overrides the spec's training hint.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@store_option()
@keyring_option()
def train(
    cli_ctx, market_address, task_id, data_path, epochs, seed, lr, batch_size, quiet, store, fetch, keyring_dir
) -> None:
    """Fetches the spec by its on-chain digest, trains, and writes the model file into the store."""
    overrides = {
        name: value
        for name, value in (("epochs", epochs), ("seed", seed), ("lr", lr), ("batch_size", batch_size))
        if value is not None
    }
    with explained():
        trained = steps.train_for_task(
            connect(market_address), open_store(store, fetch), open_keyring(keyring_dir), task_id, data_path,
            overrides, progress=not quiet,
        )
    cli_ctx.logger.success(
        f"trained for task {task_id}: {trained.local_accuracy_bps / 100:.2f}% on its own data"
    )
    click.echo(f"model digest: 0x{trained.model_digest.hex()}")
    click.echo(f"model CID: {trained.cid}")


@cli.command(cls=ConnectedProviderCommand, short_help="Commit to a model and stake")
@ape_cli_context()
@network_option()
@account_option()
@market_option()
@task_option()
@click.option("--model-digest", type=DIGEST, help="0x digest or CID [default: the last model trained for the task].")
@click.option("--stake", type=AMOUNT, help="The stake you agree to lock; refused unless it is the task's.")
@store_option()
@keyring_option()
def commit(cli_ctx, account, market_address, task_id, model_digest, stake, store, fetch, keyring_dir) -> None:
    """Keeps the digest and a fresh salt in the keyring, then sends the commitment with the stake."""
    with explained():
        me = session(account, market_address, store, keyring_dir, fetch)
        secret = steps.commit_model(me, task_id, model_digest, stake)
    staked = me.market.params(task_id).contributor_stake
    cli_ctx.logger.success(f"committed to model 0x{secret.model_digest.hex()} in task {task_id}, staking {eth(staked)}")
    click.echo(f"secret kept in {me.keyring.path(me.market.chain_id, me.market.address, task_id, me.address)}")


@cli.command(cls=ConnectedProviderCommand, short_help="Reveal the committed model")
@ape_cli_context()
@network_option()
@account_option()
@market_option()
@task_option()
@store_option()
@publish_option()
@keyring_option()
def reveal(cli_ctx, account, market_address, task_id, store, fetch, publish, keyring_dir) -> None:
    """Opens the commitment with the secret from the keyring; the model file's URI goes in the event."""
    with explained():
        me = session(account, market_address, store, keyring_dir, fetch)
        index = steps.reveal_model(me, task_id, open_store(publish) if publish else None)
    cli_ctx.logger.success(f"model revealed in task {task_id} as submission #{index}")


@cli.command(cls=ConnectedProviderCommand, short_help="Claim stake and reward")
@ape_cli_context()
@network_option()
@account_option()
@market_option()
@task_option()
@click.option("--to", type=ADDRESS, help="Pay this address instead (claimTo).")
def claim(cli_ctx, account, market_address, task_id, to) -> None:
    """Pays the stake back and the reward, once the task is settled."""
    with explained():
        amount = steps.claim(session(account, market_address), task_id, to)
    cli_ctx.logger.success(f"claimed {eth(amount)} in task {task_id}" + (f", paid to {to}" if to else ""))
