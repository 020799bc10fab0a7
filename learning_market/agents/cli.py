"""The agents' commands, written once for two ways in: `python -m learning_market.agents` (JSON-RPC with
a local key, no ape: starts in a second) and `ape run agent` (any ape network and account). A `Front`
says how a command reaches the market; everything else (options, wiring, the run) is shared."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from learning_market.agents.agent import DEFAULT_GRACE, Agent
from learning_market.agents.progress import Progress
from learning_market.agents.runner import run
from learning_market.keyring import Keyring
from learning_market.market import MarketClient
from learning_market.options import (
    AMOUNT,
    EXISTING_FILE,
    explained,
    open_files,
    publish_option,
    store_options,
    task_terms_options,
    training_options,
)
from learning_market.roles.anyone import Participant
from learning_market.roles.policy import Policy
from learning_market.terms import TaskTerms

Decorator = Callable[[Callable], Callable]


@dataclass(frozen=True)
class Front:
    """How a command reaches the market: `options` adds the connection's options (network, market,
    account); `open(options, account)` takes them out of the command's options and returns the market
    client and the account (None unless `account`); `command(group, name, **kw)` makes a subcommand."""

    options: Decorator
    open: Callable[[dict[str, Any], bool], tuple[MarketClient, Any]]
    command: Callable[..., Decorator]


def say(line: str) -> None:
    """A line of the agent's log, on stdout at once (a log file is read while the agent runs)."""
    click.echo(line)
    sys.stdout.flush()


# ------------------------------------------------------------------ shared options


def loop_options(grace: int, unjoined: bool = False) -> Decorator:
    """How long the agent runs and how it paces itself (`unjoined`: a role drawn into tasks, whose --tasks
    counts the tasks whose panel was drawn without it too)."""
    tasks_help = (
        "Stop once this many tasks are settled, or drawn without it [default: run until stopped]."
        if unjoined
        else "Stop once this many tasks it took part in are settled [default: run until stopped]."
    )

    def decorate(function: Callable) -> Callable:
        for option in reversed([
            click.option("--name", default=None, help="The agent's name in its log [default: role and address]."),
            click.option("--tasks", type=click.IntRange(min=1), default=None, help=tasks_help),
            click.option("--from-block", type=click.IntRange(min=0), default=0, show_default=True,
                         help="Read the market's events from this block (the first run; later runs resume)."),
            click.option("--poll", type=click.FloatRange(min=0.1), default=2.0, show_default=True,
                         help="Seconds between two looks at the chain when nothing was due."),
            click.option("--grace", type=click.IntRange(min=0), default=grace, show_default=True,
                         help="Seconds a step anyone may take (finalize) is left to keepers before this agent "
                         "takes it."),
        ]):
            function = option(function)
        return function

    return decorate


def policy_options(function: Callable) -> Callable:
    """What the participant accepts before it stakes."""
    for option in reversed([
        click.option("--min-reward", type=AMOUNT, default=0, help="Join only tasks offering at least this reward."),
        click.option("--max-stake", type=AMOUNT, default=None, help="Join only tasks asking at most this stake."),
        click.option("--margin", type=click.IntRange(min=0), default=0, show_default=True,
                     help="Join only while at least this many seconds of the join window are left."),
    ]):
        function = option(function)
    return function


def keyring_option(function: Callable) -> Callable:
    return click.option(
        "--keyring", "keyring_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Where secrets and the agent's progress are kept [default: ~/.learning-market].",
    )(function)


def _pop(options: dict[str, Any], *names: str) -> list[Any]:
    """The options named (None for one the command does not have), taken out of `options`."""
    return [options.pop(name, None) for name in names]


def _role(kind: type[Participant], market: MarketClient, account: Any, options: dict[str, Any], **settings: Any) -> Any:
    store, fetch, keyring, publish, allow = _pop(
        options, "store", "fetch", "keyring_dir", "publish", "allow_private_uri"
    )
    # what an agent publishes for others it may fetch back from there (the models it fuses, the test set)
    return kind(
        market, account, open_files(store, fetch or publish), Keyring(keyring), log=say,
        publish=open_files(publish), allow_private_uri=allow, **settings,
    )


