"""createTask: what a new task stores, escrows and announces, and every parameter it refuses."""

import pytest

from tests.utils.lifecycle import finish_round, only_event, reverts
from tests.utils.market import (
    DEADLINES,
    DEFAULT_REWARD,
    MIN_WINDOW,
    PHASE,
    TestSet,
    as_tuple,
    default_params,
    open_task,
)

CONTRIBUTORS_CAP = 512
PANEL_CAP = 63
SHARDS_CAP = 32
UINT96_MAX = 2**96 - 1
DEADLINE_FIELDS = tuple(f"{name}Deadline" for name in DEADLINES)
ZERO32 = b"\x00" * 32


@pytest.fixture
def now(chain):
    """The timestamp of the block the next transaction lands in, pinned to the second."""
    timestamp = chain.pending_timestamp + 5
    chain.pending_timestamp = timestamp
    return timestamp


@pytest.fixture
def params_at(chain, market, initiator):
    """Task parameters for a task created at `now`, with the initiator's own test set commitment."""

    def make(now, **overrides):
        shards = TestSet.build("create", overrides.get("testShards", 8))
        return default_params(
            now, shards.commitment(chain.chain_id, market.address, initiator.address), **overrides
        )

    return make


def create(market, params, sender, reward=DEFAULT_REWARD, uri="store://spec"):
    return market.createTask(as_tuple(params), uri, value=reward, sender=sender)


# ----------------------------------------------------------------------------- success


def test_create_task__valid_params__stores_every_field(market, initiator, now, params_at):
    params = params_at(now)

    receipt = create(market, params, initiator)

    task = market.getTask(1)
    for name, value in params.items():
        assert getattr(task.params, name) == value, name
    assert task.initiator == initiator.address
    assert task.phase == PHASE["Audit"]
    assert task.reward == DEFAULT_REWARD
    assert (task.committedCount, task.revealedCount) == (0, 0)
    assert (task.auditSeedBlock, task.auditMask, task.auditRevealed, task.testRevealed) == (
        receipt.block_number + 1,
        0,
        False,
        False,
    )
    assert (
        task.panelSeedBlock,
        task.panelRequestBlock,
        task.poolSizeAtRequest,
        task.panelDrawn,
    ) == (0, 0, 0, 0)
    assert task.fusedModelDigest == ZERO32
    assert (task.deposited, task.paidOut, task.burned) == (DEFAULT_REWARD, 0, 0)
    assert tuple(task.settlement) == (0,) * 13 + (False,)
    assert market.getShards(1) == ([ZERO32] * 8, 0)
    assert market.taskSeed(1) == ZERO32


def test_create_task__valid_params__emits_task_created_and_returns_id(
    market, initiator, now, params_at
):
    params = params_at(now)

    tx = create(market, params, initiator, uri="ipfs://spec-cid")

    assert tx.return_value == 1
    assert only_event(tx, market.TaskCreated) == {
        "taskId": 1,
        "initiator": initiator.address,
        "parentTaskId": 0,
        "params": list(as_tuple(params)),
        "reward": DEFAULT_REWARD,
        "specUri": "ipfs://spec-cid",
    }


def test_create_task__two_tasks__ids_count_up_and_rewards_are_escrowed(
    market, initiator, now, params_at
):
    market_before, initiator_before = market.balance, initiator.balance
    assert market.taskCount() == 0

    first = create(market, params_at(now), initiator, reward=3 * 10**17)
    second = create(market, params_at(now + 1), initiator, reward=5)

    assert (first.return_value, second.return_value) == (1, 2)
    assert market.taskCount() == 2
    assert market.balance == market_before + 3 * 10**17 + 5
    assert (
        initiator.balance
        == initiator_before - 3 * 10**17 - 5 - first.total_fees_paid - second.total_fees_paid
    )
    assert (market.getTask(1).reward, market.getTask(2).reward) == (3 * 10**17, 5)


def test_create_task__each_limit_at_its_upper_bound__accepted(market, initiator, now, params_at):
    params = params_at(
        now,
        maxContributors=CONTRIBUTORS_CAP,
        panelSize=PANEL_CAP,
        verifierFeeBps=10_000,
        baselineScore=10_000,
        toleranceBps=10_000,
        testShards=SHARDS_CAP,
        auditShards=SHARDS_CAP - 1,
    )

    create(market, params, initiator)

    stored = market.getTask(1).params
    assert (stored.maxContributors, stored.panelSize, stored.testShards, stored.auditShards) == (
        CONTRIBUTORS_CAP,
        PANEL_CAP,
        SHARDS_CAP,
        SHARDS_CAP - 1,
    )
    assert (stored.verifierFeeBps, stored.baselineScore, stored.toleranceBps) == (
        10_000,
        10_000,
        10_000,
    )
    assert market.getShards(1) == ([ZERO32] * SHARDS_CAP, 0)


def test_create_task__each_limit_at_its_lower_bound__accepted(market, initiator, now, params_at):
    create(
        market,
        params_at(
            now,
            maxContributors=1,
            contributorStake=1,
            panelSize=3,
            testShards=2,
            auditShards=1,
            verifierFeeBps=0,
            baselineScore=0,
            toleranceBps=0,
        ),
        initiator,
        reward=1,
    )

    stored = market.getTask(1).params
    assert (
        stored.maxContributors,
        stored.contributorStake,
        stored.panelSize,
        stored.testShards,
        stored.auditShards,
    ) == (
        1,
        1,
        3,
        2,
        1,
    )


