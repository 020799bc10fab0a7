"""Data flows one way: scripts -> roles -> (ml, content, the market client). The real-network path
never imports the simulation, ml never imports the role layer, content never imports torch, and
finalizing or claiming never loads torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _python_files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize(
    ("folders", "forbidden"),
    [
        (("content",), ("ml", "learning_market", "torch", "ape")),
        (("ml",), ("learning_market",)),
        (("learning_market",), ("tests", "scripts", "tools")),
        (("tools",), ("tests", "scripts")),
    ],
    ids=["content", "ml", "learning_market", "tools"],
)
def test_imports__each_layer_only_imports_below_it(folders, forbidden):
    offending = {
        str(path.relative_to(ROOT)): sorted(n for n in _imports(path) if n.split(".")[0] in forbidden)
        for path in _python_files(*folders)
    }

    assert {path: names for path, names in offending.items() if names} == {}


def test_imports__only_the_simulation_and_its_script_import_the_simulation():
    importers = {
        str(path.relative_to(ROOT))
        for path in _python_files("learning_market", "scripts", "tools")
        if any(n.startswith("learning_market.simulation") for n in _imports(path))
    }

    assert {p for p in importers if not p.startswith("learning_market/simulation/")} == {"scripts/simulate_round.py"}


@pytest.mark.parametrize("module", ["content", "learning_market.roles.anyone", "learning_market.cli"])
def test_import__claiming_and_the_content_layer__do_not_load_torch(module):
    probe = f"import sys, {module}; print('torch' in sys.modules)"

    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "False"
