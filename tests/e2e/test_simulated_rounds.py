"""Whole simulated rounds with real training: each adversary meets the outcome the protocol promises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from content import LocalStore
from learning_market.accounts import local_accounts
from learning_market.phases import BPS
from learning_market.simulation.rounds import SimulationConfig, SimulationReport, run_simulation
from learning_market.terms import TaskTerms

TERMS = TaskTerms()
QUICK = {"epochs": 4, "rounds": 1, "contributors": 3, "verifiers": 3}


@pytest.fixture
def simulate(project, accounts, chain, deployer, tmp_path: Path):
    def run(**overrides: Any) -> SimulationReport:
        config = SimulationConfig(**{**QUICK, **overrides})
        market = deployer.deploy(project.LearningMarket, 60)
        participants = local_accounts(accounts, chain, 1 + config.contributors + config.verifiers)
        return run_simulation(
            config, market, chain, participants, LocalStore(tmp_path / "store"), tmp_path / "keyrings",
            log=lambda _: None, actions=False,
        )

    return run


def _by_behaviour(rows: list[Any], behaviour: str) -> list[Any]:
    return [row for row in rows if row.behaviour == behaviour]


def test_simulation__honest_round__settles_pays_everyone_and_conserves_eth(simulate):
    report = simulate()

    (round_,) = report.rounds
    assert round_.phase == "Finalized"
    assert report.conserved and round_.paid_out == round_.deposited
    assert all(c.stake_back == TERMS.contributor_stake and c.reward > 0 for c in round_.contributors)
    fee_each = TERMS.reward * TERMS.verifier_fee_bps // BPS // 3
    assert all(v.honest and v.fee == fee_each and v.stake_back == TERMS.verifier_stake for v in round_.verifiers)
    assert round_.fused_members == 3
    assert round_.fused_bps >= round_.best_single_bps  # short local training from one start: averaging helps
    assert {g["action"] for g in report.gas} >= {
        "createTask", "commitModel", "joinAsVerifier", "revealModel", "revealTestSet",
        "commitScores", "revealScores", "finalize", "claim", "publishFusedModel",
    }


def test_simulation__free_rider__forfeits_its_stake_to_the_contributors(simulate):
    report = simulate(contributors=4, free_riders=1)

    (round_,) = report.rounds
    (free_rider,) = _by_behaviour(round_.contributors, "free-rider")
    assert (free_rider.revealed, free_rider.reward, free_rider.stake_back) == (False, 0, 0)
    honest = _by_behaviour(round_.contributors, "honest")
    pool = TERMS.reward - TERMS.reward * TERMS.verifier_fee_bps // BPS + TERMS.contributor_stake
    assert pool - len(honest) < sum(c.reward for c in honest) <= pool
    assert report.conserved


def test_simulation__copier__is_refused_and_forfeits(simulate):
    report = simulate(contributors=3, copiers=1)

    (round_,) = report.rounds
    (copier,) = _by_behaviour(round_.contributors, "copier")
    assert copier.refusal == "CommitmentMismatch"
    assert (copier.revealed, copier.reward, copier.stake_back) == (False, 0, 0)
    assert report.conserved


def test_simulation__poisoner__earns_less_than_every_honest_contributor(simulate):
    report = simulate(contributors=4, poisoners=1)

    (round_,) = report.rounds
    (poisoner,) = _by_behaviour(round_.contributors, "poisoner")
    honest = _by_behaviour(round_.contributors, "honest")
    assert poisoner.revealed and poisoner.median_score < min(c.median_score for c in honest)
    assert poisoner.reward < min(c.reward for c in honest)
    assert report.conserved


def test_simulation__dishonest_verifier__loses_its_stake_to_the_honest_ones(simulate):
    report = simulate(verifiers=3, dishonest_verifiers=1)

    (round_,) = report.rounds
    (liar,) = _by_behaviour(round_.verifiers, "dishonest")
    assert (liar.honest, liar.fee, liar.stake_back) == (False, 0, 0)
    fee_pool = TERMS.reward * TERMS.verifier_fee_bps // BPS + TERMS.verifier_stake
    assert all(v.fee == fee_pool // 2 for v in _by_behaviour(round_.verifiers, "honest"))
    assert report.conserved


def test_simulation__lazy_initiator__reward_goes_to_the_contributors(simulate):
    report = simulate(lazy_initiator=True)

    (round_,) = report.rounds
    assert round_.phase == "Abandoned"
    share = TERMS.reward // 3
    assert all(c.reward == share and c.stake_back == TERMS.contributor_stake for c in round_.contributors)
    assert all(v.stake_back == TERMS.verifier_stake and v.fee == 0 for v in round_.verifiers)
    assert round_.initiator_refund == TERMS.reward - 3 * share
    assert round_.fused_bps is None and report.conserved


def test_simulation__second_round__starts_from_the_published_fused_model(simulate, project):
    report = simulate(rounds=2)

    first, second = report.rounds
    market = project.LearningMarket.at(report.market)
    assert (first.phase, second.phase) == ("Finalized", "Finalized")
    assert market.getTask(second.task_id).params.parentTaskId == first.task_id
    assert market.getTask(first.task_id).fusedModelDigest != b"\x00" * 32
    assert report.conserved


def test_simulation__every_adversary_at_once__each_meets_its_outcome(simulate):
    report = simulate(contributors=6, free_riders=1, copiers=1, poisoners=1, verifiers=3, dishonest_verifiers=1)

    (round_,) = report.rounds
    assert round_.phase == "Finalized"
    (free_rider,) = _by_behaviour(round_.contributors, "free-rider")
    (copier,) = _by_behaviour(round_.contributors, "copier")
    (poisoner,) = _by_behaviour(round_.contributors, "poisoner")
    honest = _by_behaviour(round_.contributors, "honest")
    assert (free_rider.revealed, free_rider.reward + free_rider.stake_back) == (False, 0)
    assert (copier.refusal, copier.reward + copier.stake_back) == ("CommitmentMismatch", 0)
    assert poisoner.reward < min(c.reward for c in honest)
    (liar,) = _by_behaviour(round_.verifiers, "dishonest")
    assert (liar.honest, liar.fee + liar.stake_back) == (False, 0)
    assert all(v.honest for v in _by_behaviour(round_.verifiers, "honest"))
    assert report.conserved
