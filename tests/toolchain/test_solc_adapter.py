"""tools/solc/solc.mjs, the `solc` command line over solc-js, run as py-solc-x runs it."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import solcx
from packaging.version import Version
from solcx.exceptions import UnknownOption, UnknownValue
from solcx.wrapper import get_solc_version, solc_wrapper

from .helpers import (
    ADAPTER_SCRIPT,
    FIXTURES,
    INVOCATIONS,
    PRAGMA,
    REGISTERED_SOLC,
    ROOT,
    SOLC_VERSION,
    SPDX,
    errors_of,
    run_solc,
    solidity_input,
    standard_json,
)

BOTH = pytest.mark.parametrize("invocation", sorted(INVOCATIONS))

MAIN_WITH_IMPORTS = (
    SPDX
    + PRAGMA
    + 'import "lib/L.sol";\n'
    + 'import "pkg/P.sol";\n'
    + "contract Main is P { function f() external pure returns (uint256) { return L.two(); } }\n"
)


def test_registered_path__links_to_adapter():
    assert REGISTERED_SOLC.is_symlink()
    assert REGISTERED_SOLC.resolve() == ADAPTER_SCRIPT
    assert os.access(ADAPTER_SCRIPT, os.X_OK)


def test_solcx__finds_adapter_as_installed_compiler():
    # SOLCX_BINARY_PATH points py-solc-x at .solcx/ (Makefile export, or the venv's .pth).
    assert Path(os.environ["SOLCX_BINARY_PATH"]).resolve() == REGISTERED_SOLC.parent.resolve()
    assert Version(SOLC_VERSION) in solcx.get_installed_solc_versions()
    assert solcx.install.get_executable(SOLC_VERSION) == REGISTERED_SOLC


@BOTH
def test_adapter_version__prints_native_version_line(invocation):
    proc = run_solc("--version", invocation=invocation)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "solc, the solidity compiler commandline interface"
    assert lines[1].startswith(f"Version: {SOLC_VERSION}+commit.")


def test_adapter_version__parsed_by_solcx():
    version = get_solc_version(REGISTERED_SOLC, with_commit_hash=True)
    assert Version(version.base_version) == Version(SOLC_VERSION)
    assert str(version).startswith(f"{SOLC_VERSION}+commit.")


@BOTH
def test_adapter_standard_json__compiles_content_with_base_and_include_path_imports(
    invocation, import_tree
):
    _, output = standard_json(
        solidity_input({"Main.sol": MAIN_WITH_IMPORTS}),
        "--base-path", import_tree / "base",
        "--include-path", import_tree / "inc",
        invocation=invocation,
    )
    assert errors_of(output) == []
    assert set(output["contracts"]) == {"Main.sol", "lib/L.sol", "pkg/P.sol"}
    abi_names = {item.get("name") for item in output["contracts"]["Main.sol"]["Main"]["abi"]}
    assert abi_names == {"f", "p"}


def test_adapter_standard_json__include_path_node_modules_resolves_openzeppelin(tmp_path):
    source = SPDX + PRAGMA + 'import "@openzeppelin/contracts/token/ERC20/IERC20.sol";\n'
    _, output = standard_json(
        solidity_input({"Uses.sol": source}),
        "--base-path", tmp_path,
        "--include-path", ROOT / "node_modules",
    )
    assert errors_of(output) == []
    assert "@openzeppelin/contracts/token/ERC20/IERC20.sol" in output["contracts"]


def test_adapter_standard_json__refuses_import_outside_allowed_directories(import_tree):
    outside = import_tree / "outside" / "O.sol"
    source = SPDX + PRAGMA + f'import "{outside}";\n'
    _, output = standard_json(
        solidity_input({"Main.sol": source}), "--base-path", import_tree / "base"
    )
    errors = errors_of(output)
    assert len(errors) == 1, output
    assert str(outside) in errors[0]["message"]
    assert "File outside of allowed directories" in errors[0]["message"]
    assert "contracts" not in output


def test_adapter_standard_json__unknown_import_is_parser_error_naming_file_and_line(
    import_tree,
):
    source = SPDX + PRAGMA + 'import "nope/Missing.sol";\n'
    _, output = standard_json(
        solidity_input({"Main.sol": source}), "--base-path", import_tree / "base"
    )
    (error,) = errors_of(output)
    assert error["type"] == "ParserError"
    assert "nope/Missing.sol" in error["message"]
    assert error["sourceLocation"]["file"] == "Main.sol"
    assert "Main.sol:3:1" in error["formattedMessage"]


def test_adapter_standard_json__reads_urls_sources(import_tree):
    input_json = solidity_input({"lib/L.sol": {"urls": ["lib/L.sol"]}})
    _, output = standard_json(input_json, "--base-path", import_tree / "base")
    assert errors_of(output) == []
    assert list(output["contracts"]["lib/L.sol"]) == ["L"]


def test_adapter_standard_json__missing_urls_source_is_error(import_tree):
    input_json = solidity_input({"lib/Gone.sol": {"urls": ["lib/Gone.sol"]}})
    _, output = standard_json(input_json, "--base-path", import_tree / "base")
    (error,) = errors_of(output)
    assert "lib/Gone.sol" in error["message"]


@BOTH
def test_adapter_standard_json__invalid_json_is_json_error(invocation):
    _, output = standard_json("{not json", invocation=invocation)
    (error,) = errors_of(output)
    assert error["type"] == "JSONError"
    assert error["message"].startswith("Error parsing input JSON")


def test_adapter_standard_json__output_over_64k_arrives_complete_over_pipe(tmp_path):
    # Node truncates a pending pipe write at 64 KiB on process.exit(); the adapter must not.
    source = (
        SPDX
        + PRAGMA
        + 'import "@openzeppelin/contracts/token/ERC20/ERC20.sol";\n'
        + 'contract Big is ERC20 { constructor() ERC20("Big", "BIG") {} }\n'
    )
    input_json = solidity_input(
        {"Big.sol": source},
        outputs=("abi", "evm.bytecode.object", "evm.deployedBytecode.object"),
    )
    input_json["settings"]["outputSelection"]["*"][""] = ["ast"]
    proc, output = standard_json(
        input_json, "--base-path", tmp_path, "--include-path", ROOT / "node_modules"
    )
    assert len(proc.stdout.encode()) > 65536
    assert errors_of(output) == []
    big = output["contracts"]["Big.sol"]["Big"]
    assert len(big["evm"]["deployedBytecode"]["object"]) > 1000
    assert "@openzeppelin/contracts/token/ERC20/ERC20.sol" in output["contracts"]
    assert output["sources"]["Big.sol"]["ast"]["nodeType"] == "SourceUnit"


def test_adapter_standard_json__stdout_is_pure_json_with_model_checker():
    # solc-js may print an SMT notice with console.log; the adapter sends it to stderr.
    source = SPDX + PRAGMA + "contract M { function f(uint8 x) external pure { assert(x < 300); } }"
    input_json = solidity_input(
        {"M.sol": source}, modelChecker={"engine": "bmc", "targets": ["assert"]}
    )
    proc, output = standard_json(input_json)
    assert proc.stdout[0] == "{"
    assert ">>>" not in proc.stdout
    assert json.loads(proc.stdout) == output
    assert errors_of(output) == []
    assert list(output["contracts"]["M.sol"]) == ["M"]


def test_adapter_compile_standard__console_log_during_compile_goes_to_stderr():
    # The mechanism behind the above: whatever solc-js prints with console.log while it
    # compiles (here from the import callback it calls back) lands on stderr.
    script = f"""
        import {{ compileStandard }} from {json.dumps(str(ADAPTER_SCRIPT))};
        const source = 'pragma solidity ^0.8.0; import "x.sol"; contract C {{}}';
        const input = {{ language: "Solidity", sources: {{ "C.sol": {{ content: source }} }} }};
        compileStandard(input, () => {{ console.log(">>> notice"); return {{ error: "no" }}; }});
        console.log("after");
    """
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "after\n"
    assert ">>> notice" in proc.stderr


COMBINED_KEYS = "abi,bin,bin-runtime,ast,srcmap,srcmap-runtime,hashes,userdoc,devdoc"


def test_adapter_combined_json__openzeppelin_remapping_gives_native_layout():
    token = "tests/toolchain/fixtures/ToolchainToken.sol"
    proc = run_solc(
        "--combined-json", COMBINED_KEYS,
        "@openzeppelin/contracts=node_modules/@openzeppelin/contracts/",
        "--base-path", ".", "--allow-paths", ".",
        token,
    )
    assert proc.returncode == 0, proc.stderr
    combined = json.loads(proc.stdout)
    assert combined["version"].startswith(f"{SOLC_VERSION}+commit.")
    contract = combined["contracts"][f"{token}:ToolchainToken"]
    assert set(contract) == {
        "abi", "bin", "bin-runtime", "srcmap", "srcmap-runtime", "hashes", "userdoc", "devdoc"
    }
    assert contract["hashes"]["mint(address,uint256)"] == "40c10f19"
    assert contract["bin"] and contract["bin-runtime"]
    assert any(key.endswith("ERC20.sol:ERC20") for key in combined["contracts"])
    assert token in combined["sourceList"]
    assert any(name.endswith("access/Ownable.sol") for name in combined["sourceList"])
    assert set(combined["sources"]) == set(combined["sourceList"])
    assert combined["sources"][token]["AST"]["nodeType"] == "SourceUnit"


def test_adapter_combined_json__compile_error_exits_1_naming_file_and_line(
    tmp_path, broken_source
):
    broken = tmp_path / "Broken.sol"
    broken.write_text(broken_source)
    proc = run_solc("--combined-json", "abi,bin", broken, cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "DeclarationError" in proc.stderr
    assert "Broken.sol:4:" in proc.stderr


@BOTH
def test_adapter_cli__unknown_option_exits_1_with_unrecognised_option(invocation):
    proc = run_solc("--no-such-option", invocation=invocation)
    assert proc.returncode == 1
    # py-solc-x strips "Error: " and then relies on this prefix.
    assert proc.stderr.removeprefix("Error: ").startswith(
        "unrecognised option '--no-such-option'"
    )


def test_adapter_cli__solcx_maps_bad_options_to_its_exceptions():
    with pytest.raises(UnknownOption, match="--no-such-option"):
        solc_wrapper(solc_binary=REGISTERED_SOLC, no_such_option=True)
    # Parsed by splitting stderr on ": ", so the message must be alone on stderr.
    with pytest.raises(UnknownValue, match="nonsense"):
        solc_wrapper(
            solc_binary=REGISTERED_SOLC,
            combined_json="abi,nonsense",
            source_files=[FIXTURES / "Counter.sol"],
        )


def test_solcx_compile_standard__end_to_end():
    source = (FIXTURES / "Counter.sol").read_text()
    input_json = solidity_input(
        {"Counter.sol": source}, outputs=("abi", "evm.bytecode.object"), evmVersion="cancun"
    )
    output = solcx.compile_standard(input_json, solc_binary=REGISTERED_SOLC)
    counter = output["contracts"]["Counter.sol"]["Counter"]
    assert {item.get("name") for item in counter["abi"]} == {"count", "increment", "Incremented"}
    assert counter["evm"]["bytecode"]["object"].startswith("6080")


def test_adapter_help__lists_combined_json_keys_for_solcx():
    # solcx.compile_source/compile_files ask for every key on the `  --combined-json` line.
    proc = run_solc("--help")
    assert proc.returncode == 0, proc.stderr
    (line,) = [line for line in proc.stdout.splitlines() if line.startswith("  --combined-json")]
    keys = line.split(" ")[-1].split(",")
    assert {"abi", "bin", "bin-runtime", "ast", "srcmap", "hashes", "metadata"} <= set(keys)


def test_adapter_combined_json__dash_reads_source_from_stdin():
    source = (FIXTURES / "Counter.sol").read_text()
    proc = run_solc("--combined-json", "abi,hashes,ast", "-", stdin=source)
    assert proc.returncode == 0, proc.stderr
    combined = json.loads(proc.stdout)
    assert combined["sourceList"] == ["<stdin>"]
    assert combined["contracts"]["<stdin>:Counter"]["hashes"] == {
        "count()": "06661abd",
        "increment()": "d09de08a",
    }
    assert combined["sources"]["<stdin>"]["AST"]["nodeType"] == "SourceUnit"


def test_adapter_combined_json__no_files_and_no_dash_exits_1():
    proc = run_solc("--combined-json", "abi")
    assert proc.returncode == 1
    assert "No input files given" in proc.stderr
