"""An agent in real time: a node that fails is retried with doubling waits (capped) and said in a sentence;
a SIGTERM stops it after the step in hand; when its work is done it says so and ends."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field

import requests

from learning_market.agents.runner import MAX_BACKOFF, Stop, run
from learning_market.errors import NetworkError


@dataclass
class StubAgent:
    """Ticks through a script: an exception is raised, True/False is whether it acted; done at the end."""

    script: list[object]
    name: str = "stub"
    lines: list[str] = field(default_factory=list)
    slept: list[float] = field(default_factory=list)
    ticks: int = 0

    @property
    def done(self) -> bool:
        return self.ticks >= len(self.script)

    def tick(self) -> bool:
        step = self.script[self.ticks]
        self.ticks += 1
        if isinstance(step, BaseException):
            raise step
        return bool(step)

    def say(self, line: str) -> None:
        self.lines.append(line)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def say_done(self) -> None:
        self.lines.append("done")


def test_run__node_fails_three_times__retried_after_1_2_4_s_then_carries_on():
    down = NetworkError("the node at http://127.0.0.1:1 cannot be reached (ConnectionError): start it, or check --rpc.")
    agent = StubAgent([down, requests.ConnectionError("reset by peer"), down, False, True])

    finished = run(agent, poll=0.5)  # type: ignore[arg-type]

    assert finished and agent.slept == [1.0, 2.0, 4.0, 0.5]
    assert agent.lines[:2] == [
        "stub cannot go on for now (The node at http://127.0.0.1:1 cannot be reached (ConnectionError): start it, "
        "or check --rpc): trying again in 1 s",
        "stub cannot go on for now (reset by peer): trying again in 2 s",
    ]
    assert agent.lines[-1] == "done"


def test_run__a_long_outage__waits_at_most_the_cap_between_tries():
    agent = StubAgent([NetworkError("down.")] * 8 + [True])

    run(agent, poll=1.0)  # type: ignore[arg-type]

    assert agent.slept == [1.0, 2.0, 4.0, 8.0, 16.0, MAX_BACKOFF, MAX_BACKOFF, MAX_BACKOFF]


def test_run__sigterm__stops_after_the_step_in_hand_and_says_how_to_resume():
    class Killed(StubAgent):
        def tick(self) -> bool:
            os.kill(os.getpid(), signal.SIGTERM)  # arrives while the step is taken
            return super().tick()

    agent = Killed([True, True, True])

    finished = run(agent, poll=1.0)  # type: ignore[arg-type]

    assert not finished and agent.ticks == 1
    assert agent.lines == ["stub stops, as asked: run it again to resume"]
    assert signal.getsignal(signal.SIGTERM) is not Stop  # the handler is put back
