"""Two rounds of a task driven only through the role scripts (mechanism v2), every command and every
option of each used at least once: deploy (with the pool's terms), register in the pool, create (all
terms, a published spec and initial model; its audit drawn and revealed), train, commit (by the last
trained model with the audit checked against its data, and by CID), draw the panel, reveal (published),
reveal the test set, score and reveal the scores by the members drawn, finalize in one-step batches,
every claim (one paid to another address), fuse and publish, inspect, leave the pool and withdraw the
bond; then a second round from the fused model, cancelled and refunded less the forfeit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from content import LocalStore, cid_to_digest
from learning_market.market import MarketClient
from learning_market.nodes import ApeNode
from learning_market.phases import Phase
from ml import build_model, encode_model, load_digits, set_seed, shard_dataset, split_dataset
from tests.cli.conftest import succeeded

ARCHITECTURE = {"name": "mlp", "input_shape": [1, 8, 8], "num_classes": 10, "hidden_sizes": [16]}
SPEC = {"input_shape": [1, 8, 8], "num_classes": 10, "metric": "accuracy", "architecture": ARCHITECTURE,
        "training": {"epochs": 1}}
WINDOW = 120


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The spec, an initial model, the test set, the validation set and two private shards."""
    folder = tmp_path_factory.mktemp("files")
    train, validation, test = split_dataset(load_digits(), val_fraction=0.1, test_fraction=0.2, seed=0)
    paths = {"spec": folder / "spec.json", "initial": folder / "initial.safetensors"}
    paths["spec"].write_text(json.dumps(SPEC))
    set_seed(0)
    paths["initial"].write_bytes(encode_model(build_model(ARCHITECTURE), ARCHITECTURE))
    for name, data in [("test", test), ("validation", validation),
                       *((f"shard-{i}", s) for i, s in enumerate(shard_dataset(train, 2, "iid", seed=0)))]:
        paths[name] = folder / f"{name}.npz"
        np.savez(paths[name], x=data.x, y=data.y)
    return paths


def _value(output: str, label: str) -> str:
    match = re.search(rf"^{re.escape(label)}: (\S+)", output, re.MULTILINE)
    assert match, f"no {label!r} in:\n{output}"
    return match.group(1)


