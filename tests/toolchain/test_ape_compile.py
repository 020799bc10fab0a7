"""Compiling through ape: ape-solidity, py-solc-x and the adapter together."""

import pytest
from ape_solidity.exceptions import SolcCompileError

from .helpers import FIXTURES, SOLC_VERSION


def test_ape_compilers__solidity_registered_with_adapter_version(compilers):
    solidity = compilers.registered_compilers[".sol"]
    assert solidity.name == "solidity"
    assert SOLC_VERSION in {str(version) for version in solidity.installed_versions}


def test_ape_compile__openzeppelin_import_yields_contract_type(fixture_contract_types):
    token = fixture_contract_types["ToolchainToken"]
    assert token.source_id == "contracts/toolchain/ToolchainToken.sol"
    names = {abi.name for abi in token.abi if hasattr(abi, "name")}
    # From ERC20, Ownable and the fixture itself.
    assert {"transfer", "balanceOf", "totalSupply", "owner", "transferOwnership", "mint"} <= names
    assert {"Transfer", "OwnershipTransferred", "OwnableUnauthorizedAccount"} <= names
    assert token.constructor.inputs == []
    assert len(token.deployment_bytecode.bytecode) > 1000
    assert len(token.runtime_bytecode.bytecode) > 1000


def test_ape_compile__compile_error_names_file_and_line(compilers, temp_project, broken_source):
    broken = temp_project.contracts_folder / "toolchain" / "Broken.sol"
    broken.write_text(broken_source)
    try:
        with pytest.raises(SolcCompileError) as caught:
            list(compilers.compile([broken], project=temp_project))
    finally:
        broken.unlink()
    message = str(caught.value)
    assert "DeclarationError: Undeclared identifier." in message
    assert "Broken.sol:4:" in message


def test_ape_compile_source__compiles_code_through_combined_json(compilers, temp_project):
    # ape-solidity's compile_code goes through solcx.compile_source: `--combined-json ... -`.
    container = compilers.compile_source(
        "solidity", (FIXTURES / "Counter.sol").read_text(), project=temp_project,
        contractName="Counter",
    )
    contract_type = container.contract_type
    assert contract_type.name == "Counter"
    assert {abi.name for abi in contract_type.abi} == {"count", "increment", "Incremented"}
