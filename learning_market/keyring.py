"""The secrets a role keeps between its commit and its reveal, on disk, private to its owner.

A commitment hides a digest (or scores) behind a random salt; whoever loses the salt cannot reveal
and forfeits the stake. So each role writes its secret *before* it sends the commitment:

- a contributor: the model digest and salt;
- a panel member: its verdict (whether it scored on the test set), its scores and salt;
- an initiator: its test set's K shards, each shard's digest and salt, and the shard files
  themselves (kept here, not in the content store, until they are revealed: the audit shards
  right after the audit draw, the others after the model reveals).

A secret is JSON at `<root>/<chainId>/<market>/<taskId>/<address>.json` (the initiator's shard
files beside it, `<address>.shard-<i>`), created with mode 0600 in directories of mode 0700
(format version 2), and never overwritten: a
second secret for the same task and address would lose the first one's salt. The initiator does
not know its task id before `createTask` is mined, so its secret is first written under
`pending/` and moved to the task's directory once the id is known (or found there again by its
commitment, if the process stopped in between).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from learning_market.commitments import shard_commitment
from learning_market.errors import LearningMarketError

DEFAULT_ROOT = Path.home() / ".learning-market"
VERSION = 2  # 2: mechanism v2 (a verdict with the scores, a test set of K salted shards)


class KeyringError(LearningMarketError):
    """A secret that cannot be written or read; the message says why in a sentence."""


@dataclass(frozen=True)
class ModelSecret:
    """What opens a contributor's model commitment."""

    model_digest: bytes
    salt: bytes
    commitment: bytes


@dataclass(frozen=True)
class ScoreSecret:
    """What opens a panel member's score commitment: its verdict (True: it scored on the test set;
    False: the test set was withheld or unservable, it scored on the audit shards), its scores (the
    starting model's first) and the salt."""

    scores: tuple[int, ...]
    salt: bytes
    commitment: bytes
    test_set_available: bool = True


@dataclass(frozen=True)
class TestSetSecret:
    """What opens an initiator's test set commitment: the K shards' digests and salts, the shard files,
    and the digest of the whole test set's file (`test_digest`: how a campaign knows its rounds)."""

    __test__ = False  # not a pytest test class, despite its name

    test_digest: bytes
    shard_digests: tuple[bytes, ...]
    salts: tuple[bytes, ...]
    commitment: bytes
    shard_files: tuple[bytes, ...]

    @property
    def shard_commitments(self) -> list[bytes]:
        """The K commitments `keccak256(abi.encode(digest, salt))`, in shard order."""
        return [shard_commitment(d, s) for d, s in zip(self.shard_digests, self.salts, strict=True)]

    def openings(self, indices: list[int]) -> tuple[list[bytes], list[bytes]]:
        """The digests and salts that open the shards at `indices` (in increasing order)."""
        return [self.shard_digests[i] for i in indices], [self.salts[i] for i in indices]


Secret = ModelSecret | ScoreSecret | TestSetSecret

_KINDS = {ModelSecret: "model", ScoreSecret: "scores", TestSetSecret: "test-set"}
SHARD_SUFFIX = ".shard-"


def shard_path(path: Path, index: int) -> Path:
    """Where shard `index` of the test set whose secret is at `path` is kept."""
    return path.with_suffix(f"{SHARD_SUFFIX}{index}")


def _shard_paths(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.stem}{SHARD_SUFFIX}*"))


