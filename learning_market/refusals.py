"""The refusals of the market and of its verifier pool, explained in a sentence instead of a traceback."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from learning_market.errors import LearningMarketError
from learning_market.phases import Phase, Role


class MarketRefusal(LearningMarketError):
    """The market refused an action; `error` is the contract's custom error, `inputs` its fields."""

    def __init__(self, action: str, error: str, inputs: Mapping[str, Any], by: str = "market") -> None:
        self.action = action
        self.error = error
        self.inputs = dict(inputs)
        super().__init__(f"the {by} refused {action}: {explain(error, self.inputs)}")


def _hex(value: Any) -> str:
    return "0x" + bytes(value).hex() if isinstance(value, (bytes, bytearray)) else str(value)


def _wei(value: Any) -> str:
    return f"{int(value):,} wei"


# one sentence for every custom error of LearningMarket, its setup module TaskSetup and its VerifierPool
# (a test checks the table against their ABIs)
SENTENCES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    # the task and its parameters
    "TaskNotFound": lambda i: f"there is no task {i['taskId']}.",
    "WrongPhase": lambda i: (
        f"task {i['taskId']} is in phase {Phase(i['current'])}, and this needs phase {Phase(i['required'])}"
        " (a deadline has passed, or has not come yet)."
    ),
    "ZeroReward": lambda i: "a task needs a reward: send it as the transaction's value.",
    "RewardTooLarge": lambda i: f"the reward {_wei(i['reward'])} is above the market's maximum {_wei(i['maximum'])}.",
    "ZeroDigest": lambda i: "a digest or commitment of zero is not accepted.",
    "ZeroMinWindow": lambda i: "a market needs a minimum window of at least one second.",
    "ZeroStake": lambda i: "the contributor stake must be above zero.",
    "DeadlineTooEarly": lambda i: (
        f"deadline #{i['index']} ({i['deadline']}) comes too early: it must be at least {i['earliest']}."
    ),
    "InvalidMaxContributors": lambda i: f"maxContributors must be 1 to {i['cap']}, not {i['maxContributors']}.",
    "InvalidPanelSize": lambda i: f"the panel size must be odd, 3 to {i['cap']}, not {i['panelSize']}.",
    "InvalidShards": lambda i: (
        f"a test set of {i['testShards']} shard(s) with {i['auditShards']} audited is not accepted: the shards "
        "are 2 to 32, and the audited ones 1 to one fewer."
    ),
    "InvalidBps": lambda i: f"{i['value']} is not a basis-point value (0 to 10000).",
    "InvalidParent": lambda i: (
        f"task {i['parentTaskId']} cannot be the parent: it must be your own task with a published fused model."
    ),
    "CommitmentsExist": lambda i: f"task {i['taskId']} already has {i['committedCount']} model commitment(s).",
    "NotInitiator": lambda i: f"{i['caller']} is not the initiator of task {i['taskId']}.",
    "NotDelegated": lambda i: "the setup module runs only inside the market: call the market itself.",
    # the audit and the test set
    "RandomnessNotReady": lambda i: (
        f"the draw of task {i['taskId']} reads the hash of block {i['seedBlock']}, which is not mined yet: "
        "wait for the next block."
    ),
    "RandomnessExpired": lambda i: (
        f"the hash of block {i['seedBlock']}, which seeds the draw of task {i['taskId']}, is older than 256 blocks: "
        "request the panel again."
    ),
    "AuditAlreadyDrawn": lambda i: f"the audit of task {i['taskId']} is already drawn (mask {i['auditMask']:#x}).",
    "AuditNotDrawn": lambda i: f"the audit of task {i['taskId']} is not drawn yet: draw it first (drawAudit).",
    "ShardMismatch": lambda i: (
        f"the opening of shard #{i['index']} does not match its commitment in task {i['taskId']} "
        "(wrong digest or salt)."
    ),
    "ShardCountMismatch": lambda i: f"{i['given']} shard(s) or openings were given, and {i['expected']} are needed.",
    # models and the panel
    "InitiatorCannotParticipate": lambda i: f"the initiator of task {i['taskId']} cannot take another role in it.",
    "AlreadyParticipant": lambda i: (
        f"{i['account']} is already a {Role(i['role']).name.lower()} in task {i['taskId']}."
    ),
    "WrongStake": lambda i: f"the stake is exactly {_wei(i['required'])}, and {_wei(i['sent'])} was sent.",
    "TaskFull": lambda i: f"task {i['taskId']} already has its maximum of {i['maximum']} contributors.",
    "NotContributor": lambda i: f"{i['account']} has not committed a model in task {i['taskId']}.",
    "NotVerifier": lambda i: f"{i['account']} is not on the panel of task {i['taskId']}.",
    "CommitmentMismatch": lambda i: (
        f"what was revealed does not open the commitment of {i['account']} in task {i['taskId']}"
        " (wrong digest or salt, or someone else's commitment)."
    ),
    "AlreadyRevealed": lambda i: f"{i['account']} has already revealed its model in task {i['taskId']}.",
    "DuplicateModel": lambda i: (
        f"model {_hex(i['modelDigest'])} was already revealed in task {i['revealedInTask']}, and the market "
        "takes each model once."
    ),
    "NoCommitments": lambda i: f"task {i['taskId']} has no model commitment, so it needs no panel.",
    "PanelAlreadyRequested": lambda i: (
        f"the panel of task {i['taskId']} is already requested (seed block {i['seedBlock']}): draw it."
    ),
    "PanelNotRequested": lambda i: f"the panel of task {i['taskId']} was never requested: request it first.",
    "PanelAlreadyDrawn": lambda i: f"the panel of task {i['taskId']} is already drawn.",
    "PanelUnfilled": lambda i: (
        f"the draw for task {i['taskId']} found {i['found']} eligible member(s) of the {i['needed']} needed: "
        "request again once the seed expires, when more verifiers have registered."
    ),
    "PanelNotDrawn": lambda i: f"the panel of task {i['taskId']} is not drawn yet: models are revealed after it.",
    # scoring and settling
    "TestSetNotRevealed": lambda i: (
        f"the test set of task {i['taskId']} was never revealed, so scores on it cannot be claimed: vote it "
        "unavailable and score on the audit shards."
    ),
    "ScoresAlreadyCommitted": lambda i: f"{i['verifier']} has already committed scores in task {i['taskId']}.",
    "ScoresNotCommitted": lambda i: f"{i['verifier']} never committed scores in task {i['taskId']}.",
    "ScoresAlreadyRevealed": lambda i: f"{i['verifier']} has already revealed its scores in task {i['taskId']}.",
    "ScoreCountMismatch": lambda i: f"{i['given']} scores were given; task {i['taskId']} needs {i['expected']}.",
    "ScoreOutOfRange": lambda i: f"score #{i['index']} is {i['score']}, above 10000 bps.",
    "ZeroSteps": lambda i: "finalize needs at least one step.",
    "NothingToClaim": lambda i: f"{i['account']} is owed nothing in task {i['taskId']}.",
    "AlreadyClaimed": lambda i: f"{i['account']} has already claimed in task {i['taskId']}.",
    "ZeroRecipient": lambda i: "a claim cannot be paid to the zero address.",
    "FusedModelAlreadyPublished": lambda i: (
        f"task {i['taskId']} already has a fused model ({_hex(i['fusedModelDigest'])})."
    ),
    "NotVerifierPool": lambda i: f"the market takes ETH only from its verifier pool, not from {i['sender']}.",
    # the verifier pool
    "ZeroBond": lambda i: "a verifier pool needs a bond above zero.",
    "InvalidSlashAmount": lambda i: (
        f"a slash of {_wei(i['slashAmount'])} is not accepted: it must be above zero and at most the bond "
        f"of {_wei(i['bond'])}."
    ),
    "ZeroUnbondingPeriod": lambda i: "a verifier pool needs an unbonding period of at least one second.",
    "WrongBond": lambda i: f"the pool's bond is exactly {_wei(i['required'])}, and {_wei(i['sent'])} was sent.",
    "AlreadyRegistered": lambda i: f"{i['account']} is already registered in the verifier pool.",
    "NotRegistered": lambda i: f"{i['account']} is not registered in the verifier pool.",
    "ExitAlreadyRequested": lambda i: (
        f"{i['account']} already asked to leave the verifier pool (in block {i['exitBlock']})."
    ),
    "ExitNotRequested": lambda i: f"{i['account']} has not asked to leave the verifier pool: request the exit first.",
    "StillUnbonding": lambda i: (
        f"the bond of {i['account']} is still unbonding: it may be withdrawn from {i['availableAt']} (unix time) on."
    ),
    "OnUnsettledPanel": lambda i: (
        f"{i['account']} sits on {i['openPanels']} panel(s) whose task is not finalized yet: withdraw after them."
    ),
    "NotMarket": lambda i: f"only the market may do this in its verifier pool, not {i['caller']}.",
    # the payment helpers of OpenZeppelin
    "AddressEmptyCode": lambda i: f"{i['target']} holds no contract code, so it cannot be called.",
    "FailedCall": lambda i: "the payment's recipient refused the ETH: claim to another address (claimTo).",
    "InsufficientBalance": lambda i: (
        f"the contract holds {_wei(i['balance'])}, less than the {_wei(i['needed'])} it would pay (report this)."
    ),
    "ReentrancyGuardReentrantCall": lambda i: "the contract was called again from inside a payment, which it refuses.",
}


def explain(error: str, inputs: Mapping[str, Any]) -> str:
    """One sentence for the contract's custom error `error` with its fields `inputs`."""
    sentence = SENTENCES.get(error)
    if sentence is None:
        return f"{error}({', '.join(f'{k}={v}' for k, v in inputs.items())})"
    return sentence(inputs)
