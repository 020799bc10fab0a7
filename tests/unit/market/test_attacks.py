"""Attacks on the market: reentrant and reverting receivers, copied and replayed commitments,
second claims, and every role-restricted function called by the wrong role.

The attacker contracts are test doubles in contracts/mocks/: `ReentrantClaimer` calls back
into the market from `receive`, `RevertingReceiver` refuses every payment. Both hold a role
themselves (they are a contributor or a verifier), driven by an operator account.
"""

from types import SimpleNamespace

import ape
import pytest
from eth_utils import keccak

from tests.utils.market import MIN_WINDOW, ROLE, digest, model_commitment, open_task, salt
from tests.utils.settlement import (  # noqa: F401
    Actor,
    Round,
    claim_measured,
    copy_of,
    deadlines_of,
    finalize_all,
    play,
)

NO_ATTACK, CLAIM, CLAIM_TO = 0, 1, 2  # ReentrantClaimer.Attack
REENTRANT_CALL = keccak(text="ReentrancyGuardReentrantCall()")[:4]


@pytest.fixture(scope="module")
def arena(project, market, chain, accounts, initiator, contributors, verifiers, outsider):
    """Two settled tasks with attacker contracts among their participants, and a third task in
    its Commit window for the commitment and role attacks.

    - first: contributors c0, claimer_c (ReentrantClaimer), refuser_c (RevertingReceiver);
      verifiers v0, claimer_v, refuser_v; everyone honest, medians 8000, 6000, 4000.
    - second (in step): contributors claimer_c, c1; verifiers claimer_v, v1.
    - fresh: contributors c0, c1 committed; verifiers v0, v1 joined.
    """
    operator = accounts[18]

    def actor(contract_type):
        return Actor(operator.deploy(contract_type, market), operator)

    claimer_c, claimer_v = actor(project.ReentrantClaimer), actor(project.ReentrantClaimer)
    refuser_c, refuser_v = actor(project.RevertingReceiver), actor(project.RevertingReceiver)
    c0, c1 = contributors[:2]
    v0, v1 = verifiers[:2]
    first = open_task(market, chain, initiator, label="attack-first")
    second = open_task(market, chain, initiator, label="attack-second", **deadlines_of(first))
    play(
        Round(
            first,
            [c0, claimer_c, refuser_c],
            [v0, claimer_v, refuser_v],
            {v: [8_000, 6_000, 4_000] for v in (v0, claimer_v, refuser_v)},
        ),
        Round(
            second, [claimer_c, c1], [claimer_v, v1], {v: [7_000, 5_000] for v in (claimer_v, v1)}
        ),
    )
    finalize_all(first, outsider)
    finalize_all(second, outsider)
    fresh = open_task(market, chain, initiator, label="attack-fresh")
    fresh.commit(c0)
    fresh.commit(c1)
    fresh.join(v0)
    fresh.join(v1)
    return SimpleNamespace(
        operator=operator,
        claimer_c=claimer_c,
        claimer_v=claimer_v,
        refuser_c=refuser_c,
        refuser_v=refuser_v,
        first=first,
        second=second,
        fresh=fresh,
    )


# --------------------------------------------------------------- reentrant receiver


@pytest.mark.parametrize("role", ["contributor", "verifier"])
@pytest.mark.parametrize(
    "attack, target",
    [
        pytest.param(CLAIM, "same", id="claim_same_task"),
        pytest.param(CLAIM_TO, "same", id="claim_to_same_task"),
        pytest.param(CLAIM, "other", id="claim_other_task"),
    ],
)
def test_reentrant_claim__reentry_reverts_the_whole_claim(
    arena, market, accounts, role, attack, target
):
    claimer = arena.claimer_c if role == "contributor" else arena.claimer_v
    first, second = arena.first.task_id, arena.second.task_id
    owed = {t: market.owed(t, claimer.address) for t in (first, second)}
    assert owed[first] > 0 and owed[second] > 0
    market_before, claimer_before = market.balance, claimer.contract.balance
    claimer.contract.arm(
        attack, first if target == "same" else second, False, sender=arena.operator
    )

    # The nested call hits the guard; its revert bubbles through receive and sendValue.
    with ape.reverts(market.ReentrancyGuardReentrantCall):
        claimer.contract.claim(first, sender=arena.operator)
    assert {t: market.owed(t, claimer.address) for t in (first, second)} == owed
    assert not market.hasClaimed(first, claimer.address)
    assert market.balance == market_before
    assert claimer.contract.balance == claimer_before
    # The honest way out for a contract that cannot take a payment: claimTo an EOA.
    eoa = accounts[21]
    eoa_before = eoa.balance
    claimer.contract.claimTo(first, eoa, sender=arena.operator)
    assert eoa.balance - eoa_before == owed[first]
    assert market.balance == market_before - owed[first]
    assert market.owed(second, claimer.address) == owed[second]


