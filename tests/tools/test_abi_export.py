"""The ABIs and their reference for integrators (`python -m tools.abi`) are the build's: the checked-in files
match what the tool generates from it, every selector is the compiler's, every custom error of the market, its
setup module and its pool is named once, and every view's word layout decodes what the contracts really return."""

from __future__ import annotations

import json

import pytest
from eth_abi import encode

from learning_market.rpc import JsonRpc
from tools.abi import (
    ABI_FILE,
    BUILD,
    CONTRACT,
    POOL,
    POOL_ABI_FILE,
    SETUP,
    canonical,
    head_layout,
    load_build_abi,
    load_build_abis,
    main,
    render_section,
    selector,
    signature,
    stale_files,
    word_layout,
)


def _abi(project) -> list[dict]:
    project.LearningMarket  # noqa: B018 - compiles the project if it is not compiled yet
    return load_build_abi()


def test_abi_export__checked_in_files__match_the_build(project):
    _abi(project)
    assert stale_files(load_build_abis()) == [], "run `python -m tools.abi` and commit abi/ and docs/integration.md"
    assert main(["--check"]) == 0


@pytest.mark.parametrize("contract", [CONTRACT, POOL])
def test_abi_export__function_selectors__are_the_compilers(project, contract):
    _abi(project)
    identifiers = json.loads(BUILD.read_text())["contractTypes"][contract]["methodIdentifiers"]
    functions = [e for e in load_build_abi(contract=contract) if e["type"] == "function"]

    assert {signature(e): selector(e) for e in functions} == identifiers


def _raw_call(chain, market, data: str) -> bytes:
    return bytes(chain.provider.web3.eth.call({"to": market.address, "data": data}))


def test_abi_export__error_selectors__are_those_the_market_reverts_with(project, market, chain):
    errors = {e["name"]: e for e in _abi(project) if e["type"] == "error"}
    (get_task,) = [e for e in _abi(project) if e["type"] == "function" and e["name"] == "getTask"]

    reply = JsonRpc(chain.provider.http_uri).request(
        "eth_call", {"to": market.address, "data": selector(get_task) + encode(["uint256"], [99]).hex()}, "latest"
    )

    assert reply["error"]["data"] == selector(errors["TaskNotFound"]) + encode(["uint256"], [99]).hex()


def test_abi_export__pool_error_selectors__are_those_the_pool_reverts_with(project, pool, chain, outsider):
    _abi(project)
    pool_abi = load_build_abi(contract=POOL)
    errors = {e["name"]: e for e in pool_abi if e["type"] == "error"}
    (withdraw,) = [e for e in pool_abi if e["type"] == "function" and e["name"] == "withdrawBond"]

    reply = JsonRpc(chain.provider.http_uri).request(
        "eth_call", {"from": outsider.address, "to": pool.address, "data": selector(withdraw)}, "latest"
    )

    assert reply["error"]["data"] == selector(errors["NotRegistered"]) + encode(["address"], [outsider.address]).hex()


def test_word_layout__get_task__one_word_per_field_structs_inline(project, market, chain, create_task):
    task = create_task()
    (get_task,) = [e for e in _abi(project) if e["type"] == "function" and e["name"] == "getTask"]
    rows = word_layout(get_task["outputs"][0])

    words = _raw_call(chain, market, selector(get_task) + encode(["uint256"], [task.task_id]).hex())
    view = market.getTask(task.task_id)

    def word(field: str) -> bytes:
        index = next(i for i, row in enumerate(rows) if f"`{field}`" in row)
        return words[32 * index: 32 * index + 32]

    assert len(words) == 32 * len(rows)
    assert int.from_bytes(word("params.commitDeadline"), "big") == view.params.commitDeadline
    assert "0x" + word("initiator")[12:].hex() == str(view.initiator).lower()
    assert int.from_bytes(word("reward"), "big") == view.reward


def test_word_layout__an_array_of_structs__offset_length_then_elements():
    output = {
        "type": "tuple[]",
        "internalType": "struct I.Pair[]",
        "components": [{"name": "a", "type": "address"}, {"name": "b", "type": "uint16"}],
    }

    assert word_layout(output) == [
        "| 0 | offset of the array (always `0x20`) | uint256 |",
        "| 1 | `n`, the number of elements | uint256 |",
        "| 2 + 2·i + 0 | `[i].a` | address |",
        "| 2 + 2·i + 1 | `[i].b` | uint16 |",
    ]
    assert canonical(output) == "(address,uint16)[]"


def test_head_layout__get_shards__offset_then_mask_then_the_array_at_its_offset(project, market, chain, create_task):
    task = create_task()
    (get_shards,) = [e for e in _abi(project) if e["type"] == "function" and e["name"] == "getShards"]
    rows = head_layout(get_shards["outputs"])

    words = _raw_call(chain, market, selector(get_shards) + encode(["uint256"], [task.task_id]).hex())
    digests, mask = market.getShards(task.task_id)

    assert rows[0].startswith("| 0 | offset of `digests`") and rows[1] == "| 1 | `auditMask` | uint32 |"
    offset = int.from_bytes(words[:32], "big")
    assert int.from_bytes(words[32:64], "big") == mask
    assert int.from_bytes(words[offset: offset + 32], "big") == len(digests)


def test_render_section__names_every_error_of_market_module_and_pool_once(project):
    _abi(project)
    abis = load_build_abis()
    section = render_section(abis)

    for name in (CONTRACT, SETUP, POOL):
        for entry in abis[name]:
            if entry["type"] == "error":
                assert section.count(f"| `{selector(entry)}` | `{signature(entry)}` |") == 1
    assert "`NotDelegated()` | TaskSetup |" in section and "`NotMarket(address)` | VerifierPool |" in section
    assert (ABI_FILE.name, POOL_ABI_FILE.name) == ("LearningMarket.json", "VerifierPool.json")
