"""What the off-chain code copies from the contract stays the contract's: the Python enums are the
interface's, every custom error of the ABI has a sentence, and the caps come from the contract."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from learning_market.market import MarketClient
from learning_market.nodes import ApeNode
from learning_market.phases import Phase, Role, TaskParams
from learning_market.refusals import SENTENCES, explain

INTERFACE = Path(__file__).resolve().parents[3] / "interfaces" / "ILearningMarket.sol"
SAMPLES = {"uint256": 7, "uint8": 1, "address": "0x" + "ab" * 20, "bytes32": b"\x01" * 32}


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


@pytest.mark.parametrize(("enum", "name"), [(Phase, "Phase"), (Role, "Role")])
def test_python_enums__the_interfaces_members_in_order(market, enum, name):
    assert f"enum ILearningMarket.{name}" in _abi_enum_types(market.contract_type)

    assert [str(member) if enum is Phase else member.name.capitalize() for member in enum] == _enum(name)
    assert [member.value for member in enum] == list(range(len(_enum(name))))


def test_task_params__the_abis_struct_field_for_field(market):
    (create,) = [m for m in market.contract_type.methods if m.name == "createTask"]
    struct = create.inputs[0]

    names = [c.name for c in struct.components]

    assert [re.sub(r"(?<!^)(?=[A-Z])", "_", n).lower() for n in names] == list(TaskParams.__dataclass_fields__)


def test_refusal_table__a_sentence_for_every_custom_error_of_the_abi(market):
    errors = {e.name: e for e in market.contract_type.errors}

    assert sorted(SENTENCES) == sorted(errors)
    for name, error in errors.items():
        sentence = explain(name, {i.name: SAMPLES[i.type] for i in error.inputs})
        assert sentence.endswith(".") and name not in sentence, sentence


def test_market_client__caps_and_window__read_from_the_contract(market, chain):
    client = MarketClient(ApeNode(market, chain))

    assert (client.max_contributors_cap, client.max_verifiers_cap) == (
        market.MAX_CONTRIBUTORS_CAP(), market.MAX_VERIFIERS_CAP()
    )
    assert client.min_window == market.minWindow()
