"""Pre-flight sentences: which phase a task is in, when the needed one opens or closed, and why else an
action would be refused, worked out from the deadlines alone."""

from __future__ import annotations

import numpy as np
import pytest

from content import LocalStore, sha256_digest
from learning_market.checks import (
    PreflightRefusal,
    Reason,
    eth,
    fetch_verified,
    phase_reason,
    phase_sentence,
    require_stake,
)
from learning_market.phases import Phase, Role, TaskParams
from learning_market.roles.contributor import AuditCheck, AuditPolicy, label_distance_bps
from learning_market.timeline import duration, relative, utc
from ml import Dataset

T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC
PARAMS = TaskParams(
    spec_digest=b"\x01" * 32,
    test_set_commitment=b"\x02" * 32,
    audit_deadline=T0 + 1_800,
    commit_deadline=T0 + 3_600,
    reveal_deadline=T0 + 7_200,
    test_reveal_deadline=T0 + 10_800,
    score_commit_deadline=T0 + 14_400,
    score_reveal_deadline=T0 + 18_000,
    contributor_stake=10**16,
    max_contributors=8,
    panel_size=3,
    verifier_fee_bps=1_000,
    baseline_score=1_000,
    tolerance_bps=300,
    test_shards=8,
    audit_shards=2,
)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (59, "59 s"), (60, "1 min"), (3_599, "59 min 59 s"), (3_660, "1 h 1 min"), (90_000, "1 d 1 h")],
    ids=["zero", "seconds", "minute", "minutes-seconds", "hours-minutes", "days-hours"],
)
def test_duration__two_largest_units(seconds, text):
    assert duration(seconds) == text


def test_relative__future_past_and_now():
    assert relative(T0 + 90, T0) == "in 1 min 30 s"
    assert relative(T0 - 90, T0) == "1 min 30 s ago"
    assert relative(T0, T0) == "now"


@pytest.mark.parametrize(
    ("wei", "text"),
    [
        (0, "0 wei"),
        (2, "2 wei"),
        (10**12, "0.000001 ETH (1,000,000,000,000 wei)"),
        (463_909_368_396_337_168, "0.463909 ETH (463,909,368,396,337,168 wei)"),
        (10**24, "1000000 ETH (1,000,000,000,000,000,000,000,000 wei)"),
    ],
    ids=["zero", "dust", "micro-eth", "rounded-down", "a-million"],
)
def test_eth__amounts_as_people_read_them(wei, text):
    assert eth(wei) == text


def test_utc__formats_unix_seconds():
    assert utc(T0 + 3_600) == "2026-01-01 01:00:00 UTC"


@pytest.mark.parametrize(
    ("action", "current", "required", "now", "reason", "sentence"),
    [
        (
            "revealing a model", Phase.COMMIT, Phase.REVEAL, T0 + 600, Reason.TOO_EARLY,
            "revealing a model needs phase Reveal of task 4, which opens at 2026-01-01 01:00:01 UTC (in 50 min 1 s); "
            "the task is in phase Commit until 2026-01-01 01:00:00 UTC (in 50 min).",
        ),
        (
            "committing a model", Phase.REVEAL, Phase.COMMIT, T0 + 3_601, Reason.DEADLINE_PASSED,
            "committing a model needs phase Commit of task 4, which closed at 2026-01-01 01:00:00 UTC (1 s ago); "
            "the task is now in phase Reveal until 2026-01-01 02:00:00 UTC (in 59 min 59 s).",
        ),
        (
            "committing scores", Phase.TEST_REVEAL, Phase.SCORE_COMMIT, T0 + 7_300, Reason.TOO_EARLY,
            "committing scores needs phase ScoreCommit of task 4, which opens when the initiator reveals the test "
            "set, at the latest by 2026-01-01 03:00:00 UTC (in 58 min 20 s); the task is in phase TestReveal until "
            "2026-01-01 03:00:00 UTC (in 58 min 20 s).",
        ),
        (
            "revealing scores", Phase.FINALIZING, Phase.SCORE_REVEAL, T0 + 18_060, Reason.DEADLINE_PASSED,
            "revealing scores needs phase ScoreReveal of task 4, which closed at 2026-01-01 05:00:00 UTC (1 min ago); "
            "the task is now in phase Finalizing.",
        ),
        (
            "claiming", Phase.SCORE_REVEAL, Phase.FINALIZED, T0 + 17_000, Reason.TOO_EARLY,
            "claiming needs task 4 to be finalized, once finalize has run, which anyone may do from "
            "2026-01-01 05:00:01 UTC (in 16 min 41 s); the task is in phase ScoreReveal until "
            "2026-01-01 05:00:00 UTC (in 16 min 40 s).",
        ),
        (
            "publishing the fused model", Phase.FINALIZING, Phase.FINALIZED, T0 + 20_000, Reason.TOO_EARLY,
            "publishing the fused model needs task 4 to be finalized: every score is in, so run finalize first "
            "(anyone may).",
        ),
        (
            "committing a model", Phase.CANCELLED, Phase.COMMIT, T0 + 60, Reason.SETTLED,
            "committing a model is no longer possible: task 4 is cancelled by its initiator.",
        ),
        (
            "revealing the test set", Phase.UNFULFILLED, Phase.TEST_REVEAL, T0 + 8_000, Reason.SETTLED,
            "revealing the test set is no longer possible: task 4 is unfulfilled: no model was revealed by "
            "2026-01-01 02:00:00 UTC (13 min 20 s ago).",
        ),
        (
            "committing a model", Phase.AUDIT, Phase.COMMIT, T0 + 600, Reason.TOO_EARLY,
            "committing a model needs phase Commit of task 4, which opens when the initiator reveals the audit "
            "shards, at the latest by 2026-01-01 00:30:00 UTC (in 20 min); the task is in phase Audit until "
            "2026-01-01 00:30:00 UTC (in 20 min).",
        ),
        (
            "committing a model", Phase.VOID, Phase.COMMIT, T0 + 2_000, Reason.SETTLED,
            "committing a model is no longer possible: task 4 is void: its audit was not drawn in time or its "
            "audit shards were not revealed by 2026-01-01 00:30:00 UTC (3 min 20 s ago).",
        ),
    ],
    ids=[
        "reveal-during-commit", "commit-after-deadline", "scores-before-test-reveal", "score-reveal-after-deadline",
        "claim-before-finalize", "publish-while-finalizing", "commit-in-cancelled", "test-reveal-in-unfulfilled",
        "commit-during-audit", "commit-in-void",
    ],
)
def test_phase_sentence__says_the_phase_and_when_the_needed_one_opens_or_closed(
    action, current, required, now, reason, sentence
):
    assert phase_sentence(4, action, current, required, PARAMS, now) == sentence
    assert phase_reason(current, required) == reason


