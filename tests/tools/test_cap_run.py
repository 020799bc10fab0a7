"""tools/cap_run.py on a small task (`make cap-run` runs it at the caps): every action of a
whole task goes through on a plain anvil that enforces EIP-7825, and the table names each."""

from tools import cap_run


def test_cap_run__small_task__every_action_settles_under_the_cap():
    gas = cap_run.run(contributors=4, panel=3, batch=2)

    assert list(gas) == [
        "deploy market (with its pool and module)",
        "register (pool)",
        "createTask",
        "drawAudit",
        "revealAudit",
        "commitModel",
        "requestPanel",
        "drawPanel",
        "revealModel",
        "revealTestSet",
        "commitScores",
        "revealScores",
        "finalize (batches of 2 steps)",
        "claim",
    ]
    assert [
        len(gas[a]) for a in ("register (pool)", "commitModel", "revealModel", "revealScores")
    ] == [6, 4, 4, 3]
    assert max(max(used) for used in gas.values()) < cap_run.EIP7825_CAP
    assert "| drawPanel | 1 |" in cap_run.table(gas)
