"""The initiator's steps on a real network:
`ape run initiator <create|reveal-audit|reveal-test-set|fuse-and-publish|cancel|claim>`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ape.cli import account_option

from content import digest_to_cid
from learning_market.checks import eth
from learning_market.cli import acting, claim_command, command, role
from learning_market.options import (
    AMOUNT,
    EXISTING_FILE,
    explained,
    market_option,
    publish_option,
    store_options,
    task_terms_options,
)
from learning_market.roles.files import load_dataset_file, load_spec_file, with_initial_model
from learning_market.roles.initiator import DEFAULT_START_MARGIN, Initiator
from learning_market.terms import TaskTerms
from learning_market.timeline import DEADLINES, when
from ml.fusion import STRATEGIES


@click.group()
def cli() -> None:
    """The initiator: create a task (its audit drawn and revealed at once), reveal its test set, fuse and
    publish the paid models, cancel, claim."""


@command(cli, short_help="Create a task and escrow its reward")
@account_option()
@market_option
@click.option("--spec", "spec_path", type=EXISTING_FILE, required=True, help="The task spec (JSON).")
@click.option("--initial-model", type=EXISTING_FILE, help="A model file to start from (named in the spec).")
@click.option("--test-set", type=EXISTING_FILE, required=True, help="The test set: .npz (x, y) or a dataset file.")
@click.option("--reward", type=AMOUNT, required=True, help="Wei, or with a unit: '1 ether'.")
@task_terms_options
@click.option("--start-margin", type=click.IntRange(min=0), default=DEFAULT_START_MARGIN, show_default=True,
              help="Seconds added before the first deadline, for the transaction to be mined.")
@click.option("--parent", type=click.IntRange(min=0), default=0, show_default=True, help="The previous round's task.")
@store_options
@publish_option
def create(
    cli_ctx: Any, account: Any, market_address: str, spec_path: Path, initial_model: Path | None, test_set: Path,
    reward: int, contributor_stake: int, max_contributors: int, panel_size: int, test_shards: int,
    audit_shards: int, fee_bps: int, baseline: int, tolerance: int, window: int | None, start_margin: int,
    parent: int, store: str, fetch: str | None, keyring_dir: Path | None, publish: str | None, allow_private_uri: bool,
) -> None:
    """Publishes the spec, cuts the test set into shards and commits to them (their salts and files kept in the
    keyring), escrows the reward, then draws the audit and reveals the audited shards."""
    with explained():
        me = role(Initiator, account, market_address, store, fetch, keyring_dir, publish, allow_private_uri)
        spec = load_spec_file(spec_path)
        if initial_model is not None:
            spec = with_initial_model(me.need_store(), spec, initial_model.read_bytes())
        test = load_dataset_file(test_set, spec.num_classes)
        terms = TaskTerms(
            reward=reward,
            contributor_stake=contributor_stake,
            max_contributors=max_contributors,
            panel_size=panel_size,
            test_shards=test_shards,
            audit_shards=audit_shards,
            verifier_fee_bps=fee_bps,
            baseline_score=baseline,
            tolerance_bps=tolerance,
            window=window if window is not None else me.market.min_window,
        )
        created = me.create_task(spec, test, terms, parent_task_id=parent, start_margin=start_margin)
    now = me.market.now()
    cli_ctx.logger.success(f"task {click.style(str(created.task_id), bold=True)} created, reward {eth(reward)}")
    click.echo(f"task id: {created.task_id}")
    click.echo(f"spec digest: 0x{created.spec_digest.hex()}")
    click.echo(f"audit shards: {', '.join(f'#{i}' for i in created.audit)} of {terms.test_shards}")
    for label, field in DEADLINES:
        click.echo(f"{label} deadline: {when(getattr(created.params, field), now)}")


@command(cli, "reveal-audit", short_help="Draw the audit if due, and reveal the audited shards")
@acting(Initiator, files=True, publish=True)
def reveal_audit(cli_ctx: Any, me: Initiator, task_id: int) -> None:
    """Draws the audit (once its seed block is mined) unless drawn, then puts the audited shards (from the
    keyring) into the store and opens their commitments: contributors may commit. `create` does this itself;
    this is for a creation whose audit step did not run."""
    if not me.state(task_id).audit_mask:
        me.market.wait_for_block(me.state(task_id).audit_seed_block + 1)
        me.draw_audit(task_id)
    shards = me.reveal_audit(task_id)
    cli_ctx.logger.success(f"audit shards of task {task_id} revealed: {', '.join(f'#{i}' for i in shards)}")


@command(cli, "reveal-test-set", short_help="Reveal the committed test shards")
@acting(Initiator, files=True, publish=True)
def reveal_test_set(cli_ctx: Any, me: Initiator, task_id: int) -> None:
    """Puts the shards not audited (from the keyring) into the store and opens their commitments."""
    shards = me.reveal_test_set(task_id)
    cli_ctx.logger.success(f"test shards of task {task_id} revealed: {', '.join(f'#{i}' for i in shards)}")


@command(cli, "fuse-and-publish", short_help="Fuse the paid models and publish")
@acting(Initiator, files=True, publish=True)
@click.option("--strategy", type=click.Choice(STRATEGIES), default="average", show_default=True)
@click.option("--validation", type=EXISTING_FILE, help="Validation data (.npz or dataset file), for stacking.")
@click.option("--byzantine", type=click.IntRange(min=0), default=0, show_default=True,
              help="Poisoned models krum should tolerate.")
def fuse_and_publish(
    cli_ctx: Any, me: Initiator, task_id: int, strategy: str, validation: Path | None, byzantine: int,
) -> None:
    """Fuses the task's paid models (weighted by their rewards), stores the result and records its digest."""
    data = load_dataset_file(validation) if validation is not None else None
    fused = me.fuse_and_publish(task_id, strategy, data, num_byzantine=byzantine)
    cli_ctx.logger.success(f"fused {fused.members} paid model(s) of task {task_id} by {strategy!r}")
    click.echo(f"fused model: 0x{fused.digest.hex()} (CID {digest_to_cid(fused.digest)})")
    click.echo(f"next round: --parent {task_id} with a spec whose initial_model is 0x{fused.digest.hex()}")


@command(cli, short_help="Cancel a task before any model is committed")
@acting(Initiator)
def cancel(cli_ctx: Any, me: Initiator, task_id: int) -> None:
    """Cancels the task (its forfeit is burned); the rest of the reward can then be claimed back."""
    me.cancel(task_id)
    cli_ctx.logger.success(
        f"task {task_id} cancelled: claim the reward, less the forfeit, with `ape run claim --task {task_id}`"
    )


cli.add_command(claim_command, "claim")