@pytest.mark.parametrize("role", ["contributor", "verifier"])
def test_reentrant_claim__reentry_swallowed__paid_exactly_once(arena, market, role):
    claimer = arena.claimer_c if role == "contributor" else arena.claimer_v
    task_id = arena.first.task_id
    owed = market.owed(task_id, claimer.address)
    market_before, claimer_before = market.balance, claimer.contract.balance
    claimer.contract.arm(CLAIM, task_id, True, sender=arena.operator)

    tx = claimer.contract.claim(task_id, sender=arena.operator)

    assert bytes(claimer.contract.lastError()) == REENTRANT_CALL  # the nested claim failed
    assert claimer.contract.reentered() is False
    assert claimer.contract.balance == claimer_before + owed
    assert market.balance == market_before - owed
    logs = list(tx.decode_logs(market.Claimed))
    assert [(log.taskId, log.account, log.recipient, log.amount) for log in logs] == [
        (task_id, claimer.address, claimer.address, owed)
    ]
    with ape.reverts(market.AlreadyClaimed, taskId=task_id, account=claimer.address):
        claimer.contract.claim(task_id, sender=arena.operator)


# --------------------------------------------------------------- reverting receiver


@pytest.mark.parametrize("role", ["contributor", "verifier"])
def test_reverting_receiver__own_claim_reverts__entitlement_kept(arena, market, role):
    refuser = arena.refuser_c if role == "contributor" else arena.refuser_v
    task_id = arena.first.task_id
    owed = market.owed(task_id, refuser.address)
    assert owed > 0

    with ape.reverts(refuser.contract.PaymentRefused, amount=owed):
        refuser.contract.claim(task_id, sender=arena.operator)

    assert market.owed(task_id, refuser.address) == owed
    assert not market.hasClaimed(task_id, refuser.address)


def test_reverting_receiver__blocks_nobody_else__and_can_claim_to_an_eoa(
    arena, market, accounts, contributors, verifiers, initiator
):
    task_id, c0, v0, eoa = arena.first.task_id, contributors[0], verifiers[0], accounts[21]
    refusers = (arena.refuser_c, arena.refuser_v)
    owed_refusers = [market.owed(task_id, r.address) for r in refusers]
    for refuser, owed in zip(refusers, owed_refusers):
        with ape.reverts(refuser.contract.PaymentRefused, amount=owed):
            refuser.contract.claim(task_id, sender=arena.operator)

    # Everyone else claims as usual.
    for account in (c0, v0, initiator):
        owed = market.owed(task_id, account)
        _, received = claim_measured(market, task_id, account)
        assert received == owed
    for claimer in (arena.claimer_c, arena.claimer_v):  # unarmed: a contract that accepts payments
        owed, before = market.owed(task_id, claimer.address), claimer.contract.balance
        claimer.contract.claim(task_id, sender=arena.operator)
        assert claimer.contract.balance == before + owed
    # The refusers are still owed the same, and can be paid through an EOA.
    assert [market.owed(task_id, r.address) for r in refusers] == owed_refusers
    eoa_before = eoa.balance
    for refuser in refusers:
        refuser.contract.claimTo(task_id, eoa, sender=arena.operator)
    assert eoa.balance - eoa_before == sum(owed_refusers)
    view = market.getTask(task_id)
    assert view.paidOut == view.deposited


# ------------------------------------------------------------------ commitments


