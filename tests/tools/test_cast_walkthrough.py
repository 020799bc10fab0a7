"""The `cast` walkthrough of docs/integration.md, run as it stands against a plain anvil of its own: each of
its commands works with this repository's market and pool, through a whole mechanism-v2 task, and each output
the comments promise is printed."""

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


def test_cast_walkthrough__a_whole_task__runs_as_written_and_prints_what_it_says(project):
    project.LearningMarket  # noqa: B018 - the walkthrough deploys the build's creation code: compile first
    with standalone_anvil(block_time=None) as node:
        env = {**os.environ, "ETH_RPC_URL": node, "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", _walkthrough()], capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=300)

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == ["60", "3", "1"]  # the window, the pool's seats, the Audit phase
    assert lines[3:5] == ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "1000000000000000000"]
    assert lines[5:8] == ["2", "1", "10000000000000000 [1e16]"]  # Commit; WrongStake(1, 1e16)
    assert lines[8:12] == ["1", "2", "3", "8"]  # contributor, panel member, Reveal, Finalized
    assert lines[12:15] == ["910000000000000000 [9.1e17]", "1", "2"]  # owed; the initiator's dust; seats left
    assert "0x4c538919eb9f19870e9cd42b78ebb060d139075e7ad5264123253cc805081771" in done.stdout  # TaskFinalized
