"""The one exception base of the package: everything a user can get wrong or meet on the way.

Every error raised to a caller of the role layer is a `LearningMarketError` whose `str()` is one
sentence naming the problem (a path, an address, a task) and what to do. The scripts catch this
type alone; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class LearningMarketError(Exception):
    """A refusal or failure a user can act on; `str()` is one sentence saying what and what to do."""

    @property
    def sentence(self) -> str:
        """The message as a sentence: capitalised, ending with a full stop."""
        text = str(self).strip()
        text = text[:1].upper() + text[1:]
        return text if text.endswith((".", "?", "!")) else text + "."


class ClockError(LearningMarketError):
    """Time cannot be moved on this network: the action must wait for the deadline."""


class NetworkError(LearningMarketError):
    """The network cannot be reached, or holds no market at the address given."""
