"""The `cast` walkthrough of docs/integration.md, run as it stands against an anvil of its own: each of its
commands works with this repository's market, and each output the comments promise is printed."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.utils.anvil import standalone_anvil

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "integration.md"


def _walkthrough() -> str:
    text = DOC.read_text()
    block = re.search(r"<!-- walkthrough: begin -->\n```sh\n(.*?)```\n<!-- walkthrough: end -->", text, re.DOTALL)
    assert block, "docs/integration.md has no walkthrough block"
    return block.group(1)


def test_cast_walkthrough__runs_as_written_and_prints_what_it_says():
    with standalone_anvil(block_time=None) as node:
        env = {**os.environ, "ETH_RPC_URL": node, "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", _walkthrough()], capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=120)

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["60", "1"]
    assert lines[2:4] == ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "1000000000000000000"]
    assert lines[4:7] == ["1", "20000000000000000 [2e16]", "2"]
    assert "0x6f3568c2a5b2187e01c695de0fa0bb68f2244488d2d0a7134d4bfa07ec487aae" in done.stdout
