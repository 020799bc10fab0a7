"""The role layer (learning_market.roles) on the local chain, as the scripts drive it: a whole task with
real (tiny) training, each role with its own keyring and one shared content store; and every pre-flight
refusal says why in a sentence and sends no transaction."""

from __future__ import annotations

import dataclasses
from typing import Any

import click
import numpy as np
import pytest

from content import LocalStore
from learning_market.checks import PreflightRefusal, Reason, eth
from learning_market.commitments import model_commitment
from learning_market.keyring import Keyring, KeyringError, ModelSecret
from learning_market.market import MarketClient
from learning_market.nodes import ApeNode
from learning_market.options import explained
from learning_market.phases import BPS, Phase
from learning_market.roles.anyone import Participant
from learning_market.roles.contributor import Contributor
from learning_market.roles.initiator import CreatedTask, Initiator
from learning_market.roles.verifier import Verifier
from learning_market.terms import TaskTerms
from learning_market.timeline import utc, when
from ml import (
    TaskSpec,
    TrainConfig,
    accuracy_bps,
    build_model,
    decode_dataset,
    decode_model,
    encode_model,
    load_digits,
    set_seed,
    shard_dataset,
    split_dataset,
)

ARCHITECTURE = {"name": "mlp", "input_shape": [1, 8, 8], "num_classes": 10, "hidden_sizes": [16]}
SPEC = TaskSpec(
    input_shape=(1, 8, 8), num_classes=10, architecture=ARCHITECTURE, training=TrainConfig(epochs=2, seed=0)
)
TERMS = TaskTerms(
    reward=10**18,
    contributor_stake=10**16,
    verifier_stake=2 * 10**16,
    max_contributors=4,
    max_verifiers=3,
    verifier_fee_bps=1_000,
    baseline_score=1_000,
    tolerance_bps=300,
    window=120,
)


# ------------------------------------------------------------------ fixtures


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Any]:
    """Two contributors' private .npz shards, the initiator's test set and validation set."""
    folder = tmp_path_factory.mktemp("data")
    train, validation, test = split_dataset(load_digits(), val_fraction=0.1, test_fraction=0.2, seed=0)
    paths = []
    for i, shard in enumerate(shard_dataset(train, 2, "iid", seed=0)):
        paths.append(folder / f"private-{i}.npz")
        np.savez(paths[-1], x=shard.x, y=shard.y)
    return {"shards": paths, "test": test, "validation": validation}


@pytest.fixture
def client(market, chain) -> MarketClient:
    return MarketClient(ApeNode(market, chain))


@pytest.fixture
def store(tmp_path) -> LocalStore:
    """The store everyone fetches from (a stand-in for IPFS)."""
    return LocalStore(tmp_path / "store")


@pytest.fixture
def role(client, store, tmp_path):
    """A role object for an account: each with its own keyring, like a separate machine; the store is
    shared, so its file:// URIs may go on chain."""

    def make(kind: type[Participant], account: Any) -> Any:
        keys = Keyring(tmp_path / "keys" / str(account.address))
        return kind(client, account, store, keys, allow_private_uri=True)

    return make


@pytest.fixture
def task(role, initiator, data) -> CreatedTask:
    return role(Initiator, initiator).create_task(SPEC, data["test"], TERMS, start_margin=0)


def _model_file(seed: int) -> bytes:
    set_seed(seed)
    return encode_model(build_model(ARCHITECTURE), ARCHITECTURE)


def _committed(role, task, contributor, store, seed: int = 1) -> Contributor:
    me = role(Contributor, contributor)
    me.commit(task.task_id, store.put(_model_file(seed)))
    return me


class NoTransaction:
    """Asserts that nothing was sent: no account's nonce moved and no block was mined."""

    def __init__(self, chain: Any, *accounts: Any) -> None:
        self.chain, self.accounts = chain, accounts

    def __enter__(self) -> NoTransaction:
        self.block = self.chain.blocks.head.number
        self.nonces = [a.nonce for a in self.accounts]
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self.chain.blocks.head.number == self.block
        assert [a.nonce for a in self.accounts] == self.nonces


def _refused(chain: Any, account: Any, action, *args: Any, **kwargs: Any) -> PreflightRefusal:
    with NoTransaction(chain, account), pytest.raises(PreflightRefusal) as refusal:
        action(*args, **kwargs)
    return refusal.value


# ------------------------------------------------------------------ a whole task


