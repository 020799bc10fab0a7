"""What a user can get wrong on the command line ends in one sentence naming the problem and what to
do, exit code 1 (or click's 2 for a malformed option), and never a traceback or a call trace."""

from __future__ import annotations

import socket

import pytest

from learning_market.market import MarketClient
from learning_market.nodes import ApeNode
from tests.cli.conftest import refused, succeeded
from tests.utils.files import read_only_directory

NOWHERE = "0x000000000000000000000000000000000000dEaD"


@pytest.fixture
def task(run, market, initiator, create_task):
    """A task in its audit phase, on the session's market."""
    return create_task()


@pytest.fixture
def opened(run, market, tmp_path) -> int:
    """A task created by the initiator's script, in its commit phase (its audit shards revealed into
    tmp_path/store): its id."""
    created = succeeded(run(
        "initiator", "create", "--account", "TEST::1", "--market", market.address, "--spec", _spec(tmp_path),
        "--test-set", _test_set(tmp_path), "--reward", "1 ether", "--window", 120, "--start-margin", 0,
        "--store", tmp_path / "store", "--keyring", tmp_path / "boss-keys", "--allow-private-uri",
    ))
    return int(created.split("task id: ")[1].split()[0])


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_any_command__network_down__says_so_in_a_sentence(run, market):
    url = f"http://127.0.0.1:{_closed_port()}"

    sentence = refused(run("claim", "--account", "TEST::1", "--market", market.address, "--task", 1, network=url))

    assert sentence == (
        f"The network cannot be reached (No (supported) node found on '{url}'): start the node, or check --network."
    )


@pytest.mark.parametrize("script", ["inspect_task", "finalize"])
def test_any_command__no_contract_at_the_market_address__says_so(run, script):
    account = [] if script == "inspect_task" else ["--account", "TEST::1"]

    sentence = refused(run(script, *account, "--market", NOWHERE, "--task", 1))

    assert sentence == f"There is no contract at {NOWHERE} on custom: check --market and --network."


def test_commit__read_only_keyring__says_which_path_and_what_to_do(run, market, opened, tmp_path, contributors):
    store = tmp_path / "store"
    digest = _model(store)
    with read_only_directory(tmp_path) as keys:
        sentence = refused(run(
            "contributor", "commit", "--account", "TEST::2", "--market", market.address, "--task", opened,
            "--model-digest", digest, "--max-audit-error", 100, "--store", store, "--keyring", keys / "keyring",
        ))

    assert sentence.startswith(f"The keyring cannot write {keys / 'keyring'}")
    assert sentence.endswith("choose a keyring directory you may write to, or fix its permissions.")


def test_create__private_store_and_no_publish__refuses_to_write_its_path_on_chain(run, market, tmp_path):
    before = market.taskCount()

    sentence = refused(run(
        "initiator", "create", "--account", "TEST::1", "--market", market.address, "--spec", _spec(tmp_path),
        "--test-set", _test_set(tmp_path), "--reward", "1 ether", "--store", tmp_path / "store",
        "--keyring", tmp_path / "keys",
    ))

    assert sentence == (
        f"The URI of the task spec would be a path on this machine ({(tmp_path / 'store').resolve().as_uri()}/…), "
        "written on chain for everyone to read: publish the file to a shared store (--publish), or allow the "
        "private path (--allow-private-uri)."
    )
    assert market.taskCount() == before


def test_create__read_only_store__says_which_directory(run, market, tmp_path):
    with read_only_directory(tmp_path) as store:
        sentence = refused(run(
            "initiator", "create", "--account", "TEST::1", "--market", market.address, "--spec", _spec(tmp_path),
            "--test-set", _test_set(tmp_path), "--reward", "1 ether", "--store", store,
            "--keyring", tmp_path / "keys", "--allow-private-uri",
        ))

    # the first file a first round stores: the reference starting model its spec will name
    assert sentence.startswith(f"The initial model cannot be stored: the store directory {store} cannot be written (")
    assert sentence.endswith("choose a directory you may write to, or fix its permissions.")


def test_create__store_directory_cannot_be_made__says_which(run, market, tmp_path):
    (tmp_path / "a-file").write_text("")

    sentence = refused(run(
        "initiator", "create", "--account", "TEST::1", "--market", market.address, "--spec", _spec(tmp_path),
        "--test-set", _test_set(tmp_path), "--reward", "1 ether", "--store", tmp_path / "a-file" / "store",
    ))

    assert sentence.startswith(f"The store directory {tmp_path / 'a-file' / 'store'} cannot be created (")


