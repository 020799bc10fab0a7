"""Helpers for the tests of a task's life: strict revert checks, events, and whole rounds.

`reverts(error, **fields)` is stricter than `ape.reverts`, which ignores a field it does
not know (a misspelt name passes) and lets any revert through when the error could not be
decoded: here the error must be the one named, and every one of its fields must be given
and match. `panics(code)` does the same for the compiler's Panic(uint256) errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ape
from ape.contracts import ContractContainer
from eth_abi import decode
from eth_utils import keccak
from hexbytes import HexBytes

from tests.utils.market import TaskHandle, digest


def _plain(value: Any) -> Any:
    """An account as its address, so it compares with a decoded address."""
    return getattr(value, "address", value)


def _revert_data(message: str) -> bytes:
    """The revert data in ape's message: hex (a constructor's revert), or anvil's rendering of a
    view call's custom error, "custom error 0x<selector>: <data>", where the data is printed as
    text when it is valid UTF-8 and as hex otherwise."""
    if message.startswith("0x"):
        return bytes(HexBytes(message))
    found = re.match(
        r"(?:execution reverted: )?custom error 0x([0-9a-fA-F]{8}): ?(.*)", message, re.S
    )
    if not found:
        return b""
    selector, rest = found.groups()
    body = bytes(HexBytes(rest)) if rest.startswith("0x") else rest.encode("utf-8")
    return bytes.fromhex(selector) + body


def _raised(raised: Exception, error: Any) -> tuple[str, dict[str, Any]]:
    """The name and fields of the custom error in `raised`."""
    if isinstance(raised, ape.exceptions.CustomError):
        return raised.abi.name, dict(raised.inputs)
    # A constructor's revert, and a view call's, are not decoded by ape: decode them with the
    # expected error's ABI.
    message = str(raised.revert_message)
    data = _revert_data(message)
    if data[:4] != keccak(text=error.abi.selector)[:4]:
        return f"<revert {message}>", {}
    values = decode([i.canonical_type for i in error.abi.inputs], data[4:])
    return error.abi.name, {i.name: v for i, v in zip(error.abi.inputs, values, strict=True)}


@contextmanager
def reverts(error: Any, **fields: Any) -> Iterator[Any]:
    """Expects the block to revert with the custom error `error` and exactly these fields."""
    with ape.reverts() as info:
        yield info
    names = [i.name for i in error.abi.inputs]
    assert sorted(fields) == sorted(names), f"give every field of {error.abi.name}: {names}"
    name, actual = _raised(info.value, error)
    assert name == error.abi.name, f"expected {error.abi.name}, reverted with {name} {actual}"
    expected = {key: _plain(value) for key, value in fields.items()}
    assert actual == expected, f"{name}: got {actual}, expected {expected}"


PANICS = {0x11: "arithmetic underflow or overflow", 0x32: "array out-of-bounds access"}


@contextmanager
def panics(code: int) -> Iterator[Any]:
    """Expects the block to revert with the compiler's `Panic(code)` (0x11 overflow, 0x32 index
    out of bounds), and nothing else."""
    with ape.reverts() as info:
        yield info
    message = str(info.value.revert_message)
    assert message == f"panic: {PANICS[code]} (0x{code:02x})", (
        f"expected Panic(0x{code:02x}), got {message!r}"
    )


def same_contract(deployed: Any) -> Any:
    """A container to deploy more of `deployed`: the very code under test, never a build that a
    concurrent edit of the sources would trigger."""
    return ContractContainer(deployed.contract_type)


def only_event(receipt: Any, event: Any) -> dict[str, Any]:
    """The arguments of the one `event` log in `receipt` (fails on none or several)."""
    logs = list(receipt.decode_logs(event))
    assert len(logs) == 1, f"expected one {event.abi.name} log, got {len(logs)}"
    return dict(logs[0].event_arguments)


def finish_round(
    task: TaskHandle, contributor: Any, caller: Any, publish: bool = True
) -> TaskHandle:
    """Drives a fresh task to Finalized (one contributor, every panel member scoring it above
    the start) and, with `publish`, records its fused model: the shortest path to a task that
    may be a parent."""
    task.open_audit()
    task.commit(contributor)
    task.after("commit")
    members = task.open_panel(caller)
    task.reveal(contributor)
    task.after("reveal")
    task.reveal_test_set()
    for member in members:
        task.commit_scores(member, [5_000, 6_000])
    task.after("scoreCommit")
    for member in members:
        task.reveal_scores(member)
    task.after("scoreReveal")
    task.finalize(caller)
    if publish:
        fused = digest(f"fused-{task.task_id}")
        task.market.publishFusedModel(task.task_id, fused, "store://fused", sender=task.initiator)
    return task
