"""Files and directories the tests need: one that its user cannot write, even as root."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Root writes through any mode bits; sysfs refuses new files even to root.
ROOT_READ_ONLY = Path("/sys/kernel")


@contextmanager
def read_only_directory(scratch: Path) -> Iterator[Path]:
    """An existing directory in which the current user cannot create a file."""
    if os.geteuid() == 0:
        yield ROOT_READ_ONLY
        return
    directory = scratch / "read-only"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        yield directory
    finally:
        directory.chmod(0o700)
