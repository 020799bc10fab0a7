"""revealModel: a contributor opens its own commitment in the Reveal window, once, and the
model becomes a submission in reveal order. Also the paginated view of the submissions."""

import pytest

from tests.utils.lifecycle import only_event, reverts
from tests.utils.market import PHASE, ROLE, digest, model_commitment, open_task, salt

ZERO = b"\x00" * 32


def test_reveal_model__opens_commitment__records_submission(market, create_task, contributors):
    task = create_task()
    alice, bob = contributors[:2]
    task.commit(alice)
    task.commit(bob)
    task.after("commit")

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


@pytest.mark.parametrize("offset", [1, None], ids=["first_second", "at_reveal_deadline"])
def test_reveal_model__edges_of_reveal_window__accepted(market, create_task, contributors, offset):
    task = create_task()
    task.commit(contributors[0])
    if offset is None:
        task.at_deadline("reveal")
    else:
        task.at_deadline("commit", offset)

    task.reveal(contributors[0])

    assert market.getTask(task.task_id).revealedCount == 1


def test_reveal_model__at_commit_deadline__reverts(market, create_task, contributors):
    task = create_task()
    task.commit(contributors[0])
    task.at_deadline("commit")

    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE["Commit"], required=PHASE["Reveal"]
    ):
        task.reveal(contributors[0])


@pytest.mark.parametrize("others_revealed, current", [(False, "Unfulfilled"), (True, "TestReveal")])
def test_reveal_model__after_reveal_deadline__reverts(
    market, create_task, contributors, others_revealed, current
):
    task = create_task()
    alice, bob = contributors[:2]
    task.commit(alice)
    task.commit(bob)
    if others_revealed:
        task.after("commit")
        task.reveal(bob)
    task.after("reveal")

    with reverts(
        market.WrongPhase, taskId=task.task_id, current=PHASE[current], required=PHASE["Reveal"]
    ):
        task.reveal(alice)


@pytest.mark.parametrize("opening", ["wrong_digest", "wrong_salt", "other_contributors_opening"])
def test_reveal_model__does_not_open_commitment__reverts(
    market, create_task, contributors, opening
):
    task = create_task()
    alice, bob = contributors[:2]
    task.commit(alice)
    task.commit(bob)
    task.after("commit")
    model, secret = task.models[alice.address]
    if opening == "wrong_digest":
        model = digest("another model")
    elif opening == "wrong_salt":
        secret = salt("another salt")

    caller = bob if opening == "other_contributors_opening" else alice
    with reverts(market.CommitmentMismatch, taskId=task.task_id, account=caller):
        market.revealModel(task.task_id, model, secret, "store://x", sender=caller)


def test_reveal_model__twice__reverts(market, create_task, contributors):
    task = create_task()
    task.commit(contributors[0])
    task.after("commit")
    task.reveal(contributors[0])

    with reverts(market.AlreadyRevealed, taskId=task.task_id, account=contributors[0]):
        task.reveal(contributors[0])


@pytest.mark.parametrize("who", ["outsider", "verifier", "initiator"])
def test_reveal_model__not_a_contributor__reverts(
    market, create_task, contributors, verifiers, outsider, initiator, who
):
    task = create_task()
    task.commit(contributors[0])
    task.join(verifiers[0])
    task.after("commit")
    caller = {"outsider": outsider, "verifier": verifiers[0], "initiator": initiator}[who]
    model, secret = task.models[contributors[0].address]

    with reverts(market.NotContributor, taskId=task.task_id, account=caller):
        market.revealModel(task.task_id, model, secret, "store://x", sender=caller)


def test_reveal_model__digest_already_revealed__reverts(market, chain, create_task, contributors):
    task = create_task()
    alice, bob = contributors[:2]
    model = digest("the same model")
    for contributor in (alice, bob):
        commitment = model_commitment(
            chain.chain_id,
            market.address,
            task.task_id,
            contributor.address,
            model,
            salt(contributor.address),
        )
        market.commitModel(
            task.task_id, commitment, value=task.params["contributorStake"], sender=contributor
        )
    task.after("commit")
    market.revealModel(task.task_id, model, salt(alice.address), "store://a", sender=alice)

    with reverts(market.DuplicateModel, taskId=task.task_id, modelDigest=model):
        market.revealModel(task.task_id, model, salt(bob.address), "store://b", sender=bob)


def test_reveal_model__committed_to_zero_digest__reverts(market, chain, create_task, contributors):
    task = create_task()
    alice = contributors[0]
    commitment = model_commitment(
        chain.chain_id, market.address, task.task_id, alice.address, ZERO, salt("s")
    )
    market.commitModel(
        task.task_id, commitment, value=task.params["contributorStake"], sender=alice
    )
    task.after("commit")

    with reverts(market.ZeroDigest):
        market.revealModel(task.task_id, ZERO, salt("s"), "store://zero", sender=alice)


# ------------------------------------------------------------------ getSubmissions


@pytest.fixture(scope="module")
def three_revealed(market, chain, accounts):
    """A task whose three contributors revealed, in the order accounts[20], [21], [22]."""
    task = open_task(market, chain, accounts[19], label="pages")
    trio = accounts[20:23]
    for contributor in trio:
        task.commit(contributor)
    task.after("commit")
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
