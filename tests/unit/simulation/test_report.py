"""The simulation's report as a person reads it: the curve of the fused model over the rounds, with its
intervals drawn on one scale, and a round's table with the columns its contributors call for."""

from __future__ import annotations

from typing import Any

from learning_market.simulation.report import format_curve, format_round
from learning_market.simulation.rounds import ContributorRow, RoundReport, SimulationReport, VerifierRow


def _round(number: int, fused: int | None, interval: tuple[float, float] | None, **overrides: Any) -> RoundReport:
    fields: dict[str, Any] = {
        "round": number, "task_id": number, "phase": "Finalized", "initiator_refund": 0, "test_examples": 2_000,
        "contributors": [ContributorRow("contributor-1", "honest", 9_500, 9_000, True, 9_000, 5 * 10**17, 10**16)],
        "verifiers": [VerifierRow("verifier-1", "honest", True, "test", True, True, 0, 2 * 10**16)],
        "audit_shards": [2, 5], "basis": "Test", "start_median": 7_000, "baseline": 7_000, "contested": False,
        "slashed": 0, "burned": 0, "initiator_net": -10**18,
        "best_single": "contributor-1", "best_single_bps": 9_000, "fused_bps": fused, "fused_interval": interval,
        "fused_vs_best": None, "verdict": None, "fused_members": 1, "kept_initial": False,
        "attack_success_bps": None, "deposited": 10**18, "paid_out": 10**18, "market_balance_after": 0,
    }
    return RoundReport(**{**fields, **overrides})


def test_format_curve__each_round_its_interval_on_one_scale_from_below_the_lowest_to_100():
    report = SimulationReport({}, "0x", [
        _round(1, 7_805, (76.2, 79.8), fused_vs_best="-9.8 [-11.7, -7.9]", verdict="<"),
        _round(2, 9_710, (96.3, 97.8), fused_vs_best="+1.8 [+0.9, +2.6]", verdict=">"),
        _round(3, None, None),
    ])

    assert format_curve(report).splitlines() == [
        "Fused model per round (each on its round's fresh test set; > better, < worse, ~ the test set cannot tell)",
        "round   fused        95% CI  best single  fused - best [95% CI]     70%                                  100%",
        "-----  ------  ------------  -----------  ---------------------  -  -----------------------------------------",
        "    1  78.05%  [76.2, 79.8]       90.00%     -9.8 [-11.7, -7.9]  <           [-o-]",
        "    2  97.10%  [96.3, 97.8]       90.00%      +1.8 [+0.9, +2.6]  >                                    [o]",
        "    3       -             -       90.00%                      -  -",
    ]


def test_format_round__attack_and_privacy_columns_and_why_a_model_was_not_fused():
    rows = [
        ContributorRow("contributor-1", "private", 9_500, 9_000, True, 9_000, 5 * 10**17, 10**16,
                       attack_success_bps=120, epsilon=2.994, delta=1e-5),
        ContributorRow("contributor-2", "poisoner: scaled_backdoor", 3_800, 3_855, True, 3_855, 10**17, 10**16,
                       attack_success_bps=10_000, excluded="left out by Multi-Krum (f = 1)"),
        ContributorRow("contributor-3", "free-rider", 9_400, None, False, None, 0, 0),
    ]
    report = _round(1, 9_100, (89.8, 92.2), contributors=rows, fused_vs_best="+1.0 [+0.2, +1.8]", verdict=">",
                    attack_success_bps=66)

    lines = format_round(report).splitlines()

    assert lines[0] == "Round 1: task 1, Finalized, test set of 2,000 fresh examples"
    assert lines[1].split() == [
        "contributor", "behaviour", "local", "acc", "test", "acc", "median", "reward", "(ETH)", "stake", "back",
        "(ETH)", "attack", "success", "epsilon", "(delta)", "note",
    ]
    assert lines[3].split()[-3:] == ["1.20%", "2.99", "(1e-05)"]
    assert lines[4].endswith("100.00%                -  not fused: left out by Multi-Krum (f = 1)")
    assert lines[5].endswith("-                -  never revealed")
    assert lines[-4:-1] == [
        "fused model (1 paid models): 91.00% [89.8, 92.2]",
        "fused - best single: contributor-1 (90.00%): +1.0 [+0.2, +1.8] points, fused better",
        "attack success of the fused model: 0.66%",
    ]
