"""Every deployed contract fits EIP-170 (24,576 bytes of runtime code) and the market's
deployment fits EIP-3860 (49,152 bytes of initcode, the pool's and the module's creation code
included). The figures are in docs/gas.md."""

import pytest
from hexbytes import HexBytes

from tests.utils.deploy import setup_module_address

EIP170_RUNTIME_LIMIT = 24_576
EIP3860_INITCODE_LIMIT = 49_152


@pytest.mark.parametrize("name", ["LearningMarket", "TaskSetup", "VerifierPool"])
def test_runtime_size__deployed_code__under_eip170(project, chain, market, name):
    addresses = {
        "LearningMarket": market.address,
        "VerifierPool": market.verifierPool(),
        "TaskSetup": setup_module_address(market),
    }
    deployed = chain.provider.web3.eth.get_code(addresses[name])
    compiled = HexBytes(getattr(project, name).contract_type.runtime_bytecode.bytecode)
    assert len(deployed) == len(compiled) > 0
    assert len(deployed) < EIP170_RUNTIME_LIMIT, f"{name}: {len(deployed)} bytes"


def test_initcode_size__the_market_with_its_pool_and_module__under_eip3860(project):
    initcode = HexBytes(project.LearningMarket.contract_type.deployment_bytecode.bytecode)
    assert len(initcode) < EIP3860_INITCODE_LIMIT, f"{len(initcode)} bytes"
