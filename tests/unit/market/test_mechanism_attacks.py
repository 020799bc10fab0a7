"""Every cheat of /work/shared/design/mechanism-v2.md against the v2 mechanism, each with the
cheater's net in wei beside what an honest participant with the same resources gets, and what
the honest parties get.

The arena: a market of its own whose pool is three honest members (h0, h1, h2) and two seats
of the cheater (s0, s1). Panels of five therefore hold the whole pool; their draw order is random
but irrelevant: every score below is given per member, by who the member is. Amounts: reward
R = 1 ETH, contributor stake CS = 0.01 ETH, fee F = 0.1 ETH, slash 0.05 ETH, forfeit 5% (0.05 ETH).
"Net" is what an address (or all the addresses of one owner) gets back minus what it put in
(reward, stakes, slashed bonds), gas aside.
"""

from math import comb
from types import SimpleNamespace

import pytest

from tests.utils.deploy import deploy_market, register
from tests.utils.market import DEFAULT_CONTRIBUTOR_STAKE as CS
from tests.utils.market import DEFAULT_REWARD as R
from tests.utils.market import (
    FORFEIT_BPS,
    HASH_WINDOW,
    SLASH_AMOUNT,
    VERIFIER_BOND,
    bits,
    model_commitment,
    open_task,
    salt,
)
from tests.utils.randomness import AUDIT_TAG, distinct, seed
from tests.utils.settlement import deadlines_of, finalize_all, move_past, pay_out

F = R * 1_000 // 10_000  # 0.1 ETH
FORFEIT = R * FORFEIT_BPS // 10_000  # 0.05 ETH
START, GOOD, FAIR = 2_000, 8_000, 6_000  # true accuracies: the starting model, two honest models


@pytest.fixture(scope="module")
def arena(
    project, chain, deployer, accounts, initiator, contributors, verifiers, outsider, by_address
):
    deployed = deploy_market(project, deployer)
    honest, sybils = list(verifiers[:3]), list(accounts[44:46])
    register(deployed.pool, honest + sybils)
    return SimpleNamespace(
        market=deployed.market,
        pool=deployed.pool,
        chain=chain,
        initiator=initiator,
        honest=honest,
        sybils=sybils,
        contributors=contributors,
        junk=accounts[46],  # the cheater's own contributor address
        outsider=outsider,
        people=by_address,
    )


def new_task(arena, label, **kw):
    return open_task(
        arena.market, arena.chain, arena.initiator, arena.people, label=label, panelSize=5, **kw
    )


def run(arena, *items):
    """Plays tasks in step. Each item is (task, plan), a plan a dict with: contributors (they
    reveal in this order),
    hidden, scores (member -> list, the start first; a member missing never commits),
    withheld (members that commit and never reveal), votes (member -> available),
    reveal_test_set (default True). Stops inside ScoreReveal."""
    first = items[0][0]
    for task, plan in items:
        task.open_audit()
        for c in plan["contributors"]:
            task.commit(c)
    first.after("commit")
    for task, _ in items:
        task.open_panel(arena.outsider)
    for task, plan in items:
        for c in plan["contributors"]:
            if c not in plan.get("hidden", ()):
                task.reveal(c)
    first.after("reveal")
    for task, plan in items:
        if plan.get("reveal_test_set", True):
            task.reveal_test_set()
    first.after("testReveal")
    for task, plan in items:
        for member, scores in plan["scores"].items():
            task.commit_scores(member, scores, plan.get("votes", {}).get(member, True))
    first.after("scoreCommit")
    for task, plan in items:
        for member in plan["scores"]:
            if member not in plan.get("withheld", ()):
                task.reveal_scores(member)
    for task, _ in items:
        finalize_all(task, arena.outsider)


def owed(task, *accounts):
    return sum(task.market.owed(task.task_id, a) for a in accounts)


def slashed(arena, *members):
    return sum(VERIFIER_BOND - arena.pool.bondOf(m) for m in members)


