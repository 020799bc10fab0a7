"""Fixtures of the toolchain tests (issue 2): the solc adapter, ape, anvil, cast, setup.

None of these tests depends on the project's own contracts: what they compile comes from
tests/toolchain/fixtures/ or is written into a temporary directory.
"""

import shutil

import pytest

from .helpers import FIXTURES, PRAGMA, SPDX


@pytest.fixture(scope="session")
def import_tree(tmp_path_factory):
    """base/lib/L.sol (under the base path), inc/pkg/P.sol (under an include path) and
    outside/O.sol (in no allowed directory)."""
    root = tmp_path_factory.mktemp("imports")
    files = {
        "base/lib/L.sol": "library L { function two() internal pure returns (uint256) { return 2; } }",
        "inc/pkg/P.sol": "contract P { uint256 public p = 7; }",
        "outside/O.sol": "contract O {}",
    }
    for relative, body in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SPDX + PRAGMA + body + "\n")
    return root


@pytest.fixture(scope="session")
def broken_source():
    """A contract with an undeclared identifier on line 4."""
    return SPDX + PRAGMA + "contract Broken {\n    function f() external { undefinedThing(); }\n}\n"


@pytest.fixture(scope="session")
def temp_project(project):
    """A copy of the ape project in a temporary directory, with the fixture contracts in
    contracts/toolchain/ (ape-solidity compiles only files inside the project)."""
    with project.isolate_in_tempdir() as temp:
        destination = temp.contracts_folder / "toolchain"
        destination.mkdir(parents=True, exist_ok=True)
        for name in ("Counter.sol", "ToolchainToken.sol"):
            shutil.copy(FIXTURES / name, destination / name)
        yield temp


@pytest.fixture(scope="session")
def fixture_contract_types(compilers, temp_project):
    """Counter and ToolchainToken, compiled once through ape's compiler manager."""
    folder = temp_project.contracts_folder / "toolchain"
    paths = [folder / "Counter.sol", folder / "ToolchainToken.sol"]
    return {ct.name: ct for ct in compilers.compile(paths, project=temp_project)}