def test_create_task__every_deadline_at_its_earliest__accepted(market, initiator, now, params_at):
    deadlines = {name: now + (i + 1) * MIN_WINDOW for i, name in enumerate(DEADLINE_FIELDS)}

    create(market, params_at(now, **deadlines), initiator)

    stored = market.getTask(1).params
    assert [getattr(stored, name) for name in DEADLINE_FIELDS] == [
        now + k * MIN_WINDOW for k in range(1, 7)
    ]


def test_create_task__largest_reward__accepted(market, accounts, now, params_at):
    whale = accounts[63]
    whale.balance = 2**97

    create(market, params_at(now), whale, reward=UINT96_MAX)

    task = market.getTask(1)
    assert (task.reward, task.deposited) == (UINT96_MAX, UINT96_MAX)


# --------------------------------------------------------------------------- refusals


def test_create_task__zero_reward__reverts(market, initiator, now, params_at):
    with reverts(market.ZeroReward):
        create(market, params_at(now), initiator, reward=0)


def test_create_task__reward_above_uint96__reverts(market, accounts, now, params_at):
    whale = accounts[63]
    whale.balance = 2**97

    with reverts(market.RewardTooLarge, reward=UINT96_MAX + 1, maximum=UINT96_MAX):
        create(market, params_at(now), whale, reward=UINT96_MAX + 1)


@pytest.mark.parametrize("field", ["specDigest", "testSetCommitment"])
def test_create_task__zero_digest__reverts(market, initiator, now, params_at, field):
    with reverts(market.ZeroDigest):
        create(market, params_at(now, **{field: ZERO32}), initiator)


def test_create_task__zero_contributor_stake__reverts(market, initiator, now, params_at):
    with reverts(market.ZeroStake):
        create(market, params_at(now, contributorStake=0), initiator)


@pytest.mark.parametrize("value", [0, CONTRIBUTORS_CAP + 1], ids=["zero", "cap_plus_one"])
def test_create_task__bad_max_contributors__reverts(market, initiator, now, params_at, value):
    with reverts(market.InvalidMaxContributors, maxContributors=value, cap=CONTRIBUTORS_CAP):
        create(market, params_at(now, maxContributors=value), initiator)


@pytest.mark.parametrize("value", [0, 1, 2, 4, 62, 65], ids=lambda v: f"size_{v}")
def test_create_task__bad_panel_size__reverts(market, initiator, now, params_at, value):
    with reverts(market.InvalidPanelSize, panelSize=value, cap=PANEL_CAP):
        create(market, params_at(now, panelSize=value), initiator)


@pytest.mark.parametrize(
    "shards, audit",
    [(0, 1), (1, 1), (33, 1), (8, 0), (8, 8), (8, 9)],
    ids=[
        "no_shard",
        "one_shard",
        "above_cap",
        "no_audit",
        "all_audited",
        "more_audited_than_shards",
    ],
)
def test_create_task__bad_shards__reverts(market, initiator, now, params_at, shards, audit):
    with reverts(market.InvalidShards, testShards=shards, auditShards=audit):
        create(market, params_at(now, testShards=shards, auditShards=audit), initiator)


@pytest.mark.parametrize("field", ["verifierFeeBps", "baselineScore", "toleranceBps"])
def test_create_task__bps_above_10000__reverts(market, initiator, now, params_at, field):
    with reverts(market.InvalidBps, value=10_001):
        create(market, params_at(now, **{field: 10_001}), initiator)


@pytest.mark.parametrize("index", range(6), ids=DEADLINE_FIELDS)
def test_create_task__deadline_one_second_before_earliest__reverts(
    market, initiator, now, params_at, index
):
    params = params_at(now)
    earliest = (now if index == 0 else params[DEADLINE_FIELDS[index - 1]]) + MIN_WINDOW
    params[DEADLINE_FIELDS[index]] = earliest - 1

    with reverts(market.DeadlineTooEarly, index=index, deadline=earliest - 1, earliest=earliest):
        create(market, params, initiator)


# ------------------------------------------------------------------------------ lineage


def test_create_task__parent_with_published_fused_model__accepted(
    market, chain, initiator, contributors, outsider, params_at, by_address
):
    parent = finish_round(
        open_task(market, chain, initiator, by_address, label="parent"), contributors[0], outsider
    )

    tx = create(market, params_at(chain.pending_timestamp, parentTaskId=parent.task_id), initiator)

    assert market.getTask(2).params.parentTaskId == parent.task_id
    event = only_event(tx, market.TaskCreated)
    assert (event["taskId"], event["parentTaskId"]) == (2, parent.task_id)


def test_create_task__parent_does_not_exist__reverts(market, initiator, now, params_at):
    with reverts(market.InvalidParent, parentTaskId=7):
        create(market, params_at(now, parentTaskId=7), initiator)


def test_create_task__parent_of_another_initiator__reverts(
    market, chain, initiator, contributors, outsider, params_at, by_address
):
    parent = finish_round(
        open_task(market, chain, outsider, by_address, label="parent"), contributors[0], initiator
    )

    with reverts(market.InvalidParent, parentTaskId=parent.task_id):
        create(market, params_at(chain.pending_timestamp, parentTaskId=parent.task_id), initiator)


@pytest.mark.parametrize("finished", [False, True], ids=["parent_in_audit", "parent_finalized"])
def test_create_task__parent_without_fused_model__reverts(
    market, chain, initiator, contributors, outsider, params_at, by_address, finished
):
    parent = open_task(market, chain, initiator, by_address, label="parent")
    if finished:
        finish_round(parent, contributors[0], outsider, publish=False)
        assert market.phaseOf(parent.task_id) == PHASE["Finalized"]

    with reverts(market.InvalidParent, parentTaskId=parent.task_id):
        create(market, params_at(chain.pending_timestamp, parentTaskId=parent.task_id), initiator)
