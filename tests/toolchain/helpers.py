"""Paths and helpers of the toolchain tests: running the solc adapter as py-solc-x does."""

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOLC_VERSION = "0.8.28"
REGISTERED_SOLC = ROOT / ".solcx" / f"solc-v{SOLC_VERSION}"
ADAPTER_SCRIPT = ROOT / "tools" / "solc" / "solc.mjs"

# The two ways the adapter is run: the path py-solc-x (and so ape) finds, and node directly.
INVOCATIONS = {
    "registered": [str(REGISTERED_SOLC)],
    "node": ["node", str(ADAPTER_SCRIPT)],
}

SPDX = "// SPDX-License-Identifier: MIT\n"
PRAGMA = f"pragma solidity {SOLC_VERSION};\n"


def run_solc(*args, stdin=None, invocation="registered", cwd=ROOT):
    """Runs the adapter with pipes on stdin, stdout and stderr, as py-solc-x does."""
    return subprocess.run(
        [*INVOCATIONS[invocation], *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def standard_json(input_json, *args, invocation="registered", cwd=ROOT):
    """Runs `solc --standard-json` on a dict; returns (completed process, parsed output)."""
    text = input_json if isinstance(input_json, str) else json.dumps(input_json)
    proc = run_solc("--standard-json", *args, stdin=text, invocation=invocation, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return proc, json.loads(proc.stdout)


def errors_of(output, severity="error"):
    return [error for error in output.get("errors", []) if error["severity"] == severity]


def solidity_input(sources, outputs=("abi",), **settings):
    """A standard-JSON input; `sources` maps names to code (str) or to a source dict."""
    return {
        "language": "Solidity",
        "sources": {
            name: source if isinstance(source, dict) else {"content": source}
            for name, source in sources.items()
        },
        "settings": {"outputSelection": {"*": {"*": list(outputs)}}, **settings},
    }
