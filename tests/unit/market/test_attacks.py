"""Attacks on the code (not the mechanism: see test_mechanism_attacks.py): reentrant and
reverting receivers, copied and replayed commitments, second claims, ETH sent to the market,
and every role-restricted function called by the wrong role.

The attacker contracts are test doubles in contracts/mocks/: `ReentrantClaimer` calls back into
the market (or the pool) from `receive`, `RevertingReceiver` refuses every payment. Each holds a
role itself (a contributor, or a pool member drawn on panels), driven by an operator account.
"""

from types import SimpleNamespace

import pytest
from eth_utils import keccak

from tests.utils.deploy import deploy_market, register
from tests.utils.lifecycle import reverts
from tests.utils.market import (
    PHASE,
    ROLE,
    UNBONDING_PERIOD,
    VERIFIER_BOND,
    digest,
    model_commitment,
    open_task,
    salt,
)
from tests.utils.settlement import (
    Actor,
    Round,
    claim_measured,
    copy_of,
    deadlines_of,
    finalize_all,
    play,
)

NO_ATTACK, CLAIM, CLAIM_TO, WITHDRAW_BOND = 0, 1, 2, 3  # ReentrantClaimer.Attack
REENTRANT_CALL = keccak(text="ReentrancyGuardReentrantCall()")[:4]


