"""Claims: pull payments of what finalize fixed, once, to the caller or to a recipient."""

import ape
import pytest

from tests.utils.market import PHASE, open_task
from tests.utils.settlement import (  # noqa: F401
    Round,
    claim_measured,
    copy_of,
    finalize_all,
    play,
)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@pytest.fixture(scope="module")
def scored(market, chain, initiator, contributors, verifiers, outsider, accounts):
    """A task in its ScoreReveal window with every score revealed: contributors[0..2] revealed
    (medians 8000, 6000, 4000), contributors[3] never did; verifiers[2] is dishonest."""
    task = open_task(market, chain, initiator, label="claim")
    v0, v1, v2 = verifiers[:3]
    scores = {v0: [8_000, 6_000, 4_000], v1: [8_000, 6_000, 4_000], v2: [2_000, 6_000, 4_000]}
    play(Round(task, contributors[:4], verifiers[:3], scores, hidden=[contributors[3]]))
    return task


@pytest.fixture
def settled(scored, outsider):
    task = copy_of(scored)
    finalize_all(task, outsider)
    return task


@pytest.fixture
def roles(contributors, verifiers, initiator, outsider):
    return {
        "contributor": contributors[0],
        "verifier": verifiers[0],
        "initiator": initiator,
        "outsider": outsider,
        "unrevealed_contributor": contributors[3],
        "dishonest_verifier": verifiers[2],
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

    with ape.reverts(market.AlreadyClaimed, taskId=task_id, account=account.address):
        market.claim(task_id, sender=account)


@pytest.mark.parametrize("role", ["outsider", "unrevealed_contributor", "dishonest_verifier"])
def test_claim__owed_nothing__reverts(settled, roles, role):
    market, task_id, account = settled.market, settled.task_id, roles[role]
    assert market.owed(task_id, account) == 0

    with ape.reverts(market.NothingToClaim, taskId=task_id, account=account.address):
        market.claim(task_id, sender=account)
    assert not market.hasClaimed(task_id, account)


@pytest.mark.parametrize(
    "moment, phase",
    [
        pytest.param("at_deadline", "ScoreReveal", id="during_score_reveal"),
        pytest.param("after", "Finalizing", id="during_finalizing"),
    ],
)
@pytest.mark.parametrize("role", ["contributor", "verifier", "initiator"])
def test_claim__before_settlement__reverts(scored, roles, moment, phase, role):
    task, account = copy_of(scored), roles[role]
    getattr(task, moment)("scoreReveal")

    with ape.reverts(
        task.market.WrongPhase,
        taskId=task.task_id,
        current=PHASE[phase],
        required=PHASE["Finalized"],
    ):
        task.market.claim(task.task_id, sender=account)


def test_claim_to__recipient__receives_exactly_what_is_owed(settled, roles, accounts):
    market, task_id, account, recipient = (
        settled.market,
        settled.task_id,
        roles["verifier"],
        accounts[20],
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

    with ape.reverts(market.ZeroRecipient):
        market.claimTo(task_id, ZERO_ADDRESS, sender=account)
    assert not market.hasClaimed(task_id, account)
