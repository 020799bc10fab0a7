"""The light way in: the market over raw JSON-RPC with a local key reads what ape reads, sends and waits
for transactions, names a refusal by the contract's custom error without sending anything, and says in a
sentence when the node cannot be reached; local keys are refused when they are not safe."""

from __future__ import annotations

import json
import os

import pytest

from learning_market.agents.keys import KeySourceError, dev_account, key_file_account, keystore_account
from learning_market.errors import NetworkError
from learning_market.market import MarketClient
from learning_market.nodes import ApeNode, RpcNode
from learning_market.options import parse_amount
from learning_market.refusals import MarketRefusal


@pytest.fixture
def light(market, chain) -> MarketClient:
    return MarketClient(RpcNode(chain.provider.http_uri, market.address))


def test_rpc_node__views__the_same_as_through_ape(light, market, chain, create_task):
    task = create_task()

    assert light.task(task.task_id) == MarketClient(ApeNode(market, chain)).task(task.task_id)
    assert (light.chain_id, light.is_local, light.min_window) == (31337, True, 60)
    assert [a.task_id for a in light.tasks_announced(0, light.block_number())][-1] == task.task_id


def test_rpc_node__pool_action__signed_locally_sent_and_mined(light, outsider):
    me = dev_account(15)
    assert me.address == outsider.address

    light.register(sender=me)

    (sent,) = light.sent
    assert sent.action == "register" and sent.gas > 0 and sent.tx_hash.startswith("0x")
    assert light.pool_member(me.address).bond == light.verifier_bond
    assert light.waiting_transactions(me.address) == 0


def test_rpc_node__refused_action__named_by_its_custom_error_and_nothing_sent(light, verifiers):
    me = dev_account(10)
    assert me.address == verifiers[0].address  # a member of the session's pool
    before = light.node.nonces(me.address)

    with pytest.raises(MarketRefusal) as refusal:
        light.register(sender=me)

    assert (refusal.value.error, refusal.value.inputs) == ("AlreadyRegistered", {"account": me.address})
    assert light.node.nonces(me.address) == before and light.sent == []


def test_rpc_node__no_node_listening__one_sentence():
    node = RpcNode("http://127.0.0.1:9", "0x" + "00" * 20, timeout=2)

    with pytest.raises(NetworkError) as error:
        node.head()

    assert error.value.sentence == (
        "The node at http://127.0.0.1:9 cannot be reached (ConnectionError): start it, or check --rpc."
    )


# ------------------------------------------------------------------ keys


def test_key_file__readable_by_others__refused(tmp_path):
    path = tmp_path / "key"
    path.write_text("0x" + "11" * 32)
    os.chmod(path, 0o644)

    with pytest.raises(KeySourceError) as error:
        key_file_account(path)

    assert error.value.sentence == f"The key file {path} may be read by others (mode 644): chmod 600 it."


def test_key_file__private__its_account(tmp_path):
    path = tmp_path / "key"
    path.write_text("0x" + "11" * 32 + "\n")
    os.chmod(path, 0o600)

    assert key_file_account(path).address == "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"


def test_keystore__wrong_passphrase__refused_in_a_sentence(tmp_path):
    from eth_account import Account

    path = tmp_path / "alice.json"
    path.write_text(json.dumps(Account.encrypt("0x" + "11" * 32, "right", iterations=2)))

    with pytest.raises(KeySourceError) as error:
        keystore_account(path, "wrong")

    assert str(error.value).startswith(f"the keystore {path} does not open with that passphrase")
    assert keystore_account(path, "right").address == "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"


@pytest.mark.parametrize(
    ("text", "wei"),
    [("10000000000000000", 10**16), ("0.01 ether", 10**16), ("10 gwei", 10**10), ("1 ETH", 10**18),
     ("0.5 wei", None), ("ten ether", None), ("1 ether extra", None), ("1 pound", None)],
)
def test_parse_amount__wei_or_a_unit__else_none(text, wei):
    assert parse_amount(text) == wei
