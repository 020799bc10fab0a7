"""The local chain: ape-foundry's anvil, a deployment on it, and cast against it."""

import subprocess

import pytest
from ape.contracts import ContractContainer

from .helpers import ROOT

CAST = ROOT / ".venv" / "bin" / "cast"


def cast(*args):
    proc = subprocess.run(
        [str(CAST), *map(str, args)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture
def counter(accounts, fixture_contract_types):
    return accounts[0].deploy(ContractContainer(fixture_contract_types["Counter"]))


def test_provider__is_foundry_anvil_on_31337(chain):
    assert chain.provider.name == "foundry"
    assert chain.provider.network.name == "local"
    assert chain.chain_id == 31337
    assert chain.provider.web3.client_version.lower().startswith("anvil/")


def test_anvil_deploy__counter_deploys_and_counts(accounts, counter):
    assert counter.count() == 0
    receipt = counter.increment(sender=accounts[1])
    assert not receipt.failed
    assert counter.count() == 1
    assert [log.count for log in receipt.events] == [1]


def test_cast_chain_id__answers_31337(chain):
    assert cast("chain-id", "--rpc-url", chain.provider.uri) == "31337"


def test_cast_code__reads_deployed_runtime_code(chain, counter, fixture_contract_types):
    code = cast("code", counter.address, "--rpc-url", chain.provider.uri)
    expected = fixture_contract_types["Counter"].runtime_bytecode.bytecode
    assert code.lower() == expected.lower()
    assert cast("call", counter.address, "count()(uint256)", "--rpc-url", chain.provider.uri) == "0"
