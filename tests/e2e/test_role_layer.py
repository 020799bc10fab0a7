"""The role layer (learning_market.roles) on the local chain, as the scripts drive it (mechanism v2): a
whole task with real (tiny) training, each role with its own keyring and one shared content store, the
panel drawn from the session's pool of five; the audit checked by contributors before they stake; a
withheld test set scored on the audit shards; the pool's bond in and out; and every pre-flight refusal
says why in a sentence and sends no transaction."""

from __future__ import annotations

import dataclasses
from typing import Any

import click
import numpy as np
import pytest

from content import LocalStore
from learning_market.checks import PreflightRefusal, Reason, eth
from learning_market.commitments import model_commitment, shard_commitment, test_set_commitment
from learning_market.keyring import Keyring, KeyringError, ModelSecret, TestSetSecret
from learning_market.market import MarketClient
from learning_market.nodes import ApeNode, RpcNode
from learning_market.options import explained
from learning_market.overview import format_overview, overview
from learning_market.phases import BPS, Basis, Phase
from learning_market.roles.anyone import Participant
from learning_market.roles.contributor import AuditPolicy, Contributor
from learning_market.roles.initiator import CreatedTask, Initiator
from learning_market.roles.verifier import Verifier
from learning_market.terms import TaskTerms
from learning_market.timeline import utc, when
from ml import (
    Dataset,
    Model,
    ModelFileError,
    PublicModel,
    ScoringRules,
    TaskSpec,
    TrainConfig,
    build_model,
    decode_dataset,
    decode_model,
    encode_model,
    flip_labels,
    load_digits,
    score_models,
    set_seed,
    shard_dataset,
    split_dataset,
)
from ml.scoring_benchmark import byte_variant
from tests.utils.market import FORFEIT_BPS, UNBONDING_PERIOD, VERIFIER_BOND

