"""A whole round run by autonomous agents, each a separate OS process with its own account, data, store and
keyring, on an anvil of its own mining a block a second (loopback only), with no orchestrator: one
initiator (which draws and reveals its audit at once), three contributors (which check the audit shards
before they stake), three verifiers (which bond themselves into the market's pool once and are drawn into
the panel) and a keeper (which requests and draws the panel and finalizes). One contributor is killed with
SIGKILL right after its commit, and one verifier right after its score commit; both are restarted and
carry on from the chain and their keyrings. The round settles, every payout is what the contract's rules
give for the scores revealed (a model of them, in Python) to the wei, nobody sends a transaction twice,
and every process exits cleanly once its work is done."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from learning_market.agents.keys import dev_account
from learning_market.nodes import RpcNode, deploy_market
from ml import load_digits, shard_dataset, split_dataset
from tests.utils.anvil import standalone_anvil
from tests.utils.market import TestSet
from tests.utils.market_model import TaskModel

ROOT = Path(__file__).resolve().parents[2]
MIN_WINDOW, WINDOW, START_MARGIN = 5, 10, 6
TEST_SHARDS, AUDIT_SHARDS = 4, 1
STARTUP_TIMEOUT, ROUND_TIMEOUT = 60.0, 150.0
SPEC = {
    "input_shape": [1, 8, 8], "num_classes": 10, "metric": "accuracy",
    "architecture": {"name": "mlp", "input_shape": [1, 8, 8], "num_classes": 10, "hidden_sizes": [16]},
    "training": {"epochs": 2},
}
# anvil's development accounts: 0 initiator, 1-3 contributors, 4-6 verifiers (the pool), 7 keeper, 9 deployer
INITIATOR, CONTRIBUTORS, VERIFIERS, KEEPER, DEPLOYER = 0, (1, 2, 3), (4, 5, 6), 7, 9


@pytest.fixture
def node() -> Iterator[str]:
    """An anvil of the test's own on 127.0.0.1, mining a block every second."""
    with standalone_anvil(block_time=1) as uri:
        yield uri


