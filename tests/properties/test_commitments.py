"""The off-chain commitment helpers (`learning_market.commitments`, what every role sends) against the
contract, and their domain separation.

Each commitment is `keccak256(abi.encode(block.chainid, market, ...fields))`: the hash the
contract computes (its library through a harness, and the market's own views) must be the one
an off-chain participant computes, for any input; and changing any single field (task id,
sender, digest, salt, score list, market address) must change it. The chain id cannot change
within one test run: it is checked by being encoded.
"""

from eth_utils import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from learning_market.commitments import model_commitment, score_commitment, test_set_commitment
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
    commitments_harness, other_commitments_harness, market, chain, data, task_id, contributor, digest, salt
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
    assert market.modelCommitment(*fields.values()) == model_commitment(
        chain.chain_id, market.address, *fields.values()
    )


@PROPERTIES
@given(data=st.data(), task_id=task_ids, verifier=addresses, scores=score_lists, salt=words)
def test_score_commitment__any_input_and_any_one_field_or_score_changed__equals_python_and_changes(
    commitments_harness, other_commitments_harness, market, chain, data, task_id, verifier, scores, salt
):
    # Prepare
    fields = {"taskId": task_id, "verifier": verifier, "scores": scores, "salt": salt}
    changed = data.draw(
        st.sampled_from(
            [
                "taskId",
                "verifier",
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
    assert market.scoreCommitment(*fields.values()) == score_commitment(
        chain.chain_id, market.address, *fields.values()
    )


@PROPERTIES
@given(data=st.data(), initiator=addresses, digest=words, salt=words)
def test_test_set_commitment__any_input_and_any_one_field_changed__equals_python_and_changes(
    commitments_harness, other_commitments_harness, market, chain, data, initiator, digest, salt
):
    # Prepare
    fields = {"initiator": initiator, "digest": digest, "salt": salt}
    changed = data.draw(st.sampled_from(["initiator", "digest", "salt", "market"]), label="field")
    harness, other = commitments_harness, dict(fields)
    if changed == "market":
        harness = other_commitments_harness
    else:
        strategy = {"initiator": addresses, "digest": words, "salt": words}[changed]
        other[changed] = _another(data, strategy, fields[changed], changed)

    # Execute
    original = commitments_harness.testSet(*fields.values())
    altered = harness.testSet(*other.values())

    # Assert
    assert original == test_set_commitment(
        chain.chain_id, commitments_harness.address, *fields.values()
    )
    assert altered == test_set_commitment(chain.chain_id, harness.address, *other.values())
    assert altered != original
    assert market.testSetCommitment(*fields.values()) == test_set_commitment(
        chain.chain_id, market.address, *fields.values()
    )
