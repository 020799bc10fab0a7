"""A whole task, settled with rewards: the path every other test departs from."""

from tests.utils.market import PHASE


def test_full_round__rewards_follow_median_scores(create_task, contributors, verifiers, outsider, initiator):
    task = create_task(verifierFeeBps=1_000, baselineScore=1_000)
    alice, bob = contributors[:2]
    v1, v2, v3 = verifiers[:3]
    task.commit(alice)
    task.commit(bob)
    for v in (v1, v2, v3):
        task.join(v)
    task.after("commit")
    task.reveal(alice)
    task.reveal(bob)
    task.after("reveal")
    task.reveal_test_set()
    task.commit_scores(v1, [9_000, 5_000])
    task.commit_scores(v2, [9_100, 5_000])
    task.commit_scores(v3, [3_000, 3_000])  # dishonest
    task.after("scoreCommit")
    for v in (v1, v2, v3):
        task.reveal_scores(v)
    task.after("scoreReveal")
    assert task.finalize(outsider, 1).return_value is False
    task.finalize(outsider)
    assert task.phase() == "Finalized"
    market = task.market
    # medians: [9000, 5000]; weights 8000, 4000; pool = 0.9 ETH; fee pool = 0.1 ETH + 0.02 forfeit
    pool = 9 * 10**17
    assert market.owed(task.task_id, alice) == 10**16 + pool * 8000 // 12000
    assert market.owed(task.task_id, bob) == 10**16 + pool * 4000 // 12000
    fee_each = (10**17 + 2 * 10**16) // 2
    assert market.owed(task.task_id, v1) == 2 * 10**16 + fee_each
    assert market.owed(task.task_id, v3) == 0
    total_in = 10**18 + 2 * 10**16 + 3 * 2 * 10**16
    owed = sum(market.owed(task.task_id, a) for a in (alice, bob, v1, v2, v3, initiator))
    assert owed == total_in
    assert market.phaseOf(task.task_id) == PHASE["Finalized"]
    balance_before = market.balance
    for a in (alice, bob, v1, v2, initiator):
        if market.owed(task.task_id, a):
            market.claim(task.task_id, sender=a)
    # Plain views only: this round also feeds `make gas` (ape's --gas cannot decode struct returns).
    assert balance_before - market.balance == total_in
    assert all(market.owed(task.task_id, a) == 0 for a in (alice, bob, v1, v2, v3, initiator))
