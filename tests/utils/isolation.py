"""Chain isolation that lets failures through.

Ape 0.8's `chain.isolate()` swallows every `Exception` raised inside its block (an `assert`
that fails there does not fail the test) and, on a `BaseException` such as Hypothesis's
`StopTest`, skips the restore (the next example then starts from a dirty chain). This
context manager restores the snapshot whatever happens and re-raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def isolated(chain: Any) -> Iterator[None]:
    """Runs the block on a snapshot of the chain, restored afterwards; exceptions propagate."""
    snapshot = chain.snapshot()
    try:
        yield
    finally:
        chain.restore(snapshot)
