"""The agents' commands as a user runs them, in-process on the test's chain: the light entry point
(`python -m learning_market.agents`: deploy, tasks, inspect, fund, data, keeper and its key options) and
the ape scripts (`ape run agent`, `tasks`, `data`). A refusal is one sentence; an agent whose work is done
ends by itself."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from learning_market.agents.__main__ import cli as light_cli
from tests.cli.conftest import load_script, refused, succeeded

SPEC = {"input_shape": [1, 8, 8], "num_classes": 10, "metric": "accuracy",
        "architecture": {"name": "logistic", "input_shape": [1, 8, 8], "num_classes": 10}}


@pytest.fixture
def light(chain):
    """Runs `python -m learning_market.agents <command> args...` against the test's node."""

    def invoke(command: str, *args: Any, node: bool = True) -> Result:
        words = command.split() + [str(a) for a in args] + (["--rpc", chain.provider.http_uri] if node else [])
        return CliRunner().invoke(light_cli, words, catch_exceptions=True)

    return invoke


def test_deploy__dev_account__a_market_and_its_pool_with_their_terms(light, chain, project):
    output = succeeded(light("deploy", "--dev-account", 0, "--min-window", 30, "--verifier-bond", "2 ether",
                             "--slash-amount", "0.5 ether", "--unbonding-period", 600, "--forfeit-bps", 100))

    address = output.split("market address: ")[1].split()[0]
    market = project.LearningMarket.at(address)
    pool = project.VerifierPool.at(market.verifierPool())
    assert (market.minWindow(), market.forfeitBps()) == (30, 100)
    assert (pool.verifierBond(), pool.slashAmount(), pool.unbondingPeriod()) == (2 * 10**18, 5 * 10**17, 600)
    assert f"verifier pool: {pool.address}" in output


def test_deploy__slash_above_the_bond__one_sentence(light):
    sentence = refused(light("deploy", "--dev-account", 0, "--verifier-bond", "1 ether", "--slash-amount", "2 ether"))

    assert sentence == (
        "The slash amount (2,000,000,000,000,000,000 wei) must be more than 0 and at most the bond "
        "(1,000,000,000,000,000,000 wei): lower --slash-amount or raise --verifier-bond."
    )


def test_tasks__an_open_task__its_terms_and_every_window_in_local_time(light, market, create_task):
    task = create_task()

    output = succeeded(light("tasks", "--market", market.address))

    assert f"Task {task.task_id}: Audit until " in output
    assert "  reward 1 ETH (1,000,000,000,000,000,000 wei)" in output
    assert "  stake: contributor 0.01 ETH (10,000,000,000,000,000 wei); a panel of 3 drawn from the pool" in output
    assert output.count("    score reveal: ") == output.count("Task ")
    assert "(times are local, " in output


def test_tasks__none_open__says_so(light, market, create_task):
    task = create_task()
    market.cancelTask(task.task_id, sender=task.initiator)

    output = succeeded(light("tasks", "--market", market.address, "--limit", 1))

    assert output.strip() == f"No open task in the market at {market.address}."


def test_tasks__no_contract_at_the_address__one_sentence(light, chain):
    sentence = refused(light("tasks", "--market", "0x000000000000000000000000000000000000dEaD"))

    assert sentence == (
        f"There is no contract at 0x000000000000000000000000000000000000dEaD on the node at "
        f"{chain.provider.http_uri}: check --market and --rpc."
    )


def test_fund__local_node__sets_the_balance(light, accounts, chain):
    address = accounts.generate_test_account().address

    output = succeeded(light("fund", "--to", address, "--amount", "7 ether"))

    assert chain.provider.get_balance(address) == 7 * 10**18
    assert output.strip() == f"{address} now holds 7,000,000,000,000,000,000 wei"


def test_keeper__settled_task__finishes_it_and_ends_by_itself(light, market, create_task, tmp_path, chain):
    task = create_task()
    market.cancelTask(task.task_id, sender=task.initiator)
    start = chain.blocks.head.number - 3

    output = succeeded(light("keeper", "--market", market.address, "--dev-account", 15, "--keyring", tmp_path,
                             "--tasks", 1, "--from-block", start, "--poll", 0.1))

    assert output.splitlines()[-1].endswith("is done: it took part in 1 task(s), all settled")
    assert list((tmp_path / "31337" / market.address / "agents").glob("*-keeper.json"))


