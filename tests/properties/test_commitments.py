"""Commitments against eth_abi and keccak in Python, and their domain separation.

Model, score and test set commitments are `keccak256(abi.encode(block.chainid, market,
...fields))`; a shard commitment is `keccak256(abi.encode(digest, salt))`. The hash the
contract computes (its library, and the market's own views) must be the one an off-chain
participant computes with `learning_market.commitments`, for any input; and
changing any single field (task id, sender, vote, digest, salt, score list, shard list, market
address) must change it. The chain id cannot change within one test run: it is checked by
being encoded.
"""

from eth_utils import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from learning_market.commitments import (
    model_commitment,
    score_commitment,
    shard_commitment,
)
from learning_market.commitments import test_set_commitment as commitment_to_test_set
from tests.utils.profiles import PROPERTIES

UINT256_MAX = 2**256 - 1

task_ids = st.one_of(st.integers(0, UINT256_MAX), st.sampled_from([0, 1, UINT256_MAX]))
addresses = st.one_of(
    st.binary(min_size=20, max_size=20),
    st.sampled_from([bytes(20), b"\xff" * 20]),
).map(to_checksum_address)
words = st.one_of(st.binary(min_size=32, max_size=32), st.sampled_from([bytes(32), b"\xff" * 32]))
score_lists = st.lists(st.one_of(st.integers(0, 10_000), st.integers(0, 2**16 - 1)), max_size=80)


def _another(data, strategy, value, label):
    return data.draw(strategy.filter(lambda other: other != value), label=label)


@PROPERTIES
@given(data=st.data(), task_id=task_ids, contributor=addresses, digest=words, salt=words)
def test_model_commitment__any_input_and_any_one_field_changed__equals_python_and_changes(
    commitments_harness, other_commitments_harness, chain, data, task_id, contributor, digest, salt
):
    # Prepare
    fields = {"taskId": task_id, "contributor": contributor, "digest": digest, "salt": salt}
    changed = data.draw(
        st.sampled_from(["taskId", "contributor", "digest", "salt", "market"]), label="field"
    )
    harness, other = commitments_harness, dict(fields)
    if changed == "market":
        harness = other_commitments_harness
    else:
        strategy = {"taskId": task_ids, "contributor": addresses, "digest": words, "salt": words}[
            changed
        ]
        other[changed] = _another(data, strategy, fields[changed], changed)

    # Execute
    original = commitments_harness.model(*fields.values())
    altered = harness.model(*other.values())

    # Assert
    assert original == model_commitment(
        chain.chain_id, commitments_harness.address, *fields.values()
    )
    assert altered == model_commitment(chain.chain_id, harness.address, *other.values())
    assert altered != original


@PROPERTIES
@given(
    data=st.data(),
    task_id=task_ids,
    verifier=addresses,
    available=st.booleans(),
    scores=score_lists,
    salt=words,
)
def test_score_commitment__any_input_and_any_one_field_or_score_changed__equals_python_and_changes(
    commitments_harness,
    other_commitments_harness,
    chain,
    data,
    task_id,
    verifier,
    available,
    scores,
    salt,
):
    # Prepare
    fields = {
        "taskId": task_id,
        "verifier": verifier,
        "available": available,
        "scores": scores,
        "salt": salt,
    }
    changed = data.draw(
        st.sampled_from(
            [
                "taskId",
                "verifier",
                "vote",
                "one score",
                "one score more",
                "one score less",
                "salt",
                "market",
            ]
        ),
        label="field",
    )
    harness, other = commitments_harness, dict(fields, scores=list(scores))
    if changed == "market":
        harness = other_commitments_harness
    elif changed == "vote":
        other["available"] = not available
    elif changed == "one score" and scores:
        index = data.draw(st.integers(0, len(scores) - 1), label="index")
        other["scores"][index] = _another(data, st.integers(0, 2**16 - 1), scores[index], "score")
    elif changed == "one score more" or (changed in ("one score", "one score less") and not scores):
        other["scores"].append(data.draw(st.integers(0, 2**16 - 1), label="extra score"))
    elif changed == "one score less":
        other["scores"].pop(data.draw(st.integers(0, len(scores) - 1), label="index"))
    else:
        strategy = {"taskId": task_ids, "verifier": addresses, "salt": words}[changed]
        other[changed] = _another(data, strategy, fields[changed], changed)

    # Execute
    original = commitments_harness.scores(*fields.values())
    altered = harness.scores(*other.values())

    # Assert
    assert original == score_commitment(
        chain.chain_id, commitments_harness.address, *fields.values()
    )
    assert altered == score_commitment(chain.chain_id, harness.address, *other.values())
    assert altered != original


