"""The contributor's steps on a real network: `ape run contributor <train|commit|reveal|claim>`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from learning_market.checks import eth
from learning_market.cli import acting, claim_command, command, role, stake_option, task_option
from learning_market.options import DIGEST, EXISTING_FILE, explained, market_option, store_options, training_options
from learning_market.roles.contributor import AuditPolicy, Contributor


@click.group()
def cli() -> None:
    """A contributor: train on private data, check the task's audit shards and commit to the model, reveal
    it once the panel is drawn, claim the reward."""


@command(cli, short_help="Train the task's model on private data")
@market_option
@task_option
@training_options
@click.option("--quiet", is_flag=True, help="No progress bar.")
@store_options
def train(
    cli_ctx: Any, market_address: str, task_id: int, data_path: Path, epochs: int | None,
    seed: int | None, lr: float | None, batch_size: int | None, quiet: bool, store: str, fetch: str | None,
    keyring_dir: Path | None,
) -> None:
    """Fetches the spec by its on-chain digest, trains, and writes the model file into the store."""
    overrides = {
        name: value
        for name, value in (("epochs", epochs), ("seed", seed), ("lr", lr), ("batch_size", batch_size))
        if value is not None
    }
    with explained():
        me = role(Contributor, None, market_address, store, fetch, keyring_dir)  # sends nothing: no account
        trained = me.train(task_id, data_path, overrides, progress=not quiet)
    cli_ctx.logger.success(f"trained for task {task_id}: {trained.local_accuracy_bps / 100:.2f}% on its own data")
    click.echo(f"model digest: 0x{trained.model_digest.hex()}")
    click.echo(f"model CID: {trained.cid}")


@command(cli, short_help="Commit to a model and stake")
@acting(Contributor, files=True)
@click.option("--model-digest", type=DIGEST, help="0x digest or CID [default: the last model trained for the task].")
@stake_option
@click.option("--data", "data_path", type=EXISTING_FILE,
              help="Its private data, to compare the audit's labels with (never leaves this machine).")
@click.option("--max-audit-error", type=click.FloatRange(0, 100), default=AuditPolicy.max_error_bps / 100,
              show_default=True, help="Refuse to stake when the model gets more of the audit examples wrong (%).")
@click.option("--max-label-distance", type=click.FloatRange(0, 100),
              default=AuditPolicy.max_label_distance_bps / 100, show_default=True,
              help="Refuse when the audit's labels are distributed further from the data's (total variation, %).")
def commit(
    cli_ctx: Any, me: Contributor, task_id: int, model_digest: bytes | None, stake: int | None,
    data_path: Path | None, max_audit_error: float, max_label_distance: float,
) -> None:
    """Checks the revealed audit shards against the model (and the data, if given); keeps the digest and a fresh
    salt in the keyring, then sends the commitment with the stake."""
    me.data = data_path
    me.audit_policy = AuditPolicy(round(max_audit_error * 100), round(max_label_distance * 100))
    secret = me.commit(task_id, model_digest, stake)
    market = me.market
    staked = market.params(task_id).contributor_stake
    cli_ctx.logger.success(f"committed to model 0x{secret.model_digest.hex()} in task {task_id}, staking {eth(staked)}")
    click.echo(f"secret kept in {me.need_keyring().path(market.chain_id, market.address, task_id, me.address)}")


@command(cli, short_help="Reveal the committed model")
@acting(Contributor, files=True, publish=True)
def reveal(cli_ctx: Any, me: Contributor, task_id: int) -> None:
    """Opens the commitment with the secret from the keyring once the panel is drawn (`ape run panel`); the
    model file's URI goes in the event."""
    index = me.reveal(task_id)
    cli_ctx.logger.success(f"model revealed in task {task_id} as submission #{index}")


cli.add_command(claim_command, "claim")
