"""A participant's policy: each term that makes it decline a task, in one sentence; an offer within every
term is taken."""

from __future__ import annotations

import pytest

from learning_market.roles.policy import Offer, Policy

NOW = 1_800_000_000
OFFER = Offer(task_id=7, reward=10**18, stake=10**16, closes=NOW + 600, input_shape=(1, 8, 8), num_classes=10)


def test_policy__offer_within_every_term__taken():
    policy = Policy(min_reward=10**18, max_stake=10**16, margin=600, input_shape=(1, 8, 8), num_classes=10)

    assert policy.refusal(OFFER, NOW) is None


@pytest.mark.parametrize(
    ("policy", "sentence"),
    [
        (Policy(min_reward=2 * 10**18),
         "task 7 offers 1 ETH (1,000,000,000,000,000,000 wei), less than the minimum reward of "
         "2 ETH (2,000,000,000,000,000,000 wei)."),
        (Policy(max_stake=10**15),
         "task 7 asks a stake of 0.01 ETH (10,000,000,000,000,000 wei), more than the maximum of "
         "0.001 ETH (1,000,000,000,000,000 wei)."),
        (Policy(margin=601),
         "task 7 can be joined only until 2027-01-15 08:10:00 UTC (in 10 min), which leaves less than the margin "
         "of 10 min 1 s."),
        (Policy(input_shape=(1, 28, 28)),
         "task 7 takes examples shaped [1, 8, 8], and this participant serves [1, 28, 28]."),
        (Policy(num_classes=2), "task 7 has 10 classes, and this participant serves 2."),
    ],
    ids=["reward", "stake", "margin", "shape", "classes"],
)
def test_policy__one_term_not_met__declined_in_a_sentence(policy, sentence):
    assert policy.refusal(OFFER, NOW) == sentence


def test_policy__offer_without_a_shape__not_declined_for_it():
    offer = Offer(task_id=7, reward=1, stake=1, closes=NOW + 60)

    assert Policy(input_shape=(1, 8, 8), num_classes=10).refusal(offer, NOW) is None
