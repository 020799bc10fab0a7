"""The slow scripts as a user runs them (`ape run` in a subprocess, each on an anvil of the test's, as
ape would start it): the simulation with every option, the gas benchmark, a refusal on a market that is not there."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils.anvil import standalone_anvil

ROOT = Path(__file__).resolve().parents[2]
APE = ROOT / ".venv" / "bin" / "ape"


# ape's own anvil, as ape starts it for the network `local` (its 30 test accounts, no fees).
APE_LIKE = ("--accounts", "30", "--block-base-fee-per-gas", "0", "--gas-price", "0")


def _ape_run(*args: object, node: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """`ape run` on the network `local`, served by the running `node` (ape-foundry's APE_FOUNDRY_HOST): ape gives
    an anvil it starts itself 20 s to answer, which a loaded machine has overrun."""
    env = os.environ | {"APE_FOUNDRY_HOST": node}
    return subprocess.run(
        [str(APE), "run", *(str(a) for a in args)], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture
def node() -> Iterator[str]:
    with standalone_anvil(None, *APE_LIKE) as uri:
        yield uri


def test_simulate_round__every_option__reports_plots_and_conserves(tmp_path, node):
    report, picture = tmp_path / "report.json", tmp_path / "rounds.png"

    done = _ape_run(
        "simulate_round", "--dataset", "digits", "--rounds", 2, "--contributors", 6, "--verifiers", 4, "--split",
        "size", "--alpha", 1.0, "--fusion", "median+clip", "--architecture", "logistic", "--steps", 20, "--seed", 1,
        "--free-riders", 1, "--copiers", 1, "--poisoners", 1, "--attack", "backdoor", "--private", 1, "--epsilon", 8,
        "--dishonest-verifiers", 1, "--store", tmp_path / "store", "--report", report, "--plot", picture, "--quiet",
        node=node,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    rounds = json.loads(report.read_text())
    assert rounds["conserved"] and len(rounds["rounds"]) == 2
    assert rounds["config"]["fusion"] == "median+clip" and rounds["config"]["steps"] == 20
    assert picture.stat().st_size > 0 and any((tmp_path / "store").iterdir())
    behaviours = [c["behaviour"] for c in rounds["rounds"][0]["contributors"]]
    assert behaviours == ["honest", "honest", "private", "poisoner: backdoor", "free-rider", "copier"]
    assert 7.9 < rounds["rounds"][0]["contributors"][2]["epsilon"] <= 8.0
    assert rounds["rounds"][0]["attack_success_bps"] is not None
    assert "Fused model per round" in done.stdout and "attack success" in done.stdout
    assert "conservation check passed" in done.stdout


def test_simulate_round__lazy_initiator_on_a_market_that_is_not_there__one_sentence(node):
    done = _ape_run(
        "simulate_round", "--lazy-initiator", "--market", "0x000000000000000000000000000000000000dEaD", node=node
    )

    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "Error: There is no contract at 0x000000000000000000000000000000000000dEaD on local: check --market" in (
        done.stdout + done.stderr
    )


def test_gas_benchmark__two_small_tasks__writes_the_tables(tmp_path, node):
    out = tmp_path / "gas.md"

    done = _ape_run("gas_benchmark", "--contributors", "1,2", "--panels", "3", "--batch", 1, "--out", out, node=node)

    assert done.returncode == 0, done.stdout + done.stderr
    text = out.read_text()
    assert "| 1 x 3 |" in text and "| 2 x 3 |" in text and "gas-benchmark:end" in text
    assert "| withdrawBond |" in text and "[2/2]    2 contributors x panel of 3" in done.stdout