def test_role_steps__whole_task__pays_by_score_and_publishes_the_fused_model(
    client, store, role, initiator, contributors, verifiers, outsider, data, chain
):
    # Prepare: the initiator creates the task, contributors train on their shards and commit, verifiers join
    boss = role(Initiator, initiator)
    created = boss.create_task(SPEC, data["test"], TERMS, start_margin=0)
    task_id, params = created.task_id, created.params
    assert store.get(params.spec_digest) == SPEC.to_json_bytes()
    alice, bob = role(Contributor, contributors[0]), role(Contributor, contributors[1])
    trained = []
    for i, contributor in enumerate((alice, bob)):
        trained.append(contributor.train(task_id, data["shards"][i], {"seed": i}))
        contributor.commit(task_id)
    judges = [role(Verifier, v) for v in verifiers[:3]]
    for judge in judges:
        judge.join(task_id, stake=TERMS.verifier_stake)

    # Execute: every phase, the clock moved past each deadline
    client.advance_past(params.commit_deadline)
    indices = [c.reveal(task_id) for c in (alice, bob)]
    client.advance_past(params.reveal_deadline)
    test_digest = boss.reveal_test_set(task_id)
    secrets = [judge.commit_scores(task_id) for judge in judges]
    client.advance_past(params.score_commit_deadline)
    revealed = [judge.reveal_scores(task_id) for judge in judges]
    client.advance_past(params.score_reveal_deadline)
    transactions = Participant(client, outsider).finalize(task_id, max_steps=1)
    owed = {a.address: client.owed(task_id, a.address) for a in (initiator, *contributors[:2], *verifiers[:3])}
    paid = {s.address: s.claim(task_id) for s in (alice, bob, *judges, boss)}
    published = boss.fuse_and_publish(task_id, "average")

    # Assert
    assert indices == [0, 1]
    assert [s.model_digest for s in client.submissions(task_id)] == [t.model_digest for t in trained]
    assert decode_dataset(store.get(test_digest)).y.tolist() == data["test"].y.tolist()
    expected = [accuracy_bps(decode_model(store.get(t.model_digest)).module, data["test"]) for t in trained]
    assert all(s.scores == tuple(expected) for s in secrets) and revealed == [tuple(expected)] * 3
    assert all(e > TERMS.baseline_score for e in expected)
    assert transactions == 4  # one step per transaction: two submissions, two passes
    assert client.phase(task_id) == Phase.FINALIZED
    assert [s.median_score for s in client.submissions(task_id)] == expected
    assert all(v.honest for v in client.verifiers(task_id))
    assert paid == owed and all(amount > 0 for amount in paid.values())
    task_view = client.task(task_id)
    assert sum(paid.values()) == task_view.deposited == task_view.paid_out
    pool = TERMS.reward - TERMS.reward * TERMS.verifier_fee_bps // BPS
    weights = [e - TERMS.baseline_score for e in expected]
    assert [paid[c.address] - TERMS.contributor_stake for c in (alice, bob)] == [
        pool * w // sum(weights) for w in weights
    ]
    assert client.task(task_id).fused_digest == published.digest and published.members == 2
    decode_model(store.get(published.digest), published.digest)


def test_role_steps__cancel_then_claim__the_initiator_gets_the_reward_back(client, role, initiator, task):
    boss = role(Initiator, initiator)

    boss.cancel(task.task_id)
    amount = boss.claim(task.task_id)

    assert client.phase(task.task_id) == Phase.CANCELLED and amount == TERMS.reward


def test_role_steps__claim_to__pays_the_recipient(client, role, initiator, task, outsider):
    boss = role(Initiator, initiator)
    boss.cancel(task.task_id)
    before = outsider.balance

    boss.claim(task.task_id, to=outsider.address)

    assert outsider.balance - before == TERMS.reward


def test_reveal_model__publish_store__puts_the_model_there_only_at_the_reveal(
    chain, market, client, task, contributors, tmp_path
):
    private, public = LocalStore(tmp_path / "private"), LocalStore(tmp_path / "public")
    alice = Contributor(client, contributors[0], private, Keyring(tmp_path / "alice-keys"), publish=public)
    digest = private.put(_model_file(1))
    alice.commit(task.task_id, digest)
    assert not public.path(digest).exists()
    client.advance_past(task.params.commit_deadline)
    block = chain.blocks.head.number

    index = alice.reveal(task.task_id)

    assert public.get(digest) == private.get(digest)
    (log,) = list(market.ModelRevealed.range(block + 1, chain.blocks.head.number + 1))
    assert (log.taskId, log.contributor, log.submissionIndex) == (task.task_id, alice.address, index)
    assert (bytes(log.modelDigest), log.uri) == (digest, public.uri(digest))


