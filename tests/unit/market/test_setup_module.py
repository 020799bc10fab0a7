"""The market's setup module (TaskSetup): run only by delegatecall from the market, in the
market's storage. Called directly it refuses; its storage layout is the market's, slot by slot."""

import json
import subprocess
from pathlib import Path

import pytest

from tests.utils.deploy import setup_module_address
from tests.utils.lifecycle import reverts
from tests.utils.market import DEFAULT_REWARD, as_tuple, default_params, digest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def setup_module(project, market):
    """The module the session market deployed."""
    return project.TaskSetup.at(setup_module_address(market))


def test_setup_module__called_directly__refuses_every_action(setup_module, chain, initiator):
    params = default_params(chain.pending_timestamp, digest("t"))
    with reverts(setup_module.NotDelegated):
        setup_module.createTask(as_tuple(params), "", value=DEFAULT_REWARD, sender=initiator)
    for call in (
        lambda: setup_module.cancelTask(1, sender=initiator),
        lambda: setup_module.drawAudit(1, sender=initiator),
        lambda: setup_module.revealAudit(1, [], [], [], "", sender=initiator),
        lambda: setup_module.revealTestSet(1, [], [], [], "", sender=initiator),
    ):
        with reverts(setup_module.NotDelegated):
            call()
    assert setup_module.balance == 0


def _layouts() -> dict[str, list[tuple]]:
    """Storage layouts of the market and its module (solc's storageLayout output, compiled with
    the project's settings), as (slot, offset, label, type)."""
    sources = {
        str(p.relative_to(ROOT)): {"content": p.read_text()}
        for p in [
            *ROOT.glob("contracts/*.sol"),
            *ROOT.glob("contracts/libraries/*.sol"),
            *ROOT.glob("interfaces/*.sol"),
        ]
    }
    request = {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "optimizer": {"enabled": True, "runs": 200},
            "evmVersion": "cancun",
            "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
            "outputSelection": {
                "contracts/LearningMarket.sol": {"LearningMarket": ["storageLayout"]},
                "contracts/TaskSetup.sol": {"TaskSetup": ["storageLayout"]},
            },
        },
    }
    out = subprocess.run(
        [
            str(ROOT / ".solcx/solc-v0.8.28"),
            "--standard-json",
            "--base-path",
            str(ROOT),
            "--allow-paths",
            str(ROOT),
        ],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    result = json.loads(out.stdout)
    layouts = {}
    for contracts in result["contracts"].values():
        for name, data in contracts.items():
            layouts[name] = [
                (s["slot"], s["offset"], s["label"], s["type"])
                for s in data["storageLayout"]["storage"]
            ]
    return layouts


def test_setup_module__storage_layout__is_the_market_s():
    layouts = _layouts()
    assert layouts["TaskSetup"] == layouts["LearningMarket"]
    assert [label for _, _, label, _ in layouts["LearningMarket"]] == [
        "_taskCount",
        "_totalBurned",
        "_tasks",
        "_members",
        "_panels",
        "_submissions",
        "_scores",
        "_revealedIn",
        "_shardDigests",
    ]