@dataclass
class Agents:
    """The agent processes, each logging to its own file under `folder`."""

    folder: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    args: dict[str, list[str]] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)

    def log(self, name: str) -> Path:
        return self.folder / f"{name}.{self.restarts.get(name, 0)}.log"

    def start(self, name: str, *args: object) -> None:
        self.args[name] = [str(a) for a in args]
        self._spawn(name)

    def _spawn(self, name: str) -> None:
        with open(self.log(name), "w") as out:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "learning_market.agents", *self.args[name]],
                stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=self.folder,
            )

    def text(self, name: str) -> str:
        return "".join(
            (self.folder / f"{name}.{i}.log").read_text() for i in range(self.restarts.get(name, 0) + 1)
        )

    def wait_for(self, name: str, words: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while words not in self.log(name).read_text():
            assert self.processes[name].poll() is None, f"{name} ended early:\n{self.text(name)}"
            assert time.monotonic() < deadline, f"{name} never logged {words!r}:\n{self.text(name)}"
            time.sleep(0.1)

    def kill_and_restart(self, name: str) -> None:
        """SIGKILL (nothing saved, nothing flushed), then the same command again."""
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait(timeout=10)
        self.restarts[name] = self.restarts.get(name, 0) + 1
        self._spawn(name)

    def wait_all(self, timeout: float) -> dict[str, int]:
        deadline = time.monotonic() + timeout
        codes = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                codes[name] = -1
        return codes

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """The spec, the initiator's test set, and each contributor's private shard (.npz)."""
    train, _, test = split_dataset(load_digits(), val_fraction=0.1, test_fraction=0.2, seed=0)
    paths = {"spec": tmp_path / "spec.json", "test": tmp_path / "test.npz"}
    paths["spec"].write_text(json.dumps(SPEC))
    np.savez(paths["test"], x=test.x, y=test.y)
    for i, shard in enumerate(shard_dataset(train, len(CONTRIBUTORS), "iid", seed=0), start=1):
        paths[f"shard-{i}"] = tmp_path / f"shard-{i}.npz"
        np.savez(paths[f"shard-{i}"], x=shard.x, y=shard.y)
    return paths


def _model_of_the_round(node: RpcNode, task_id: int, head: int) -> TaskModel:
    """The task as the contract's rules see it, rebuilt from its events: who committed, revealed (in what
    order), was drawn, and revealed which verdict and scores; the slashed total as the pool took it."""
    def events(name: str) -> list[dict]:
        return [node.abi.decode_event(name, log) for log in node.logs(name, 0, head)]

    view = node.call("getTask", task_id)
    model = TaskModel(task_id, view.initiator, int(view.reward), dict(view.params._asdict()),
                      TestSet([], []), int(view.auditSeedBlock), int(view.auditMask), bool(view.auditRevealed),
                      forfeit_bps=int(node.call("forfeitBps")))
    model.commitments = {e["contributor"]: e["commitment"] for e in events("ModelCommitted")}
    model.revealed = [e["contributor"] for e in sorted(events("ModelRevealed"), key=lambda e: e["submissionIndex"])]
    (drawn,) = events("PanelDrawn")
    model.panel = list(drawn["members"])
    model.score_reveals = {e["verifier"]: (e["testSetAvailable"], list(e["scores"])) for e in events("ScoresRevealed")}
    model.test_revealed = bool(view.testRevealed)
    model.slashed = int(view.settlement.slashed)
    model.stage = 3  # finalized
    return model


def test_agents__one_process_each_two_killed_and_restarted__the_round_settles_to_the_wei(node, files, tmp_path):
    # Prepare: a market, and every agent but the initiator watching it
    rpc = RpcNode(node, deploy_market(node, dev_account(DEPLOYER), MIN_WINDOW))
    shared = tmp_path / "shared"  # the stand-in for IPFS: where files are published and fetched
    env = {**os.environ, "LEARNING_MARKET_RPC": node, "LEARNING_MARKET_MARKET": rpc.address}
    agents = Agents(tmp_path, env)

    def private(name: str) -> list[object]:
        return ["--store", tmp_path / name / "store", "--keyring", tmp_path / name / "keys"]

    loop = ["--tasks", 1, "--poll", 1]
    began = time.monotonic()
    try:
        agents.start("keeper", "keeper", "--dev-account", KEEPER, "--keyring", tmp_path / "keeper", *loop)
        for i, account in enumerate(VERIFIERS, start=1):
            agents.start(f"verifier-{i}", "verifier", "--dev-account", account, *private(f"verifier-{i}"),
                         "--fetch", shared, *loop)
        for i, account in enumerate(CONTRIBUTORS, start=1):
            agents.start(f"contributor-{i}", "contributor", "--dev-account", account, "--data", files[f"shard-{i}"],
                         *private(f"contributor-{i}"), "--publish", shared, *loop)
        for name in list(agents.processes):
            agents.wait_for(name, "acts in the market", STARTUP_TIMEOUT)
        for i in range(1, len(VERIFIERS) + 1):  # bonded before any panel is requested
            agents.wait_for(f"verifier-{i}", " register tx ", STARTUP_TIMEOUT)
        print(f"seven agents started, three verifiers in the pool, in {time.monotonic() - began:.1f} s")

        # Execute: the initiator opens a round; two agents die at the worst moments and come back
        started = time.monotonic()
        agents.start("initiator", "initiator", "--dev-account", INITIATOR, "--spec", files["spec"],
                     "--test-set", files["test"], "--reward", "1 ether", "--window", WINDOW,
                     "--test-shards", TEST_SHARDS, "--audit-shards", AUDIT_SHARDS,
                     "--start-margin", START_MARGIN, *private("initiator"), "--publish", shared, "--poll", 1)
        agents.wait_for("contributor-1", " commit tx ", ROUND_TIMEOUT)
        agents.kill_and_restart("contributor-1")
        agents.wait_for("verifier-1", " commit_scores tx ", ROUND_TIMEOUT)
        agents.kill_and_restart("verifier-1")
        codes = agents.wait_all(ROUND_TIMEOUT)
        took = time.monotonic() - started
        print(f"the round, from the initiator's start to every agent's exit: {took:.1f} s")
    finally:
        agents.stop_all()

    # Assert: everyone exited cleanly, in time
    logs = {name: agents.text(name) for name in agents.processes}
    assert codes == dict.fromkeys(agents.processes, 0), "\n\n".join(f"== {n}\n{t}" for n, t in logs.items())
    assert all("Traceback" not in text for text in logs.values())
    assert took < ROUND_TIMEOUT

    # Assert: the round settled, and paid each account what the rules give for the scores revealed
    head = rpc.head()[0]
    (created,) = [rpc.abi.decode_event("TaskCreated", log) for log in rpc.logs("TaskCreated", 0, head)]
    task_id = created["taskId"]
    assert rpc.call("phaseOf", task_id) == 8  # Finalized
    view = rpc.call("getTask", task_id)
    model = _model_of_the_round(rpc, task_id, head)
    settlement = model.settle()
    assert tuple(view.settlement) == settlement.struct
    assert sorted(model.panel) == sorted(dev_account(a).address for a in VERIFIERS)
    assert view.settlement.basis == 0 and view.settlement.baseline >= view.settlement.startMedian  # on the test shards
    expected = settlement.owed
    claimed = {e["account"]: e["amount"] for e in (rpc.abi.decode_event("Claimed", log)
                                                     for log in rpc.logs("Claimed", 0, head))}
    assert claimed == {account: amount for account, amount in expected.items() if amount > 0}
    assert sum(claimed.values()) + view.burned == view.deposited and view.burned == settlement.burned
    assert len(expected) == 1 + len(CONTRIBUTORS) + len(VERIFIERS) and all(
        expected[dev_account(a).address] > 0 for a in (*CONTRIBUTORS, *VERIFIERS)
    )
    assert rpc.call("getTask", task_id).fusedModelDigest != bytes(32)
    pool = rpc.sibling(rpc.call("verifierPool"), "VerifierPool")
    assert [pool.call("bondOf", dev_account(a).address) for a in VERIFIERS] == [pool.call("verifierBond")] * 3

    # Assert: nobody sent a transaction twice (each account's nonce counts exactly its steps)
    def sent(account: int) -> int:
        return rpc.nonces(dev_account(account).address)[0]

    initiator_claims = 1 if expected[dev_account(INITIATOR).address] else 0  # its refund is rounding dust, or 0
    # the initiator: create, reveal the audit, reveal the test set, publish the fused model; the keeper:
    # request the panel, draw it, finalize; the audit is drawn once, by whichever of the two came first
    assert len(rpc.logs("AuditDrawn", 0, head)) == 1
    assert sent(INITIATOR) - initiator_claims in (4, 5) and sent(KEEPER) in (3, 4)
    assert sent(INITIATOR) - initiator_claims + sent(KEEPER) == 4 + 3 + 1
    assert [sent(a) for a in CONTRIBUTORS] == [3, 3, 3]  # commit, reveal, claim
    assert [sent(a) for a in VERIFIERS] == [4, 4, 4]  # register in the pool, commit, reveal scores, claim
    assert " reveal tx " in (tmp_path / "contributor-1.1.log").read_text()  # the restarted one revealed
    assert " reveal_scores tx " in (tmp_path / "verifier-1.1.log").read_text()