# ------------------------------------------------------------------ refusals, before any transaction


def test_reveal_model__commit_phase__refuses_saying_when_reveal_opens(chain, role, task, store, contributors):
    alice = _committed(role, task, contributors[0], store)
    now, params = chain.blocks.head.timestamp, task.params

    refusal = _refused(chain, alice.account, alice.reveal, task.task_id)

    assert refusal.reason == Reason.TOO_EARLY
    assert str(refusal) == (
        f"revealing a model needs phase Reveal of task {task.task_id}, which opens at "
        f"{when(params.commit_deadline + 1, now)}; the task is in phase Commit until "
        f"{when(params.commit_deadline, now)}."
    )


def test_commit_model__after_commit_deadline__refuses_saying_it_closed(chain, client, role, task, store, contributors):
    alice = role(Contributor, contributors[0])
    digest = store.put(_model_file(1))
    client.advance_past(task.params.commit_deadline)

    refusal = _refused(chain, alice.account, alice.commit, task.task_id, digest)

    assert refusal.reason == Reason.DEADLINE_PASSED
    assert str(refusal).startswith(
        f"committing a model needs phase Commit of task {task.task_id}, which closed at "
        f"{utc(task.params.commit_deadline)} (1 s ago); the task is now in phase Reveal until"
    )


@pytest.mark.parametrize("who", ["contributor", "verifier"])
def test_stake__below_the_tasks__refuses(chain, role, task, store, contributors, verifiers, who):
    if who == "contributor":
        me, required = role(Contributor, contributors[0]), TERMS.contributor_stake
        action, args = me.commit, (task.task_id, store.put(_model_file(1)), required - 1)
    else:
        me, required = role(Verifier, verifiers[0]), TERMS.verifier_stake
        action, args = me.join, (task.task_id, required - 1)

    refusal = _refused(chain, me.account, action, *args)

    assert refusal.reason == Reason.STAKE_TOO_LOW
    assert str(refusal) == (
        f"the {who} stake of this task is {eth(required)}, so a stake of {eth(required - 1)} is too low."
    )


def test_commit_model__balance_below_the_stake__refuses(chain, accounts, role, task, store):
    pauper = accounts.generate_test_account()
    me = role(Contributor, pauper)

    refusal = _refused(chain, pauper, me.commit, task.task_id, store.put(_model_file(1)))

    assert refusal.reason == Reason.BALANCE_TOO_LOW
    assert str(refusal) == (
        f"{pauper.address} holds 0 wei, less than the 0.01 ETH (10,000,000,000,000,000 wei) of the "
        "contributor stake (and the gas comes on top)."
    )


def test_commit_model__twice__refuses_already_committed(chain, role, task, store, contributors):
    alice = _committed(role, task, contributors[0], store)

    refusal = _refused(chain, alice.account, alice.commit, task.task_id, store.put(_model_file(2)))

    assert refusal.reason == Reason.ALREADY_COMMITTED
    assert str(refusal) == f"{alice.address} has already committed a model in task {task.task_id}."


def test_reveal_model__model_file_tampered_in_the_store__refuses_digest_mismatch(
    chain, client, role, task, store, contributors
):
    alice = _committed(role, task, contributors[0], store)
    secret = alice.keyring.load(client.chain_id, client.address, task.task_id, alice.address)
    assert isinstance(secret, ModelSecret)
    store.path(secret.model_digest).write_bytes(_model_file(99))
    client.advance_past(task.params.commit_deadline)

    refusal = _refused(chain, alice.account, alice.reveal, task.task_id)

    assert refusal.reason == Reason.DIGEST_MISMATCH
    assert str(refusal) == (
        f"the model file in the store does not match its digest 0x{secret.model_digest.hex()} (it was corrupted "
        "or replaced), so it is not used: fetch it again."
    )


def test_reveal_model__twice__refuses_already_revealed(chain, client, role, task, store, contributors):
    alice = _committed(role, task, contributors[0], store)
    client.advance_past(task.params.commit_deadline)
    alice.reveal(task.task_id)
    digest = client.submissions(task.task_id)[0].model_digest

    refusal = _refused(chain, alice.account, alice.reveal, task.task_id)

    assert refusal.reason == Reason.ALREADY_REVEALED
    assert str(refusal) == (
        f"{alice.address} has already revealed its model in task {task.task_id} (submission #0, digest "
        f"0x{digest.hex()})."
    )


