"""What an agent remembers between runs: the last block it scanned for tasks, and per task whether it
is watching it or done with it, which steps it saw open and which it took. An optimisation and a
memory for the log, never the truth: the chain and the keyring are enough to resume without it.

Written atomically (a temporary file renamed over the old one) after every change, under the
keyring's directory: `<keyring>/<chainId>/<market>/agents/<address>-<role>.json`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSION = 1


@dataclass
class TaskMemory:
    """One task as an agent knows it: `state` is watching, finished or declined; `open` the steps it saw
    due or waiting while it took part; `taken` the steps it took."""

    state: str = "watching"
    open: set[str] = field(default_factory=set)
    taken: set[str] = field(default_factory=set)
    missed: set[str] = field(default_factory=set)
    took_part: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "open": sorted(self.open),
            "taken": sorted(self.taken),
            "missed": sorted(self.missed),
            "took_part": self.took_part,
        }

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> TaskMemory:
        return cls(
            str(fields.get("state", "watching")),
            set(fields.get("open", ())),
            set(fields.get("taken", ())),
            set(fields.get("missed", ())),
            bool(fields.get("took_part", False)),
        )


@dataclass
class Progress:
    """An agent's memory, kept in `path` (None: in memory only, as in the simulation)."""

    path: Path | None = None
    scanned: int = -1
    tasks: dict[int, TaskMemory] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> Progress:
        """The memory kept at `path`; a fresh one if there is none, or if it cannot be read (it is only an
        optimisation: the agent rebuilds it from the chain)."""
        if path is None or not path.exists():
            return cls(path)
        try:
            fields = json.loads(path.read_text())
            tasks = {int(k): TaskMemory.from_json(v) for k, v in fields.get("tasks", {}).items()}
            return cls(path, int(fields.get("scanned", -1)), tasks)
        except (OSError, ValueError, TypeError, AttributeError):
            return cls(path)

    def task(self, task_id: int) -> TaskMemory:
        return self.tasks.setdefault(task_id, TaskMemory())

    def watching(self) -> list[int]:
        return sorted(task_id for task_id, memory in self.tasks.items() if memory.state == "watching")

    def finished_count(self, unjoined: bool = False) -> int:
        """The tasks the agent took part in and is done with (`unjoined`: and those it is done with without
        having taken part, such as a verifier's tasks whose panel was drawn without it)."""
        return sum(
            1 for memory in self.tasks.values() if memory.state == "finished" and (memory.took_part or unjoined)
        )

    def save(self) -> None:
        """Writes the memory atomically (nothing, without a path)."""
        if self.path is None:
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        payload = {
            "version": VERSION,
            "scanned": self.scanned,
            "tasks": {str(k): v.to_json() for k, v in sorted(self.tasks.items())},
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        with open(temporary, "w") as file:
            file.write(json.dumps(payload, indent=1) + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)
