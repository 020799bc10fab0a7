"""The keyring keeps each commitment's secret private (0600), never overwrites one, and finds it again."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from learning_market.keyring import (
    Keyring,
    KeyringError,
    ModelSecret,
    ScoreSecret,
    TestSetSecret,
    TrainedModel,
)

CHAIN_ID = 31337
MARKET = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
MARKET_CHECKSUM = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ALICE = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
ALICE_CHECKSUM = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

MODEL = ModelSecret(model_digest=b"\x01" * 32, salt=b"\x02" * 32, commitment=b"\x03" * 32)
SCORES = ScoreSecret(scores=(9_000, 0, 10_000), salt=b"\x04" * 32, commitment=b"\x05" * 32, test_set_available=False)
SHARD_FILES = (b"shard zero", b"shard one", b"shard two")
TEST_SET = TestSetSecret(
    test_digest=hashlib.sha256(b"the test set file").digest(),
    shard_digests=tuple(hashlib.sha256(f).digest() for f in SHARD_FILES),
    salts=(b"\x06" * 32, b"\x08" * 32, b"\x09" * 32),
    commitment=b"\x07" * 32,
    shard_files=SHARD_FILES,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("secret", [MODEL, SCORES, TEST_SET], ids=["model", "scores", "test-set"])
def test_save__new_secret__is_private_json_at_the_task_path_and_loads_back(tmp_path, secret):
    keyring = Keyring(tmp_path)

    path = keyring.save(CHAIN_ID, MARKET, 7, ALICE, secret)

    assert path == tmp_path / "31337" / MARKET_CHECKSUM / "7" / f"{ALICE_CHECKSUM}.json"
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    fields = json.loads(path.read_text())
    assert fields["version"] == 2 and fields["commitment"] == "0x" + secret.commitment.hex()
    assert keyring.load(CHAIN_ID, MARKET, 7, ALICE) == secret


def test_save__score_secret__keeps_the_verdict_with_the_scores(tmp_path):
    path = Keyring(tmp_path).save(CHAIN_ID, MARKET, 7, ALICE, SCORES)

    fields = json.loads(path.read_text())

    assert (fields["test_set_available"], fields["scores"]) == (False, [9_000, 0, 10_000])
    assert fields["salt"] == "0x" + "04" * 32


def test_save__test_set_secret__keeps_each_shard_salt_and_file_beside_it_private(tmp_path):
    path = Keyring(tmp_path).save(CHAIN_ID, MARKET, 7, ALICE, TEST_SET)

    fields = json.loads(path.read_text())

    assert fields["salts"] == ["0x" + salt.hex() for salt in TEST_SET.salts]
    assert fields["shard_digests"] == ["0x" + d.hex() for d in TEST_SET.shard_digests]
    for index, shard_file in enumerate(SHARD_FILES):
        shard = path.with_suffix(f".shard-{index}")
        assert shard.read_bytes() == shard_file and _mode(shard) == 0o600


def test_load__secret_of_keyring_version_one__refuses_naming_the_version(tmp_path):
    keyring = Keyring(tmp_path)
    path = keyring.save(CHAIN_ID, MARKET, 7, ALICE, MODEL)
    path.write_text(json.dumps({**json.loads(path.read_text()), "version": 1}))

    with pytest.raises(KeyringError) as refusal:
        keyring.load(CHAIN_ID, MARKET, 7, ALICE)

    assert str(refusal.value) == (
        f"the secret {path} is of keyring version 1, and this market (mechanism v2) reads version 2: open its "
        "commitment with the release that wrote it."
    )


def test_save__secret_exists__refuses_and_keeps_the_first(tmp_path):
    keyring = Keyring(tmp_path)
    path = keyring.save(CHAIN_ID, MARKET, 7, ALICE, MODEL)
    other = ModelSecret(model_digest=b"\x09" * 32, salt=b"\x0a" * 32, commitment=b"\x0b" * 32)

    with pytest.raises(KeyringError) as refusal:
        keyring.save(CHAIN_ID, MARKET, 7, ALICE, other)

    assert str(refusal.value) == (
        f"a secret for task 7 already exists at {path}; it is never overwritten, since it may open a commitment "
        "already sent (delete it yourself only if that commitment never reached the chain)."
    )
    assert keyring.load(CHAIN_ID, MARKET, 7, ALICE) == MODEL


def test_save__another_task_or_address__is_a_separate_secret(tmp_path):
    keyring = Keyring(tmp_path)
    keyring.save(CHAIN_ID, MARKET, 7, ALICE, MODEL)

    keyring.save(CHAIN_ID, MARKET, 8, ALICE, SCORES)
    keyring.save(CHAIN_ID, MARKET, 7, MARKET, SCORES)

    assert keyring.load(CHAIN_ID, MARKET, 7, ALICE) == MODEL
    assert keyring.load(CHAIN_ID, MARKET, 8, ALICE) == SCORES


def test_assign__pending_secret__moves_with_its_shard_files_to_the_task(tmp_path):
    keyring = Keyring(tmp_path)
    pending = keyring.save_pending(CHAIN_ID, MARKET, ALICE, TEST_SET)

    path = keyring.assign(pending, CHAIN_ID, MARKET, 3, ALICE)

    assert not pending.exists() and not list(pending.parent.glob("*.shard-*"))
    assert path == keyring.path(CHAIN_ID, MARKET, 3, ALICE)
    assert keyring.load(CHAIN_ID, MARKET, 3, ALICE) == TEST_SET


def test_load__secret_still_pending__is_found_by_its_commitment_and_assigned(tmp_path):
    keyring = Keyring(tmp_path)
    keyring.save_pending(CHAIN_ID, MARKET, ALICE, TEST_SET)

    loaded = keyring.load(CHAIN_ID, MARKET, 3, ALICE, commitment=TEST_SET.commitment)

    assert loaded == TEST_SET
    assert keyring.has(CHAIN_ID, MARKET, 3, ALICE)


def test_load__shard_file_tampered__refuses(tmp_path):
    keyring = Keyring(tmp_path)
    path = keyring.save(CHAIN_ID, MARKET, 7, ALICE, TEST_SET)
    path.with_suffix(".shard-1").write_bytes(b"another shard")

    with pytest.raises(KeyringError) as refusal:
        keyring.load(CHAIN_ID, MARKET, 7, ALICE)

    assert str(refusal.value) == (
        f"the shard file {path.with_suffix('.shard-1')} no longer matches the digest "
        f"0x{TEST_SET.shard_digests[1].hex()} it was committed with, so it cannot be revealed."
    )


def test_discard__test_set_secret__removes_its_shard_files(tmp_path):
    keyring = Keyring(tmp_path)
    path = keyring.save(CHAIN_ID, MARKET, 7, ALICE, TEST_SET)

    keyring.discard(CHAIN_ID, MARKET, 7, ALICE)

    assert list(path.parent.iterdir()) == []


def test_load__no_secret__says_where_it_looked(tmp_path):
    with pytest.raises(KeyringError) as refusal:
        Keyring(tmp_path).load(CHAIN_ID, MARKET, 7, ALICE)

    assert str(refusal.value) == (
        f"there is no secret for {ALICE_CHECKSUM} in task 7 under {tmp_path} "
        "(it is written when the commitment is made: check --keyring)."
    )


def test_discard__refused_commitment__removes_the_secret_so_it_can_be_made_again(tmp_path):
    keyring = Keyring(tmp_path)
    keyring.save(CHAIN_ID, MARKET, 7, ALICE, MODEL)

    keyring.discard(CHAIN_ID, MARKET, 7, ALICE)

    assert not keyring.has(CHAIN_ID, MARKET, 7, ALICE)
    keyring.save(CHAIN_ID, MARKET, 7, ALICE, SCORES)


def test_last_trained__recorded_twice__returns_the_latest(tmp_path):
    keyring = Keyring(tmp_path)
    first = TrainedModel(b"\x01" * 32, "bafkfirst", 9_000)
    second = TrainedModel(b"\x02" * 32, "bafksecond", 9_100)

    keyring.record_trained(CHAIN_ID, MARKET, 7, first)
    keyring.record_trained(CHAIN_ID, MARKET, 7, second)

    assert keyring.last_trained(CHAIN_ID, MARKET, 7) == second


def test_last_trained__nothing_trained__says_what_to_do(tmp_path):
    with pytest.raises(KeyringError) as refusal:
        Keyring(tmp_path).last_trained(CHAIN_ID, MARKET, 7)

    assert str(refusal.value) == (
        "no model has been trained for task 7 with this keyring: run `train` or pass --model-digest."
    )
