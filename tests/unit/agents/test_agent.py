"""The agent loop on the local chain: it joins by its policy, leaves finalize to keepers for its grace
period, says in a sentence what it declined, missed or was refused, and resumes from the chain and the
keyring after a crash at any point without sending anything twice: between keeping a secret and sending
its commitment, and between sending a transaction and its being mined."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from content import LocalStore
from learning_market.agents.agent import Agent
from learning_market.agents.keys import dev_account
from learning_market.agents.progress import Progress
from learning_market.keyring import Keyring, ModelSecret
from learning_market.market import MarketClient
from learning_market.nodes import ApeNode, RpcNode
from learning_market.roles.anyone import Participant
from learning_market.roles.contributor import Contributor
from learning_market.roles.initiator import CreatedTask, Initiator
from learning_market.roles.policy import Policy
from learning_market.terms import TaskTerms
from learning_market.timeline import when
from ml import TaskSpec, TrainConfig, load_digits, shard_dataset, split_dataset
from tests.utils.settlement import Round, move_past, play

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ARCHITECTURE = {"name": "mlp", "input_shape": [1, 8, 8], "num_classes": 10, "hidden_sizes": [8]}
SPEC = TaskSpec(input_shape=(1, 8, 8), num_classes=10, architecture=ARCHITECTURE, training=TrainConfig(epochs=1))
TERMS = TaskTerms(max_contributors=4, window=120)


class Crash(BaseException):  # noqa: N818 - a kill -9, as far as the code under test can tell
    """The process dies here: nothing after this line runs, nothing is cleaned up."""


@pytest.fixture(scope="module")
def shard(tmp_path_factory) -> Path:
    train, _, _ = split_dataset(load_digits(), val_fraction=0.1, test_fraction=0.2, seed=0)
    path = tmp_path_factory.mktemp("data") / "shard.npz"
    piece = shard_dataset(train, 4, "iid", seed=0)[0]
    np.savez(path, x=piece.x, y=piece.y)
    return path


@pytest.fixture
def client(market, chain) -> MarketClient:
    return MarketClient(ApeNode(market, chain))


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "shared")


@pytest.fixture
def task(client, store, initiator, tmp_path) -> CreatedTask:
    _, _, test = split_dataset(load_digits(), val_fraction=0.1, test_fraction=0.2, seed=0)
    boss = Initiator(client, initiator, store, Keyring(tmp_path / "boss"), allow_private_uri=True)
    return boss.create_task(SPEC, test, TERMS, start_margin=0)


@pytest.fixture
def agent(client, store, shard, tmp_path, task):
    """An agent for an account; `fresh=True` is the same agent after a restart: new objects, same keyring
    and progress file, same log."""
    lines: list[str] = []
    head = client.block_number()
    # the task's creation block (creating it drew and revealed its audit in the blocks after)
    start_block = next(a.block for a in client.tasks_announced(0, head) if a.task_id == task.task_id)

    def make(account: Any, role: type[Participant] = Contributor, node: Any = None, **options: Any) -> Agent:
        market = client if node is None else MarketClient(node)
        name = f"agent-{str(account.address)[2:8]}"
        folder = tmp_path / name
        settings = {"data": shard} if role is Contributor else {}
        me = role(market, account, store, Keyring(folder / "keys"), allow_private_uri=True, **settings)
        options = {"grace": None, "tasks": 1, "from_block": start_block, "say": lines.append,
                   "sleep": lambda _: None, **options}
        return Agent(name, me, progress=Progress.load(folder / "progress.json"), **options)

    make.lines = lines  # type: ignore[attr-defined]
    return make


def _draw_the_panel(client: MarketClient, task_id: int, keeper: Any) -> None:
    """What a keeper does once the commit deadline has passed: requests the panel, then draws it from the
    session's pool once the seed block's successor is mined."""
    anyone = Participant(client, keeper)
    anyone.request_panel(task_id)
    client.mine(), client.mine()
    anyone.draw_panel(task_id)


def _commitments(market, chain, task_id: int, contributor: str) -> list[bytes]:
    logs = market.ModelCommitted.range(0, chain.blocks.head.number + 1, search_topics={"taskId": task_id})
    return [bytes(log.commitment) for log in logs if log.contributor == contributor]


# ------------------------------------------------------------------ crashes


def test_commit__killed_after_keeping_the_secret_before_sending__restart_sends_that_commitment(
    agent, client, market, chain, task, contributors, monkeypatch
):
    # Prepare: trained; the commit dies once its secret is on disk
    first = agent(contributors[0])
    assert first.tick()  # train
    monkeypatch.setattr(MarketClient, "commit_model", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        first.tick()
    monkeypatch.undo()
    me = first.role
    kept = me.keyring.load(client.chain_id, client.address, task.task_id, me.address)

    # Execute: the restarted agent
    again = agent(contributors[0])
    again.tick()

    # Assert: the commitment sent is the one whose secret was kept, once
    assert isinstance(kept, ModelSecret)
    assert _commitments(market, chain, task.task_id, me.address) == [kept.commitment]
    assert [r.step for r in again.records if r.kind == "acted"] == ["commit"]


def test_commit__killed_after_sending_before_it_is_mined__restart_waits_and_sends_nothing_again(
    agent, client, market, chain, task, contributors, monkeypatch
):
    # Prepare: a contributor signing with its local key; blocks mined only when the test says so
    account = dev_account(2)
    assert account.address == contributors[0].address
    node = RpcNode(chain.provider.http_uri, market.address)
    first = agent(account, node=node)
    assert first.tick()  # train
    monkeypatch.setattr(RpcNode, "_wait", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    chain.provider.make_request("evm_setAutomine", [False])
    try:
        with pytest.raises(Crash):
            first.tick()  # the commitment is in the node's pool, not mined
        monkeypatch.undo()
        waiting = node.nonces(account.address)

        # Execute: the restarted agent; its sleep is the next block
        again = agent(account, node=node, sleep=lambda _: node.rpc.call("evm_mine"))
        acted = again.tick()
    finally:
        chain.provider.make_request("evm_setAutomine", [True])

    # Assert: it waited for the pending commitment, which was mined, and sent nothing itself
    assert waiting == (0, 1)
    assert acted and again.records == []
    assert any("waits for its own transaction(s)" in line for line in agent.lines)
    assert len(_commitments(market, chain, task.task_id, account.address)) == 1
    assert node.nonces(account.address) == (1, 1)
    assert again.role.due(task.task_id)["commit"].reason.done


def test_restart__progress_file_lost__the_chain_and_keyring_are_enough(
    outsider, agent, client, task, contributors, tmp_path
):
    first = agent(contributors[0])
    first.tick(), first.tick()  # train, commit
    first.progress.path.unlink()

    again = agent(contributors[0])
    client.advance_past(task.params.commit_deadline)
    _draw_the_panel(client, task.task_id, outsider)
    again.tick()

    assert [(r.step, r.kind) for r in again.records] == [("reveal", "acted")]


def test_progress__saved_atomically_and_read_back(agent, contributors):
    first = agent(contributors[0])
    first.tick()

    memory = Progress.load(first.progress.path)

    assert memory.scanned == first.progress.scanned and memory.tasks.keys() == first.progress.tasks.keys()
    assert not first.progress.path.with_name(first.progress.path.name + ".tmp").exists()


def test_progress__damaged_file__a_fresh_memory_rebuilt_from_the_chain(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text("{not json")

    assert Progress.load(path).scanned == -1 and Progress.load(path).tasks == {}


# ------------------------------------------------------------------ sentences


def test_policy__reward_below_the_minimum__declined_once_in_a_sentence_and_nothing_sent(
    agent, client, task, contributors
):
    me = agent(contributors[0], policy=Policy(min_reward=2 * 10**18))

    me.tick(), me.tick()

    (record,) = me.records
    assert (record.kind, record.step, record.task_id) == ("declined", "train", task.task_id)
    assert record.text == (
        f"task {task.task_id} offers 1 ETH (1,000,000,000,000,000,000 wei), less than the minimum reward of "
        "2 ETH (2,000,000,000,000,000,000 wei)."
    )
    assert client.waiting_transactions(me.role.address) == 0 and contributors[0].nonce == 0
    assert not me.role.keyring.has_trained(client.chain_id, client.address, task.task_id)


def test_reveal__agent_away_through_the_whole_window__says_in_a_sentence_that_it_missed_it(
    outsider, agent, client, task, contributors
):
    me, other = agent(contributors[0]), agent(contributors[1])
    for _ in range(3):
        me.tick(), other.tick()  # train, commit, nothing due
    client.advance_past(task.params.commit_deadline)
    _draw_the_panel(client, task.task_id, outsider)
    other.tick()  # the other one reveals
    client.advance_past(task.params.reveal_deadline)
    now = client.now()

    me.tick(), me.tick()

    (missed,) = [r for r in me.records if r.kind in ("missed", "closed")]
    assert (missed.kind, missed.step, missed.phase) == ("missed", "reveal", "TestReveal")
    assert missed.text == (
        f"Revealing a model needs phase Reveal of task {task.task_id}, which closed at "
        f"{when(task.params.reveal_deadline, now)}; the task is now in phase TestReveal until "
        f"{when(task.params.test_reveal_deadline, now)}."
    )


def test_reveal__the_task_settled_without_a_model__says_the_step_closed(agent, client, task, contributors):
    me = agent(contributors[0])
    me.tick(), me.tick(), me.tick()  # train, commit, nothing due
    client.advance_past(task.params.reveal_deadline)
    now = client.now()

    me.tick()

    (closed,) = [r for r in me.records if r.kind in ("missed", "closed")]
    assert (closed.kind, closed.step, closed.phase) == ("closed", "reveal", "Unfulfilled")
    assert closed.text == (
        f"Revealing a model is no longer possible: task {task.task_id} is unfulfilled: no model was revealed by "
        f"{when(task.params.reveal_deadline, now)}."
    )


def test_market_refusal__recorded_with_its_error_and_the_step_not_taken_again(
    agent, client, task, contributors, chain
):
    me = agent(contributors[0])
    me.tick()  # train
    chain.pending_timestamp = task.params.commit_deadline + 1  # the checks still see Commit; the market won't

    me.tick(), me.tick()

    (refused,) = [r for r in me.records if r.kind == "refused"]
    assert (refused.step, refused.error) == ("commit", "WrongPhase")
    assert refused.text.startswith(f"The market refused commitModel: task {task.task_id} is in phase Reveal")
    chain.mine()


def test_joins__no_more_tasks_than_it_was_to_take(agent, client, store, initiator, task, contributors, tmp_path):
    _, _, test = split_dataset(load_digits(), val_fraction=0.1, test_fraction=0.2, seed=1)
    boss = Initiator(client, initiator, store, Keyring(tmp_path / "boss"), allow_private_uri=True)
    second = boss.create_task(SPEC, test, TERMS, start_margin=0)
    me = agent(contributors[0], tasks=1)

    for _ in range(3):
        me.tick()

    assert [(r.task_id, r.step) for r in me.records] == [(task.task_id, "train"), (task.task_id, "commit")]
    assert me.progress.tasks[second.task_id].state == "finished"


# ------------------------------------------------------------------ anyone's steps


@pytest.fixture
def finalizing(create_task, contributors):
    task = create_task()
    play(Round(task, contributors=[contributors[1]], scores=[[1_000, 5_000]] * 3))  # a panel of three
    move_past(task, "scoreReveal")
    return task


def test_grace__a_participant_leaves_finalize_to_keepers_for_its_grace_then_takes_it(
    outsider, agent, client, finalizing
):
    me = agent(outsider, role=Participant, grace=30, from_block=0)

    before = me.tick()
    client.advance_past(client.now() + 30)
    after = me.tick()

    assert (before, after) == (False, True)
    assert [(r.task_id, r.step) for r in me.records if r.kind == "acted"] == [(finalizing.task_id, "finalize")]
    assert client.phase(finalizing.task_id).name == "FINALIZED"


def test_keeper__finalizes_at_once_and_is_done_when_the_task_is_settled(agent, client, finalizing, outsider):
    keeper = agent(outsider, role=Participant, grace=0, from_block=0, tasks=None)

    keeper.tick()
    finished = keeper.tick()

    (record,) = [r for r in keeper.records if r.task_id == finalizing.task_id]
    assert record.step == "finalize" and record.sent and record.sent[0].gas > 0
    assert finished is False and keeper.progress.tasks[finalizing.task_id].state == "finished"


def test_campaign__killed_after_keeping_the_test_set_secret_before_creating__restart_creates_that_task_once(
    client, store, initiator, tmp_path, monkeypatch
):
    from learning_market.roles.campaign import Campaign

    _, _, test = split_dataset(load_digits(), val_fraction=0.1, test_fraction=0.2, seed=2)
    start = client.block_number()

    def boss() -> Agent:
        campaign = Campaign(SPEC, [test], TERMS, start_margin=0, from_block=start)
        me = Initiator(client, initiator, store, Keyring(tmp_path / "boss"), allow_private_uri=True, campaign=campaign)
        return Agent("boss", me, progress=Progress.load(tmp_path / "boss.json"), say=lambda _: None, grace=0,
                     tasks=1, from_block=start, sleep=lambda _: None)

    first = boss()
    monkeypatch.setattr(MarketClient, "create_task", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        first.tick()
    monkeypatch.undo()
    ((_, pending),) = first.role.keyring.pending(client.chain_id, client.address, initiator.address)

    again = boss()
    again.tick(), again.tick()

    (announced,) = client.tasks_announced(start, client.block_number())
    assert client.params(announced.task_id).test_set_commitment == pending.commitment
    assert again.role.campaign.rounds == {0: announced.task_id}
    assert first.role.keyring.pending(client.chain_id, client.address, initiator.address) == []


def test_watch__a_role_that_may_be_given_a_part_later__keeps_watching_the_task(agent, client, task, outsider):
    class Drawable(Participant):
        """A role given to it by others (a panel draw), never joined."""

        def takes_part(self, task_id: int) -> bool:
            return False

        def may_take_part(self, task_id: int) -> bool:
            return True

    class Bystander(Drawable):
        def may_take_part(self, task_id: int) -> bool:
            return False

    drawable, bystander = agent(outsider, role=Drawable), agent(outsider, role=Bystander)

    drawable.tick(), bystander.tick()

    assert drawable.progress.tasks[task.task_id].state == "watching"
    assert bystander.progress.tasks[task.task_id].state == "finished"
    assert drawable.records == bystander.records == []


def test_verifier__registers_once_then_counts_a_task_settled_without_it(agent, client, task, accounts, chain):
    # Prepare: a newcomer to the pool, with a verifier agent for one task
    from learning_market.roles.verifier import Verifier

    newcomer = accounts.generate_test_account()
    chain.provider.set_balance(newcomer.address, 10**18)
    me = agent(newcomer, role=Verifier, count_unjoined=True, tasks=1)
    me.role.join_pool = True

    # Execute: it registers (a market step) and watches the task, which may yet draw it; nobody commits,
    # so the task ends unfulfilled without a panel
    me.tick(), me.tick()
    watching = me.progress.tasks[task.task_id].state
    client.advance_past(task.params.reveal_deadline)
    me.tick()

    # Assert: one registration; the task counts once it settled without it, and the agent is done
    assert [(r.task_id, r.step) for r in me.records if r.kind == "acted"] == [(None, "register")]
    assert client.pool_member(newcomer.address).bond == client.verifier_bond and newcomer.nonce == 1
    assert watching == "watching" and client.phase(task.task_id).name == "UNFULFILLED"
    memory = me.progress.tasks[task.task_id]
    assert (memory.state, memory.took_part, me.done) == ("finished", False, True)


def test_keeper__panel_seed_expired__requests_it_again_then_draws(outsider, agent, client, task, contributors, chain):
    # Prepare: a commitment, the commit deadline passed, a keeper's request whose seed's hash then expires
    contributor = agent(contributors[0])
    contributor.tick(), contributor.tick()  # train, commit
    client.advance_past(task.params.commit_deadline)
    keeper = agent(outsider, role=Participant, grace=0, tasks=None)
    keeper.tick()  # requests the panel
    chain.provider.make_request("anvil_mine", [hex(300), hex(0)])  # 300 blocks, the clock still

    # Execute: the keeper looks again, then once its new seed's successor is mined
    keeper.tick()
    client.mine(), client.mine()
    keeper.tick()

    # Assert: requested twice (the contract allows a renewal once the hash expired), then drawn
    steps = [r.step for r in keeper.records if r.task_id == task.task_id and r.kind == "acted"]
    assert steps == ["request_panel", "request_panel", "draw_panel"]
    assert client.task(task.task_id).panel_drawn == TERMS.panel_size
    assert client.phase(task.task_id).name == "REVEAL"