def test_reveal_model__not_a_contributor__refuses(chain, client, role, task, outsider):
    client.advance_past(task.params.commit_deadline)

    refusal = _refused(chain, outsider, role(Contributor, outsider).reveal, task.task_id)

    assert refusal.reason == Reason.NOT_PARTICIPANT
    assert str(refusal) == (
        f"revealing a model is for those who committed a model in task {task.task_id}, and {outsider.address} has not."
    )


def _scoring(role, client, task, store, contributor, verifier, initiator) -> tuple[Verifier, bytes]:
    """One model revealed, one verifier joined, the test set revealed: the score commit phase."""
    alice = _committed(role, task, contributor, store)
    judge = role(Verifier, verifier)
    judge.join(task.task_id)
    client.advance_past(task.params.commit_deadline)
    alice.reveal(task.task_id)
    client.advance_past(task.params.reveal_deadline)
    return judge, role(Initiator, initiator).reveal_test_set(task.task_id)


def test_score_and_commit__test_set_tampered_in_the_store__refuses_digest_mismatch(
    chain, client, role, task, store, contributors, verifiers, initiator
):
    judge, test_digest = _scoring(role, client, task, store, contributors[0], verifiers[0], initiator)
    store.path(test_digest).write_bytes(b"not the test set")

    refusal = _refused(chain, judge.account, judge.commit_scores, task.task_id)

    assert refusal.reason == Reason.DIGEST_MISMATCH
    assert str(refusal).startswith(f"the test set of task {task.task_id} in the store does not match its digest")
    assert not judge.keyring.has(client.chain_id, client.address, task.task_id, judge.address)


def test_reveal_scores__twice__refuses_already_revealed(
    chain, client, role, task, store, contributors, verifiers, initiator
):
    judge, _ = _scoring(role, client, task, store, contributors[0], verifiers[0], initiator)
    judge.commit_scores(task.task_id)
    client.advance_past(task.params.score_commit_deadline)
    judge.reveal_scores(task.task_id)

    refusal = _refused(chain, judge.account, judge.reveal_scores, task.task_id)

    assert refusal.reason == Reason.ALREADY_REVEALED
    assert str(refusal) == f"{judge.address} has already revealed its scores in task {task.task_id}."


def test_claim__before_settlement__refuses_saying_when_claims_open(chain, role, task, initiator):
    boss = role(Initiator, initiator)
    now = chain.blocks.head.timestamp

    refusal = _refused(chain, initiator, boss.claim, task.task_id)

    assert refusal.reason == Reason.NOT_SETTLED
    assert str(refusal) == (
        f"claiming needs task {task.task_id} to be finalized, once finalize has run, which anyone may do from "
        f"{when(task.params.score_reveal_deadline + 1, now)}; the task is in phase Commit until "
        f"{when(task.params.commit_deadline, now)}."
    )


def test_claim__twice__refuses_already_claimed(chain, role, task, initiator):
    boss = role(Initiator, initiator)
    boss.cancel(task.task_id)
    boss.claim(task.task_id)

    refusal = _refused(chain, initiator, boss.claim, task.task_id)

    assert refusal.reason == Reason.ALREADY_CLAIMED
    assert str(refusal) == f"{boss.address} has already claimed what it was owed in task {task.task_id}."


def test_create_task__window_below_the_markets_minimum__refuses(chain, client, role, initiator, data):
    terms = dataclasses.replace(TERMS, window=client.min_window - 1)

    refusal = _refused(chain, initiator, role(Initiator, initiator).create_task, SPEC, data["test"], terms)

    assert refusal.reason == Reason.BAD_PARAMETER
    assert str(refusal) == (
        f"a window of {terms.window} s is shorter than this market's minimum window of {client.min_window} s."
    )


def test_commit_model__stale_secret_in_the_keyring__refuses_to_overwrite_it(
    chain, client, role, task, store, contributors
):
    alice = role(Contributor, contributors[0])
    stale = ModelSecret(b"\x01" * 32, b"\x02" * 32, b"\x03" * 32)
    path = alice.keyring.save(client.chain_id, client.address, task.task_id, alice.address, stale)

    with NoTransaction(chain, alice.account), pytest.raises(KeyringError) as refusal:
        alice.commit(task.task_id, store.put(_model_file(1)))

    assert str(refusal.value).startswith(f"a secret for task {task.task_id} already exists at {path};")
    assert alice.keyring.load(client.chain_id, client.address, task.task_id, alice.address) == stale


