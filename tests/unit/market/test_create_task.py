"""createTask: what a new task stores, escrows and announces, and every parameter it refuses.
Also the market's one deployment parameter, the minimum window."""

import pytest

from tests.utils.lifecycle import finish_round, only_event, reverts, same_contract
from tests.utils.market import (
    DEFAULT_REWARD,
    MIN_WINDOW,
    PHASE,
    as_tuple,
    commitment_to_test_set,
    default_params,
    digest,
    open_task,
    salt,
)

CONTRIBUTORS_CAP = 512
VERIFIERS_CAP = 64
UINT96_MAX = 2**96 - 1
DEADLINES = (
    "commitDeadline",
    "revealDeadline",
    "testRevealDeadline",
    "scoreCommitDeadline",
    "scoreRevealDeadline",
)


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
        commitment = commitment_to_test_set(
            chain.chain_id, market.address, initiator.address, digest("test-set"), salt("test-set")
        )
        return default_params(now, commitment, **overrides)

    return make


def create(market, params, sender, reward=DEFAULT_REWARD, uri="store://spec"):
    return market.createTask(as_tuple(params), uri, value=reward, sender=sender)


# ----------------------------------------------------------------------------- success


def test_create_task__valid_params__stores_every_field(market, initiator, now, params_at):
    params = params_at(now)

    create(market, params, initiator)

    task = market.getTask(1)
    for name, value in params.items():
        assert getattr(task.params, name) == value, name
    assert task.initiator == initiator.address
    assert task.phase == PHASE["Commit"]
    assert task.reward == DEFAULT_REWARD
    assert (task.committedCount, task.revealedCount, task.verifierCount) == (0, 0, 0)
    assert task.testDigest == b"\x00" * 32
    assert task.fusedModelDigest == b"\x00" * 32
    assert task.deposited == DEFAULT_REWARD
    assert task.paidOut == 0
    assert tuple(task.settlement) == (0, 0, 0, 0, 0, 0, 0)


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
    market, initiator, outsider, now, params_at
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


def test_create_task__each_limit_at_its_bound__accepted(market, initiator, now, params_at):
    params = params_at(
        now,
        maxContributors=CONTRIBUTORS_CAP,
        maxVerifiers=VERIFIERS_CAP,
        verifierFeeBps=10_000,
        baselineScore=10_000,
        toleranceBps=10_000,
    )

    create(market, params, initiator)

    stored = market.getTask(1).params
    assert (stored.maxContributors, stored.maxVerifiers) == (CONTRIBUTORS_CAP, VERIFIERS_CAP)
    assert (stored.verifierFeeBps, stored.baselineScore, stored.toleranceBps) == (
        10_000,
        10_000,
        10_000,
    )


def test_create_task__limits_of_one__accepted(market, initiator, now, params_at):
    create(
        market,
        params_at(now, maxContributors=1, maxVerifiers=1, contributorStake=1, verifierStake=1),
        initiator,
    )

    stored = market.getTask(1).params
    assert (
        stored.maxContributors,
        stored.maxVerifiers,
        stored.contributorStake,
        stored.verifierStake,
    ) == (1, 1, 1, 1)


def test_create_task__every_deadline_at_its_earliest__accepted(market, initiator, now, params_at):
    deadlines = {name: now + (i + 1) * MIN_WINDOW for i, name in enumerate(DEADLINES)}

    create(market, params_at(now, **deadlines), initiator)

    stored = market.getTask(1).params
    assert [getattr(stored, name) for name in DEADLINES] == [
        now + k * MIN_WINDOW for k in range(1, 6)
    ]


def test_create_task__largest_reward__accepted(market, accounts, now, params_at):
    whale = accounts[29]
    whale.balance = 2**97

    create(market, params_at(now), whale, reward=UINT96_MAX)

    task = market.getTask(1)
    assert (task.reward, task.deposited) == (UINT96_MAX, UINT96_MAX)


# --------------------------------------------------------------------------- refusals


def test_create_task__zero_reward__reverts(market, initiator, now, params_at):
    with reverts(market.ZeroReward):
        create(market, params_at(now), initiator, reward=0)


def test_create_task__reward_above_uint96__reverts(market, accounts, now, params_at):
    whale = accounts[29]
    whale.balance = 2**97

    with reverts(market.RewardTooLarge, reward=UINT96_MAX + 1, maximum=UINT96_MAX):
        create(market, params_at(now), whale, reward=UINT96_MAX + 1)


