"""An anvil of a test's own, apart from ape's: on a free loopback port, mining a block a second (or on
each transaction), stopped when the test ends."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from learning_market.nodes import RpcNode

ANVIL = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "anvil"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def standalone_anvil(block_time: int | None = 1, *options: str) -> Iterator[str]:
    """The node's URL, once it answers (within a minute: a loaded machine can take tens of seconds)."""
    port = free_port()
    timing = ["--block-time", str(block_time)] if block_time else []
    anvil = subprocess.Popen(
        [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), *timing, *options, "--silent"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                RpcNode(uri, "0x" + "00" * 20).head()
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield uri
    finally:
        anvil.terminate()
        anvil.wait(timeout=10)
