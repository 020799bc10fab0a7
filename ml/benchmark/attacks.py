"""Attacks: clean accuracy and attack success per attack and fusion, after rounds of training.

A share of the contributors (30% by default, chosen by the seed) attack in every round; the
others are honest. Clean accuracy is the fused model's on the test set; attack success is, for
a targeted flip, the share of test examples of the source class classified as the target, and
for a backdoor, the share of triggered test examples of other classes classified as the target.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import numpy as np
from tqdm import tqdm

from ml.attacks import ATTACKS, Attack, corner_trigger
from ml.benchmark.common import Setup, commit, markdown, percent, prepare
from ml.federated import FUSIONS, RoundsConfig, run_rounds

NO_ATTACK = "none"


def make_attack(kind: str, setup: Setup, attackers: int) -> Attack:
    """The benchmark's version of each attack: half the examples for partial ones, 3 -> 8."""
    trigger = corner_trigger(setup.train)
    scale = len(setup.shards) / attackers  # model replacement: undo the averaging
    if kind == "label_flip":
        return Attack(kind)
    if kind == "partial_flip":
        return Attack(kind, fraction=0.5)
    if kind == "targeted_flip":
        return Attack(kind, source=3, target=8)
    if kind == "backdoor":
        return Attack(kind, fraction=0.5, target=8, trigger=trigger)
    return Attack(kind, fraction=0.5, target=8, trigger=trigger, scale=scale)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `attacks` command's options."""
    parser.add_argument("--dataset", default="mnist1d")
    parser.add_argument("--split", default="iid")
    parser.add_argument("--attacks", default=",".join((NO_ATTACK, *ATTACKS)))
    parser.add_argument(
        "--fusions", default="average,median+clip,trimmed_mean+clip,krum,ensemble+distil"
    )
    parser.add_argument("--contributors", type=int, default=10)
    parser.add_argument("--attacker-fraction", type=float, default=0.3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)


def main(args: argparse.Namespace) -> str:
    """Run, and return the tables (with the commit they were measured at)."""
    measured_at = commit()  # before the run: the code that ran
    kinds = [k for k in args.attacks.split(",") if k]
    fusions = [f for f in args.fusions.split(",") if f]
    rounds = 1 if args.quick else args.rounds
    setup = prepare(args.dataset, args.contributors, args.split, args.seed)
    training = setup.recipe.training
    if args.quick:
        training = replace(training, steps=5)
    attackers = max(1, round(args.attacker_fraction * args.contributors))
    chosen = sorted(
        np.random.default_rng(args.seed).choice(args.contributors, attackers, replace=False)
    )
    clean: dict[tuple[str, str], int] = {}
    success: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    with tqdm(total=len(kinds) * len(fusions) * rounds, desc="attacks", file=sys.stderr) as bar:
        for kind in kinds:
            attack = None if kind == NO_ATTACK else make_attack(kind, setup, attackers)
            for fusion in fusions:
                strategy, settings = FUSIONS[fusion]
                records = run_rounds(
                    setup.initial,
                    setup.shards,
                    setup.validation,
                    setup.test,
                    RoundsConfig(strategy, training, settings),
                    rounds,
                    attacks={int(i): attack for i in chosen} if attack is not None else None,
                    seed=args.seed,
                    on_round=lambda _: bar.update(),
                )
                clean[(kind, fusion)] = records[-1].fused_bps
                bar.write(
                    f"  {kind} / {fusion}: clean {[percent(r.fused_bps) for r in records]}, "
                    f"success {[percent(r.attack_success_bps) for r in records]}",
                    file=sys.stderr,
                )
                rates = [r.attack_success_bps for r in records]
                success[(kind, fusion)] = (
                    (rates[-1], max(rates)) if rates[-1] is not None else (None, None)
                )
    header = ["attack", *fusions]
    clean_rows = [
        [kind, *(_clean_cell(clean, kind, fusion) for fusion in fusions)] for kind in kinds
    ]
    success_rows = [
        [
            kind,
            *(
                f"{percent(success[(kind, f)][0])} (max {percent(success[(kind, f)][1])})"
                for f in fusions
            ),
        ]
        for kind in kinds
        if success[(kind, fusions[0])][0] is not None
    ]
    intro = (
        f"Measured at commit {measured_at}: {args.dataset}, {args.split} shards, "
        f"{args.contributors} contributors of which {attackers} attack ({list(map(int, chosen))}), "
        f"{rounds} rounds, seed {args.seed}.\n\n"
    )
    return (
        intro
        + "Clean test accuracy (%) after the last round (change from no attack):\n\n"
        + markdown(header, clean_rows, "l")
        + "\nAttack success (%) after the last round (max over rounds):\n\n"
        + markdown(header, success_rows, "l")
    )


def _clean_cell(clean: dict[tuple[str, str], int], kind: str, fusion: str) -> str:
    value = clean[(kind, fusion)]
    baseline = clean.get((NO_ATTACK, fusion))
    if kind == NO_ATTACK or baseline is None:
        return percent(value)
    return f"{percent(value)} ({(value - baseline) / 100:+.1f})"