def start(
    kind: str, role: Participant, policy: Policy, options: dict[str, Any], tasks: int | None = None,
    count_unjoined: bool = False,
) -> None:
    """Builds the agent (its progress under the keyring) and runs it until its work is done or it is stopped."""
    market = role.market
    keyring = role.keyring or Keyring()
    name, wanted, from_block, poll, grace = _pop(options, "name", "tasks", "from_block", "poll", "grace")
    path = keyring.market_dir(market.chain_id, market.address) / "agents" / f"{role.address}-{kind}.json"
    agent = Agent(
        name or f"{kind}-{role.address[2:8].lower()}", role, policy, Progress.load(path), say, grace,
        wanted if wanted is not None else tasks, from_block, count_unjoined=count_unjoined,
    )
    say(f"{agent.name} ({role.address}) acts in the market at {market.address} on chain {market.chain_id}"
        + (f", for {agent.tasks} task(s)" if agent.tasks else ", until stopped"))
    run(agent, poll)


# ------------------------------------------------------------------ the commands


def add_agent_commands(group: click.Group, front: Front) -> None:
    """The four agents: contributor, verifier, initiator and keeper."""
    command = front.command

    @command(group, "contributor", short_help="A contributor that trains, commits and reveals by itself")
    @front.options
    @training_options
    @policy_options
    @store_options
    @publish_option
    @loop_options(DEFAULT_GRACE)
    def contributor(**options: Any) -> None:
        """Joins every task its policy and its data fit: trains on the private data, commits (the secret kept
        first), reveals, claims; finalizes too if no keeper does within --grace."""
        from learning_market.roles.contributor import Contributor
        from learning_market.roles.files import load_dataset_file

        with explained():
            market, account = front.open(options, True)
            data = load_dataset_file(options.pop("data_path"))
            training = {k: v for k in ("epochs", "seed", "lr", "batch_size") if (v := options.pop(k)) is not None}
            policy = _policy(options, tuple(data.input_shape), data.num_classes)
            role = _role(Contributor, market, account, options, data=data, training=training)
            start("contributor", role, policy, options)

    @command(group, "verifier", short_help="A pool member that registers once, and scores wherever it is drawn")
    @front.options
    @click.option("--zero-missing", is_flag=True, help="Score 0 for a model the store cannot fetch.")
    @store_options
    @loop_options(DEFAULT_GRACE, unjoined=True)
    def verifier(**options: Any) -> None:
        """Registers in the market's verifier pool with the bond (once: a registered account is not
        registered again); in every task whose panel draws it, scores the starting model and every model on
        the test shards (on the audit shards if the test set is withheld), commits and reveals the verdict
        and scores, claims its fee; finalizes too if no keeper does within --grace."""
        from learning_market.roles.verifier import Verifier

        with explained():
            market, account = front.open(options, True)
            role = _role(Verifier, market, account, options, missing_as_zero=options.pop("zero_missing"),
                         join_pool=True)
            start("verifier", role, Policy(), options, count_unjoined=True)

    @command(group, "initiator", short_help="An initiator running a campaign of rounds by itself")
    @front.options
    @click.option("--spec", "spec_path", type=EXISTING_FILE, required=True, help="The task spec (JSON).")
    @click.option("--initial-model", type=EXISTING_FILE, help="A model file the first round starts from.")
    @click.option("--test-set", "test_sets", type=EXISTING_FILE, multiple=True, required=True,
                  help="One test set per round (.npz or dataset file); a revealed test set is public.")
    @click.option("--reward", type=AMOUNT, required=True, help="Each round's reward: wei, or '1 ether'.")
    @task_terms_options
    @click.option("--start-margin", type=click.IntRange(min=0), default=60, show_default=True,
                  help="Seconds before a round's first window starts, for its creation to be mined.")
    @click.option("--fusion", default="average", show_default=True, help="How the paid models are fused.")
    @click.option("--validation", type=EXISTING_FILE, help="Validation data, for the stacking fusion.")
    @click.option("--byzantine", type=click.IntRange(min=0), default=0, show_default=True,
                  help="Poisoned models krum should tolerate.")
    @store_options
    @publish_option
    @loop_options(DEFAULT_GRACE)
    def initiator(**options: Any) -> None:
        """Creates round after round (one per --test-set, each from the last fused model, the test set cut
        into --test-shards shards), draws and reveals each round's audit at once, reveals the rest of the test
        set after the models, finalizes, fuses and publishes the paid models, claims; then stops."""
        from learning_market.roles.campaign import Campaign
        from learning_market.roles.files import load_dataset_file, load_spec_file, with_initial_model
        from learning_market.roles.initiator import Initiator
        from ml.fusion import STRATEGIES

        with explained():
            market, account = front.open(options, True)
            if options["fusion"] not in STRATEGIES:
                raise click.BadParameter(f"use one of {', '.join(STRATEGIES)}", param_hint="--fusion")
            validation = options.pop("validation")
            role = _role(
                Initiator, market, account, options, fusion=options.pop("fusion"),
                validation=load_dataset_file(validation) if validation is not None else None,
                byzantine=options.pop("byzantine"),
            )
            spec = load_spec_file(options.pop("spec_path"))
            initial = options.pop("initial_model")
            if initial is not None:
                spec = with_initial_model(role.need_store(), spec, initial.read_bytes())
            tests = [load_dataset_file(path, spec.num_classes) for path in options.pop("test_sets")]
            window = options.pop("window")
            terms = TaskTerms(
                reward=options.pop("reward"), contributor_stake=options.pop("contributor_stake"),
                max_contributors=options.pop("max_contributors"), panel_size=options.pop("panel_size"),
                verifier_fee_bps=options.pop("fee_bps"), baseline_score=options.pop("baseline"),
                tolerance_bps=options.pop("tolerance"), test_shards=options.pop("test_shards"),
                audit_shards=options.pop("audit_shards"), window=window if window is not None else market.min_window,
            )
            role.campaign = Campaign(spec, tests, terms, options.pop("start_margin"), options["from_block"])
            start("initiator", role, Policy(), options, tasks=len(tests))

    @command(group, "keeper", short_help="A keeper: what any address may do (draws, finalize), in every task")
    @front.options
    @keyring_option
    @loop_options(0)
    def keeper(**options: Any) -> None:
        """In every task, as soon as it may (anyone may): draws the audit, requests the panel after the commit
        deadline and draws it once its seed block is mined (requesting it again if the seed's hash expired),
        and finalizes; costs gas, earns nothing, and keeps the market moving."""
        with explained():
            market, account = front.open(options, True)
            role = Participant(market, account, keyring=Keyring(options.pop("keyring_dir")), log=say)
            start("keeper", role, Policy(), options)