def test_create__read_only_publish_directory__says_which(run, market, tmp_path):
    with read_only_directory(tmp_path) as public:
        sentence = refused(run(
            "initiator", "create", "--account", "TEST::1", "--market", market.address, "--spec", _spec(tmp_path),
            "--test-set", _test_set(tmp_path), "--reward", "1 ether", "--store", tmp_path / "store",
            "--keyring", tmp_path / "keys", "--publish", public,
        ))

    assert sentence.startswith(f"The task spec cannot be stored: the store directory {public} cannot be written (")


def test_commit__market_refuses_after_the_checks__one_sentence_and_no_call_trace(
    run, market, chain, opened, tmp_path, capfd
):
    digest = _model(tmp_path / "store")
    chain.pending_timestamp = market.getTask(opened).params.commitDeadline + 1  # the checks still see Commit

    sentence = refused(run(
        "contributor", "commit", "--account", "TEST::2", "--market", market.address, "--task", opened,
        "--model-digest", digest, "--max-audit-error", 100, "--store", tmp_path / "store",
        "--keyring", tmp_path / "keys",
    ))

    assert sentence == (
        f"The market refused commitModel: task {opened} is in phase Reveal, and this needs phase Commit "
        "(a deadline has passed, or has not come yet)."
    )
    printed = capfd.readouterr()
    assert "tx.origin" not in printed.out + printed.err and "commitModel(" not in printed.out + printed.err
    chain.mine()


def test_register__twice__the_preflight_sentence(run, market, verifiers):
    sentence = refused(run("verifier", "register", "--account", "TEST::10", "--market", market.address))

    assert sentence == (
        f"{verifiers[0].address} is already registered in the verifier pool (bond 0.1 ETH "
        "(100,000,000,000,000,000 wei))."
    )


def test_deploy__slash_above_the_bond__one_sentence_naming_both_options(run):
    sentence = refused(run("deploy", "--account", "TEST::0", "--verifier-bond", "1 ether", "--slash-amount", "2 ether"))

    assert sentence == (
        "The slash amount (2,000,000,000,000,000,000 wei) must be more than 0 and at most the bond "
        "(1,000,000,000,000,000,000 wei): lower --slash-amount or raise --verifier-bond."
    )


def test_claim__twice__the_preflight_sentence(run, market, task, chain):
    client = MarketClient(ApeNode(market, chain))
    on_task = ["--market", market.address, "--task", task.task_id]
    succeeded(run("initiator", "cancel", "--account", "TEST::1", *on_task))
    succeeded(run("claim", "--account", "TEST::1", *on_task))

    sentence = refused(run("claim", "--account", "TEST::1", *on_task))

    assert sentence == f"{task.initiator.address} has already claimed what it was owed in task {task.task_id}."
    assert client.owed(task.task_id, task.initiator.address) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["initiator", "create", "--reward", "lots"], "'lots' is not an amount"),
        (["claim", "--market", "0x1234"], "'0x1234' is not an address"),
        (["contributor", "commit", "--model-digest", "0xabc"], "'0xabc' is not a SHA-256 digest"),
        (["contributor", "commit", "--model-digest", "bafy"], "not base32: 'bafy'"),
        (["initiator", "create", "--window", "0"], "0 is not in the range x>=1"),
        (["finalize", "--max-steps", "0"], "0 is not in the range x>=1"),
        (["claim", "--task", "0"], "0 is not in the range x>=1"),
        (["deploy", "--min-window", "0"], "0 is not in the range"),
    ],
    ids=["amount", "address", "digest", "cid", "window", "max-steps", "task", "min-window"],
)
def test_options__malformed__click_names_the_option(run, args, message):
    result = run(*args)

    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_deploy__verify_source_without_an_explorer__refused(run):
    result = run("deploy", "--account", "TEST::0", "--verify-source")

    assert result.exit_code == 2 and "--verify-source needs an explorer, and custom has none." in result.output


def test_deploy__the_old_publish_flag__is_gone_so_it_cannot_be_taken_for_the_stores_publish(run):
    result = run("deploy", "--account", "TEST::0", "--publish")

    assert result.exit_code == 2 and "No such option: --publish" in result.output


def _model(store) -> str:
    from content import LocalStore
    from ml import build_model, encode_model

    architecture = {"name": "logistic", "input_shape": [1, 8, 8], "num_classes": 10}
    return "0x" + LocalStore(store).put(encode_model(build_model(architecture), architecture)).hex()


def _spec(folder) -> str:
    path = folder / "spec.json"
    path.write_text('{"input_shape": [1, 8, 8], "num_classes": 10, "metric": "accuracy", "architecture": '
                    '{"name": "logistic", "input_shape": [1, 8, 8], "num_classes": 10}}')
    return str(path)


def _test_set(folder) -> str:
    import numpy as np

    path = folder / "test.npz"
    np.savez(path, x=np.zeros((10, 1, 8, 8), dtype=np.float32), y=np.arange(10))
    return str(path)