def test_reveal_model__commitment_copied_by_another_address__reverts(
    arena, market, contributors, outsider
):
    fresh, c0 = copy_of(arena.fresh), contributors[0]
    model, secret = fresh.models[c0.address]
    copied = model_commitment(
        fresh.chain.chain_id, market.address, fresh.task_id, c0.address, model, secret
    )
    market.commitModel(
        fresh.task_id, copied, value=fresh.params["contributorStake"], sender=outsider
    )
    fresh.after("commit")

    # The copier front-runs c0's reveal with c0's digest and salt.
    with ape.reverts(market.CommitmentMismatch, taskId=fresh.task_id, account=outsider.address):
        market.revealModel(fresh.task_id, model, secret, "store://stolen", sender=outsider)
    fresh.reveal(c0)
    assert market.getSubmissions(fresh.task_id, 0, 1)[0].contributor == c0.address


def test_reveal_test_set__commitment_copied_by_another_initiator__reverts(
    arena, market, chain, contributors, outsider
):
    fresh = copy_of(arena.fresh)
    # The outsider opens a task whose test set commitment is a copy of the fresh task's.
    copycat = open_task(
        market,
        chain,
        outsider,
        label="copycat",
        testSetCommitment=fresh.params["testSetCommitment"],
    )
    copycat.commit(contributors[2])
    copycat.after("commit")
    copycat.reveal(contributors[2])
    copycat.after("reveal")

    with ape.reverts(market.CommitmentMismatch, taskId=copycat.task_id, account=outsider.address):
        market.revealTestSet(
            copycat.task_id, fresh.test_digest, fresh.test_salt, "store://stolen", sender=outsider
        )


@pytest.mark.parametrize("where", ["another_task", "another_deployment"])
def test_reveal_model__commitment_replayed_elsewhere__reverts(
    arena, project, market, chain, initiator, contributors, deployer, where
):
    fresh, c0 = copy_of(arena.fresh), contributors[0]
    model, secret = fresh.models[c0.address]
    original = model_commitment(
        fresh.chain.chain_id, market.address, fresh.task_id, c0.address, model, secret
    )
    if where == "another_task":
        target_market = market
    else:  # a second deployment, with a task of the same id: only the market address differs
        target_market = deployer.deploy(project.LearningMarket, MIN_WINDOW)
        while target_market.taskCount() < fresh.task_id - 1:
            open_task(target_market, chain, initiator, label="filler")
    other = open_task(target_market, chain, initiator, label="replay")
    assert where == "another_task" or other.task_id == fresh.task_id
    target_market.commitModel(
        other.task_id, original, value=other.params["contributorStake"], sender=c0
    )
    other.after("commit")

    with ape.reverts(target_market.CommitmentMismatch, taskId=other.task_id, account=c0.address):
        target_market.revealModel(other.task_id, model, secret, "store://replayed", sender=c0)


# ------------------------------------------------------------------ second claims


@pytest.mark.parametrize("first_way", ["claim", "claim_to"])
@pytest.mark.parametrize("second_way", ["claim", "claim_to"])
def test_claim__second_time_any_way__reverts(
    arena, market, contributors, accounts, first_way, second_way
):
    task_id, c0, eoa = arena.first.task_id, contributors[0], accounts[21]

    def claim(way):
        if way == "claim":
            return market.claim(task_id, sender=c0)
        return market.claimTo(task_id, eoa, sender=c0)

    claim(first_way)
    with ape.reverts(market.AlreadyClaimed, taskId=task_id, account=c0.address):
        claim(second_way)


# ---------------------------------------------------------------------- wrong role


def advance(task, phase, contributors, verifiers):
    """Moves the fresh task (c0, c1 committed; v0, v1 joined) on to `phase`."""
    c0, c1 = contributors[:2]
    v0 = verifiers[0]
    if phase == "Commit":
        return
    task.after("commit")
    if phase == "Reveal":
        return
    task.reveal(c0)
    task.reveal(c1)
    task.after("reveal")
    if phase == "TestReveal":
        return
    task.reveal_test_set()
    if phase == "ScoreCommit":
        return
    task.commit_scores(v0, [8_000, 6_000])
    task.after("scoreCommit")
    assert phase == "ScoreReveal"