@pytest.mark.parametrize(
    ("offered", "reason", "sentence"),
    [
        (
            10**16 - 1, Reason.STAKE_TOO_LOW,
            "the contributor stake of this task is 0.01 ETH (10,000,000,000,000,000 wei), so a stake of "
            "0.009999 ETH (9,999,999,999,999,999 wei) is too low.",
        ),
        (
            2 * 10**16, Reason.STAKE_TOO_HIGH,
            "the contributor stake of this task is exactly 0.01 ETH (10,000,000,000,000,000 wei), so a stake of "
            "0.02 ETH (20,000,000,000,000,000 wei) would be refused.",
        ),
    ],
    ids=["too-low", "too-high"],
)
def test_require_stake__not_the_tasks_stake__refuses(offered, reason, sentence):
    with pytest.raises(PreflightRefusal) as refusal:
        require_stake(10**16, offered, Role.CONTRIBUTOR)

    assert (refusal.value.reason, str(refusal.value)) == (reason, sentence)


@pytest.mark.parametrize("offered", [None, 10**16], ids=["not-given", "exact"])
def test_require_stake__the_tasks_stake_or_none__passes(offered):
    require_stake(10**16, offered, Role.CONTRIBUTOR)


def test_fetch_verified__file_matches__returns_its_bytes(tmp_path):
    store = LocalStore(tmp_path)
    digest = store.put(b"model bytes")

    assert fetch_verified(store, digest, "model file") == b"model bytes"


def test_fetch_verified__file_tampered__refuses_with_digest_mismatch(tmp_path):
    store = LocalStore(tmp_path)
    digest = store.put(b"model bytes")
    store.path(digest).write_bytes(b"other bytes")

    with pytest.raises(PreflightRefusal) as refusal:
        fetch_verified(store, digest, "model file")

    assert refusal.value.reason == Reason.DIGEST_MISMATCH
    assert str(refusal.value) == (
        f"the model file in the store does not match its digest 0x{digest.hex()} (it was corrupted or replaced), "
        "so it is not used: fetch it again."
    )


def test_fetch_verified__file_absent__refuses_with_file_missing(tmp_path):
    digest = sha256_digest(b"never stored")

    with pytest.raises(PreflightRefusal) as refusal:
        fetch_verified(LocalStore(tmp_path), digest, "model file")

    assert refusal.value.reason == Reason.FILE_MISSING
    assert str(refusal.value) == (
        f"the model file is missing: the store {tmp_path} holds no file for 0x{digest.hex()}: fetch it into the "
        "store first."
    )


def test_label_distance__total_variation_of_the_label_shares_in_bps():
    balanced = Dataset(np.zeros((4, 1)), np.array([0, 1, 2, 3]), 4)
    skewed = Dataset(np.zeros((4, 1)), np.array([0, 0, 0, 1]), 4)

    assert label_distance_bps(balanced, balanced) == 0
    assert label_distance_bps(balanced, skewed) == 5_000  # (|1/4-3/4| + 0 + 1/4 + 1/4) / 2


@pytest.mark.parametrize(
    ("check", "sentence"),
    [
        (AuditCheck(90, 9_500, None), None),
        (
            AuditCheck(90, 9_667, None),
            "the audit shards of task 4 (90 examples) disagree with this contributor's model: it gets 96.67% of "
            "them wrong, beyond the 95.00% it accepts, so their labels are not those of its data: nothing is staked.",
        ),
        (AuditCheck(90, 2_000, 5_000), None),
        (
            AuditCheck(90, 2_000, 5_001),
            "the audit shards of task 4 (90 examples) have labels distributed 50.01% (total variation) away from "
            "this contributor's data, beyond the 50.00% it accepts: nothing is staked.",
        ),
    ],
    ids=["error-at-the-limit", "error-beyond", "distance-at-the-limit", "distance-beyond"],
)
def test_audit_policy__default_limits__accepts_at_them_and_refuses_beyond(check, sentence):
    assert AuditPolicy().refusal(4, check) == sentence
