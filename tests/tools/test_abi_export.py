"""The ABI and its reference for integrators (`python -m tools.abi`) are the build's: the checked-in files
match what the tool generates from it, every selector is the compiler's, and every view's word layout
decodes what the market really returns."""

from __future__ import annotations

import json

from eth_abi import encode

from learning_market.rpc import JsonRpc
from tools.abi import (
    ABI_FILE,
    BUILD,
    CONTRACT,
    canonical,
    load_build_abi,
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
    assert stale_files(_abi(project)) == [], "run `python -m tools.abi` and commit abi/ and docs/integration.md"
    assert main(["--check"]) == 0


def test_abi_export__function_selectors__are_the_compilers(project):
    identifiers = json.loads(BUILD.read_text())["contractTypes"][CONTRACT]["methodIdentifiers"]
    functions = [e for e in _abi(project) if e["type"] == "function"]

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


def test_render_section__names_every_error_once(project):
    abi = _abi(project)
    section = render_section(abi)

    for entry in abi:
        if entry["type"] == "error":
            assert section.count(f"| `{selector(entry)}` | `{signature(entry)}` |") == 1
    assert ABI_FILE.name == "LearningMarket.json"