def call(market, task, function, sender):
    """`function` of the market on `task`, with valid-looking arguments, sent by `sender`."""
    t, stake = task.task_id, task.params
    return {
        "cancelTask": lambda: market.cancelTask(t, sender=sender),
        "commitModel": lambda: market.commitModel(
            t, digest("x"), value=stake["contributorStake"], sender=sender
        ),
        "joinAsVerifier": lambda: market.joinAsVerifier(
            t, value=stake["verifierStake"], sender=sender
        ),
        "revealModel": lambda: market.revealModel(
            t, digest("x"), salt("x"), "store://x", sender=sender
        ),
        "revealTestSet": lambda: market.revealTestSet(
            t, task.test_digest, task.test_salt, "store://x", sender=sender
        ),
        "commitScores": lambda: market.commitScores(t, digest("x"), sender=sender),
        "revealScores": lambda: market.revealScores(t, [8_000, 6_000], salt("x"), sender=sender),
        "publishFusedModel": lambda: market.publishFusedModel(
            t, digest("fused"), "store://fused", sender=sender
        ),
    }[function]()


# (function, the phase it acts in, wrong caller, error, the error's fields besides taskId)
WRONG_ROLES = [
    ("cancelTask", "Commit", "contributor", "NotInitiator", "caller"),
    ("cancelTask", "Commit", "verifier", "NotInitiator", "caller"),
    ("cancelTask", "Commit", "outsider", "NotInitiator", "caller"),
    ("commitModel", "Commit", "initiator", "InitiatorCannotParticipate", None),
    ("commitModel", "Commit", "verifier", "AlreadyParticipant", "account+role"),
    ("joinAsVerifier", "Commit", "initiator", "InitiatorCannotParticipate", None),
    ("joinAsVerifier", "Commit", "contributor", "AlreadyParticipant", "account+role"),
    ("revealModel", "Reveal", "initiator", "NotContributor", "account"),
    ("revealModel", "Reveal", "verifier", "NotContributor", "account"),
    ("revealModel", "Reveal", "outsider", "NotContributor", "account"),
    ("revealTestSet", "TestReveal", "contributor", "NotInitiator", "caller"),
    ("revealTestSet", "TestReveal", "verifier", "NotInitiator", "caller"),
    ("revealTestSet", "TestReveal", "outsider", "NotInitiator", "caller"),
    ("commitScores", "ScoreCommit", "initiator", "NotVerifier", "account"),
    ("commitScores", "ScoreCommit", "contributor", "NotVerifier", "account"),
    ("commitScores", "ScoreCommit", "outsider", "NotVerifier", "account"),
    ("revealScores", "ScoreReveal", "initiator", "NotVerifier", "account"),
    ("revealScores", "ScoreReveal", "contributor", "NotVerifier", "account"),
    ("revealScores", "ScoreReveal", "outsider", "NotVerifier", "account"),
    ("publishFusedModel", "Finalized", "contributor", "NotInitiator", "caller"),
    ("publishFusedModel", "Finalized", "verifier", "NotInitiator", "caller"),
    ("publishFusedModel", "Finalized", "outsider", "NotInitiator", "caller"),
]


@pytest.mark.parametrize(
    "function, phase, who, error, fields",
    [pytest.param(*row, id=f"{row[0]}__by_{row[2]}") for row in WRONG_ROLES],
)
def test_role_restricted__wrong_role__reverts(
    arena, market, initiator, contributors, verifiers, outsider, function, phase, who, error, fields
):
    if phase == "Finalized":
        task = copy_of(arena.first)  # settled in the fixture
    else:
        task = copy_of(arena.fresh)
        advance(task, phase, contributors, verifiers)
    caller = {
        "initiator": initiator,
        "contributor": contributors[0],
        "verifier": verifiers[0],
        "outsider": outsider,
    }[who]
    expected = {"taskId": task.task_id}
    if fields == "caller":
        expected["caller"] = caller.address
    elif fields == "account":
        expected["account"] = caller.address
    elif fields == "account+role":
        expected["account"] = caller.address
        expected["role"] = ROLE["Verifier" if who == "verifier" else "Contributor"]

    with ape.reverts(getattr(market, error), **expected):
        call(market, task, function, caller)
