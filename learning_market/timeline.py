"""When each phase of a task opens and closes, as a person reads it: UTC times and "in 5 min".

Windows include their deadline: a phase's action succeeds at its deadline and fails one second
later, when the next phase begins. The commit window opens when the audit shards are revealed, which
may be any time in the audit window; the score commit window opens when the test set is revealed,
which may be any time in the test reveal window (or at its end, if the test set is withheld).
"""

from __future__ import annotations

from datetime import UTC, datetime

from learning_market.phases import Phase, TaskParams

# the phases a task goes through in order, and the settled ones it may end in
ORDER = (
    Phase.AUDIT,
    Phase.COMMIT,
    Phase.REVEAL,
    Phase.TEST_REVEAL,
    Phase.SCORE_COMMIT,
    Phase.SCORE_REVEAL,
    Phase.FINALIZING,
    Phase.FINALIZED,
)
SETTLED = (Phase.FINALIZED, Phase.CANCELLED, Phase.UNFULFILLED, Phase.VOID)

DEADLINES = (
    ("audit", "audit_deadline"),
    ("commit", "commit_deadline"),
    ("reveal", "reveal_deadline"),
    ("test reveal", "test_reveal_deadline"),
    ("score commit", "score_commit_deadline"),
    ("score reveal", "score_reveal_deadline"),
)


def utc(timestamp: int) -> str:
    """`2025-01-31 12:00:00 UTC`."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def local(timestamp: int) -> str:
    """`2025-01-31 13:00:00 CET`: the time on this machine's clock and zone."""
    return datetime.fromtimestamp(timestamp, tz=UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def duration(seconds: int) -> str:
    """`2 d 3 h`, `4 min 10 s`, `5 s`: the largest unit and, if not zero, the next one."""
    rest = abs(int(seconds))
    values = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1)):
        values.append((rest // size, unit))
        rest %= size
    first = next((i for i, (value, _) in enumerate(values) if value), len(values) - 1)
    shown = [values[first]] + ([values[first + 1]] if first + 1 < len(values) and values[first + 1][0] else [])
    return " ".join(f"{value} {unit}" for value, unit in shown)


def relative(timestamp: int, now: int) -> str:
    """`in 4 min 10 s`, `3 h 2 min ago` or `now`."""
    if timestamp == now:
        return "now"
    return f"in {duration(timestamp - now)}" if timestamp > now else f"{duration(now - timestamp)} ago"


def when(timestamp: int, now: int) -> str:
    """`2025-01-31 12:00:00 UTC (in 4 min 10 s)`."""
    return f"{utc(timestamp)} ({relative(timestamp, now)})"


def deadlines(params: TaskParams) -> list[int]:
    """The task's deadlines, in order."""
    return [getattr(params, field) for _, field in DEADLINES]


def next_deadline(params: TaskParams, now: int) -> int | None:
    """The first deadline at or after `now` (a phase changes the second after it), or None."""
    return next((deadline for deadline in deadlines(params) if deadline >= now), None)


def closes_at(phase: Phase, params: TaskParams) -> int | None:
    """The last second of `phase` (None for the phases without a deadline)."""
    return {
        Phase.AUDIT: params.audit_deadline,
        Phase.COMMIT: params.commit_deadline,
        Phase.REVEAL: params.reveal_deadline,
        Phase.TEST_REVEAL: params.test_reveal_deadline,
        Phase.SCORE_COMMIT: params.score_commit_deadline,
        Phase.SCORE_REVEAL: params.score_reveal_deadline,
    }.get(phase)


def opens_at(phase: Phase, params: TaskParams) -> int | None:
    """The first second of `phase` when it follows from a deadline alone (None otherwise)."""
    return {
        Phase.REVEAL: params.commit_deadline + 1,
        Phase.TEST_REVEAL: params.reveal_deadline + 1,
        Phase.SCORE_REVEAL: params.score_commit_deadline + 1,
        Phase.FINALIZING: params.score_reveal_deadline + 1,
        Phase.FINALIZED: params.score_reveal_deadline + 1,
    }.get(phase)


def in_phase_until(phase: Phase, params: TaskParams, now: int) -> str:
    """`in phase Commit until 2025-… UTC (in 4 min)` or, without a deadline, `in phase Finalizing`."""
    closes = closes_at(phase, params)
    return f"in phase {phase}" + ("" if closes is None else f" until {when(closes, now)}")


def opening(phase: Phase, params: TaskParams, now: int) -> str:
    """How a later phase opens: `at 2025-… UTC (in 4 min)`, or what has to happen first."""
    if phase == Phase.COMMIT:
        return (
            "when the initiator reveals the audit shards, at the latest by "
            f"{when(params.audit_deadline, now)}"
        )
    if phase == Phase.SCORE_COMMIT:
        return (
            "when the initiator reveals the test set, at the latest by "
            f"{when(params.test_reveal_deadline, now)}"
        )
    if phase == Phase.FINALIZED:
        return f"once finalize has run, which anyone may do from {when(opens_at(phase, params) or 0, now)}"
    start = opens_at(phase, params)
    return "later" if start is None else f"at {when(start, now)}"


def settled_reason(phase: Phase, params: TaskParams, now: int) -> str:
    """Why a task is settled, in a clause."""
    if phase == Phase.CANCELLED:
        return "cancelled by its initiator"
    if phase == Phase.UNFULFILLED:
        return f"unfulfilled: no model was revealed by {when(params.reveal_deadline, now)}"
    if phase == Phase.VOID:
        return (
            "void: its audit was not drawn in time or its audit shards were not revealed by "
            f"{when(params.audit_deadline, now)}"
        )
    return "finalized"
