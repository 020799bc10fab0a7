"""What the off-chain code copies from the contract stays the contract's: the Python enums are the
interface's, every custom error of the market, its setup module and its verifier pool has a sentence,
and the caps and the pool's terms come from the contracts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from learning_market.market import MarketClient
from learning_market.nodes import ApeNode, RpcNode
from learning_market.phases import Basis, Phase, Role, TaskParams
from learning_market.refusals import SENTENCES, explain
from tests.utils.market import FORFEIT_BPS, MIN_WINDOW, SLASH_AMOUNT, UNBONDING_PERIOD, VERIFIER_BOND

INTERFACE = Path(__file__).resolve().parents[3] / "interfaces" / "ILearningMarket.sol"
SAMPLES = {"uint256": 7, "uint32": 5, "uint8": 1, "address": "0x" + "ab" * 20, "bytes32": b"\x01" * 32}


def _enum(name: str) -> list[str]:
    """The members of `enum <name>` in the interface, in order."""
    body = re.search(rf"enum {name} \{{(.*?)\}}", INTERFACE.read_text(), re.DOTALL)
    assert body, f"no enum {name} in {INTERFACE}"
    members = (line.split("//")[0].strip().rstrip(",") for line in body.group(1).splitlines())
    return [member for member in members if member]


def _abi_enum_types(contract_type: Any) -> set[str]:
    """The enums the ABI's inputs and outputs name (their `internalType`)."""
    found = set()
    for item in [*contract_type.methods, *contract_type.errors, *contract_type.events]:
        for param in [*item.inputs, *getattr(item, "outputs", [])]:
            if (param.internal_type or "").startswith("enum "):
                assert param.type == "uint8", f"{item.name}.{param.name} is {param.type}"
                found.add(param.internal_type)
    return found


@pytest.mark.parametrize(("enum", "name"), [(Phase, "Phase"), (Role, "Role"), (Basis, "Basis")])
def test_python_enums__the_interfaces_members_in_order(market, enum, name):
    assert f"enum ILearningMarketTypes.{name}" in _abi_enum_types(market.contract_type)

    assert [str(member) if enum is not Role else member.name.capitalize() for member in enum] == _enum(name)
    assert [member.value for member in enum] == list(range(len(_enum(name))))


def test_task_params__the_abis_struct_field_for_field(market):
    (create,) = [m for m in market.contract_type.methods if m.name == "createTask"]
    struct = create.inputs[0]

    names = [c.name for c in struct.components]

    assert [re.sub(r"(?<!^)(?=[A-Z])", "_", n).lower() for n in names] == list(TaskParams.__dataclass_fields__)


def test_refusal_table__a_sentence_for_every_custom_error_of_the_market_setup_and_pool(project, market, pool):
    errors = {
        e.name: e
        for contract in (market.contract_type, project.TaskSetup.contract_type, pool.contract_type)
        for e in contract.errors
    }

    assert sorted(SENTENCES) == sorted(errors)
    for name, error in errors.items():
        sentence = explain(name, {i.name: SAMPLES[i.type] for i in error.inputs})
        assert sentence.endswith(".") and name not in sentence, sentence


def test_market_client__caps_window_and_forfeit__read_from_the_contract(market, chain):
    client = MarketClient(ApeNode(market, chain))

    assert (client.max_contributors_cap, client.max_panel_size, client.max_test_shards) == (512, 63, 32)
    assert (client.min_window, client.forfeit_bps) == (MIN_WINDOW, FORFEIT_BPS)


def test_market_client__the_pool__its_address_terms_and_members(market, pool, chain, verifiers, outsider):
    client = MarketClient(ApeNode(market, chain))

    member, stranger = client.pool_member(verifiers[0].address), client.pool_member(outsider.address)

    assert client.pool_address == pool.address
    assert (client.verifier_bond, client.slash_amount, client.unbonding_period) == (
        VERIFIER_BOND, SLASH_AMOUNT, UNBONDING_PERIOD
    )
    assert (client.pool_size(), client.active_members()) == (5, 5)
    assert (member.bond, member.slot, member.registered, member.exiting, member.slashed) == (
        VERIFIER_BOND, 1, True, False, False
    )
    assert (stranger.bond, stranger.registered) == (0, False)
    assert client.candidate_at(0, chain.blocks.head.number + 1) == (verifiers[0].address, True)


def test_rpc_node__the_pool__reached_as_the_markets_sibling(market, pool, chain, verifiers):
    client = MarketClient(RpcNode(chain.provider.http_uri, market.address))

    assert client.pool_address == pool.address
    assert (client.verifier_bond, client.pool_member(verifiers[1].address).slot) == (VERIFIER_BOND, 2)
