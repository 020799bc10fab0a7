"""A simulation's report as a person reads it: tables, JSON and a plot."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from learning_market.simulation.rounds import ContributorRow, Holdings, RoundReport, SimulationReport


def _table(headers: list[str], rows: list[list[Any]], left: tuple[str, ...] = ()) -> str:
    """Columns right-aligned but those named in `left`; None shows as "-"."""
    cells = [[str(h) for h in headers]] + [["-" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    align = [str.ljust if h in left else str.rjust for h in headers]
    lines = ["  ".join(a(cell, width) for a, cell, width in zip(align, row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _pct(bps: int | None) -> str | None:
    return None if bps is None else f"{bps / 100:.2f}%"


def _eth(wei: int) -> str:
    return f"{wei / 10**18:.6f}"


def format_round(report: RoundReport) -> str:
    """The round's contributors and verifiers, its fused model and its conservation check."""
    rows = report.contributors
    private = any(c.epsilon is not None for c in rows)
    targeted = any(c.attack_success_bps is not None for c in rows)
    contributors = _table(
        ["contributor", "behaviour", "local acc", "test acc", "median", "reward (ETH)", "stake back (ETH)"]
        + (["attack success"] if targeted else [])
        + (["epsilon (delta)"] if private else [])
        + ["note"],
        [
            [
                c.name,
                c.behaviour,
                _pct(c.local_accuracy_bps),
                _pct(c.test_accuracy_bps),
                _pct(c.median_score),
                _eth(c.reward),
                _eth(c.stake_back),
            ]
            + ([_pct(c.attack_success_bps)] if targeted else [])
            + ([None if c.epsilon is None else f"{c.epsilon:.2f} ({c.delta:g})"] if private else [])
            + [_note(c)]
            for c in rows
        ],
        left=("behaviour", "note"),
    )
    verifiers = _table(
        ["verifier", "behaviour", "drawn", "vote", "counted", "honest", "slashed (ETH)", "fee (ETH)"],
        [
            [v.name, v.behaviour, _yes(v.drawn), v.vote, _yes(v.counted) if v.drawn else None,
             _yes(v.honest) if v.drawn else None, _eth(v.slashed), _eth(v.fee)]
            for v in report.verifiers
        ],
        left=("behaviour",),
    )
    check = "PASS" if report.conserved else "FAIL"
    return "\n".join(
        [
            f"Round {report.round}: task {report.task_id}, {report.phase}, test set of {report.test_examples:,} "
            "fresh examples",
            contributors,
            "",
            verifiers,
            "",
            _verdict_line(report),
            f"initiator refund: {_eth(report.initiator_refund)} ETH (its net: {report.initiator_net:,} wei); slashed "
            f"into the task: {_eth(report.slashed)} ETH; burned: {_eth(report.burned)} ETH",
            _fused_line(report),
            f"conservation [{check}]: paid in {report.deposited:,} wei = paid out {report.paid_out:,} wei + burned "
            f"{report.burned:,} wei",
        ]
    )


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _verdict_line(report: RoundReport) -> str:
    """The audit, the basis the panel scored on, the starting model's median and the baseline."""
    audit = f"audit shards {report.audit_shards}"
    if report.basis is None:
        return f"{audit}; no verdict (task {report.phase})"
    contested = "; CONTESTED: no quorum on a median, nobody gains" if report.contested else ""
    return (
        f"{audit}; scored on the {report.basis.lower()} shards; starting model's median {_pct(report.start_median)}, "
        f"baseline {_pct(report.baseline)}{contested}"
    )


def format_holdings(holdings: Holdings) -> str:
    """The market's and the pool's balances beside what they should hold."""
    check = "PASS" if holdings.conserved else "FAIL"
    return "\n".join([
        f"market [{check}]: holds {holdings.market_balance:,} wei; its tasks' deposits not paid out: "
        f"{holdings.tasks_held:,} wei (burned {holdings.total_burned:,} wei)",
        f"pool [{check}]: holds {holdings.pool_balance:,} wei; its members' bonds: {holdings.bonds:,} wei",
    ])


def _note(row: ContributorRow) -> str:
    if row.refusal:
        return f"refused: {row.refusal}"
    if not row.revealed:
        return "never revealed"
    return f"not fused: {row.excluded}" if row.excluded else ""