@dataclass(frozen=True)
class TrainedModel:
    """The last model trained for a task (not a secret: its digest is committed, then revealed)."""

    model_digest: bytes
    cid: str
    local_accuracy_bps: int


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _bytes(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def _encode(secret: Secret) -> dict[str, Any]:
    fields: dict[str, Any] = {"version": VERSION, "kind": _KINDS[type(secret)]}
    if isinstance(secret, ModelSecret):
        fields["model_digest"] = _hex(secret.model_digest)
        fields["salt"] = _hex(secret.salt)
    elif isinstance(secret, ScoreSecret):
        fields["test_set_available"] = secret.test_set_available
        fields["scores"] = list(secret.scores)
        fields["salt"] = _hex(secret.salt)
    else:
        fields["test_digest"] = _hex(secret.test_digest)
        fields["shard_digests"] = [_hex(d) for d in secret.shard_digests]
        fields["salts"] = [_hex(salt) for salt in secret.salts]
    fields["commitment"] = _hex(secret.commitment)
    return fields


def _decode(fields: dict[str, Any], path: Path) -> Secret:
    kind = fields.get("kind")
    if fields.get("version") != VERSION:
        raise KeyringError(
            f"the secret {path} is of keyring version {fields.get('version')}, and this market (mechanism v2) "
            f"reads version {VERSION}: open its commitment with the release that wrote it."
        )
    try:
        commitment = _bytes(fields["commitment"])
        if kind == "model":
            return ModelSecret(_bytes(fields["model_digest"]), _bytes(fields["salt"]), commitment)
        if kind == "scores":
            return ScoreSecret(
                tuple(int(s) for s in fields["scores"]), _bytes(fields["salt"]), commitment,
                bool(fields["test_set_available"]),
            )
        if kind == "test-set":
            digests = tuple(_bytes(d) for d in fields["shard_digests"])
            files = []
            for index, digest in enumerate(digests):
                shard_file = shard_path(path, index).read_bytes()
                if hashlib.sha256(shard_file).digest() != digest:
                    raise KeyringError(
                        f"the shard file {shard_path(path, index)} no longer matches the digest {_hex(digest)} it "
                        "was committed with, so it cannot be revealed."
                    )
                files.append(shard_file)
            salts = tuple(_bytes(salt) for salt in fields["salts"])
            return TestSetSecret(_bytes(fields["test_digest"]), digests, salts, commitment, tuple(files))
    except (KeyError, TypeError, ValueError, OSError) as error:
        raise KeyringError(f"the secret {path} is damaged ({error}), so it cannot open a commitment.") from error
    raise KeyringError(f"the secret {path} is of an unknown kind {kind!r}.")


@contextmanager
def _writing(root: Path) -> Iterator[None]:
    """Turns a failed write under the keyring's `root` into a sentence naming the path."""
    try:
        yield
    except OSError as error:
        where = error.filename or root
        reason = (error.strerror or str(error)).lower()
        raise KeyringError(
            f"the keyring cannot write {where} ({reason}): choose a keyring directory you may write to, "
            "or fix its permissions."
        ) from error


def _write_new(path: Path, data: bytes) -> None:
    """Creates `path` with mode 0600 and writes `data`; fails if the file exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


class Keyring:
    """Secrets by chain, market, task and address, under `root` (default `~/.learning-market`)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else DEFAULT_ROOT

    # ------------------------------------------------------------------ paths
    def market_dir(self, chain_id: int, market: str) -> Path:
        return self.root / str(int(chain_id)) / to_checksum_address(market)

    def task_dir(self, chain_id: int, market: str, task_id: int) -> Path:
        return self.market_dir(chain_id, market) / str(int(task_id))

    def path(self, chain_id: int, market: str, task_id: int, address: str) -> Path:
        """Where the secret of `address` in the task lives."""
        return self.task_dir(chain_id, market, task_id) / f"{to_checksum_address(address)}.json"

    def pending_path(self, chain_id: int, market: str, address: str, commitment: bytes) -> Path:
        """Where an initiator's secret waits for its task id."""
        name = f"{to_checksum_address(address)}-{commitment.hex()}.json"
        return self.market_dir(chain_id, market) / "pending" / name

    def _make_dir(self, directory: Path) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    # ---------------------------------------------------------------- secrets
    def has(self, chain_id: int, market: str, task_id: int, address: str) -> bool:
        return self.path(chain_id, market, task_id, address).exists()

    def save(self, chain_id: int, market: str, task_id: int, address: str, secret: Secret) -> Path:
        """Writes the secret of `address` in the task; refuses to overwrite one that exists."""
        return self._save(self.path(chain_id, market, task_id, address), secret, task_id)

    def save_pending(self, chain_id: int, market: str, address: str, secret: TestSetSecret) -> Path:
        """Writes an initiator's secret before its task exists (see `assign`)."""
        return self._save(self.pending_path(chain_id, market, address, secret.commitment), secret, None)

    def _save(self, path: Path, secret: Secret, task_id: int | None) -> Path:
        if path.exists():
            where = f"task {task_id}" if task_id is not None else "this commitment"
            raise KeyringError(
                f"a secret for {where} already exists at {path}; it is never overwritten, since it may open a "
                "commitment already sent (delete it yourself only if that commitment never reached the chain)."
            )
        with _writing(self.root):
            self._make_dir(path.parent)
            if isinstance(secret, TestSetSecret):
                for orphan in _shard_paths(path):  # of a secret that was never written
                    orphan.unlink()
                for index, shard_file in enumerate(secret.shard_files):
                    _write_new(shard_path(path, index), shard_file)
            _write_new(path, (json.dumps(_encode(secret), indent=2) + "\n").encode())
        return path

    def pending(self, chain_id: int, market: str, address: str) -> list[tuple[Path, TestSetSecret]]:
        """The initiator secrets of `address` still waiting for their task id, oldest name first."""
        folder = self.market_dir(chain_id, market) / "pending"
        found = []
        for path in sorted(folder.glob(f"{to_checksum_address(address)}-*.json")):
            try:
                secret = _decode(json.loads(path.read_text()), path)
            except ValueError as error:
                raise KeyringError(f"the secret {path} is not JSON ({error}), so it cannot open a commitment.") \
                    from error
            if isinstance(secret, TestSetSecret):
                found.append((path, secret))
        return found

    def assign(self, pending: Path, chain_id: int, market: str, task_id: int, address: str) -> Path:
        """Moves a pending secret (and its shard files) to the task it committed to."""
        target = self.path(chain_id, market, task_id, address)
        if target.exists():
            raise KeyringError(f"a secret for task {task_id} already exists at {target}; it is never overwritten.")
        with _writing(self.root):
            self._make_dir(target.parent)
            for shard_file in _shard_paths(pending):
                os.replace(shard_file, target.with_suffix(shard_file.suffix))
            os.replace(pending, target)
        return target

    def load(self, chain_id: int, market: str, task_id: int, address: str, commitment: bytes | None = None) -> Secret:
        """The secret of `address` in the task (an initiator's may still be pending under `commitment`)."""
        path = self.path(chain_id, market, task_id, address)
        if not path.exists() and commitment is not None:
            pending = self.pending_path(chain_id, market, address, commitment)
            if pending.exists():
                path = self.assign(pending, chain_id, market, task_id, address)
        try:
            fields = json.loads(path.read_text())
        except FileNotFoundError as error:
            raise KeyringError(
                f"there is no secret for {to_checksum_address(address)} in task {task_id} under {self.root} "
                "(it is written when the commitment is made: check --keyring)."
            ) from error
        except ValueError as error:
            raise KeyringError(f"the secret {path} is not JSON ({error}), so it cannot open a commitment.") from error
        return _decode(fields, path)

    def discard(self, chain_id: int, market: str, task_id: int, address: str) -> None:
        """Removes a secret whose commitment the market refused (so it never reached the chain)."""
        self._discard(self.path(chain_id, market, task_id, address))

    def discard_pending(self, chain_id: int, market: str, address: str, commitment: bytes) -> None:
        self._discard(self.pending_path(chain_id, market, address, commitment))

    def _discard(self, path: Path) -> None:
        for shard_file in _shard_paths(path):
            shard_file.unlink()
        path.unlink(missing_ok=True)

    # ---------------------------------------------------------- last trained
    def trained_path(self, chain_id: int, market: str, task_id: int) -> Path:
        return self.task_dir(chain_id, market, task_id) / "trained.json"

    def record_trained(self, chain_id: int, market: str, task_id: int, trained: TrainedModel) -> Path:
        """Remembers the last model trained for the task (replacing the one before)."""
        path = self.trained_path(chain_id, market, task_id)
        fields = {
            "model_digest": _hex(trained.model_digest),
            "cid": trained.cid,
            "local_accuracy_bps": trained.local_accuracy_bps,
        }
        temporary = path.with_suffix(".tmp")
        with _writing(self.root):
            self._make_dir(path.parent)
            temporary.unlink(missing_ok=True)
            _write_new(temporary, (json.dumps(fields, indent=2) + "\n").encode())
            os.replace(temporary, path)
        return path

    def has_trained(self, chain_id: int, market: str, task_id: int) -> bool:
        return self.trained_path(chain_id, market, task_id).exists()

    def last_trained(self, chain_id: int, market: str, task_id: int) -> TrainedModel:
        path = self.trained_path(chain_id, market, task_id)
        try:
            fields = json.loads(path.read_text())
            return TrainedModel(_bytes(fields["model_digest"]), fields["cid"], int(fields["local_accuracy_bps"]))
        except FileNotFoundError as error:
            raise KeyringError(
                f"no model has been trained for task {task_id} with this keyring: run `train` or pass --model-digest."
            ) from error
        except (KeyError, TypeError, ValueError) as error:
            raise KeyringError(f"{path} is damaged ({error}): run `train` again or pass --model-digest.") from error