@pytest.fixture(scope="module")
def arena(
    project, chain, deployer, accounts, initiator, contributors, verifiers, outsider, by_address
):
    """A market of its own whose pool is exactly a panel: v0 and two attacker contracts
    (claimer_v, a ReentrantClaimer, and refuser_v, a RevertingReceiver). Two settled tasks with
    attacker contracts among their participants, and a third task in its Commit window.

    - first: contributors c0, claimer_c, refuser_c; panel v0, claimer_v, refuser_v; everyone
      honest, medians 8000, 6000, 4000 over a start of 2000.
    - second (in step): contributors claimer_c, c1; the same panel.
    - fresh: contributors c0, c1 committed.
    """
    operator = accounts[58]
    deployed = deploy_market(project, deployer)
    market = deployed.market

    def actor(contract_type):
        return Actor(operator.deploy(contract_type, market), operator)

    claimer_c, claimer_v = actor(project.ReentrantClaimer), actor(project.ReentrantClaimer)
    refuser_c, refuser_v = actor(project.RevertingReceiver), actor(project.RevertingReceiver)
    v0 = verifiers[0]
    register(deployed.pool, [v0])
    claimer_v.register(VERIFIER_BOND)
    refuser_v.register(VERIFIER_BOND)
    people = {**by_address, claimer_v.address: claimer_v, refuser_v.address: refuser_v}
    c0, c1 = contributors[:2]
    first = open_task(market, chain, initiator, people, label="attack-first")
    second = open_task(
        market, chain, initiator, people, label="attack-second", **deadlines_of(first)
    )
    play(
        Round(first, [c0, claimer_c, refuser_c], [[2_000, 8_000, 6_000, 4_000]] * 3),
        Round(second, [claimer_c, c1], [[2_000, 7_000, 5_000]] * 3),
    )
    finalize_all(first, outsider)
    finalize_all(second, outsider)
    fresh = open_task(market, chain, initiator, people, label="attack-fresh")
    fresh.open_audit()
    fresh.commit(c0)
    fresh.commit(c1)
    return SimpleNamespace(
        market=market,
        pool=deployed.pool,
        people=people,
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
def test_reentrant_claim__reentry_reverts_the_whole_claim(arena, accounts, role, attack, target):
    market = arena.market
    claimer = arena.claimer_c if role == "contributor" else arena.claimer_v
    first, second = arena.first.task_id, arena.second.task_id
    owed = {t: market.owed(t, claimer.address) for t in (first, second)}
    assert owed[first] > 0 and owed[second] > 0
    market_before, claimer_before = market.balance, claimer.contract.balance
    claimer.contract.arm(
        attack, first if target == "same" else second, False, sender=arena.operator
    )

    # The nested call hits the guard; its revert bubbles through receive and sendValue.
    with reverts(market.ReentrancyGuardReentrantCall):
        claimer.contract.claim(first, sender=arena.operator)
    assert {t: market.owed(t, claimer.address) for t in (first, second)} == owed
    assert not market.hasClaimed(first, claimer.address)
    assert (market.balance, claimer.contract.balance) == (market_before, claimer_before)
    # The honest way out for a contract that cannot take a payment: claimTo an EOA.
    eoa = accounts[59]
    eoa_before = eoa.balance
    claimer.contract.claimTo(first, eoa, sender=arena.operator)
    assert eoa.balance - eoa_before == owed[first]
    assert market.balance == market_before - owed[first]
    assert market.owed(second, claimer.address) == owed[second]


@pytest.mark.parametrize("role", ["contributor", "verifier"])
def test_reentrant_claim__reentry_swallowed__paid_exactly_once(arena, role):
    market = arena.market
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
    with reverts(market.AlreadyClaimed, taskId=task_id, account=claimer.address):
        claimer.contract.claim(task_id, sender=arena.operator)


@pytest.mark.parametrize("swallow", [False, True], ids=["bubbled", "swallowed"])
def test_reentrant_withdraw_bond__paid_exactly_once(arena, chain, swallow):
    pool, claimer = arena.pool, arena.claimer_v
    claimer.contract.requestExit(sender=arena.operator)
    chain.pending_timestamp += UNBONDING_PERIOD
    claimer.contract.arm(WITHDRAW_BOND, 0, swallow, sender=arena.operator)
    pool_before, claimer_before = pool.balance, claimer.contract.balance

    if not swallow:
        with reverts(pool.ReentrancyGuardReentrantCall):
            claimer.contract.withdrawBond(sender=arena.operator)
        assert (pool.balance, pool.bondOf(claimer.address)) == (pool_before, VERIFIER_BOND)
        return
    claimer.contract.withdrawBond(sender=arena.operator)
    assert bytes(claimer.contract.lastError()) == REENTRANT_CALL
    assert claimer.contract.balance - claimer_before == VERIFIER_BOND
    assert (pool.balance, pool.bondOf(claimer.address)) == (pool_before - VERIFIER_BOND, 0)


# --------------------------------------------------------------- reverting receiver


@pytest.mark.parametrize("role", ["contributor", "verifier"])
def test_reverting_receiver__own_claim_reverts__entitlement_kept(arena, role):
    market = arena.market
    refuser = arena.refuser_c if role == "contributor" else arena.refuser_v
    task_id = arena.first.task_id
    owed = market.owed(task_id, refuser.address)
    assert owed > 0
    with reverts(refuser.contract.PaymentRefused, amount=owed):
        refuser.contract.claim(task_id, sender=arena.operator)
    assert market.owed(task_id, refuser.address) == owed
    assert not market.hasClaimed(task_id, refuser.address)


def test_reverting_receiver__blocks_nobody_else__and_can_claim_to_an_eoa(
    arena, accounts, contributors, verifiers, initiator
):
    market = arena.market
    task_id, c0, v0, eoa = arena.first.task_id, contributors[0], verifiers[0], accounts[59]
    refusers = (arena.refuser_c, arena.refuser_v)
    owed_refusers = [market.owed(task_id, r.address) for r in refusers]
    for refuser, owed in zip(refusers, owed_refusers, strict=True):
        with reverts(refuser.contract.PaymentRefused, amount=owed):
            refuser.contract.claim(task_id, sender=arena.operator)

    # Everyone else claims as usual.
    for account in (c0, v0, initiator):
        owed = market.owed(task_id, account)
        if owed:
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
    assert view.paidOut + view.burned == view.deposited


# ------------------------------------------------------------------ ETH sent in


def test_market_receive__from_anyone_but_its_pool__reverts(arena, outsider):
    with reverts(arena.market.NotVerifierPool, sender=outsider):
        outsider.transfer(arena.market, 1)


# ------------------------------------------------------------------ commitments


def test_reveal_model__commitment_copied_by_another_address__reverts(arena, contributors, outsider):
    market, fresh, c0 = arena.market, copy_of(arena.fresh), contributors[0]
    model, secret = fresh.models[c0.address]
    copied = model_commitment(
        fresh.chain.chain_id, market.address, fresh.task_id, c0.address, model, secret
    )
    market.commitModel(
        fresh.task_id, copied, value=fresh.params["contributorStake"], sender=outsider
    )
    fresh.after("commit")
    fresh.open_panel(outsider)

    # The copier front-runs c0's reveal with c0's digest and salt.
    with reverts(market.CommitmentMismatch, taskId=fresh.task_id, account=outsider):
        market.revealModel(fresh.task_id, model, secret, "store://stolen", sender=outsider)
    fresh.reveal(c0)
    assert market.getSubmissions(fresh.task_id, 0, 1)[0].contributor == c0.address


def test_reveal_audit__test_set_commitment_copied_by_another_initiator__reverts(
    arena, chain, outsider, by_address
):
    market, fresh = arena.market, copy_of(arena.fresh)
    # The outsider opens a task whose test set commitment is a copy of the fresh task's, and
    # tries to open it with the fresh task's shards (seen in its audit reveal).
    copycat = open_task(
        market,
        chain,
        outsider,
        by_address,
        label="copycat",
        testSetCommitment=fresh.params["testSetCommitment"],
    )
    copycat.test_set = fresh.test_set
    copycat.draw_audit(outsider)
    with reverts(market.CommitmentMismatch, taskId=copycat.task_id, account=outsider):
        copycat.reveal_audit(sender=outsider)


@pytest.mark.parametrize("where", ["another_task", "another_deployment"])
def test_reveal_model__commitment_replayed_elsewhere__reverts(
    arena, project, chain, initiator, contributors, verifiers, deployer, outsider, by_address, where
):
    market, fresh, c0 = arena.market, copy_of(arena.fresh), contributors[0]
    model, secret = fresh.models[c0.address]
    original = model_commitment(
        fresh.chain.chain_id, market.address, fresh.task_id, c0.address, model, secret
    )
    if where == "another_task":
        target = market
    else:  # a second deployment, with a task of the same id: only the market address differs
        other = deploy_market(project, deployer)
        register(other.pool, verifiers[:3])
        target = other.market
        while target.taskCount() < fresh.task_id - 1:
            open_task(target, chain, initiator, by_address, label="filler")
    replay = open_task(
        target, chain, initiator, arena.people, label="replay", **deadlines_of(fresh)
    )
    assert where == "another_task" or replay.task_id == fresh.task_id
    replay.open_audit()
    target.commitModel(replay.task_id, original, value=replay.params["contributorStake"], sender=c0)
    replay.after("commit")
    replay.open_panel(outsider)
    with reverts(target.CommitmentMismatch, taskId=replay.task_id, account=c0):
        target.revealModel(replay.task_id, model, secret, "store://replayed", sender=c0)


# ------------------------------------------------------------------ second claims


@pytest.mark.parametrize("first_way", ["claim", "claim_to"])
@pytest.mark.parametrize("second_way", ["claim", "claim_to"])
def test_claim__second_time_any_way__reverts(arena, contributors, accounts, first_way, second_way):
    market, task_id, c0, eoa = arena.market, arena.first.task_id, contributors[0], accounts[59]

    def claim(way):
        if way == "claim":
            return market.claim(task_id, sender=c0)
        return market.claimTo(task_id, eoa, sender=c0)

    claim(first_way)
    with reverts(market.AlreadyClaimed, taskId=task_id, account=c0):
        claim(second_way)


# ---------------------------------------------------------------------- wrong role


def advance(task, phase, contributors, outsider):
    """Moves the fresh task (c0 and c1 committed) on to `phase`; returns its panel."""
    c0, c1 = contributors[:2]
    if phase == "Commit":
        return []
    task.after("commit")
    panel = task.open_panel(outsider)
    if phase == "Reveal":
        return panel
    task.reveal(c0)
    task.reveal(c1)
    task.after("reveal")
    if phase == "TestReveal":
        return panel
    task.reveal_test_set()
    if phase == "ScoreCommit":
        return panel
    task.commit_scores(next(m for m in panel if not isinstance(m, Actor)), [2_000, 8_000, 6_000])
    task.after("scoreCommit")
    assert phase == "ScoreReveal"
    return panel


def call(market, task, function, sender):
    """`function` of the market on `task`, with valid-looking arguments, sent by `sender`."""
    t, params, shards = task.task_id, task.params, task.test_set
    return {
        "cancelTask": lambda: market.cancelTask(t, sender=sender),
        "commitModel": lambda: market.commitModel(
            t, digest("x"), value=params["contributorStake"], sender=sender
        ),
        "revealModel": lambda: market.revealModel(
            t, digest("x"), salt("x"), "store://x", sender=sender
        ),
        "revealTestSet": lambda: market.revealTestSet(
            t, shards.commitments, [], [], "store://x", sender=sender
        ),
        "commitScores": lambda: market.commitScores(t, digest("x"), sender=sender),
        "revealScores": lambda: market.revealScores(
            t, True, [2_000, 8_000, 6_000], salt("x"), sender=sender
        ),
        "publishFusedModel": lambda: market.publishFusedModel(
            t, digest("fused"), "store://fused", sender=sender
        ),
    }[function]()


# (function, the phase it acts in, wrong caller, error, the error's fields besides taskId)
WRONG_ROLES = [
    ("cancelTask", "Commit", "contributor", "NotInitiator", "caller"),
    ("cancelTask", "Commit", "outsider", "NotInitiator", "caller"),
    ("commitModel", "Commit", "initiator", "InitiatorCannotParticipate", None),
    ("commitModel", "Commit", "contributor", "AlreadyParticipant", "account+role"),
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
    arena, initiator, contributors, verifiers, outsider, function, phase, who, error, fields
):
    market = arena.market
    if phase == "Finalized":
        task = copy_of(arena.first)  # settled in the fixture
    else:
        task = copy_of(arena.fresh)
        task.at(task.chain.pending_timestamp)
        advance(task, phase, contributors, outsider)
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
        expected["role"] = ROLE["Contributor"]
    with reverts(getattr(market, error), **expected):
        call(market, task, function, caller)


def test_publish_fused_model__records_once_and_only_when_finalized(arena, initiator):
    market, task = arena.market, copy_of(arena.first)
    fused = digest("fused")
    receipt = market.publishFusedModel(task.task_id, fused, "store://fused", sender=initiator)
    assert [
        dict(log.event_arguments) for log in receipt.decode_logs(market.FusedModelPublished)
    ] == [{"taskId": task.task_id, "fusedModelDigest": fused, "uri": "store://fused"}]
    assert market.getTask(task.task_id).fusedModelDigest == fused
    with reverts(market.FusedModelAlreadyPublished, taskId=task.task_id, fusedModelDigest=fused):
        market.publishFusedModel(task.task_id, digest("other"), "", sender=initiator)
    with reverts(
        market.WrongPhase,
        taskId=arena.fresh.task_id,
        current=PHASE["Commit"],
        required=PHASE["Finalized"],
    ):
        market.publishFusedModel(arena.fresh.task_id, fused, "", sender=initiator)


def test_publish_fused_model__zero_digest__reverts(arena, initiator):
    with reverts(arena.market.ZeroDigest):
        arena.market.publishFusedModel(arena.first.task_id, b"\x00" * 32, "", sender=initiator)