@pytest.mark.parametrize(
    ("keys", "sentence"),
    [
        ([], "Give the account's key in exactly one way: --key-file, --keystore or --dev-account."),
        (["--dev-account", 1, "--keystore", "KEYSTORE"],
         "Give the account's key in exactly one way: --key-file, --keystore or --dev-account "
         "(not --keystore and --dev-account)."),
    ],
    ids=["none", "two"],
)
def test_keeper__keys_not_given_once__one_sentence(light, market, tmp_path, keys, sentence):
    keystore = tmp_path / "k.json"
    keystore.write_text("{}")
    words = [str(keystore) if k == "KEYSTORE" else k for k in keys]

    assert refused(light("keeper", "--market", market.address, *words)) == sentence


def test_data__build_from_the_digits_then_check__fits(light, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC))
    out = tmp_path / "shard.npz"

    built = succeeded(light("data build", "--source", "digits", "--shard", 2, "--of", 4, "--out", out, node=False))
    checked = succeeded(light("data check", "--data", out, "--spec", spec, node=False))

    with np.load(out) as arrays:
        assert arrays["x"].shape[1:] == (1, 8, 8) and arrays["x"].dtype == np.float32
    assert built.startswith(f"wrote {out}: ") and "shaped [1, 8, 8] in 10 classes" in built
    assert checked.startswith(f"{out} fits the task of {spec}: ")


def test_data__csv_shaped_then_checked_against_a_spec_it_does_not_fit__one_sentence(light, tmp_path):
    table = tmp_path / "mine.csv"
    with open(table, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["label", *(f"f{i}" for i in range(4))])
        for row in range(6):
            writer.writerow([row % 3, *(0.5 * row for _ in range(4))])
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC))
    out = tmp_path / "mine.npz"

    built = succeeded(light("data build", "--csv", table, "--shape", "1,2,2", "--out", out, node=False))
    sentence = refused(light("data check", "--data", out, "--spec", spec, node=False))

    assert built == f"wrote {out}: 6 examples shaped [1, 2, 2] in 3 classes (per class: 0: 2, 1: 2, 2: 2)\n"
    assert sentence == (
        f"The data in {out} has examples shaped [1, 2, 2] in 10 classes, and the task needs [1, 8, 8] in 10."
    )


def test_data__csv_without_the_label_column__one_sentence(light, tmp_path):
    table = tmp_path / "mine.csv"
    table.write_text("a,b\n1,2\n")

    sentence = refused(light("data build", "--csv", table, "--out", tmp_path / "x.npz", node=False))

    assert sentence == f"{table} has no column 'label' (its columns: a, b): name it with --label."


# ------------------------------------------------------------------ the ape scripts


@pytest.fixture
def ape_run(chain):
    scripts = {name: load_script(name) for name in ("agent", "tasks", "data")}

    def invoke(script: str, *args: Any) -> Result:
        words = [str(a) for a in args] + (["--network", chain.provider.http_uri] if script != "data" else [])
        return CliRunner().invoke(scripts[script], words, catch_exceptions=True)

    return invoke


def test_ape_agent__keeper_with_an_ape_account__finishes_a_settled_task(ape_run, market, create_task, tmp_path, chain):
    task = create_task()
    market.cancelTask(task.task_id, sender=task.initiator)

    output = succeeded(ape_run("agent", "keeper", "--account", "TEST::15", "--market", market.address,
                               "--keyring", tmp_path, "--tasks", 1, "--from-block", chain.blocks.head.number - 3,
                               "--poll", 0.1))

    assert "is done: it took part in 1 task(s), all settled" in output


def test_ape_tasks__lists_the_open_task(ape_run, market, create_task):
    task = create_task()

    assert f"Task {task.task_id}: Audit until " in succeeded(ape_run("tasks", "--market", market.address))


def test_ape_data__build(ape_run, tmp_path):
    out = tmp_path / "test.npz"

    output = succeeded(ape_run("data", "build", "--source", "digits", "--part", "test", "--out", out))

    assert output.startswith(f"wrote {out}: 540 examples")


def test_module__runs_as_a_program_without_ape_or_torch(tmp_path):
    probe = (
        "import sys, runpy; sys.argv = ['agents', '--help']\n"
        "try:\n    runpy.run_module('learning_market.agents', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('loaded:', 'ape' in sys.modules, 'torch' in sys.modules)"
    )

    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=60)

    assert done.returncode == 0, done.stderr
    assert all(word in done.stdout for word in ("contributor", "verifier", "initiator", "keeper", "tasks", "data"))
    assert done.stdout.strip().endswith("loaded: False False")


def test_inspect__a_task__its_figures_and_no_fused_model_yet(light, market, create_task):
    task = create_task()

    output = succeeded(light("inspect", "--market", market.address, "--task", task.task_id))

    assert output.startswith(f"Task {task.task_id} in market {market.address}\n  phase:          Audit, until ")
    assert "  fused model:    not published\n" in output and "fused accuracy" not in output