@pytest.mark.parametrize("field", ["specDigest", "testSetCommitment"])
def test_create_task__zero_digest__reverts(market, initiator, now, params_at, field):
    with reverts(market.ZeroDigest):
        create(market, params_at(now, **{field: b"\x00" * 32}), initiator)


@pytest.mark.parametrize("field", ["contributorStake", "verifierStake"])
def test_create_task__zero_stake__reverts(market, initiator, now, params_at, field):
    with reverts(market.ZeroStake):
        create(market, params_at(now, **{field: 0}), initiator)


@pytest.mark.parametrize("value", [0, CONTRIBUTORS_CAP + 1], ids=["zero", "cap_plus_one"])
def test_create_task__bad_max_contributors__reverts(market, initiator, now, params_at, value):
    with reverts(market.InvalidMaxContributors, maxContributors=value, cap=CONTRIBUTORS_CAP):
        create(market, params_at(now, maxContributors=value), initiator)


@pytest.mark.parametrize("value", [0, VERIFIERS_CAP + 1], ids=["zero", "cap_plus_one"])
def test_create_task__bad_max_verifiers__reverts(market, initiator, now, params_at, value):
    with reverts(market.InvalidMaxVerifiers, maxVerifiers=value, cap=VERIFIERS_CAP):
        create(market, params_at(now, maxVerifiers=value), initiator)


@pytest.mark.parametrize("field", ["verifierFeeBps", "baselineScore", "toleranceBps"])
def test_create_task__bps_above_10000__reverts(market, initiator, now, params_at, field):
    with reverts(market.InvalidBps, value=10_001):
        create(market, params_at(now, **{field: 10_001}), initiator)


@pytest.mark.parametrize("index", range(5), ids=DEADLINES)
def test_create_task__deadline_one_second_before_earliest__reverts(
    market, initiator, now, params_at, index
):
    params = params_at(now)
    earliest = (now if index == 0 else params[DEADLINES[index - 1]]) + MIN_WINDOW
    params[DEADLINES[index]] = earliest - 1

    with reverts(market.DeadlineTooEarly, index=index, deadline=earliest - 1, earliest=earliest):
        create(market, params, initiator)


# ------------------------------------------------------------------------------ lineage


def test_create_task__parent_with_published_fused_model__accepted(
    market, chain, initiator, contributors, outsider, params_at
):
    parent = finish_round(
        open_task(market, chain, initiator, label="parent"), contributors[0], outsider
    )

    tx = create(market, params_at(chain.pending_timestamp, parentTaskId=parent.task_id), initiator)

    assert market.getTask(2).params.parentTaskId == parent.task_id
    event = only_event(tx, market.TaskCreated)
    assert (event["taskId"], event["parentTaskId"]) == (2, parent.task_id)


def test_create_task__parent_does_not_exist__reverts(market, initiator, now, params_at):
    with reverts(market.InvalidParent, parentTaskId=7):
        create(market, params_at(now, parentTaskId=7), initiator)


def test_create_task__parent_of_another_initiator__reverts(
    market, chain, initiator, contributors, outsider, params_at
):
    parent = finish_round(
        open_task(market, chain, outsider, label="parent"), contributors[0], outsider
    )

    with reverts(market.InvalidParent, parentTaskId=parent.task_id):
        create(market, params_at(chain.pending_timestamp, parentTaskId=parent.task_id), initiator)


@pytest.mark.parametrize("finished", [False, True], ids=["parent_in_commit", "parent_finalized"])
def test_create_task__parent_without_fused_model__reverts(
    market, chain, initiator, contributors, outsider, params_at, finished
):
    parent = open_task(market, chain, initiator, label="parent")
    if finished:
        finish_round(parent, contributors[0], outsider, publish=False)
        assert market.phaseOf(parent.task_id) == PHASE["Finalized"]

    with reverts(market.InvalidParent, parentTaskId=parent.task_id):
        create(market, params_at(chain.pending_timestamp, parentTaskId=parent.task_id), initiator)


# --------------------------------------------------------------------------- deployment


def test_deploy__min_window__is_exposed(deployer, market):
    assert market.minWindow() == MIN_WINDOW
    assert deployer.deploy(same_contract(market), 3_600).minWindow() == 3_600


def test_deploy__zero_min_window__reverts(deployer, market):
    container = same_contract(market)

    with reverts(container.ZeroMinWindow):
        deployer.deploy(container, 0)