@PROPERTIES
@given(digest=words, salt=words, other_salt=words)
def test_shard_commitment__any_input__equals_python_and_each_salt_hides_its_own_shard(
    commitments_harness, digest, salt, other_salt
):
    assert commitments_harness.shard(digest, salt) == shard_commitment(digest, salt)
    if other_salt != salt:
        assert commitments_harness.shard(digest, other_salt) != shard_commitment(digest, salt)


@PROPERTIES
@given(data=st.data(), initiator=addresses, shards=st.lists(words, min_size=2, max_size=32))
def test_test_set_commitment__any_input_and_any_one_field_changed__equals_python_and_changes(
    commitments_harness, other_commitments_harness, chain, data, initiator, shards
):
    # Prepare
    fields = {"initiator": initiator, "shards": shards}
    changed = data.draw(
        st.sampled_from(
            ["initiator", "one shard", "one shard more", "one shard less", "order", "market"]
        ),
        label="field",
    )
    harness, other = commitments_harness, dict(fields, shards=list(shards))
    if changed == "market":
        harness = other_commitments_harness
    elif changed == "initiator":
        other["initiator"] = _another(data, addresses, initiator, "initiator")
    elif changed == "one shard":
        index = data.draw(st.integers(0, len(shards) - 1), label="index")
        other["shards"][index] = _another(data, words, shards[index], "shard")
    elif changed == "one shard more":
        other["shards"].append(data.draw(words, label="extra shard"))
    elif changed == "one shard less":
        other["shards"].pop(data.draw(st.integers(0, len(shards) - 1), label="index"))
    else:
        other["shards"] = list(reversed(shards))
        if other["shards"] == shards:
            other["shards"].append(bytes(32))

    # Execute
    original = commitments_harness.testSet(*fields.values())
    altered = harness.testSet(*other.values())

    # Assert
    assert original == commitment_to_test_set(
        chain.chain_id, commitments_harness.address, *fields.values()
    )
    assert altered == commitment_to_test_set(chain.chain_id, harness.address, *other.values())
    assert altered != original


@PROPERTIES
@given(
    task_id=task_ids,
    account=addresses,
    digest=words,
    salt=words,
    available=st.booleans(),
    scores=st.lists(st.integers(0, 2**16 - 1), max_size=40),
    shards=st.lists(words, min_size=1, max_size=32),
)
def test_market_views__any_input__equal_the_python_helpers_of_the_role_layer(
    market, chain, task_id, account, digest, salt, available, scores, shards
):
    """The market's own views (what a participant may ask the chain) against the helpers the roles commit
    with: model, score (vote and scores), shard and test set commitments."""
    chain_id, address = chain.chain_id, market.address

    assert market.modelCommitment(task_id, account, digest, salt) == model_commitment(
        chain_id, address, task_id, account, digest, salt
    )
    assert market.scoreCommitment(task_id, account, available, scores, salt) == score_commitment(
        chain_id, address, task_id, account, available, scores, salt
    )
    assert market.shardCommitment(digest, salt) == shard_commitment(digest, salt)
    assert market.testSetCommitment(account, shards) == commitment_to_test_set(
        chain_id, address, account, shards
    )