# ------------------------------------------------------------------ verifier capture


def test_attack__initiator_fills_seats_and_scores_zero__outvoted_and_slashed(arena):
    """v1: the initiator's own verifiers score every model 0 and it takes 100% back. v2: its
    seats are drawn among honest ones (two of five here: 40% of the bonds) and outvoted."""
    c0, c1 = arena.contributors[:2]
    honest_task, cheat_task = new_task(arena, "sybil-honest"), None
    cheat_task = new_task(arena, "sybil-cheat", **deadlines_of(honest_task))
    truth = [START, GOOD, FAIR]
    lie = [10_000, 0, 0]  # inflate the start, sink the models
    run(
        arena,
        (
            honest_task,
            {"contributors": [c0, c1], "scores": dict.fromkeys(arena.honest + arena.sybils, truth)},
        ),
        (
            cheat_task,
            {
                "contributors": [c0, c1],
                "scores": {**dict.fromkeys(arena.honest, truth), **dict.fromkeys(arena.sybils, lie)},
            },
        ),
    )

    pool = R - F  # weights 6000 and 4000 over the start's 2000 in both tasks
    contributors_paid = [CS + pool * 6_000 // 10_000, CS + pool * 4_000 // 10_000]
    for task in (honest_task, cheat_task):
        assert [
            owed(task, c) for c in (c0, c1)
        ] == contributors_paid  # honest contributors lose nothing
    # Honest: the cheater's two seats earn two fee shares of five.
    honest_net = -R + owed(honest_task, arena.initiator, *arena.sybils)
    assert honest_net == -R + 2 * (F // 5)
    # Cheat: outvoted three to two, both seats flagged and slashed; their slashes go to h0..h2.
    cheat_net = (
        -R + owed(cheat_task, arena.initiator, *arena.sybils) - slashed(arena, *arena.sybils)
    )
    assert cheat_net == -R - 2 * SLASH_AMOUNT
    assert cheat_net - honest_net == -140_000_000_000_000_000  # 0.14 ETH worse
    fee_pot = F + 2 * SLASH_AMOUNT
    assert [owed(cheat_task, h) for h in arena.honest] == [fee_pot // 3] * 3  # honest members gain


@pytest.mark.parametrize("how", ["an_honest_member_absent", "test_set_served_to_one_honest_member"])
def test_attack__cheater_seats_hold_half_the_counted_members__contested_the_reward_burned(
    arena, how
):
    """v1: holding half of an even panel, the initiator got its reward back plus the honest
    verifier's stake. v2: panels are odd; half of the counted members needs honest members
    excluded, by absence, or by serving the test set to a chosen few (the others vote
    unavailable). Either way no median has a majority of the revealing members behind it: the
    task is Contested and the reward is burned, not refunded."""
    c0, c1 = arena.contributors[:2]
    h0, h1, h2 = arena.honest
    honest_task = new_task(arena, f"half-honest-{how}")
    cheat_task = new_task(arena, f"half-cheat-{how}", **deadlines_of(honest_task))
    truth, lie = [START, GOOD, FAIR], [10_000, 0, 0]
    # absent: h2 withholds; otherwise h1 and h2 could not fetch the test set: they score the audit shards
    # and vote so
    absent = how == "an_honest_member_absent"
    left_out = {"withheld": [h2]} if absent else {"votes": {h1: False, h2: False}}
    run(
        arena,
        (
            honest_task,
            {
                "contributors": [c0, c1],
                "scores": dict.fromkeys(arena.honest + arena.sybils, truth),
                **left_out,
            },
        ),
        (
            cheat_task,
            {
                "contributors": [c0, c1],
                "scores": {h0: truth, h1: truth, h2: truth, **dict.fromkeys(arena.sybils, lie)},
                **left_out,
            },
        ),
    )

    settlement = arena.market.getTask(cheat_task.task_id).settlement
    assert settlement.contested
    cheat_net = (
        -R + owed(cheat_task, arena.initiator, *arena.sybils) - slashed(arena, *arena.sybils)
    )
    assert cheat_net == -R  # nothing back: the reward is burned
    honest_net = -R + owed(honest_task, arena.initiator, *arena.sybils)
    assert honest_net > cheat_net
    # The contributors get their stakes back but lose their rewards: a griefing that costs the
    # cheater the whole reward (docs/threat-model.md).
    assert [owed(cheat_task, c) for c in (c0, c1)] == [CS, CS]
    burned = R + (SLASH_AMOUNT if how == "an_honest_member_absent" else 0)
    pay_out(
        cheat_task,
        {c0: CS, c1: CS, arena.initiator: 0, **dict.fromkeys(arena.honest + arena.sybils, 0)},
        burned=burned,
    )


# ------------------------------------------------------------------ the test set


@pytest.mark.parametrize("junk", [True, False], ids=["with_junk_models", "abandoned"])
def test_attack__initiator_withholds_the_test_set__paid_by_audit_scores_junk_earns_nothing(
    arena, junk
):
    """v1: the initiator seeded the task with junk models of its own, never revealed the test
    set and got 83-100% back through the equal split. v2: the panel scores on the audit shards;
    junk earns nothing and the initiator recovers what it would have paid honestly."""
    c0 = arena.contributors[0]
    cheater_contributors = [arena.junk] if junk else []
    honest_task = new_task(arena, f"withhold-honest-{junk}")
    cheat_task = new_task(arena, f"withhold-cheat-{junk}", **deadlines_of(honest_task))
    members = arena.honest + arena.sybils
    audit_scores = [START, FAIR] + ([500] if junk else [])  # c0's model, then the junk
    run(
        arena,
        (
            honest_task,
            {
                "contributors": [c0, *cheater_contributors],
                "scores": dict.fromkeys(members, audit_scores),
            },
        ),
        (
            cheat_task,
            {
                "contributors": [c0, *cheater_contributors],
                "scores": dict.fromkeys(members, audit_scores),
                "votes": dict.fromkeys(members, False),
                "reveal_test_set": False,
            },
        ),
    )

    assert arena.market.getTask(cheat_task.task_id).settlement.basis == 1  # Audit
    cheater = (arena.initiator, *arena.sybils, *cheater_contributors)
    stakes_in = CS * len(cheater_contributors)
    honest_net = -R - stakes_in + owed(honest_task, *cheater)
    cheat_net = -R - stakes_in + owed(cheat_task, *cheater)
    assert (
        cheat_net == honest_net == -R + 2 * (F // 5)
    )  # no better than revealing; junk: stake back only
    assert owed(cheat_task, c0) == owed(honest_task, c0) == CS + (R - F)  # c0 takes the whole pool


def test_attack__mislabelled_test_set__caught_by_the_audit_nobody_stakes_forfeit_burned(arena):
    """v1: a mislabelled test set put every median under the baseline and the pool came back.
    v2: 13 of 16 shards mislabelled leaves 3 clean: any audit of 4 shows a bad one. The
    contributors see it and nobody stakes; the task ends without a model and the forfeit burns."""
    bad = set(range(3, 16))  # shards 3..15 mislabelled (the contributors' check is modelled here)
    task = new_task(arena, "mislabelled", testShards=16, auditShards=4)
    task.open_audit()
    audited = set(bits(task.audit_mask()))
    assert audited & bad, "an audit of 4 among 3 clean shards always shows a bad one"
    # Nobody commits; past the reveal deadline the task is Unfulfilled.
    move_past(task, "reveal")
    assert task.phase() == "Unfulfilled"

    pay_out(task, {arena.initiator: R - FORFEIT}, burned=FORFEIT)
    cheat_net = -FORFEIT
    assert cheat_net == -50_000_000_000_000_000


@pytest.mark.parametrize("how", ["let_the_seed_expire", "cancel"])
def test_attack__initiator_re_rolls_the_audit__each_roll_costs_the_forfeit(arena, how):
    """Grinding the audit: the initiator reads the seed block's hash, computes the audit, dislikes
    it and either waits 256 blocks (the task is Void) or cancels. Each re-roll costs the forfeit;
    passing an audit of A = 4 of K = 16 with 12 bad shards takes C(16,4)/C(4,4) = 1820 listings
    on average: 1820 * 0.05 ETH = 91 ETH for a 1 ETH task."""
    market, chain = arena.market, arena.chain
    task = new_task(arena, f"grind-{how}", testShards=16, auditShards=4)
    seed_block = task.view().auditSeedBlock
    task.mine()
    would_draw = distinct(
        seed(
            chain.blocks[seed_block].hash, chain.chain_id, market.address, task.task_id, AUDIT_TAG
        ),
        4,
        16,
    )
    assert len(bits(would_draw)) == 4  # the initiator knows its audit before anyone draws it
    if how == "cancel":
        market.cancelTask(task.task_id, sender=arena.initiator)
    else:
        task.mine(seed_block + HASH_WINDOW + 1 - chain.blocks.head.number)
        assert task.phase() == "Void"
    pay_out(task, {arena.initiator: R - FORFEIT}, burned=FORFEIT)
    expected_listings = comb(16, 4) // comb(4, 4)
    assert expected_listings * FORFEIT == 91 * 10**18


# ------------------------------------------------------------------ seats and models


def test_attack__seat_squatter_never_scores__slashed_no_equal_split(arena):
    """v1: taking verifier seats and never scoring earned the equal split. v2: the squatter's
    seats are slashed and its slashes go to the members that did the work."""
    c0, c1 = arena.contributors[:2]
    task = new_task(arena, "squatter")
    truth = [START, GOOD, FAIR]
    run(
        arena, (task, {"contributors": [c0, c1], "scores": dict.fromkeys(arena.honest, truth)})
    )  # s0, s1 silent

    squatter_net = owed(task, *arena.sybils) - slashed(arena, *arena.sybils)
    assert squatter_net == -2 * SLASH_AMOUNT  # an honest owner of two seats earns 2 * F / 5 here
    assert [owed(task, h) for h in arena.honest] == [(F + 2 * SLASH_AMOUNT) // 3] * 3


def test_attack__squatter_holds_the_whole_pool_with_junk_of_its_own__loses_every_slash(
    project, deployer, chain, accounts, initiator, outsider, by_address
):
    """v1: whoever took every verifier seat and never scored got the equal split for its junk.
    v2: a squatter that is the whole pool gets no verdict on anything: its junk earns nothing,
    every seat is slashed (and burned), the initiator gets its reward back."""
    deployed = deploy_market(project, deployer)
    seats, junk = accounts[47:50], accounts[50]
    register(deployed.pool, seats)
    task = open_task(deployed.market, chain, initiator, by_address, label="whole-pool")
    task.open_audit()
    task.commit(junk)
    task.after("commit")
    assert sorted(m.address for m in task.open_panel(outsider)) == sorted(s.address for s in seats)
    task.reveal(junk)
    move_past(task, "scoreReveal")
    finalize_all(task, outsider)

    pay_out(task, {junk: CS, initiator: R, **dict.fromkeys(seats, 0)}, burned=3 * SLASH_AMOUNT)
    squatter_net = -CS + CS - 3 * SLASH_AMOUNT
    assert squatter_net == -(VERIFIER_BOND - deployed.pool.bondOf(seats[0])) * 3


@pytest.mark.parametrize(
    "cheat, cheat_score",
    [
        (
            "resubmits_the_start",
            START,
        ),  # the public start with noise: the panel scores it the start's accuracy
        ("poisoner", 1_500),  # label-flipped from round 2: above chance, below the start
        ("wrong_architecture", 0),  # scored 0 by the spec's scoring rules
    ],
)
def test_attack__model_no_better_than_the_start__earns_nothing(arena, cheat, cheat_score):
    """v1: a resubmitted start earned a full share (about 1/(n+1) of the pool) and a poisoner
    above chance was paid. v2: the start's median is the baseline: nothing at or below it earns."""
    c0, cheater = arena.contributors[0], arena.contributors[5]
    task = new_task(arena, f"no-better-{cheat}")
    scores = [START, GOOD, cheat_score]
    run(
        arena,
        (
            task,
            {
                "contributors": [c0, cheater],
                "scores": dict.fromkeys(arena.honest + arena.sybils, scores),
            },
        ),
    )

    assert owed(task, cheater) == CS  # its stake back, no reward: net 0
    assert owed(task, c0) == CS + (R - F)  # the honest rival takes the whole pool


def test_attack__five_byte_variants_of_one_model__paid_as_one(arena):
    """v1: five byte-variants of one model from five addresses took five shares. v2: the spec's
    near-duplicate rule scores every variant after the first 0 (honest members compute it the
    same way), so the five addresses together earn what the model alone earns, and the honest
    rival is not diluted."""
    c0 = arena.contributors[0]
    variants = arena.contributors[3:8]
    lone_task = new_task(arena, "variants-lone")
    task = new_task(arena, "variants-five", **deadlines_of(lone_task))
    members = arena.honest + arena.sybils
    run(
        arena,
        (
            lone_task,
            {
                "contributors": [c0, variants[0]],
                "scores": {m: [START, FAIR, GOOD] for m in members},
            },
        ),
        (
            task,
            {
                "contributors": [c0, *variants],
                "scores": {m: [START, FAIR, GOOD, 0, 0, 0, 0] for m in members},
            },
        ),
    )

    assert owed(task, *variants) - 5 * CS == owed(lone_task, variants[0]) - CS  # paid as one
    assert owed(task, c0) == owed(lone_task, c0)  # the rival is not diluted


def test_attack__copies_a_digest_revealed_in_another_task__refused_stake_lost(arena):
    """v1: copying a digest revealed in task A into task B (still open for commits) and revealing
    first took the original's reward. v2: a digest revealed anywhere is refused everywhere; the
    copier cannot reveal and its stake is forfeit; the original keeps stake and reward."""
    market, chain = arena.market, arena.chain
    original, copier, rival = arena.contributors[:3]
    a = new_task(arena, "copy-a")
    b = new_task(
        arena,
        "copy-b",
        commitDeadline=a.params["commitDeadline"] + 60,
        revealDeadline=a.params["revealDeadline"] + 60,
    )
    a.open_audit()
    b.open_audit()
    a.commit(original)
    a.after("commit")
    a.open_panel(arena.outsider)
    a.reveal(original)  # the digest is public from here
    model = a.models[original.address][0]
    commitment = model_commitment(
        chain.chain_id, market.address, b.task_id, copier.address, model, salt("copy")
    )
    market.commitModel(
        b.task_id, commitment, value=CS, sender=copier
    )  # b is still open for commits
    b.commit(rival)
    b.after("commit")
    b.open_panel(arena.outsider)
    from tests.utils.lifecycle import reverts

    with reverts(
        market.DuplicateModel, taskId=b.task_id, modelDigest=model, revealedInTask=a.task_id
    ):
        market.revealModel(b.task_id, model, salt("copy"), "store://copy", sender=copier)
    b.reveal(rival)
    b.after("reveal")
    b.reveal_test_set()
    b.after("testReveal")
    members = b.panel()
    for m in members:
        b.commit_scores(m, [START, FAIR])
    b.after("scoreCommit")
    for m in members:
        b.reveal_scores(m)
    finalize_all(b, arena.outsider)

    assert owed(b, copier) == 0  # net -CS
    assert owed(b, rival) == CS + (R - F + CS)  # the copier's forfeited stake joins the pool
    assert market.revealedIn(model) == a.task_id
