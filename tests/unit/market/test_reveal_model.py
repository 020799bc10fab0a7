"""revealModel: once the panel is drawn, a contributor opens its own commitment in the Reveal
window, once, and the model becomes a submission in reveal order. A digest revealed in any task
of the market is refused everywhere. Also the paginated view of the submissions."""

import pytest

from tests.utils.lifecycle import only_event, reverts
from tests.utils.market import PHASE, ROLE, digest, model_commitment, open_task, salt

ZERO = b"\x00" * 32


@pytest.fixture
def revealing(create_task, contributors, outsider):
    """A task with two commitments (contributors 0 and 1), its panel drawn, in Reveal."""
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    task.commit(contributors[1])
    task.after("commit")
    task.open_panel(outsider)
    return task


def _commit_digest(market, chain, task, contributor, model, secret):
    commitment = model_commitment(
        chain.chain_id, market.address, task.task_id, contributor.address, model, secret
    )
    market.commitModel(
        task.task_id, commitment, value=task.params["contributorStake"], sender=contributor
    )


def test_reveal_model__opens_commitment__records_submission(market, revealing, contributors):
    task = revealing
    alice, bob = contributors[:2]

    first = task.reveal(bob, uri="ipfs://bob-model")
    second = task.reveal(alice, uri="https://example.org/alice.safetensors")

    bob_model, alice_model = task.models[bob.address][0], task.models[alice.address][0]
    assert only_event(first, market.ModelRevealed) == {
        "taskId": task.task_id,
        "contributor": bob.address,
        "submissionIndex": 0,
        "modelDigest": bob_model,
        "uri": "ipfs://bob-model",
    }
    assert only_event(second, market.ModelRevealed) == {
        "taskId": task.task_id,
        "contributor": alice.address,
        "submissionIndex": 1,
        "modelDigest": alice_model,
        "uri": "https://example.org/alice.safetensors",
    }
    submissions = [tuple(s) for s in market.getSubmissions(task.task_id, 0, 10)]
    assert submissions == [(bob.address, bob_model, 0, 0), (alice.address, alice_model, 0, 0)]
    assert market.getTask(task.task_id).revealedCount == 2
    assert (
        market.roleOf(task.task_id, alice)
        == market.roleOf(task.task_id, bob)
        == ROLE["Contributor"]
    )
    assert (
        market.revealedIn(bob_model),
        market.revealedIn(alice_model),
        market.revealedIn(digest("x")),
    ) == (
        task.task_id,
        task.task_id,
        0,
    )


def test_reveal_model__at_reveal_deadline__accepted(market, revealing, contributors):
    revealing.at_deadline("reveal")
    revealing.reveal(contributors[0])
    assert market.getTask(revealing.task_id).revealedCount == 1


def test_reveal_model__before_the_panel_is_drawn__reverts(
    market, create_task, contributors, outsider
):
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    task.after("commit")
    task.request_panel(outsider)
    with reverts(market.PanelNotDrawn, taskId=task.task_id):
        task.reveal(contributors[0])


def test_reveal_model__in_commit__reverts(market, create_task, contributors):
    task = create_task()
    task.open_audit()
    task.commit(contributors[0])
    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE["Commit"], required=PHASE["Reveal"]
    ):
        task.reveal(contributors[0])


@pytest.mark.parametrize("others_revealed, current", [(False, "Finalizing"), (True, "TestReveal")])
def test_reveal_model__after_reveal_deadline__reverts(
    market, revealing, contributors, others_revealed, current
):
    if others_revealed:
        revealing.reveal(contributors[1])
    revealing.after("reveal")
    with reverts(
        market.WrongPhase,
        taskId=revealing.task_id,
        current=PHASE[current],
        required=PHASE["Reveal"],
    ):
        revealing.reveal(contributors[0])


@pytest.mark.parametrize("opening", ["wrong_digest", "wrong_salt", "other_contributors_opening"])
def test_reveal_model__does_not_open_commitment__reverts(market, revealing, contributors, opening):
    alice, bob = contributors[:2]
    model, secret = revealing.models[alice.address]
    if opening == "wrong_digest":
        model = digest("another model")
    elif opening == "wrong_salt":
        secret = salt("another salt")
    else:
        model, secret = revealing.models[bob.address]
    with reverts(market.CommitmentMismatch, taskId=revealing.task_id, account=alice):
        market.revealModel(revealing.task_id, model, secret, "store://x", sender=alice)


def test_reveal_model__twice__reverts(market, revealing, contributors):
    revealing.reveal(contributors[0])
    with reverts(market.AlreadyRevealed, taskId=revealing.task_id, account=contributors[0]):
        revealing.reveal(contributors[0])


