"""The initiator's steps on a real network: `ape run initiator <create|reveal-test-set|fuse-and-publish|cancel>`."""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option, ape_cli_context, network_option

from learning_market import steps
from learning_market.checks import eth
from learning_market.cli import (
    AMOUNT,
    explained,
    keyring_option,
    market_option,
    open_store,
    publish_option,
    session,
    store_option,
    task_option,
)
from learning_market.initiator import TaskTerms
from learning_market.timeline import DEADLINES, when

EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def cli() -> None:
    """The initiator: create a task, reveal its test set, fuse and publish the paid models, or cancel."""


@cli.command(cls=ConnectedProviderCommand, short_help="Create a task and escrow its reward")
@ape_cli_context()
@network_option()
@account_option()
@market_option()
@click.option("--spec", "spec_path", type=EXISTING_FILE, required=True, help="The task spec (JSON).")
@click.option("--initial-model", type=EXISTING_FILE, help="A model file to start from (named in the spec).")
@click.option("--test-set", type=EXISTING_FILE, required=True, help="The test set: .npz (x, y) or a dataset file.")
@click.option("--reward", type=AMOUNT, required=True, help="Wei, or with a unit: '1 ether'.")
@click.option("--contributor-stake", type=AMOUNT, default="0.01 ether", show_default=True)
@click.option("--verifier-stake", type=AMOUNT, default="0.02 ether", show_default=True)
@click.option("--max-contributors", type=int, default=32, show_default=True)
@click.option("--max-verifiers", type=int, default=9, show_default=True, help="Odd and at least 3 is sensible.")
@click.option("--fee-bps", type=int, default=1_000, show_default=True, help="Honest verifiers' share of the reward.")
@click.option("--baseline", type=int, default=1_000, show_default=True, help="Accuracy (bps) that earns nothing.")
@click.option("--tolerance", type=int, default=300, show_default=True, help="How far (bps) from the median is honest.")
@click.option("--window", type=int, default=None, help="Seconds per phase [default: the market's minimum window].")
@click.option("--start-margin", type=click.IntRange(min=0), default=steps.DEFAULT_START_MARGIN, show_default=True,
              help="Seconds added before the first deadline, for the transaction to be mined.")
@click.option("--parent", type=click.IntRange(min=0), default=0, show_default=True, help="The previous round's task.")
@store_option()
@publish_option()
@keyring_option()
def create(
    cli_ctx, account, market_address, spec_path, initial_model, test_set, reward, contributor_stake, verifier_stake,
    max_contributors, max_verifiers, fee_bps, baseline, tolerance, window, start_margin, parent, store, fetch,
    publish, keyring_dir,
) -> None:
    """Publishes the spec, commits to the test set (kept secret in the keyring) and escrows the reward."""
    if window is not None and window <= 0:
        raise click.BadArgumentUsage("--window must be a positive number of seconds")
    with explained():
        me = session(account, market_address, store, keyring_dir, fetch)
        spec = steps.load_spec_file(spec_path)
        if initial_model is not None:
            spec = steps.with_initial_model(me.store, spec, initial_model.read_bytes())
        test = steps.load_dataset_file(test_set, spec.num_classes)
        terms = TaskTerms(
            reward=reward,
            contributor_stake=contributor_stake,
            verifier_stake=verifier_stake,
            max_contributors=max_contributors,
            max_verifiers=max_verifiers,
            verifier_fee_bps=fee_bps,
            baseline_score=baseline,
            tolerance_bps=tolerance,
            window=window if window is not None else me.market.min_window(),
        )
        created = steps.create_task(
            me, spec, test, terms, parent_task_id=parent, start_margin=start_margin,
            publish=open_store(publish) if publish else None,
        )
    now = me.market.now()
    cli_ctx.logger.success(f"task {click.style(str(created.task_id), bold=True)} created, reward {eth(reward)}")
    click.echo(f"task id: {created.task_id}")
    click.echo(f"spec digest: 0x{created.spec_digest.hex()}")
    for label, field in DEADLINES:
        click.echo(f"{label} deadline: {when(getattr(created.params, field), now)}")


@cli.command("reveal-test-set", cls=ConnectedProviderCommand, short_help="Reveal the committed test set")
@ape_cli_context()
@network_option()
@account_option()
@market_option()
@task_option()
@store_option()
@publish_option()
@keyring_option()
def reveal_test_set(cli_ctx, account, market_address, task_id, store, fetch, publish, keyring_dir) -> None:
    """Puts the test set (from the keyring) into the store and opens the commitment made at creation."""
    with explained():
        me = session(account, market_address, store, keyring_dir, fetch)
        digest = steps.reveal_test_set(me, task_id, open_store(publish) if publish else None)
    cli_ctx.logger.success(f"test set of task {task_id} revealed: 0x{digest.hex()}")


@cli.command("fuse-and-publish", cls=ConnectedProviderCommand, short_help="Fuse the paid models and publish")
@ape_cli_context()
@network_option()
@account_option()
@market_option()
@task_option()
@click.option(
    "--strategy",
    type=click.Choice(["average", "median", "trimmed_mean", "krum", "ensemble", "stacking"]),
    default="average",
    show_default=True,
)
@click.option("--validation", type=EXISTING_FILE, help="Validation data (.npz or dataset file), for stacking.")
@click.option("--byzantine", type=click.IntRange(min=0), default=0, show_default=True,
              help="Poisoned models krum should tolerate.")
@store_option()
@publish_option()
@keyring_option()
def fuse_and_publish(
    cli_ctx, account, market_address, task_id, strategy, validation, byzantine, store, fetch, publish, keyring_dir
) -> None:
    """Fuses the task's paid models (weighted by their rewards), stores the result and records its digest."""
    with explained():
        me = session(account, market_address, store, keyring_dir, fetch)
        data = steps.load_dataset_file(validation) if validation is not None else None
        published = steps.fuse_and_publish(
            me, task_id, strategy, data, num_byzantine=byzantine, publish=open_store(publish) if publish else None
        )
    from content import digest_to_cid

    cli_ctx.logger.success(f"fused {published.members} paid model(s) of task {task_id} by {strategy!r}")
    click.echo(f"fused model: 0x{published.digest.hex()} (CID {digest_to_cid(published.digest)})")
    click.echo(f"next round: --parent {task_id} with a spec whose initial_model is 0x{published.digest.hex()}")


@cli.command(cls=ConnectedProviderCommand, short_help="Cancel a task before any model is committed")
@ape_cli_context()
@network_option()
@account_option()
@market_option()
@task_option()
@store_option()
@keyring_option()
def cancel(cli_ctx, account, market_address, task_id, store, fetch, keyring_dir) -> None:
    """Cancels the task; the reward (and any verifier stakes) can then be claimed back."""
    with explained():
        me = session(account, market_address, store, keyring_dir, fetch)
        steps.cancel_task(me, task_id)
    cli_ctx.logger.success(f"task {task_id} cancelled: claim the reward back with `ape run claim --task {task_id}`")