ARCHITECTURE = {"name": "mlp", "input_shape": [1, 8, 8], "num_classes": 10, "hidden_sizes": [16]}
# scored by accuracy: what each model is paid follows from its accuracy alone
SPEC = TaskSpec(
    input_shape=(1, 8, 8), num_classes=10, architecture=ARCHITECTURE, training=TrainConfig(epochs=2, seed=0),
    scoring=ScoringRules(marginal="none"),
)
TERMS = TaskTerms(
    reward=10**18,
    contributor_stake=10**16,
    max_contributors=4,
    panel_size=3,
    verifier_fee_bps=1_000,
    baseline_score=1_000,
    tolerance_bps=300,
    test_shards=4,
    audit_shards=1,
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

    def make(kind: type[Participant], account: Any, **settings: Any) -> Any:
        keys = Keyring(tmp_path / "keys" / str(account.address))
        return kind(client, account, store, keys, allow_private_uri=True, **settings)

    return make


@pytest.fixture
def task(role, initiator, data) -> CreatedTask:
    """A task in its Commit phase: created, its audit drawn and revealed at once."""
    return role(Initiator, initiator).create_task(SPEC, data["test"], TERMS, start_margin=0)


def _model_file(seed: int) -> bytes:
    set_seed(seed)
    return encode_model(build_model(ARCHITECTURE), ARCHITECTURE)


# untrained stand-in models guess (about 90% of the audit wrong, at times more): the contributors that
# commit them accept any audit; the audit check has tests of its own, with trained models
STAND_IN = AuditPolicy(max_error_bps=BPS)


def _stand_in(role, account: Any) -> Contributor:
    return role(Contributor, account, audit_policy=STAND_IN)


def _committed(role, task, contributor, store, seed: int = 1) -> Contributor:
    me = _stand_in(role, contributor)
    me.commit(task.task_id, store.put(_model_file(seed)))
    return me


@pytest.fixture
def draw(client, role, outsider, by_address):
    """Requests and draws a task's panel (an outsider does: anyone may); returns the members as verifier
    roles, in draw order."""

    def panel(task_id: int) -> list[Verifier]:
        return [role(Verifier, by_address[m]) for m in Participant(client, outsider).open_panel(task_id)]

    return panel


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


def _expected_scores(client, store, task_id: int, audit: bool) -> list[int]:
    """What every honest member scores: ml.score_models on the test shards (capping the start by the audit
    shards) or on the audit shards, the starting model first, by the files the chain names; each
    submission compared with the models revealed in other tasks and the fused models public before its
    commit."""
    state = client.task(task_id)
    spec = TaskSpec.from_json_bytes(store.get(state.params.spec_digest))
    digests, _ = client.shards(task_id)

    def shards(indices: list[int]) -> list[Dataset]:
        return [decode_dataset(store.get(digests[i])) for i in indices]

    models = [decode_model(store.get(s.model_digest)) for s in client.submissions(task_id)]
    start = decode_model(store.get(spec.initial_model))
    submissions, committed = client.submissions(task_id), client.commit_positions(task_id)

    def decoded(digest: bytes) -> Model | None:
        try:
            return decode_model(store.get(digest))
        except ModelFileError:
            return None

    public = [
        PublicModel(f"task {m.task_id}'s model", decoded(m.model_digest),
                    frozenset(s.index for s in submissions if committed[s.contributor] > m.position))
        for m in client.public_models() if (m.task_id, m.index is None) != (task_id, False)
    ]
    scores = score_models(
        spec, start, models, shards(state.audit_indices if audit else state.test_indices), client.task_seed(task_id),
        baseline_bps=state.params.baseline_score, public_models=public,
        audit=None if audit else shards(state.audit_indices),
    )
    return scores.bps


# ------------------------------------------------------------------ a whole task


def test_role_steps__whole_task__pays_by_score_and_publishes_the_fused_model(
    draw,     client, store, role, initiator, contributors, outsider, data, chain
):
    # Prepare: the initiator creates the task (its audit drawn and revealed at once), contributors train on
    # their shards, check the audit and commit
    boss = role(Initiator, initiator)
    created = boss.create_task(SPEC, data["test"], TERMS, start_margin=0)
    task_id, params = created.task_id, created.params
    alice, bob = role(Contributor, contributors[0]), role(Contributor, contributors[1])
    trained = []
    for i, contributor in enumerate((alice, bob)):
        trained.append(contributor.train(task_id, data["shards"][i], {"seed": i}))
        contributor.commit(task_id)

    # Execute: every phase, the clock moved past each deadline; the panel drawn by an outsider
    client.advance_past(params.commit_deadline)
    judges = draw(task_id)
    indices = [c.reveal(task_id) for c in (alice, bob)]
    client.advance_past(params.reveal_deadline)
    test_shards = boss.reveal_test_set(task_id)
    secrets = [judge.commit_scores(task_id) for judge in judges]
    client.advance_past(params.score_commit_deadline)
    revealed = [judge.reveal_scores(task_id) for judge in judges]
    client.advance_past(params.score_reveal_deadline)
    transactions = Participant(client, outsider).finalize(task_id, max_steps=1)
    everyone = (boss, alice, bob, *judges)
    owed = {r.address: client.owed(task_id, r.address) for r in everyone}
    paid = {r.address: r.claim(task_id) for r in everyone if owed[r.address]}
    published = boss.fuse_and_publish(task_id, "average")

    # Assert: the audit and the shards
    view = client.task(task_id)
    assert created.audit == tuple(view.audit_indices) and len(created.audit) == TERMS.audit_shards
    assert test_shards == view.test_indices and len(test_shards) == TERMS.test_shards - TERMS.audit_shards
    digests, _ = client.shards(task_id)
    shards = [decode_dataset(store.get(d)) for d in digests]
    assert {len(shard) for shard in shards} == {len(data["test"]) // TERMS.test_shards}
    # the spec names the initiator's reference model, which the panel scores first
    spec = TaskSpec.from_json_bytes(store.get(params.spec_digest))
    assert spec.initial_model is not None and store.get(spec.initial_model) == _model_file(0)
    # the scores: ml.score_models on the test shards, the starting model first; the vote: test set available
    expected = _expected_scores(client, store, task_id, audit=False)
    assert all(s.scores == tuple(expected) and s.test_set_available for s in secrets)
    assert revealed == [tuple(expected)] * 3
    assert indices == [0, 1]
    assert [s.model_digest for s in client.submissions(task_id)] == [t.model_digest for t in trained]
    # one step per transaction: three models (the start first; the panel released with the last), two sums
    assert transactions == 5
    assert view.phase == Phase.FINALIZED
    settlement = view.settlement
    baseline = max(TERMS.baseline_score, expected[0])
    assert (settlement.basis, settlement.contested, settlement.start_median, settlement.baseline) == (
        Basis.TEST, False, expected[0], baseline
    )
    assert [s.median_score for s in client.submissions(task_id)] == expected[1:]
    assert all(m.honest and m.test_set_available for m in client.panel(task_id))
    # the payouts, to the wei: contributors by weight above the baseline, the fee to the panel
    weights = [max(0, e - baseline) for e in expected[1:]]
    assert all(w > 0 for w in weights)
    pool = TERMS.reward - TERMS.reward * TERMS.verifier_fee_bps // BPS
    rewards = [pool * w // sum(weights) for w in weights]
    assert [paid[c.address] - TERMS.contributor_stake for c in (alice, bob)] == rewards
    fee = TERMS.reward * TERMS.verifier_fee_bps // BPS
    assert [paid[j.address] for j in judges] == [fee // 3] * 3
    assert paid == {a: v for a, v in owed.items() if v}
    assert sum(paid.values()) + view.burned == view.deposited
    assert client.task(task_id).fused_digest == published.digest and published.members == 2
    decode_model(store.get(published.digest), published.digest)
    # the market's public models (read once while scoring, then only the new blocks): both reveals, then the
    # fused model, in chain order; raw JSON-RPC reads the same
    public = client.public_models()
    assert [(m.task_id, m.index, m.model_digest) for m in public] == [
        (task_id, 0, trained[0].model_digest), (task_id, 1, trained[1].model_digest), (task_id, None, published.digest)
    ]
    assert [m.position[0] for m in public] == [
        s.block for s in client.sent if s.action in ("revealModel", "publishFusedModel")
    ]
    assert sorted({m.position for m in public}) == [m.position for m in public]
    assert MarketClient(RpcNode(chain.provider.http_uri, client.address)).public_models() == public
    shown = format_overview(overview(client, task_id, alice.address))
    assert "  verdict:        on the test shards (3 counted of 3 revealed, 3 honest)" in shown
    assert f"  baseline:       {baseline / 100:.2f}% (the starting model's median {expected[0] / 100:.2f}%" in shown
    assert "Panel (3, in draw order)" in shown and shown.count("scored on test set  honest") == 3
    assert f"  burned:         0 wei   initiator refund: {settlement.initiator_refund} wei" in shown


def test_create_task__shards__committed_with_salts_kept_before_the_transaction(client, store, role, initiator, data):
    boss = role(Initiator, initiator)

    created = boss.create_task(SPEC, data["test"], TERMS, start_margin=0, open_audit=False)

    secret = boss.keyring.load(client.chain_id, client.address, created.task_id, boss.address)
    assert isinstance(secret, TestSetSecret) and created.secret.exists()
    commitments = [shard_commitment(d, s) for d, s in zip(secret.shard_digests, secret.salts, strict=True)]
    assert created.params.test_set_commitment == test_set_commitment(
        client.chain_id, client.address, boss.address, commitments
    )
    assert len(set(secret.salts)) == TERMS.test_shards
    assert (created.params.test_shards, created.params.audit_shards) == (TERMS.test_shards, TERMS.audit_shards)
    assert created.audit == () and client.phase(created.task_id) == Phase.AUDIT
    examples = sorted(map(tuple, np.concatenate([decode_dataset(f).x.reshape(-1, 64) for f in secret.shard_files])))
    assert len(examples) == len(data["test"]) // TERMS.test_shards * TERMS.test_shards


def test_draw_audit_then_reveal__the_initiators_own_steps__open_the_commit_phase(
    chain, client, store, role, initiator, data, outsider
):
    boss = role(Initiator, initiator)
    created = boss.create_task(SPEC, data["test"], TERMS, start_margin=0, open_audit=False)
    task_id = created.task_id
    early = _refused(chain, outsider, Participant(client, outsider).draw_audit, task_id)
    client.wait_for_block(client.task(task_id).audit_seed_block + 1)

    boss.act(task_id, "draw_audit")

    assert early.reason == Reason.SEED_NOT_MINED
    view = client.task(task_id)
    assert view.phase == Phase.COMMIT and view.audit_revealed
    digests, mask = client.shards(task_id)
    assert mask == view.audit_mask and bin(mask).count("1") == TERMS.audit_shards
    assert [d != bytes(32) for d in digests] == [i in view.audit_indices for i in range(TERMS.test_shards)]
    assert all(store.get(digests[i]) for i in view.audit_indices)


def test_role_steps__test_set_withheld__the_panel_votes_it_unavailable_and_scores_on_the_audit_shards(
    draw,     client, store, role, initiator, contributors, outsider, data, task
):
    alice = role(Contributor, contributors[0])
    alice.train(task.task_id, data["shards"][0], {"seed": 0})
    alice.commit(task.task_id)
    client.advance_past(task.params.commit_deadline)
    judges = draw(task.task_id)
    alice.reveal(task.task_id)
    client.advance_past(task.params.test_reveal_deadline)  # the initiator never reveals the test set

    secrets = [judge.commit_scores(task.task_id) for judge in judges]
    client.advance_past(task.params.score_commit_deadline)
    for judge in judges:
        judge.reveal_scores(task.task_id)
    client.advance_past(task.params.score_reveal_deadline)
    Participant(client, outsider).finalize(task.task_id)

    expected = _expected_scores(client, store, task.task_id, audit=True)
    assert all(s.scores == tuple(expected) and not s.test_set_available for s in secrets)
    settlement = client.task(task.task_id).settlement
    assert (settlement.basis, settlement.counted_verifiers, settlement.contested) == (Basis.AUDIT, 3, False)


def test_commit__audit_labels_disagree_with_its_data__the_contributor_refuses_to_stake(
    chain, client, role, initiator, contributors, data
):
    # Prepare: an initiator whose test set's labels are mapped to other classes; an honest contributor
    cheat = role(Initiator, initiator).create_task(SPEC, flip_labels(data["test"], seed=3), TERMS, start_margin=0)
    alice = role(Contributor, contributors[0])
    trained = alice.train(cheat.task_id, data["shards"][0], {"seed": 0, "epochs": 10})
    audit = client.task(cheat.task_id).audit_indices

    # Execute
    refusal = _refused(chain, alice.account, alice.commit, cheat.task_id)

    # Assert: nothing staked, and the sentence says what the audit showed
    assert refusal.reason == Reason.AUDIT_DISAGREES
    examples = len(audit) * (len(data["test"]) // TERMS.test_shards)
    assert str(refusal).startswith(
        f"the audit shards of task {cheat.task_id} ({examples} examples) disagree with this contributor's model: "
        "it gets "
    )
    assert str(refusal).endswith(
        "of them wrong, beyond the 95.00% it accepts, so their labels are not those of its data: nothing is staked."
    )
    assert client.role(cheat.task_id, alice.address).name == "NONE" and trained.local_accuracy_bps > 5_000


def test_role_steps__cancel_then_claim__the_initiator_gets_the_reward_less_the_forfeit(client, role, initiator, task):
    boss = role(Initiator, initiator)

    boss.cancel(task.task_id)
    amount = boss.claim(task.task_id)

    forfeit = TERMS.reward * FORFEIT_BPS // BPS
    assert client.phase(task.task_id) == Phase.CANCELLED and amount == TERMS.reward - forfeit
    assert client.task(task.task_id).burned == forfeit


def test_role_steps__claim_to__pays_the_recipient(client, role, initiator, task, outsider):
    boss = role(Initiator, initiator)
    boss.cancel(task.task_id)
    before = outsider.balance

    boss.claim(task.task_id, to=outsider.address)

    assert outsider.balance - before == TERMS.reward - TERMS.reward * FORFEIT_BPS // BPS


def test_reveal_model__publish_store__puts_the_model_there_only_at_the_reveal(
    chain, market, client, task, contributors, outsider, tmp_path
):
    private, public = LocalStore(tmp_path / "private"), LocalStore(tmp_path / "public")
    alice = Contributor(client, contributors[0], private, Keyring(tmp_path / "alice-keys"), publish=public,
                        audit_policy=STAND_IN)
    digest = private.put(_model_file(1))
    # the audit shards are in the initiator's store: this contributor fetches them from there
    alice.store = private
    _copy_audit(client, task, private, tmp_path)
    alice.commit(task.task_id, digest)
    assert not public.path(digest).exists()
    client.advance_past(task.params.commit_deadline)
    Participant(client, outsider).open_panel(task.task_id)
    block = chain.blocks.head.number

    index = alice.reveal(task.task_id)

    assert public.get(digest) == private.get(digest)
    (log,) = list(market.ModelRevealed.range(block + 1, chain.blocks.head.number + 1))
    assert (log.taskId, log.contributor, log.submissionIndex) == (task.task_id, alice.address, index)
    assert (bytes(log.modelDigest), log.uri) == (digest, public.uri(digest))


def _copy_audit(client, task, target: LocalStore, tmp_path) -> None:
    shared = LocalStore(tmp_path / "store")
    digests, _ = client.shards(task.task_id)
    for i in client.task(task.task_id).audit_indices:
        target.put(shared.get(digests[i]))


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


def test_reveal_model__panel_not_drawn__refuses_saying_to_draw_it(chain, client, role, task, store, contributors):
    alice = _committed(role, task, contributors[0], store)
    client.advance_past(task.params.commit_deadline)

    refusal = _refused(chain, alice.account, alice.reveal, task.task_id)

    assert refusal.reason == Reason.TOO_EARLY
    assert str(refusal) == (
        f"revealing a model needs the panel of task {task.task_id}, which is not drawn yet: request and draw it "
        "(anyone may)."
    )


def test_draw_panel__seed_block_not_mined__refuses_then_draws_three_of_the_pool(
    chain, client, role, task, store, contributors, verifiers, outsider
):
    _committed(role, task, contributors[0], store)
    client.advance_past(task.params.commit_deadline)
    anyone = Participant(client, outsider)
    seed = anyone.request_panel(task.task_id)

    refusal = _refused(chain, outsider, anyone.draw_panel, task.task_id)
    client.wait_for_block(seed + 1)
    members = anyone.draw_panel(task.task_id)

    assert refusal.reason == Reason.SEED_NOT_MINED
    assert str(refusal) == (
        f"the panel draw of task {task.task_id} reads the hash of block {seed}, and the chain is at block "
        f"{seed - 1}: wait for the next block."
    )
    assert len(set(members)) == 3 and set(members) <= {v.address for v in verifiers}
    assert [m.member for m in client.panel(task.task_id)] == members
    again = _refused(chain, outsider, anyone.request_panel, task.task_id)
    assert again.reason == Reason.ALREADY_DRAWN and again.reason.done


def test_commit_model__after_commit_deadline__refuses_saying_it_closed(chain, client, role, task, store, contributors):
    alice = _stand_in(role, contributors[0])
    digest = store.put(_model_file(1))
    client.advance_past(task.params.commit_deadline)

    refusal = _refused(chain, alice.account, alice.commit, task.task_id, digest)

    assert refusal.reason == Reason.DEADLINE_PASSED
    assert str(refusal).startswith(
        f"committing a model needs phase Commit of task {task.task_id}, which closed at "
        f"{utc(task.params.commit_deadline)} (1 s ago); the task is now in phase Reveal until"
    )


def test_stake__below_the_tasks__refuses(chain, role, task, store, contributors):
    me, required = _stand_in(role, contributors[0]), TERMS.contributor_stake

    refusal = _refused(chain, me.account, me.commit, task.task_id, store.put(_model_file(1)), required - 1)

    assert refusal.reason == Reason.STAKE_TOO_LOW
    assert str(refusal) == (
        f"the contributor stake of this task is {eth(required)}, so a stake of {eth(required - 1)} is too low."
    )


def test_commit_model__balance_below_the_stake__refuses(chain, accounts, role, task, store):
    pauper = accounts.generate_test_account()
    me = _stand_in(role, pauper)

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
    chain, client, role, task, store, contributors, outsider
):
    alice = _committed(role, task, contributors[0], store)
    secret = alice.keyring.load(client.chain_id, client.address, task.task_id, alice.address)
    assert isinstance(secret, ModelSecret)
    store.path(secret.model_digest).write_bytes(_model_file(99))
    client.advance_past(task.params.commit_deadline)
    Participant(client, outsider).open_panel(task.task_id)

    refusal = _refused(chain, alice.account, alice.reveal, task.task_id)

    assert refusal.reason == Reason.DIGEST_MISMATCH
    assert str(refusal) == (
        f"the model file in the store does not match its digest 0x{secret.model_digest.hex()} (it was corrupted "
        "or replaced), so it is not used: fetch it again."
    )


def test_reveal_model__twice__refuses_already_revealed(chain, client, role, task, store, contributors, outsider):
    alice = _committed(role, task, contributors[0], store)
    client.advance_past(task.params.commit_deadline)
    Participant(client, outsider).open_panel(task.task_id)
    alice.reveal(task.task_id)
    digest = client.submissions(task.task_id)[0].model_digest

    refusal = _refused(chain, alice.account, alice.reveal, task.task_id)

    assert refusal.reason == Reason.ALREADY_REVEALED
    assert str(refusal) == (
        f"{alice.address} has already revealed its model in task {task.task_id} (submission #0, digest "
        f"0x{digest.hex()})."
    )


def test_reveal_model__digest_revealed_in_an_earlier_task__refuses_duplicate_market_wide(
    chain, client, role, initiator, task, store, contributors, outsider, data
):
    first = _committed(role, task, contributors[0], store, seed=5)
    client.advance_past(task.params.commit_deadline)
    Participant(client, outsider).open_panel(task.task_id)
    first.reveal(task.task_id)
    later = role(Initiator, initiator).create_task(SPEC, data["test"], TERMS, start_margin=0)
    copier = _committed(role, later, contributors[1], store, seed=5)  # the same file
    client.advance_past(later.params.commit_deadline)
    Participant(client, outsider).open_panel(later.task_id)

    refusal = _refused(chain, copier.account, copier.reveal, later.task_id)

    assert refusal.reason == Reason.DUPLICATE_MODEL
    digest = client.submissions(task.task_id)[0].model_digest
    assert str(refusal) == (
        f"model 0x{digest.hex()} was already revealed in task {task.task_id}, and the market takes each model "
        "once, in any task."
    )


def _scored_after_reveals(draw, client, role, initiator, created: CreatedTask, revealers: list) -> list[Verifier]:
    """Past the task's commit deadline: its panel drawn, `revealers` reveal in this order, the test set revealed;
    returns the panel."""
    client.advance_past(created.params.commit_deadline)
    judges = draw(created.task_id)
    for contributor in revealers:
        contributor.reveal(created.task_id)
    client.advance_past(created.params.reveal_deadline)
    role(Initiator, initiator).reveal_test_set(created.task_id)
    return judges


def _start_and_test_shards(client, store, task_id: int) -> tuple[Model, list[Dataset]]:
    """The task's starting model and its test shards, by the digests on chain."""
    state = client.task(task_id)
    digests, _ = client.shards(task_id)
    spec = TaskSpec.from_json_bytes(store.get(state.params.spec_digest))
    shards = [decode_dataset(store.get(digests[i])) for i in state.test_indices]
    return decode_model(store.get(spec.initial_model)), shards


def test_score__near_copy_of_a_model_revealed_in_another_task__scores_zero(
    draw, client, role, initiator, task, store, contributors, outsider, data
):
    """Threat model, open issue 9: the chain refuses only the exact digest; a copy of a model revealed in
    task A with every weight's lowest bit flipped, committed into task B, scores 0 there (while the same
    model, were it original, would score its accuracy)."""
    # Prepare: alice reveals in task A; in task B the copier commits the variant, bob a model of his own
    alice = _committed(role, task, contributors[0], store, seed=5)
    client.advance_past(task.params.commit_deadline)
    Participant(client, outsider).open_panel(task.task_id)
    alice.reveal(task.task_id)
    original = decode_model(store.get(client.submissions(task.task_id)[0].model_digest))
    later = role(Initiator, initiator).create_task(SPEC, data["test"], TERMS, start_margin=0)
    bob = _committed(role, later, contributors[1], store, seed=6)
    copier = _stand_in(role, contributors[2])
    copier.commit(later.task_id, store.put(encode_model(byte_variant(original).module, ARCHITECTURE)))
    judges = _scored_after_reveals(draw, client, role, initiator, later, [bob, copier])

    # Execute
    scored = judges[0].score(later.task_id)

    # Assert: the copy scores 0, bob his accuracy, as ml.score_models says with the market's public models
    expected = _expected_scores(client, store, later.task_id, audit=False)
    assert scored.scores == tuple(expected) and scored.test_set_available
    assert expected[2] == 0 < expected[1]
    start, test_shards = _start_and_test_shards(client, store, later.task_id)
    as_original = score_models(
        SPEC, start, [byte_variant(original)], test_shards,
        client.task_seed(later.task_id), baseline_bps=TERMS.baseline_score, public_models=[],
    )
    assert as_original.bps[1] > 0


def test_score__public_model_file_that_does_not_load__skipped(
    draw, client, role, initiator, task, store, contributors, outsider, data
):
    """Anyone can make a file public by revealing it in a task of its own: one that is not a model file
    is not compared with (nothing in it may stop a panel's scoring), and the task scores as usual."""
    # Prepare: mallory, through the contract (her tooling would refuse), reveals junk in task A; bob's model
    # in task B
    mallory, junk, salt = contributors[2], store.put(b"not a model file"), bytes(32)
    commitment = model_commitment(client.chain_id, client.address, task.task_id, mallory.address, junk, salt)
    client.commit_model(task.task_id, commitment, TERMS.contributor_stake, sender=mallory)
    client.advance_past(task.params.commit_deadline)
    Participant(client, outsider).open_panel(task.task_id)
    client.reveal_model(task.task_id, junk, salt, "file:///junk", sender=mallory)
    later = role(Initiator, initiator).create_task(SPEC, data["test"], TERMS, start_margin=0)
    bob = _committed(role, later, contributors[1], store, seed=6)
    judges = _scored_after_reveals(draw, client, role, initiator, later, [bob])

    # Execute
    scored = judges[0].score(later.task_id)

    # Assert
    assert scored.scores == tuple(_expected_scores(client, store, later.task_id, audit=False))
    assert scored.scores[1] > 0


def test_score__model_made_public_between_a_commit_and_its_reveal__not_compared(
    draw, client, role, initiator, task, store, contributors, outsider, data
):
    """Publishing a model needs no commitment (`publishFusedModel` takes any digest), so someone who sees an
    honest reveal in the mempool could make the model public just before it is mined. A model made public
    after a submission's commit is not compared with it: the honest model scores its accuracy. (The public
    model here is revealed in task A, as a fused model would be published: both are public models alike.)"""
    # Prepare: erin commits in task B (its windows longer than A's); then a variant of her model is made
    # public in task A
    later = role(Initiator, initiator).create_task(
        SPEC, data["test"], dataclasses.replace(TERMS, window=2 * TERMS.window), start_margin=0
    )
    erin = role(Contributor, contributors[3], audit_policy=STAND_IN)
    model = decode_model(store.get(store.put(_model_file(seed=7))))
    erin.commit(later.task_id, store.put(encode_model(model.module, ARCHITECTURE)))
    mallory = _stand_in(role, contributors[2])
    mallory.commit(task.task_id, store.put(encode_model(byte_variant(model).module, ARCHITECTURE)))
    client.advance_past(task.params.commit_deadline)
    assert client.task(later.task_id).phase == Phase.COMMIT
    Participant(client, outsider).open_panel(task.task_id)
    mallory.reveal(task.task_id)  # public from here, before erin's reveal
    judges = _scored_after_reveals(draw, client, role, initiator, later, [erin])

    # Execute
    scored = judges[0].score(later.task_id)

    # Assert: erin's model scores its accuracy; compared with the public variant, it would have scored 0
    expected = _expected_scores(client, store, later.task_id, audit=False)
    assert scored.scores == tuple(expected) and expected[1] > 0
    start, test_shards = _start_and_test_shards(client, store, later.task_id)
    compared = score_models(
        SPEC, start, [model], test_shards, client.task_seed(later.task_id),
        baseline_bps=TERMS.baseline_score, public_models=[PublicModel("task A's #1", byte_variant(model))],
    )
    assert compared.bps[1] == 0


def test_reveal_model__not_a_contributor__refuses(chain, client, role, task, outsider):
    client.advance_past(task.params.commit_deadline)

    refusal = _refused(chain, outsider, role(Contributor, outsider).reveal, task.task_id)

    assert refusal.reason == Reason.NOT_PARTICIPANT
    assert str(refusal) == (
        f"revealing a model is for those who committed a model in task {task.task_id}, and {outsider.address} has not."
    )


def _scoring(draw, role, client, task, store, contributor, initiator, outsider) -> list[Verifier]:
    """One model revealed, the panel drawn, the test set revealed: the score commit phase."""
    alice = _committed(role, task, contributor, store)
    client.advance_past(task.params.commit_deadline)
    judges = draw(task.task_id)
    alice.reveal(task.task_id)
    client.advance_past(task.params.reveal_deadline)
    role(Initiator, initiator).reveal_test_set(task.task_id)
    return judges


def test_score__test_shard_tampered_in_the_store__votes_the_test_set_unavailable_and_scores_the_audit(
    draw,     chain, client, role, task, store, contributors, initiator, outsider
):
    judge = _scoring(draw, role, client, task, store, contributors[0], initiator, outsider)[0]
    digests, _ = client.shards(task.task_id)
    store.path(digests[client.task(task.task_id).test_indices[0]]).write_bytes(b"not the shard")

    secret = judge.commit_scores(task.task_id)

    assert not secret.test_set_available
    assert list(secret.scores) == _expected_scores(client, store, task.task_id, audit=True)


def test_commit_scores__not_on_the_panel__refuses(draw, chain, client, role, task, store, contributors, initiator,
                                                  outsider, verifiers):
    judges = _scoring(draw, role, client, task, store, contributors[0], initiator, outsider)
    drawn = {j.address for j in judges}
    (left_out, *_) = [v for v in verifiers if v.address not in drawn]
    me = role(Verifier, left_out)

    refusal = _refused(chain, left_out, me.commit_scores, task.task_id)

    assert refusal.reason == Reason.NOT_PARTICIPANT
    assert str(refusal) == (
        f"committing scores is for those who were drawn for the panel of task {task.task_id}, and "
        f"{left_out.address} has not been."
    )


def test_reveal_scores__twice__refuses_already_revealed(
    draw,     chain, client, role, task, store, contributors, initiator, outsider
):
    judge = _scoring(draw, role, client, task, store, contributors[0], initiator, outsider)[0]
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


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"panel_size": 4}, "a panel is an odd number of verifiers from 3 to 63, not 4."),
        ({"test_shards": 33}, "a test set is cut into 2 to 32 shards, not 33."),
        ({"audit_shards": 4}, "the audit takes 1 to 3 of the 4 shards, not 4."),
    ],
    ids=["even-panel", "too-many-shards", "audit-all-shards"],
)
def test_create_task__panel_or_shards_the_market_refuses__refuses(chain, role, initiator, data, change, sentence):
    terms = dataclasses.replace(TERMS, **change)

    refusal = _refused(chain, initiator, role(Initiator, initiator).create_task, SPEC, data["test"], terms)

    assert (refusal.reason, str(refusal)) == (Reason.BAD_PARAMETER, sentence)


