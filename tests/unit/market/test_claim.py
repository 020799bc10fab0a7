"""Claims: pull payments of what the settlement fixed, once, to the caller or to a recipient."""

import pytest

from tests.utils.lifecycle import reverts
from tests.utils.market import PHASE, open_task
from tests.utils.settlement import Round, claim_measured, copy_of, finalize_all, play

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@pytest.fixture(scope="module")
def scored(market, chain, initiator, contributors, outsider, by_address):
    """A task with every score revealed: contributors[0..2] revealed (medians 8000, 6000, 4000
    over a start of 2000), contributors[3] never did; the panel is the whole pool, and its last
    member (in draw order) is dishonest."""
    task = open_task(market, chain, initiator, by_address, label="claim", panelSize=5)
    honest = [2_000, 8_000, 6_000, 4_000]
    play(
        Round(
            task,
            contributors[:4],
            [honest] * 4 + [[2_000, 2_000, 6_000, 4_000]],
            hidden=[contributors[3]],
        )
    )
    return task


@pytest.fixture
def settled(scored, outsider):
    task = copy_of(scored)
    finalize_all(task, outsider)
    return task


@pytest.fixture
def roles(scored, contributors, initiator, outsider):
    panel = scored.panel()
    return {
        "contributor": contributors[0],
        "verifier": panel[0],
        "initiator": initiator,
        "outsider": outsider,
        "unrevealed_contributor": contributors[3],
        "dishonest_verifier": panel[4],
    }


@pytest.mark.parametrize("role", ["contributor", "verifier", "initiator"])
def test_claim__entitled_role__pays_exactly_what_is_owed(settled, roles, role):
    market, task_id, account = settled.market, settled.task_id, roles[role]
    owed = market.owed(task_id, account)
    paid_before = market.getTask(task_id).paidOut
    assert owed > 0

    receipt, received = claim_measured(market, task_id, account)

    assert received == owed
    assert receipt.return_value == owed
    logs = list(receipt.decode_logs(market.Claimed))
    assert [(log.taskId, log.account, log.recipient, log.amount) for log in logs] == [
        (task_id, account.address, account.address, owed)
    ]
    assert market.hasClaimed(task_id, account)
    assert market.owed(task_id, account) == 0
    assert market.getTask(task_id).paidOut == paid_before + owed


def test_claim__second_claim__reverts(settled, roles):
    market, task_id, account = settled.market, settled.task_id, roles["contributor"]
    market.claim(task_id, sender=account)
    with reverts(market.AlreadyClaimed, taskId=task_id, account=account):
        market.claim(task_id, sender=account)


@pytest.mark.parametrize("role", ["outsider", "unrevealed_contributor", "dishonest_verifier"])
def test_claim__owed_nothing__reverts(settled, roles, role):
    market, task_id, account = settled.market, settled.task_id, roles[role]
    assert market.owed(task_id, account) == 0
    with reverts(market.NothingToClaim, taskId=task_id, account=account):
        market.claim(task_id, sender=account)
    assert not market.hasClaimed(task_id, account)


@pytest.mark.parametrize(
    "moment, phase",
    [
        pytest.param("at_deadline", "ScoreReveal", id="during_score_reveal"),
        pytest.param("after", "Finalizing", id="during_finalizing"),
    ],
)
@pytest.mark.parametrize("role", ["contributor", "verifier", "initiator", "outsider"])
def test_claim__before_settlement__reverts(scored, roles, moment, phase, role):
    task, account = copy_of(scored), roles[role]
    getattr(task, moment)("scoreReveal")
    with reverts(
        task.market.WrongPhase,
        taskId=task.task_id,
        current=PHASE[phase],
        required=PHASE["Finalized"],
    ):
        task.market.claim(task.task_id, sender=account)
    assert task.market.owed(task.task_id, account) == 0


@pytest.mark.parametrize("phase", ["Audit", "Commit"])
def test_claim__in_an_open_task__reverts(create_task, initiator, phase):
    task = create_task()
    if phase == "Commit":
        task.open_audit()
    with reverts(
        task.market.WrongPhase,
        taskId=task.task_id,
        current=PHASE[phase],
        required=PHASE["Finalized"],
    ):
        task.market.claim(task.task_id, sender=initiator)


def test_claim__no_such_task__reverts(market, initiator):
    with reverts(market.TaskNotFound, taskId=3):
        market.claim(3, sender=initiator)
    with reverts(market.TaskNotFound, taskId=3):
        market.owed(3, initiator)


def test_claim_to__recipient__receives_exactly_what_is_owed(settled, roles, accounts):
    market, task_id, account, recipient = (
        settled.market,
        settled.task_id,
        roles["verifier"],
        accounts[50],
    )
    owed = market.owed(task_id, account)
    account_before = account.balance

    receipt, received = claim_measured(market, task_id, account, recipient=recipient)

    assert received == owed
    assert account.balance == account_before - receipt.total_fees_paid  # only gas
    logs = list(receipt.decode_logs(market.Claimed))
    assert [(log.taskId, log.account, log.recipient, log.amount) for log in logs] == [
        (task_id, account.address, recipient.address, owed)
    ]
    assert market.hasClaimed(task_id, account)
    assert market.owed(task_id, account) == 0


def test_claim_to__zero_recipient__reverts(settled, roles):
    market, task_id, account = settled.market, settled.task_id, roles["contributor"]
    with reverts(market.ZeroRecipient):
        market.claimTo(task_id, ZERO_ADDRESS, sender=account)
    assert not market.hasClaimed(task_id, account)
