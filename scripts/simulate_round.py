"""Full market rounds on a local anvil: `ape run simulate_round --help`."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import network_option
from ape.logging import logger

from content import LocalStore
from learning_market.accounts import local_accounts
from learning_market.cli import MarketCommand, connect
from learning_market.options import ADDRESS, explained
from learning_market.roles.initiator import FUSION_NAMES
from learning_market.simulation.report import (
    format_curve,
    format_gas,
    format_holdings,
    format_round,
    plot,
    write_json,
)
from learning_market.simulation.rounds import ARCHITECTURES, SimulationConfig, run_simulation
from learning_market.terms import DEFAULT_FORFEIT_BPS, DEFAULT_POOL_TERMS
from ml import ATTACKS, dataset_names

MIN_WINDOW = 60  # seconds, for a market deployed by this script (the clock is moved, not waited for)
DEFAULTS = SimulationConfig()
COUNT = click.IntRange(min=0)


@click.command(cls=MarketCommand, short_help="Run whole market rounds on a local chain")
@network_option()
@click.option("--dataset", type=click.Choice(dataset_names()), default=DEFAULTS.dataset, show_default=True,
              help="The task's data: MNIST-1D (generated here, about 7 s) or scikit-learn's digits (a toy).")
@click.option("--contributors", default=DEFAULTS.contributors, show_default=True, help="Contributors per round.")
@click.option("--verifiers", default=DEFAULTS.verifiers, show_default=True,
              help="Verifiers registered (bonded) in the pool.")
@click.option("--panel-size", default=DEFAULTS.panel_size, show_default=True,
              help="Members drawn from the pool for each round's panel (odd, at least 3).")
@click.option("--rounds", default=DEFAULTS.rounds, show_default=True, help="Rounds, each from the last fused model.")
@click.option("--split", type=click.Choice(["iid", "dirichlet", "size"]), default=DEFAULTS.split, show_default=True)
@click.option("--alpha", default=DEFAULTS.alpha, show_default=True, help="Concentration of the dirichlet/size splits.")
@click.option("--fusion", type=click.Choice(FUSION_NAMES), default=DEFAULTS.fusion, show_default=True,
              help="How the initiator fuses the paid models (krum, *+clip: robust; *+distil: output-level, distilled "
                   "into the task's architecture).")
@click.option("--architecture", type=click.Choice(ARCHITECTURES), default=None,
              help="The task's model  [default: the dataset's: cnn for mnist1d, mlp for digits]")
@click.option("--steps", type=click.IntRange(min=1), default=None,
              help="SGD steps per contributor and round, in the spec  [default: the dataset's measured one: 1000 "
                   "for mnist1d, 100 for digits]")
@click.option("--seed", default=DEFAULTS.seed, show_default=True)
@click.option("--free-riders", type=COUNT, default=0, help="Contributors that commit and never reveal.")
@click.option("--copiers", type=COUNT, default=0, help="Contributors that replay another's commitment and reveal.")
@click.option("--poisoners", type=COUNT, default=0, help="Contributors that mount --attack.")
@click.option("--resubmitters", type=COUNT, default=0,
              help="Contributors that submit the round's starting model, slightly perturbed.")
@click.option("--duplicators", type=COUNT, default=0,
              help="Addresses of one owner submitting byte-variants of one model (the first trains it).")
@click.option("--cross-task-copiers", type=COUNT, default=0,
              help="Contributors that, from round 2, submit a model revealed in the previous round.")
@click.option("--cross-task-near-copiers", type=COUNT, default=0,
              help="Contributors that, from round 2, submit a byte-variant of a model revealed in the previous round.")
@click.option("--off-spec", type=COUNT, default=0,
              help="Contributors that submit a model of another architecture than the spec's.")
@click.option("--attack", type=click.Choice(ATTACKS), default=DEFAULTS.attack, show_default=True,
              help="The poisoners' attack: flipped labels (all, half, or 3 -> 8), a trigger backdoor on half their "
                   "examples, or that backdoor with its update scaled up (model replacement).")
@click.option("--private", type=COUNT, default=0, help="Honest contributors that train with DP-SGD (Opacus).")
@click.option("--epsilon", type=click.FloatRange(min=0, min_open=True), default=DEFAULTS.epsilon, show_default=True,
              help="The private contributors' epsilon per round (delta 1e-5).")
@click.option("--dishonest-verifiers", type=COUNT, default=0, help="Verifiers that report made-up scores.")
@click.option("--seat-squatters", type=COUNT, default=0, help="Pool members (of --verifiers) that never score.")
@click.option("--sybil-seats", type=COUNT, default=0,
              help="Pool seats of the initiator's (beyond --verifiers, under a third of the bonds) that, in its "
                   "tasks, score the start perfect and every model 0.")
@click.option("--mislabelling-initiator", is_flag=True,
              help="The initiator's test sets have their labels shifted by one class (its audit shows it).")
@click.option("--lazy-initiator", is_flag=True,
              help="The initiator withholds the test set (reveals only the audit): the panel scores on the audit.")
@click.option("--market", "market_address", type=ADDRESS, default=None, help="Use the market at this address.")
@click.option("--store", type=click.Path(path_type=Path), default=None, help="Content store directory.")
@click.option("--report", "report_path", type=click.Path(path_type=Path), default=None, help="Write JSON here.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), default=None, help="Save a PNG here.")
@click.option("--quiet", is_flag=True, help="No line per agent action (only the rounds and the tables).")
def cli(
    network: str,
    dataset: str,
    contributors: int,
    verifiers: int,
    panel_size: int,
    rounds: int,
    split: str,
    alpha: float,
    fusion: str,
    architecture: str | None,
    steps: int | None,
    seed: int,
    free_riders: int,
    copiers: int,
    poisoners: int,
    resubmitters: int,
    duplicators: int,
    cross_task_copiers: int,
    cross_task_near_copiers: int,
    off_spec: int,
    attack: str,
    private: int,
    epsilon: float,
    dishonest_verifiers: int,
    seat_squatters: int,
    sybil_seats: int,
    mislabelling_initiator: bool,
    lazy_initiator: bool,
    market_address: str | None,
    store: Path | None,
    report_path: Path | None,
    plot_path: Path | None,
    quiet: bool,
) -> None:
    """Runs ROUNDS market rounds with real training, every participant an agent acting on what is due, then
    prints each round's table, the fused model's curve over the rounds, the gas of every action and the
    conservation check."""
    if not chain.provider.network.is_local:
        raise click.BadOptionUsage("network", "simulate_round moves the chain's clock: use a local network")
    try:
        config = SimulationConfig(
            dataset=dataset,
            contributors=contributors,
            verifiers=verifiers,
            panel_size=panel_size,
            rounds=rounds,
            split=split,
            alpha=alpha,
            fusion=fusion,
            architecture=architecture,
            steps=steps,
            seed=seed,
            free_riders=free_riders,
            copiers=copiers,
            poisoners=poisoners,
            resubmitters=resubmitters,
            duplicators=duplicators,
            cross_task_copiers=cross_task_copiers,
            cross_task_near_copiers=cross_task_near_copiers,
            off_spec=off_spec,
            attack=attack,
            private=private,
            epsilon=epsilon,
            dishonest_verifiers=dishonest_verifiers,
            seat_squatters=seat_squatters,
            sybil_seats=sybil_seats,
            mislabelling_initiator=mislabelling_initiator,
            lazy_initiator=lazy_initiator,
        )
    except ValueError as error:
        raise click.BadArgumentUsage(str(error)) from error

    participants = local_accounts(accounts.test_accounts, chain, 1 + contributors + verifiers + sybil_seats)
    if market_address:
        with explained():
            connect(market_address)
        market = project.LearningMarket.at(market_address)
    else:
        pool = DEFAULT_POOL_TERMS
        market = participants[0].deploy(
            project.LearningMarket, MIN_WINDOW, pool.verifier_bond, pool.slash_amount, pool.unbonding_period,
            DEFAULT_FORFEIT_BPS,
        )
        click.echo(f"deployed LearningMarket at {market.address} (minimum window {MIN_WINDOW} s, verifier bond "
                   f"{pool.verifier_bond:,} wei, slash {pool.slash_amount:,} wei, forfeit {DEFAULT_FORFEIT_BPS} bps)")

    with tempfile.TemporaryDirectory(prefix="learning-market-simulation-") as scratch:
        files = LocalStore(store or Path(scratch) / "store")
        with logger.at_level("WARNING"):  # every agent's line names its transaction and gas: not twice
            report = run_simulation(
                config, market, chain, participants, files, Path(scratch) / "keyrings", log=click.echo,
                actions=not quiet,
            )

    for round_report in report.rounds:
        click.echo("\n" + format_round(round_report))
    click.echo("\nGas per action\n" + format_gas(report.gas))
    if report.holdings is not None:
        click.echo("\n" + format_holdings(report.holdings))
    click.echo("\n" + format_curve(report))
    if report_path:
        write_json(report, report_path)
        click.echo(f"report written to {report_path}")
    if plot_path:
        plot(report, plot_path)
        click.echo(f"plot saved to {plot_path}")
    if not report.conserved:
        raise click.ClickException(
            "conservation check failed: a task paid out and burned a different amount than it took in, or the "
            "market or the pool holds a different amount than its tasks and bonds say"
        )
    click.echo("\nconservation check passed: every task paid out or burned exactly what it took in; the market "
               "holds its tasks' remainders and the pool its members' bonds")