def test_scripts__two_rounds__every_command_and_option(run, chain, project, accounts, files, tmp_path):
    # Prepare: a public store (a stand-in for IPFS) and, per account, a private store and keyring
    public = tmp_path / "public"
    home = {n: (str(tmp_path / n / "store"), str(tmp_path / n / "keys")) for n in ("boss", "a", "b")}

    def private(name: str) -> list[str]:
        store, keys = home[name]
        return ["--store", store, "--keyring", keys, "--fetch", str(public)]

    deployed = succeeded(run(
        "deploy", "--account", "TEST::0", "--min-window", 60, "--verifier-bond", "0.1 ether",
        "--slash-amount", "0.05 ether", "--unbonding-period", 3_600, "--forfeit-bps", 500,
    ))
    market = _value(deployed, "market address")
    client = MarketClient(ApeNode(project.LearningMarket.at(market), chain))
    at = ["--market", market]
    members = {accounts[i].address: (f"v{i}", f"TEST::{i}") for i in (10, 11, 12)}
    for _, account in members.values():
        succeeded(run("verifier", "register", "--account", account, *at))
    for name, _ in members.values():
        home[name] = (str(tmp_path / name / "store"), str(tmp_path / name / "keys"))

    # Execute: round 1
    created = succeeded(run(
        "initiator", "create", "--account", "TEST::1", *at, "--spec", files["spec"],
        "--initial-model", files["initial"], "--test-set", files["test"], "--reward", "1 ether",
        "--contributor-stake", "0.01 ether", "--max-contributors", 4, "--panel-size", 3, "--test-shards", 4,
        "--audit-shards", 1, "--fee-bps", 1000, "--baseline", 1000, "--tolerance", 300, "--window", WINDOW,
        "--start-margin", 0, "--parent", 0, *private("boss"), "--publish", public,
    ))
    task = int(_value(created, "task id"))
    on_task = [*at, "--task", task]
    trained_a = succeeded(run(
        "contributor", "train", *on_task, "--data", files["shard-0"], "--epochs", 2, "--seed", 3, "--lr", 0.05,
        "--batch-size", 16, "--quiet", *private("a"),
    ))
    trained_b = succeeded(run("contributor", "train", *on_task, "--data", files["shard-1"], "--quiet", *private("b")))
    digests = [_value(trained_a, "model digest"), _value(trained_b, "model digest")]
    cid = _value(trained_b, "model CID")
    succeeded(run("contributor", "commit", "--account", "TEST::2", *on_task, "--stake", "0.01 ether",
                  "--data", files["shard-0"], "--max-audit-error", 95, "--max-label-distance", 50, *private("a")))
    succeeded(run("contributor", "commit", "--account", "TEST::3", *on_task, "--model-digest", cid, *private("b")))
    params = client.params(task)
    client.advance_past(params.commit_deadline)
    drawn = succeeded(run("panel", "--account", "TEST::15", *on_task))
    panel = [members[m.member] for m in client.panel(task)]
    for name, account in (("a", "TEST::2"), ("b", "TEST::3")):
        succeeded(run("contributor", "reveal", "--account", account, *on_task, *private(name), "--publish", public))
    client.advance_past(params.reveal_deadline)
    succeeded(run("initiator", "reveal-test-set", "--account", "TEST::1", *on_task, *private("boss"),
                  "--publish", public))
    scored = [succeeded(run("verifier", "score", "--account", account, *on_task, *private(name), *extra))
              for (name, account), extra in zip(panel, (["--zero-missing"], [], []), strict=True)]
    client.advance_past(params.score_commit_deadline)
    for name, account in panel:
        succeeded(run("verifier", "reveal", "--account", account, *on_task, *private(name)))
    client.advance_past(params.score_reveal_deadline)
    succeeded(run("finalize", "--account", "TEST::15", *on_task, "--max-steps", 1))
    owed = {a: client.owed(task, accounts[a].address) for a in (1, 2, 3, 10, 11, 12)}
    recipient = accounts[16]
    before = recipient.balance
    succeeded(run("contributor", "claim", "--account", "TEST::2", *on_task))
    succeeded(run("contributor", "claim", "--account", "TEST::3", *on_task, "--to", recipient.address))
    succeeded(run("verifier", "claim", "--account", panel[0][1], *on_task))
    succeeded(run("claim", "--account", panel[1][1], *on_task))
    succeeded(run("initiator", "claim", "--account", panel[2][1], *on_task))  # any role's claim pays anyone
    fused = succeeded(run("initiator", "fuse-and-publish", "--account", "TEST::1", *on_task, "--strategy", "average",
                          "--validation", files["validation"], "--byzantine", 0, *private("boss"),
                          "--publish", public))
    shown = succeeded(run("inspect_task", *on_task, "--account-address", accounts[2].address, "--fetch", public,
                          "--store", tmp_path / "inspector"))
    leaving = panel[0][1]
    succeeded(run("verifier", "exit", "--account", leaving, *at))
    client.advance_past(client.now() + 3_600)
    withdrawn = succeeded(run("verifier", "withdraw", "--account", leaving, *at))

    # Assert: round 1
    assert client.phase(task) == Phase.FINALIZED
    assert [f"0x{s.model_digest.hex()}" for s in client.submissions(task)] == digests
    assert cid_to_digest(cid).hex() == digests[1].removeprefix("0x")
    assert all(s.median_score > 1000 and s.reward > 0 for s in client.submissions(task))
    assert all(scores.count("submission #") == 2 and "test set available: yes" in scores for scores in scored)
    assert [line for line in drawn.splitlines() if line.startswith("member #")] == [
        f"member #{i}: {m.member}" for i, m in enumerate(client.panel(task))
    ]
    assert _value(deployed, "verifier pool address") == client.pool_address
    assert (client.verifier_bond, client.slash_amount, client.unbonding_period, client.forfeit_bps) == (
        10**17, 5 * 10**16, 3_600, 500
    )
    assert recipient.balance - before == owed[3]
    assert all(owed[a] > 0 and client.owed(task, accounts[a].address) == 0 for a in (2, 3, 10, 11, 12))
    assert _value(withdrawn, "withdrawn") == str(10**17)
    assert not client.pool_member(accounts[int(leaving[6:])].address).registered
    assert "Panel (3, in draw order)" in shown and "shards:         4; audited" in shown
    fused_digest = bytes.fromhex(_value(fused, "fused model").removeprefix("0x"))
    assert client.task(task).fused_digest == fused_digest
    assert LocalStore(public).get(fused_digest)  # published where others fetch it
    assert f"Account {accounts[2].address} (contributor) has claimed already" in shown
    fused_line = next(line for line in shown.splitlines() if "fused accuracy:" in line)
    assert fused_line.strip().endswith("% on the task's test set") and 10.0 < float(fused_line.split()[2][:-1]) <= 100

    # Execute: round 2 from the fused model, cancelled, and its reward claimed back
    fused_file = tmp_path / "fused.safetensors"
    fused_file.write_bytes(LocalStore(public).get(fused_digest))
    second = succeeded(run(
        "initiator", "create", "--account", "TEST::1", *at, "--spec", files["spec"], "--initial-model", fused_file,
        "--test-set", files["test"], "--reward", "0.5 ether", "--window", WINDOW, "--parent", task,
        *private("boss"), "--allow-private-uri",
    ))
    task_2 = int(_value(second, "task id"))
    succeeded(run("initiator", "cancel", "--account", "TEST::1", *at, "--task", task_2))
    refund = client.owed(task_2, accounts[1].address)
    succeeded(run("claim", "--account", "TEST::1", *at, "--task", task_2))

    # Assert: round 2
    assert client.params(task_2).parent_task_id == task and client.phase(task_2) == Phase.CANCELLED
    assert refund == 5 * 10**17 - 5 * 10**17 * 500 // 10_000 and client.owed(task_2, accounts[1].address) == 0


