"""Whole simulated rounds with real training on mechanism v2 (verifiers bonded in the pool and drawn into
panels, an audited test set, payment by how far a model beats the starting model): each adversary meets the
outcome the protocol promises, to the wei; attackers and private contributors are reported; the market and
the pool hold exactly what their tasks and bonds say; the same seed trains the same models."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from content import LocalStore
from learning_market.accounts import local_accounts
from learning_market.phases import BPS
from learning_market.simulation.rounds import SimulationConfig, SimulationReport, run_simulation
from learning_market.terms import DEFAULT_POOL_TERMS, TaskTerms
from tests.utils.deploy import deploy_market

TERMS, POOL = TaskTerms(), DEFAULT_POOL_TERMS
FEE = TERMS.reward * TERMS.verifier_fee_bps // BPS  # the panel's share of the reward
QUICK = {"dataset": "digits", "steps": 60, "rounds": 1, "contributors": 3, "verifiers": 3}


@pytest.fixture
def simulate(project, accounts, chain, deployer, tmp_path: Path):
    def run(**overrides: Any) -> SimulationReport:
        config = SimulationConfig(**{**QUICK, **overrides})
        market = deploy_market(
            project, deployer, min_window=60, verifier_bond=POOL.verifier_bond, slash_amount=POOL.slash_amount,
            unbonding_period=POOL.unbonding_period,
        ).market
        participants = local_accounts(accounts, chain, 1 + config.contributors + config.verifiers + config.sybil_seats)
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
    assert round_.phase == "Finalized" and round_.basis == "Test" and not round_.contested
    assert report.conserved and round_.paid_out + round_.burned == round_.deposited
    assert (round_.slashed, round_.burned) == (0, 0)
    assert len(round_.audit_shards) == TERMS.audit_shards
    assert round_.baseline == max(TERMS.baseline_score, round_.start_median)
    assert all(c.stake_back == TERMS.contributor_stake and c.reward > 0 for c in round_.contributors)
    assert all(c.median_score > round_.baseline for c in round_.contributors)
    pool = TERMS.reward - FEE
    assert pool - 3 < sum(c.reward for c in round_.contributors) <= pool
    assert round_.initiator_refund == pool - sum(c.reward for c in round_.contributors) + FEE % 3
    assert all(
        (v.drawn, v.vote, v.counted, v.honest, v.slashed, v.fee) == (True, "test", True, True, 0, FEE // 3)
        for v in round_.verifiers
    )
    holdings = report.holdings
    assert holdings.market_balance == holdings.tasks_held == 0
    assert holdings.pool_balance == holdings.bonds == 3 * POOL.verifier_bond
    assert (round_.fused_members, round_.kept_initial) == (3, False)
    assert all(c.excluded is None for c in round_.contributors)
    assert round_.test_examples == 450  # digits' test part (25%), one round
    low, high = round_.fused_interval
    assert low < round_.fused_bps / 100 < high
    best = max(round_.contributors, key=lambda c: c.test_accuracy_bps)
    assert (round_.best_single, round_.best_single_bps) == (best.name, best.test_accuracy_bps)
    estimate = float(round_.fused_vs_best.split()[0])
    assert estimate == pytest.approx((round_.fused_bps - round_.best_single_bps) / 100, abs=0.051)
    assert round_.verdict in (">", "<", "~")
    assert {g["action"] for g in report.gas} >= {
        "register", "createTask", "drawAudit", "revealAudit", "commitModel", "requestPanel", "drawPanel",
        "revealModel", "revealTestSet", "commitScores", "revealScores", "finalize", "claim", "publishFusedModel",
    }


def test_simulation__free_rider__forfeits_its_stake_to_the_contributors(simulate):
    report = simulate(contributors=4, free_riders=1)

    (round_,) = report.rounds
    (free_rider,) = _by_behaviour(round_.contributors, "free-rider")
    assert (free_rider.revealed, free_rider.reward, free_rider.stake_back) == (False, 0, 0)
    honest = _by_behaviour(round_.contributors, "honest")
    pool = TERMS.reward - FEE + TERMS.contributor_stake  # its stake joins the contributors' pool
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
    (poisoner,) = _by_behaviour(round_.contributors, "poisoner: label_flip")
    honest = _by_behaviour(round_.contributors, "honest")
    assert poisoner.revealed and poisoner.median_score < min(c.median_score for c in honest)
    assert poisoner.reward < min(c.reward for c in honest)
    # paid only by how far its median beats the baseline: nothing at or below it
    assert poisoner.reward == 0 or poisoner.median_score > round_.baseline
    assert report.conserved


def test_simulation__dishonest_verifier__slashed_its_slash_paid_to_the_honest_members(simulate):
    report = simulate(verifiers=3, dishonest_verifiers=1)

    (round_,) = report.rounds
    (liar,) = _by_behaviour(round_.verifiers, "dishonest")
    assert (liar.drawn, liar.counted, liar.honest, liar.fee, liar.slashed) == (True, True, False, 0, POOL.slash_amount)
    assert round_.slashed == POOL.slash_amount and not round_.contested
    fee_pot = FEE + POOL.slash_amount
    assert all(v.fee == fee_pot // 2 for v in _by_behaviour(round_.verifiers, "honest"))
    assert round_.burned == fee_pot % 2  # dust of slashed wei is burned, never refunded to the initiator
    # the liar's net: its slash; an honest member's: half the fee pot
    assert report.holdings.bonds == 3 * POOL.verifier_bond - POOL.slash_amount
    assert report.conserved


def test_simulation__lazy_initiator__the_panel_scores_on_the_audit_shards_and_pays_by_those(simulate):
    report = simulate(lazy_initiator=True)

    (round_,) = report.rounds
    assert (round_.phase, round_.basis) == ("Finalized", "Audit")
    assert all(c.stake_back == TERMS.contributor_stake and c.reward > 0 for c in round_.contributors)
    pool = TERMS.reward - FEE
    paid = sum(c.reward for c in round_.contributors)
    assert pool - 3 < paid <= pool  # by weight, never split equally
    assert all((v.vote, v.honest, v.fee) == ("audit", True, FEE // 3) for v in round_.verifiers)
    # withholding the test set won the initiator nothing: the reward is paid out as if it had revealed
    assert round_.initiator_refund == pool - paid + FEE % 3
    assert report.conserved


def test_simulation__seat_squatter__slashed_and_its_slash_paid_to_the_members_who_scored(simulate):
    report = simulate(verifiers=3, seat_squatters=1)

    (round_,) = report.rounds
    (squatter,) = _by_behaviour(round_.verifiers, "squatter")
    # its net: minus the slash (its bond comes back less that when it leaves); no fee, no equal split
    assert (squatter.drawn, squatter.vote, squatter.fee, squatter.slashed) == (True, None, 0, POOL.slash_amount)
    assert round_.phase == "Finalized" and not round_.contested
    fee_pot = FEE + POOL.slash_amount
    assert all(v.fee == fee_pot // 2 for v in _by_behaviour(round_.verifiers, "honest"))
    assert round_.burned == fee_pot % 2
    assert all(c.reward > 0 for c in round_.contributors)
    assert report.holdings.bonds == 3 * POOL.verifier_bond - POOL.slash_amount
    assert report.conserved


def test_simulation__initiator_with_sybil_seats_under_a_third__gains_nothing_and_loses_their_slashes(simulate):
    # 2 of 7 seats (under a third of the bonds) can never hold 3 of a panel of 5
    report = simulate(verifiers=5, sybil_seats=2, panel_size=5)

    (round_,) = report.rounds
    sybils = _by_behaviour(round_.verifiers, "sybil")
    drawn = [v for v in sybils if v.drawn]
    assert all((v.honest, v.fee, v.slashed) == (False, 0, POOL.slash_amount) for v in drawn)
    assert all((v.fee, v.slashed) == (0, 0) for v in sybils if not v.drawn)
    assert round_.phase == "Finalized" and not round_.contested and round_.slashed == len(drawn) * POOL.slash_amount
    assert all(c.reward > 0 for c in round_.contributors)  # the denial did not stop payment
    honest = [v for v in _by_behaviour(round_.verifiers, "honest") if v.drawn]
    assert len(honest) == 5 - len(drawn) and all(v.fee == (FEE + round_.slashed) // len(honest) for v in honest)
    # the initiator's net: the whole reward spent, less only rounding dust back, and its drawn seats' slashes
    paid = sum(c.reward for c in round_.contributors)
    dust = TERMS.reward - FEE - paid + (0 if round_.slashed else FEE % len(honest))
    assert round_.initiator_refund == dust
    assert round_.initiator_net == dust - TERMS.reward - len(drawn) * POOL.slash_amount
    assert report.conserved


def test_simulation__mislabelling_initiator__nobody_stakes_and_it_loses_the_forfeit(simulate):
    report = simulate(mislabelling_initiator=True)

    (round_,) = report.rounds
    forfeit = TERMS.reward * 500 // BPS
    assert (round_.phase, round_.burned) == ("Unfulfilled", forfeit)
    assert all(
        (c.refusal, c.revealed, c.reward, c.stake_back) == ("its audit check refused to stake", False, 0, 0)
        for c in round_.contributors
    )
    assert all((v.drawn, v.fee, v.slashed) == (False, 0, 0) for v in round_.verifiers)
    assert (round_.initiator_refund, round_.initiator_net) == (TERMS.reward - forfeit, -forfeit)
    assert report.holdings.total_burned == forfeit and report.conserved


def test_simulation__resubmitter_of_the_start__earns_nothing_in_every_round(simulate):
    report = simulate(contributors=4, resubmitters=1, rounds=2)

    for round_ in report.rounds:
        (resubmitter,) = _by_behaviour(round_.contributors, "resubmitter")
        # its net: 0 each round (its stake back, no reward): a copy of the start does not beat the baseline
        assert resubmitter.revealed and (resubmitter.reward, resubmitter.stake_back) == (0, TERMS.contributor_stake)
        assert round_.phase == "Finalized"
    assert all(c.reward > 0 for c in _by_behaviour(report.rounds[0].contributors, "honest"))
    assert report.conserved


def test_simulation__duplicator__k_byte_variants_together_earn_one_models_share(simulate):
    report = simulate(contributors=5, duplicators=3)

    (round_,) = report.rounds
    group = _by_behaviour(round_.contributors, "duplicator")
    assert len(group) == 3 and all(c.revealed and c.stake_back == TERMS.contributor_stake for c in group)
    # every variant after the first scores 0 (near-duplicate of an earlier reveal): the group earns one share
    paid = sorted(c.reward for c in group)
    assert paid[:2] == [0, 0] and paid[2] > 0
    assert sum(paid) == max(c.reward for c in group)
    assert report.conserved


def test_simulation__cross_task_copier__refused_and_the_original_keeps_its_stake_and_reward(simulate):
    report = simulate(contributors=4, cross_task_copiers=1, rounds=2)

    first, second = report.rounds
    (copier,) = _by_behaviour(second.contributors, "cross-task copier")
    # its net in round 2: minus its stake, forfeited to the contributors' pool
    assert (copier.refusal, copier.revealed, copier.reward, copier.stake_back) == ("DuplicateModel", False, 0, 0)
    assert all(c.reward > 0 and c.stake_back == TERMS.contributor_stake for c in first.contributors)
    honest = _by_behaviour(second.contributors, "honest")
    pool = TERMS.reward - FEE + TERMS.contributor_stake
    assert sum(c.reward for c in honest) <= pool
    assert report.conserved


def test_simulation__cross_task_near_copier__accepted_by_the_chain_scored_zero_by_the_panel(simulate):
    report = simulate(contributors=4, cross_task_near_copiers=1, rounds=2)

    first, second = report.rounds
    (copier,) = _by_behaviour(second.contributors, "cross-task near-copier")
    # its net in round 2: 0 (its stake back, no reward): a byte-variant of the previous round's first model,
    # public before its commit, is a near-duplicate of it
    assert (copier.refusal, copier.revealed, copier.median_score) == (None, True, 0)
    assert (copier.reward, copier.stake_back) == (0, TERMS.contributor_stake)
    assert second.phase == "Finalized"
    (original,) = [c for c in first.contributors if c.revealed][:1]
    assert original.reward > 0 and original.stake_back == TERMS.contributor_stake
    assert report.conserved


def test_simulation__later_round_poisoner__earns_nothing_from_a_good_start(simulate):
    report = simulate(contributors=4, poisoners=1, rounds=2)

    second = report.rounds[1]
    (poisoner,) = _by_behaviour(second.contributors, "poisoner: label_flip")
    assert poisoner.revealed and poisoner.median_score <= second.baseline
    assert (poisoner.reward, poisoner.stake_back) == (0, TERMS.contributor_stake)
    assert report.conserved


def test_simulation__off_spec_architecture__earns_nothing_and_the_round_still_fuses(simulate):
    report = simulate(contributors=4, off_spec=1)

    (round_,) = report.rounds
    (off_spec,) = _by_behaviour(round_.contributors, "off-spec")
    assert off_spec.revealed and off_spec.median_score == 0
    assert (off_spec.reward, off_spec.stake_back) == (0, TERMS.contributor_stake)
    assert off_spec.excluded is not None  # left out of the fusion
    assert (round_.fused_members, round_.kept_initial) == (3, False) and round_.fused_bps is not None
    assert report.conserved


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
    (poisoner,) = _by_behaviour(round_.contributors, "poisoner: label_flip")
    honest = _by_behaviour(round_.contributors, "honest")
    assert (free_rider.revealed, free_rider.reward + free_rider.stake_back) == (False, 0)
    assert (copier.refusal, copier.reward + copier.stake_back) == ("CommitmentMismatch", 0)
    assert poisoner.reward < min(c.reward for c in honest)
    (liar,) = _by_behaviour(round_.verifiers, "dishonest")
    assert (liar.honest, liar.fee, liar.slashed) == (False, 0, POOL.slash_amount)
    assert all(v.honest for v in _by_behaviour(round_.verifiers, "honest"))
    assert report.conserved


def test_simulation__scaled_backdoor__its_success_reported_for_every_model_and_the_fused_one(simulate):
    report = simulate(contributors=4, poisoners=1, attack="scaled_backdoor")

    (round_,) = report.rounds
    (poisoner,) = _by_behaviour(round_.contributors, "poisoner: scaled_backdoor")
    honest = _by_behaviour(round_.contributors, "honest")
    assert poisoner.revealed and all(c.attack_success_bps is not None for c in honest)
    assert poisoner.attack_success_bps > max(c.attack_success_bps for c in honest)
    assert round_.attack_success_bps is not None and round_.fused_bps is not None
    assert report.conserved


def test_simulation__private_contributor__its_model_files_record_epsilon_composed_over_rounds(simulate):
    report = simulate(rounds=2, private=1)

    first, second = ([c for c in r.contributors if c.behaviour == "private"][0] for r in report.rounds)
    assert 2.9 < first.epsilon <= 3.0 and first.delta == 1e-5  # one round at epsilon 3
    assert 3.0 < second.epsilon < 6.0 and second.delta == 1e-5  # two rounds compose to less than their sum
    assert all(c.epsilon is None for r in report.rounds for c in r.contributors if c.behaviour == "honest")
    assert report.conserved


def test_simulation__same_seed__same_models_on_the_same_shards(simulate):
    options = {"rounds": 2, "private": 1, "poisoners": 1, "attack": "scaled_backdoor"}

    first, second = simulate(**options), simulate(**options)

    def models(round_: Any) -> list[Any]:
        return [(c.local_accuracy_bps, c.test_accuracy_bps, c.attack_success_bps) for c in round_.contributors]

    assert first.market != second.market
    # The first round trains from the same initial model on the same shards: the same models, as accurate on
    # the round's whole test set. (Payouts follow the panel's scores on the test shards, which an audit drawn
    # from a block hash and a random cut of the test set into shards choose afresh in every run.)
    assert models(first.rounds[0]) == models(second.rounds[0])
    assert all(c.reward > 0 for c in first.rounds[0].contributors if c.behaviour == "honest")
    assert first.conserved and second.conserved


def test_simulation__mnist1d__the_recipes_sizes_and_its_cnn(simulate, project):
    report = simulate(dataset="mnist1d", steps=30, contributors=2, verifiers=3)

    (round_,) = report.rounds
    assert round_.phase == "Finalized" and report.conserved
    assert round_.test_examples == 6_000  # a quarter of MNIST-1D's 24,000: one test set for the one round
    assert report.config["dataset"] == "mnist1d" and report.config["architecture"] is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"contributors": 3, "private": 3, "poisoners": 1}, "3 private contributors but only 2 honest ones"),
        ({"dataset": "cifar"}, "unknown dataset 'cifar': use one of digits, mnist1d"),
        ({"fusion": "mean"}, "unknown fusion 'mean': use one of average, average+clip, median+clip"),
        ({"attack": "flip"}, "unknown attack 'flip': use one of label_flip, partial_flip, targeted_flip"),
        ({"steps": 0}, "steps must be at least 1, got 0"),
        ({"panel_size": 4}, "a panel is odd and at least 3, got 4"),
        ({"verifiers": 2}, "2 verifiers in the pool cannot fill a panel of 3"),
        ({"rounds": 2, "dishonest_verifiers": 1},
         "1 dishonest verifiers or seat squatters are slashed out of the pool after a round, which leaves 2 for a "
         "panel of 3"),
        ({"verifiers": 4, "sybil_seats": 2},
         "2 sybil seats of 6 hold a third of the pool's bonds or more: the simulation shows an initiator below a "
         "third"),
    ],
)
def test_simulation_config__bad_settings__one_sentence(overrides, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        SimulationConfig(**{**QUICK, **overrides})