def test_explained__refusal__becomes_a_one_sentence_click_error(chain, role, task, initiator):
    with pytest.raises(click.ClickException) as error, explained():
        role(Initiator, initiator).claim(task.task_id)

    assert error.value.message.startswith(f"Claiming needs task {task.task_id} to be finalized,")
    assert error.value.message.count(". ") == 0 and error.value.message.endswith(".")


def test_commit_model__deadline_passes_before_it_is_mined__market_refuses_and_the_secret_is_discarded(
    chain, client, role, task, store, contributors
):
    alice = role(Contributor, contributors[0])
    digest = store.put(_model_file(1))
    chain.pending_timestamp = task.params.commit_deadline + 1  # the checks still see the Commit phase

    with pytest.raises(click.ClickException) as error, explained():
        alice.commit(task.task_id, digest)

    assert error.value.message == (
        f"The market refused commitModel: task {task.task_id} is in phase Reveal, and this needs phase Commit "
        "(a deadline has passed, or has not come yet)."
    )
    assert not alice.keyring.has(client.chain_id, client.address, task.task_id, alice.address)
    chain.mine()  # spend the pending timestamp here, not in the next test


# ------------------------------------------------------------------ what is due, without sending anything


def _ready(status: dict[str, Any]) -> list[str]:
    return [step for step, refusal in status.items() if refusal is None]


def test_due__a_contributor_through_its_task__each_step_ready_once_then_done(
    chain, client, role, task, store, contributors
):
    alice = role(Contributor, contributors[0])
    digest = store.put(_model_file(1))
    client.advance_past(task.params.commit_deadline - 10)  # inside the commit window

    with NoTransaction(chain, alice.account):
        before = alice.due(task.task_id)
    alice.commit(task.task_id, digest)
    with NoTransaction(chain, alice.account):
        committed = alice.due(task.task_id)
    client.advance_past(task.params.commit_deadline)
    with NoTransaction(chain, alice.account):
        step = alice.next_step(task.task_id)
    alice.reveal(task.task_id)
    with NoTransaction(chain, alice.account):
        revealed = alice.due(task.task_id)

    # the commit step needs a trained model by default: it names the keyring's want of one
    assert isinstance(before["commit"], KeyringError) and before["reveal"].reason == Reason.TOO_EARLY
    assert committed["commit"].reason == Reason.ALREADY_COMMITTED and committed["reveal"].reason.waiting
    assert step == "reveal"
    assert revealed["reveal"].reason.done and _ready(revealed) == []
    assert revealed["claim"].reason == Reason.NOT_SETTLED


def test_due__finalize_and_claim__ready_when_settled_then_done(chain, client, role, task, initiator, outsider):
    boss = role(Initiator, initiator)
    anyone = Participant(client, outsider)
    boss.cancel(task.task_id)

    with NoTransaction(chain, initiator, outsider):
        cancelled = boss.due(task.task_id), anyone.due(task.task_id)
    boss.claim(task.task_id)

    assert _ready(cancelled[0]) == ["claim"]
    assert cancelled[1]["claim"].reason == Reason.NOTHING_OWED
    assert boss.due(task.task_id)["claim"].reason == Reason.ALREADY_CLAIMED


def test_commit__secret_kept_but_transaction_never_sent__sends_the_same_commitment_again(
    chain, client, role, task, store, contributors
):
    # Prepare: a commit that stopped after keeping its secret, before its transaction (a crash, a kill -9)
    alice = role(Contributor, contributors[0])
    digest = store.put(_model_file(1))
    salt = b"\x02" * 32
    commitment = model_commitment(client.chain_id, client.address, task.task_id, alice.address, digest, salt)
    kept = ModelSecret(digest, salt, commitment)
    alice.keyring.save(client.chain_id, client.address, task.task_id, alice.address, kept)

    # Execute: the restarted step
    secret = alice.commit(task.task_id, digest)

    # Assert: the kept secret opens what was sent; it was neither replaced nor refused
    assert secret == kept
    assert alice.keyring.load(client.chain_id, client.address, task.task_id, alice.address) == kept
    client.advance_past(task.params.commit_deadline)
    assert alice.reveal(task.task_id) == 0