@pytest.mark.parametrize("who", ["outsider", "panel_member", "initiator"])
def test_reveal_model__not_a_contributor__reverts(market, revealing, outsider, initiator, who):
    caller = {"outsider": outsider, "panel_member": revealing.panel()[0], "initiator": initiator}[
        who
    ]
    with reverts(market.NotContributor, taskId=revealing.task_id, account=caller):
        market.revealModel(revealing.task_id, digest("m"), salt("m"), "store://m", sender=caller)


def test_reveal_model__digest_already_revealed_in_the_task__reverts(
    market, chain, create_task, contributors, outsider
):
    task = create_task()
    task.open_audit()
    alice, bob = contributors[:2]
    model = digest("shared model")
    for contributor in (alice, bob):
        _commit_digest(market, chain, task, contributor, model, salt(contributor.address))
    task.after("commit")
    task.open_panel(outsider)
    market.revealModel(task.task_id, model, salt(alice.address), "store://a", sender=alice)

    with reverts(
        market.DuplicateModel, taskId=task.task_id, modelDigest=model, revealedInTask=task.task_id
    ):
        market.revealModel(task.task_id, model, salt(bob.address), "store://b", sender=bob)


def test_reveal_model__digest_revealed_in_another_task__refused_and_the_original_keeps_it(
    market, chain, create_task, contributors, outsider
):
    """The cross-task copy: a digest revealed in task A, committed to by a copier in task B
    (still open for commits), can never be revealed in B."""
    original, copier = contributors[:2]
    a = create_task(label="a")
    b = create_task(
        label="b",
        commitDeadline=a.params["commitDeadline"] + 60,
        revealDeadline=a.params["revealDeadline"] + 60,
    )
    a.open_audit()
    b.open_audit()
    model = digest("the original's model")
    _commit_digest(market, chain, a, original, model, salt("o"))
    a.after("commit")
    a.open_panel(outsider)
    market.revealModel(a.task_id, model, salt("o"), "store://o", sender=original)
    _commit_digest(market, chain, b, copier, model, salt("c"))  # b is still in Commit
    b.after("commit")
    b.open_panel(outsider)

    with reverts(
        market.DuplicateModel, taskId=b.task_id, modelDigest=model, revealedInTask=a.task_id
    ):
        market.revealModel(b.task_id, model, salt("c"), "store://c", sender=copier)
    assert market.revealedIn(model) == a.task_id
    assert market.getSubmissions(a.task_id, 0, 1)[0].contributor == original.address


def test_reveal_model__committed_to_zero_digest__reverts(
    market, chain, create_task, contributors, outsider
):
    task = create_task()
    task.open_audit()
    _commit_digest(market, chain, task, contributors[0], ZERO, salt("s"))
    task.after("commit")
    task.open_panel(outsider)
    with reverts(market.ZeroDigest):
        market.revealModel(task.task_id, ZERO, salt("s"), "store://zero", sender=contributors[0])


@pytest.mark.parametrize("task_id", [0, 9])
def test_reveal_model__no_such_task__reverts(market, contributors, task_id):
    with reverts(market.TaskNotFound, taskId=task_id):
        market.revealModel(task_id, digest("m"), salt("m"), "", sender=contributors[0])


# ------------------------------------------------------------------ getSubmissions


@pytest.fixture(scope="module")
def three_revealed(market, chain, accounts, verifiers, by_address):
    """A task whose three contributors revealed, in the order accounts[40], [41], [42]."""
    task = open_task(market, chain, accounts[39], by_address, label="pages")
    task.open_audit()
    trio = accounts[40:43]
    for contributor in trio:
        task.commit(contributor)
    task.after("commit")
    task.open_panel(accounts[39])
    for contributor in trio:
        task.reveal(contributor)
    return task, [c.address for c in trio]


@pytest.mark.parametrize(
    "start, count, indices",
    [
        (0, 3, [0, 1, 2]),
        (0, 100, [0, 1, 2]),
        (1, 1, [1]),
        (1, 100, [1, 2]),
        (2, 0, []),
        (3, 1, []),
        (5, 2, []),
        (1, 2**256 - 1, [1, 2]),
    ],
    ids=[
        "all",
        "count_clipped",
        "middle",
        "tail_clipped",
        "count_zero",
        "start_at_end",
        "start_beyond_end",
        "huge_count",
    ],
)
def test_get_submissions__page__clipped_to_revealed(market, three_revealed, start, count, indices):
    task, addresses = three_revealed

    page = market.getSubmissions(task.task_id, start, count)

    assert [s.contributor for s in page] == [addresses[i] for i in indices]
    assert [s.modelDigest for s in page] == [task.models[addresses[i]][0] for i in indices]


def test_get_submissions__no_such_task__reverts(market):
    with reverts(market.TaskNotFound, taskId=77):
        market.getSubmissions(77, 0, 1)