def test_commit_model__stale_secret_in_the_keyring__refuses_to_overwrite_it(
    chain, client, role, task, store, contributors
):
    alice = _stand_in(role, contributors[0])
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
    alice = _stand_in(role, contributors[0])
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


# ------------------------------------------------------------------ the verifier pool


def test_pool__register_exit_withdraw__the_bond_in_and_out_to_the_wei(chain, client, role, accounts):
    newcomer = accounts[16]
    me = role(Verifier, newcomer)
    before = newcomer.balance

    bond = me.register()
    twice = _refused(chain, newcomer, me.register)
    available = me.request_exit()
    unbonding = _refused(chain, newcomer, me.withdraw_bond)
    client.advance_past(available - 1)
    paid = me.withdraw_bond()

    assert bond == paid == VERIFIER_BOND
    assert twice.reason == Reason.ALREADY_REGISTERED and twice.reason.done
    assert unbonding.reason == Reason.UNBONDING and unbonding.reason.waiting
    assert str(unbonding) == (
        f"the bond of {newcomer.address} is unbonding until {when(available, available - UNBONDING_PERIOD)}: "
        "withdraw it then."
    )
    assert not client.pool_member(newcomer.address).registered
    receipts = [chain.provider.web3.eth.get_transaction_receipt(sent.tx_hash) for sent in client.sent]
    gas = sum(r["gasUsed"] * r["effectiveGasPrice"] for r in receipts)
    assert [sent.action for sent in client.sent] == ["register", "requestExit", "withdrawBond"]
    assert newcomer.balance == before - gas  # the bond back to the wei


