"""The scripts driven in-process by click's runner, on the test's own chain (`--network` is its node's
URL, so ape connects a second provider to the same anvil and nothing is started or stopped)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load_script(name: str) -> click.Command:
    """The `cli` of `scripts/<name>.py`, as `ape run <name>` finds it."""
    spec = importlib.util.spec_from_file_location(f"scripts.{name}", SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cli


@pytest.fixture(scope="session")
def scripts() -> dict[str, click.Command]:
    return {name: load_script(name) for name in ("deploy", "initiator", "contributor", "verifier", "finalize",
                                                  "claim", "inspect_task", "panel")}


@pytest.fixture
def run(scripts, chain) -> Callable[..., Result]:
    """Runs `ape run <script> [subcommand] args...` on the test's chain; returns click's result."""

    def invoke(script: str, *args: Any, network: str | None = None) -> Result:
        words = [str(a) for a in args]
        words += ["--network", network or chain.provider.http_uri]
        return CliRunner().invoke(scripts[script], words, catch_exceptions=True)

    return invoke


def succeeded(result: Result) -> str:
    """The output of a command that must have succeeded."""
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}\n{result.exception!r}"
    return result.output


def refused(result: Result) -> str:
    """The one line a refused command printed: `Error: <sentence>`, and no traceback."""
    assert result.exit_code == 1, f"exit {result.exit_code}: {result.output}\n{result.exception!r}"
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    return line.removeprefix("Error: ")
