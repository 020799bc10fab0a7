"""A simulation's report as a person reads it: tables, JSON and a plot."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from learning_market.simulation.rounds import RoundReport, SimulationReport


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["-" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _pct(bps: int | None) -> str | None:
    return None if bps is None else f"{bps / 100:.2f}%"


def _eth(wei: int) -> str:
    return f"{wei / 10**18:.6f}"


def format_round(report: RoundReport) -> str:
    """The round's contributors and verifiers, its fused model and its conservation check."""
    contributors = _table(
        ["contributor", "behaviour", "local acc", "test acc", "median", "reward (ETH)", "stake back (ETH)", "note"],
        [
            [
                c.name,
                c.behaviour,
                _pct(c.local_accuracy_bps),
                _pct(c.test_accuracy_bps),
                _pct(c.median_score),
                _eth(c.reward),
                _eth(c.stake_back),
                c.refusal or ("never revealed" if not c.revealed else ""),
            ]
            for c in report.contributors
        ],
    )
    verifiers = _table(
        ["verifier", "behaviour", "honest", "fee (ETH)", "stake back (ETH)"],
        [[v.name, v.behaviour, "yes" if v.honest else "no", _eth(v.fee), _eth(v.stake_back)] for v in report.verifiers],
    )
    fused = (
        f"fused model ({report.fused_members} paid models): {_pct(report.fused_bps)}"
        f"   best single contributor: {_pct(report.best_single_bps)}"
        if report.fused_bps is not None
        else f"no fused model (task {report.phase})   best single contributor: {_pct(report.best_single_bps)}"
    )
    check = "PASS" if report.conserved else "FAIL"
    return "\n".join(
        [
            f"Round {report.round}: task {report.task_id}, {report.phase}",
            contributors,
            "",
            verifiers,
            "",
            f"initiator refund: {_eth(report.initiator_refund)} ETH",
            fused,
            f"conservation [{check}]: paid in {report.deposited:,} wei, paid out {report.paid_out:,} wei",
        ]
    )


def format_gas(rows: list[dict[str, Any]]) -> str:
    return _table(
        ["action", "count", "mean gas", "max gas", "total gas"],
        [[r["action"], r["count"], f"{r['mean']:,}", f"{r['max']:,}", f"{r['total']:,}"] for r in rows],
    )


def write_json(report: SimulationReport, path: Path) -> None:
    payload = {**asdict(report), "conserved": report.conserved}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")


def plot(report: SimulationReport, path: Path) -> None:
    """Accuracy per round of each contributor and of the fused model; rewards per contributor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rounds = [r.round for r in report.rounds]
    names = [c.name for c in report.rounds[0].contributors]
    figure, (accuracy, rewards) = plt.subplots(1, 2, figsize=(12, 4.5))
    for index, name in enumerate(names):
        series = [r.contributors[index].test_accuracy_bps for r in report.rounds]
        accuracy.plot(rounds, [None if v is None else v / 100 for v in series], marker="o", alpha=0.6, label=name)
    accuracy.plot(
        rounds,
        [None if r.fused_bps is None else r.fused_bps / 100 for r in report.rounds],
        marker="s",
        linewidth=3,
        color="black",
        label="fused",
    )
    accuracy.set(xlabel="round", ylabel="test accuracy (%)", title="Accuracy per round")
    accuracy.set_xticks(rounds)
    accuracy.legend(fontsize="small")
    width = 0.8 / len(rounds)
    for offset, r in enumerate(report.rounds):
        positions = [i + offset * width for i in range(len(names))]
        rewards.bar(positions, [c.reward / 10**18 for c in r.contributors], width, label=f"round {r.round}")
    rewards.set_xticks([i + width * (len(rounds) - 1) / 2 for i in range(len(names))])
    rewards.set_xticklabels([f"{c.name}\n({c.behaviour})" for c in report.rounds[0].contributors], fontsize="small")
    rewards.set(ylabel="reward (ETH)", title="Rewards per contributor")
    rewards.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