def _fused_line(report: RoundReport) -> str:
    """The fused model's accuracy with its interval, beside the best single model's, and the attack's success."""
    best = f"best single: {report.best_single} ({_pct(report.best_single_bps)})" if report.best_single else ""
    if report.fused_bps is None:
        return f"no fused model (task {report.phase}); {best}"
    if report.kept_initial:
        head = f"no paid model could be fused: the initial model is kept, {_pct(report.fused_bps)}"
    else:
        head = f"fused model ({report.fused_members} paid models): {_pct(report.fused_bps)} {_interval(report)}"
    lines = [head]
    if report.verdict:
        lines.append(f"fused - {best}: {report.fused_vs_best} points, {_VERDICTS[report.verdict]}")
    if report.attack_success_bps is not None:
        lines.append(f"attack success of the fused model: {_pct(report.attack_success_bps)}")
    return "\n".join(lines)


_VERDICTS = {">": "fused better", "<": "fused worse", "~": "the test set cannot tell"}


def _interval(report: RoundReport) -> str:
    return "" if report.fused_interval is None else "[{:.1f}, {:.1f}]".format(*report.fused_interval)


def format_curve(report: SimulationReport, width: int = 41) -> str:
    """The fused model's accuracy round by round beside the best single model's, with 95% intervals, and a
    strip per round that draws the interval (`[---o---]`) on one scale for every round."""
    targeted = any(r.attack_success_bps is not None for r in report.rounds)
    lows = [r.fused_interval[0] for r in report.rounds if r.fused_interval is not None]
    floor = max(0, int(min(lows, default=0) - 1) // 10 * 10)
    axis = f"{floor}%".ljust(width - 4) + "100%"
    rows = []
    for r in report.rounds:
        rows.append(
            [r.round, _pct(r.fused_bps), _interval(r) or None, _pct(r.best_single_bps), r.fused_vs_best, r.verdict]
            + ([_pct(r.attack_success_bps)] if targeted else [])
            + ["" if r.fused_interval is None else _strip(r.fused_bps / 100, *r.fused_interval, floor, width)]
        )
    headers = ["round", "fused", "95% CI", "best single", "fused - best [95% CI]", "", *(
        ["attack success"] if targeted else []), axis]
    return "\n".join(
        [
            "Fused model per round (each on its round's fresh test set; > better, < worse, ~ the test set cannot "
            "tell)",
            _table(headers, rows, left=(axis,)),
        ]
    )


def _strip(estimate: float, low: float, high: float, floor: int, width: int) -> str:
    """`    [--o-]`: an interval on a scale from `floor`% to 100% over `width` characters (at least `[o]`, so
    that a narrow one stays visible)."""

    def at(value: float) -> int:  # 1..width-2: a bracket always fits on either side
        return 1 + min(width - 3, max(0, round((value - floor) / (100 - floor) * (width - 3))))

    middle = at(estimate)
    left, right = min(at(low), middle - 1), max(at(high), middle + 1)
    cells = [" "] * left + ["["] + ["-"] * (right - left - 1) + ["]"]
    cells[middle] = "o"
    return "".join(cells)


def format_gas(rows: list[dict[str, Any]]) -> str:
    return _table(
        ["action", "count", "mean gas", "max gas", "total gas"],
        [[r["action"], r["count"], f"{r['mean']:,}", f"{r['max']:,}", f"{r['total']:,}"] for r in rows],
    )


def write_json(report: SimulationReport, path: Path) -> None:
    payload = {**asdict(report), "conserved": report.conserved}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")


def plot(report: SimulationReport, path: Path) -> None:
    """Accuracy per round of each contributor and of the fused model (with its 95% interval), and the
    attack's success if any; rewards per contributor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rounds = [r.round for r in report.rounds]
    names = [c.name for c in report.rounds[0].contributors]
    figure, (accuracy, rewards) = plt.subplots(1, 2, figsize=(12, 4.5))
    for index, name in enumerate(names):
        series = [r.contributors[index].test_accuracy_bps for r in report.rounds]
        accuracy.plot(rounds, [None if v is None else v / 100 for v in series], marker="o", alpha=0.6, label=name)
    fused = [(r.round, r.fused_bps / 100, r.fused_interval) for r in report.rounds if r.fused_bps is not None]
    if fused:
        accuracy.errorbar(
            [x for x, _, _ in fused],
            [y for _, y, _ in fused],
            yerr=[[y - ci[0] for _, y, ci in fused], [ci[1] - y for _, y, ci in fused]],
            marker="s",
            linewidth=3,
            capsize=4,
            color="black",
            label="fused (95% CI)",
        )
    attacked = [(r.round, r.attack_success_bps / 100) for r in report.rounds if r.attack_success_bps is not None]
    if attacked:
        accuracy.plot(*zip(*attacked), marker="x", linestyle="--", color="red", label="attack success (fused)")
    accuracy.set(xlabel="round", ylabel="% of the round's test set", title="Accuracy per round")
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
