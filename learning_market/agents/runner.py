"""An agent in real time: tick, sleep when nothing was due, retry with backoff when the node fails, stop
cleanly on SIGTERM or Ctrl-C (after the step in hand), and end when the agent's work is done."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import requests

from learning_market.agents.agent import Agent
from learning_market.errors import NetworkError
from learning_market.rpc import RpcError

# failures of the node or of the connection to it, which pass: the tick is taken again later
TRANSIENT = (NetworkError, RpcError, requests.RequestException, ConnectionError, TimeoutError)
MAX_BACKOFF = 30.0


class Stop:
    """Set by SIGTERM or SIGINT: the agent finishes the step in hand, saves its progress and stops."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True


@contextmanager
def stopping_on_signals() -> Iterator[Stop]:
    stop = Stop()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def describe(error: BaseException) -> str:
    """A failure of the node in a few words (the sentence of ours, or the exception's first line)."""
    text = getattr(error, "sentence", None) or (str(error).strip().splitlines() or [type(error).__name__])[0]
    return text.rstrip(".")


def run(agent: Agent, poll: float = 1.0, stop: Stop | None = None) -> bool:
    """Runs `agent` until its work is done (True) or it is asked to stop (False)."""
    with stopping_on_signals() as signalled:
        stop = stop or signalled
        backoff = 1.0
        while not agent.done and not stop.requested:
            try:
                acted = agent.tick()
            except TRANSIENT as error:
                agent.say(f"{agent.name} cannot go on for now ({describe(error)}): trying again in {backoff:.0f} s")
                agent.sleep(backoff)
                backoff = min(2 * backoff, MAX_BACKOFF)
                continue
            backoff = 1.0
            if not acted and not agent.done:
                agent.sleep(poll)
    if agent.done:
        agent.say_done()
        return True
    agent.say(f"{agent.name} stops, as asked: run it again to resume")
    return False
