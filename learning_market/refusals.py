"""The market's refusals, explained in a sentence instead of a traceback."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from learning_market.errors import LearningMarketError
from learning_market.phases import Phase, Role


class MarketRefusal(LearningMarketError):
    """The market refused an action; `error` is the contract's custom error, `inputs` its fields."""

    def __init__(self, action: str, error: str, inputs: Mapping[str, Any]) -> None:
        self.action = action
        self.error = error
        self.inputs = dict(inputs)
        super().__init__(f"the market refused {action}: {explain(error, self.inputs)}")


def _hex(value: Any) -> str:
    return "0x" + bytes(value).hex() if isinstance(value, (bytes, bytearray)) else str(value)


def _wei(value: Any) -> str:
    return f"{int(value):,} wei"


# one sentence for every custom error of the market (a test checks the table against the ABI)
SENTENCES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "TaskNotFound": lambda i: f"there is no task {i['taskId']}.",
    "WrongPhase": lambda i: (
        f"task {i['taskId']} is in phase {Phase(i['current'])}, and this needs phase {Phase(i['required'])}"
        " (a deadline has passed, or has not come yet)."
    ),
    "ZeroReward": lambda i: "a task needs a reward: send it as the transaction's value.",
    "RewardTooLarge": lambda i: f"the reward {_wei(i['reward'])} is above the market's maximum {_wei(i['maximum'])}.",
    "ZeroDigest": lambda i: "a digest or commitment of zero is not accepted.",
    "ZeroMinWindow": lambda i: "a market needs a minimum window of at least one second.",
    "ZeroStake": lambda i: "both stakes must be above zero.",
    "DeadlineTooEarly": lambda i: (
        f"deadline #{i['index']} ({i['deadline']}) comes too early: it must be at least {i['earliest']}."
    ),
    "InvalidMaxContributors": lambda i: f"maxContributors must be 1 to {i['cap']}, not {i['maxContributors']}.",
    "InvalidMaxVerifiers": lambda i: f"maxVerifiers must be 1 to {i['cap']}, not {i['maxVerifiers']}.",
    "InvalidBps": lambda i: f"{i['value']} is not a basis-point value (0 to 10000).",
    "InvalidParent": lambda i: (
        f"task {i['parentTaskId']} cannot be the parent: it must be your own task with a published fused model."
    ),
    "CommitmentsExist": lambda i: f"task {i['taskId']} already has {i['committedCount']} model commitment(s).",
    "NotInitiator": lambda i: f"{i['caller']} is not the initiator of task {i['taskId']}.",
    "InitiatorCannotParticipate": lambda i: f"the initiator of task {i['taskId']} cannot take another role in it.",
    "AlreadyParticipant": lambda i: (
        f"{i['account']} is already a {Role(i['role']).name.lower()} in task {i['taskId']}."
    ),
    "WrongStake": lambda i: f"the stake is exactly {_wei(i['required'])}, and {_wei(i['sent'])} was sent.",
    "TaskFull": lambda i: (
        f"task {i['taskId']} already has its maximum of {i['maximum']} {Role(i['role']).name.lower()}s."
    ),
    "NotContributor": lambda i: f"{i['account']} has not committed a model in task {i['taskId']}.",
    "NotVerifier": lambda i: f"{i['account']} is not a verifier of task {i['taskId']}.",
    "CommitmentMismatch": lambda i: (
        f"what was revealed does not open the commitment of {i['account']} in task {i['taskId']}"
        " (wrong digest or salt, or someone else's commitment)."
    ),
    "AlreadyRevealed": lambda i: f"{i['account']} has already revealed its model in task {i['taskId']}.",
    "DuplicateModel": lambda i: f"model {_hex(i['modelDigest'])} was already revealed in task {i['taskId']}.",
    "ScoresAlreadyCommitted": lambda i: f"{i['verifier']} has already committed scores in task {i['taskId']}.",
    "ScoresNotCommitted": lambda i: f"{i['verifier']} never committed scores in task {i['taskId']}.",
    "ScoresAlreadyRevealed": lambda i: f"{i['verifier']} has already revealed its scores in task {i['taskId']}.",
    "ScoreCountMismatch": lambda i: f"{i['given']} scores were given; task {i['taskId']} needs {i['expected']}.",
    "ScoreOutOfRange": lambda i: f"score #{i['index']} is {i['score']}, above 10000 bps.",
    "ZeroSteps": lambda i: "finalize needs at least one step.",
    "NothingToClaim": lambda i: f"{i['account']} is owed nothing in task {i['taskId']}.",
    "AlreadyClaimed": lambda i: f"{i['account']} has already claimed in task {i['taskId']}.",
    "ZeroRecipient": lambda i: "a claim cannot be paid to the zero address.",
    "FailedCall": lambda i: "the payment's recipient refused the ETH: claim to another address (claimTo).",
    "InsufficientBalance": lambda i: (
        f"the market holds {_wei(i['balance'])}, less than the {_wei(i['needed'])} it would pay (report this)."
    ),
    "ReentrancyGuardReentrantCall": lambda i: "the market was called again from inside a payment, which it refuses.",
    "FusedModelAlreadyPublished": lambda i: (
        f"task {i['taskId']} already has a fused model ({_hex(i['fusedModelDigest'])})."
    ),
}


def explain(error: str, inputs: Mapping[str, Any]) -> str:
    """One sentence for the contract's custom error `error` with its fields `inputs`."""
    sentence = SENTENCES.get(error)
    if sentence is None:
        return f"{error}({', '.join(f'{k}={v}' for k, v in inputs.items())})"
    return sentence(inputs)