# ------------------------------------------------------------------ data files


@click.group(short_help="Build a participant's .npz and check it against a task spec")
def data_group() -> None:
    """A participant's data file: build one, and check it fits a task."""


@data_group.command("build", short_help="Write an .npz from a CSV file or from a bundled dataset")
@click.option("--csv", "csv_path", type=EXISTING_FILE, help="A CSV with a header: the label column and the features.")
@click.option("--label", default="label", show_default=True, help="The CSV's label column.")
@click.option("--shape", default=None, help="The examples' shape, e.g. 1,8,8 [default: the features, flat].")
@click.option("--source", type=click.Choice(["digits"]), help="The bundled digits (scikit-learn's) instead of a CSV.")
@click.option("--part", type=click.Choice(["train", "test", "validation"]), default="train", show_default=True,
              help="Which split of the bundled dataset.")
@click.option("--shard", type=click.IntRange(min=1), default=1, show_default=True, help="Which shard (1-based).")
@click.option("--of", "shards", type=click.IntRange(min=1), default=1, show_default=True, help="Into how many.")
@click.option("--split", type=click.Choice(["iid", "dirichlet", "size"]), default="iid", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The .npz to write.")
def data_build(csv_path: Path | None, label: str, shape: str | None, source: str | None, part: str, shard: int,
               shards: int, split: str, seed: int, out: Path) -> None:
    """Writes arrays x (float32, one example per row, shaped) and y (int64 labels) to OUT."""
    from learning_market.datafiles import build_npz

    with explained():
        click.echo(build_npz(out, csv_path, label, shape, source, part, shard, shards, split, seed))


@data_group.command("check", short_help="Check an .npz against a task spec")
@click.option("--data", "data_path", type=EXISTING_FILE, required=True, help="The .npz or dataset file.")
@click.option("--spec", "spec_path", type=EXISTING_FILE, required=True, help="The task spec (JSON).")
def data_check(data_path: Path, spec_path: Path) -> None:
    """Says whether the data fits the task (example shape and classes), with its size and labels."""
    from learning_market.datafiles import check_npz

    with explained():
        click.echo(check_npz(data_path, spec_path))


def _policy(options: dict[str, Any], shape: tuple[int, ...] | None = None, classes: int | None = None) -> Policy:
    min_reward, max_stake, margin = _pop(options, "min_reward", "max_stake", "margin")
    return Policy(min_reward, max_stake, margin, shape, classes)