def test_pool__withdraw_without_exit__refuses_saying_to_request_it(chain, role, verifiers):
    me = role(Verifier, verifiers[0])

    refusal = _refused(chain, verifiers[0], me.withdraw_bond)

    assert refusal.reason == Reason.TOO_EARLY
    assert str(refusal) == (
        f"{verifiers[0].address} has not asked to leave the verifier pool: request the exit first (exit)."
    )


# ------------------------------------------------------------------ what is due, without sending anything


def _ready(status: dict[str, Any]) -> list[str]:
    return [step for step, refusal in status.items() if refusal is None]


def test_due__a_contributor_through_its_task__each_step_ready_once_then_done(
    chain, client, role, task, store, contributors, outsider
):
    alice = _stand_in(role, contributors[0])
    digest = store.put(_model_file(1))
    client.advance_past(task.params.commit_deadline - 10)  # inside the commit window

    with NoTransaction(chain, alice.account):
        before = alice.due(task.task_id)
    alice.commit(task.task_id, digest)
    with NoTransaction(chain, alice.account):
        committed = alice.due(task.task_id)
    client.advance_past(task.params.commit_deadline)
    with NoTransaction(chain, alice.account):
        panel_first = alice.next_step(task.task_id)
    Participant(client, outsider).open_panel(task.task_id)
    with NoTransaction(chain, alice.account):
        step = alice.next_step(task.task_id)
    alice.reveal(task.task_id)
    with NoTransaction(chain, alice.account):
        revealed = alice.due(task.task_id)

    # the commit step needs a trained model by default: it names the keyring's want of one
    assert isinstance(before["commit"], KeyringError) and before["reveal"].reason == Reason.TOO_EARLY
    assert committed["commit"].reason == Reason.ALREADY_COMMITTED and committed["reveal"].reason.waiting
    assert panel_first == "request_panel"
    assert step == "reveal"
    assert revealed["reveal"].reason.done and _ready(revealed) == []
    assert revealed["draw_panel"].reason == Reason.ALREADY_DRAWN
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
    assert boss.finished(task.task_id) and anyone.finished(task.task_id)


def test_due__a_pool_member_not_drawn__may_take_part_until_the_panel_is_drawn(
    chain, client, role, task, store, contributors, verifiers, outsider
):
    _committed(role, task, contributors[0], store)
    members = [role(Verifier, v) for v in verifiers]
    before = [m.may_take_part(task.task_id) for m in members]
    client.advance_past(task.params.commit_deadline)

    drawn = set(Participant(client, outsider).open_panel(task.task_id))

    assert before == [True] * 5
    assert [m.may_take_part(task.task_id) for m in members] == [False] * 5
    assert [m.takes_part(task.task_id) for m in members] == [m.address in drawn for m in members]


def test_commit__secret_kept_but_transaction_never_sent__sends_the_same_commitment_again(
    chain, client, role, task, store, contributors, outsider
):
    # Prepare: a commit that stopped after keeping its secret, before its transaction (a crash, a kill -9)
    alice = _stand_in(role, contributors[0])
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
    Participant(client, outsider).open_panel(task.task_id)
    assert alice.reveal(task.task_id) == 0
