"""Each role's steps on a real network, one function per command of the role scripts.

Every step checks first (`learning_market.checks`) and refuses with a sentence before sending
anything; it keeps what it must open later in the keyring *before* it commits; it fetches every
file by the digest the chain recorded and checks the bytes. Time is never moved here: a step that
comes too early says when it can run.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from learning_market.checks import (
    PreflightRefusal,
    Reason,
    TaskState,
    fetch_verified,
    require_balance,
    require_digest_unrevealed,
    require_initiator,
    require_model_unrevealed,
    require_newcomer,
    require_phase,
    require_role,
    require_scores_committed_unrevealed,
    require_scores_uncommitted,
    require_settled,
    require_stake,
    task_state,
)
from learning_market.commitments import model_commitment, new_salt, score_commitment, test_set_commitment
from learning_market.initiator import TaskTerms
from learning_market.keyring import Keyring, KeyringError, ModelSecret, ScoreSecret, TestSetSecret, TrainedModel
from learning_market.market import MarketClient
from learning_market.phases import Phase, Role, TaskParams
from learning_market.refusals import MarketRefusal

Log = Callable[[str], None]
BPS = 10_000
MAX_CONTRIBUTORS_CAP = 512
MAX_VERIFIERS_CAP = 64
ZERO_ADDRESS = "0x" + "00" * 20
# seconds added before the first deadline, for the time the creating transaction takes to be mined
DEFAULT_START_MARGIN = 60


def _quiet(_: str) -> None:
    pass


@dataclass
class Session:
    """One account acting in one market, with its content store and its keyring."""

    market: MarketClient
    account: Any
    store: Any  # ml.store.ContentStore
    keyring: Keyring
    log: Log = _quiet

    @property
    def address(self) -> str:
        return to_checksum_address(str(self.account.address))

    def state(self, task_id: int) -> TaskState:
        return task_state(self.market, task_id)


# ------------------------------------------------------------------ files


def load_dataset_file(path: str | Path, num_classes: int | None = None) -> Any:
    """A dataset from an .npz (arrays x and y) or from a dataset file written by `ml.encode_dataset`."""
    from ml.data import DatasetError, decode_dataset, load_npz

    path = Path(path)
    try:
        if path.suffix == ".npz":
            return load_npz(path, num_classes)
        dataset = decode_dataset(path.read_bytes())
    except DatasetError as error:
        raise PreflightRefusal(Reason.BAD_FILE, f"{path} is not a dataset this market can use: {error}.") from error
    except OSError as error:
        raise PreflightRefusal(Reason.BAD_FILE, f"{path} cannot be read: {error.strerror or error}.") from error
    if num_classes is not None and dataset.num_classes != num_classes:
        raise PreflightRefusal(
            Reason.BAD_FILE, f"{path} has {dataset.num_classes} classes, and the task has {num_classes}."
        )
    return dataset


def load_spec_file(path: str | Path) -> Any:
    """A task spec from a JSON file, validated by `ml.spec.TaskSpec`."""
    from ml.spec import TaskSpec

    path = Path(path)
    try:
        return TaskSpec.from_json_bytes(path.read_bytes())
    except OSError as error:
        raise PreflightRefusal(Reason.BAD_FILE, f"{path} cannot be read: {error.strerror or error}.") from error
    except ValueError as error:
        raise PreflightRefusal(Reason.BAD_FILE, f"{path} is not a valid task spec: {error}.") from error


def _require_fits(spec: Any, dataset: Any, what: str) -> None:
    """Refuses a dataset whose examples or classes are not the task's."""
    shape, classes = tuple(spec.input_shape), int(spec.num_classes)
    if tuple(dataset.input_shape) != shape or dataset.num_classes != classes:
        raise PreflightRefusal(
            Reason.BAD_FILE,
            f"the {what} has examples shaped {list(dataset.input_shape)} in {dataset.num_classes} classes, and the "
            f"task needs {list(shape)} in {classes}.",
        )


def fetch_spec(store: Any, state: TaskState) -> Any:
    """The task's spec, fetched by the digest the chain recorded and checked."""
    from ml.spec import TaskSpec

    data = fetch_verified(store, state.params.spec_digest, f"task spec of task {state.task_id}")
    try:
        return TaskSpec.from_json_bytes(data)
    except ValueError as error:
        raise PreflightRefusal(
            Reason.BAD_FILE, f"the task spec of task {state.task_id} is not a valid task spec: {error}."
        ) from error


def fetch_model(store: Any, digest: bytes, what: str) -> Any:
    """A model file fetched by digest, checked, and decoded (nothing in it runs)."""
    from ml.modelfile import ModelFileError, decode_model

    data = fetch_verified(store, digest, what)
    try:
        return decode_model(data, digest)
    except ModelFileError as error:
        raise PreflightRefusal(
            Reason.BAD_FILE, f"the {what} 0x{digest.hex()} is not a usable model file: {error}."
        ) from error


def _send(action: Callable[[], Any], undo: Callable[[], None]) -> Any:
    """Sends a transaction; if the market refuses it, nothing was committed, so `undo` the saved secret."""
    try:
        return action()
    except MarketRefusal:
        undo()
        raise


# ------------------------------------------------------------------ initiator


@dataclass(frozen=True)
class CreatedTask:
    task_id: int
    spec_digest: bytes
    test_digest: bytes
    params: TaskParams
    secret: Path


def create_task(
    session: Session,
    spec: Any,
    test_set: Any,
    terms: TaskTerms,
    parent_task_id: int = 0,
    start_margin: int = DEFAULT_START_MARGIN,
    publish: Any | None = None,
) -> CreatedTask:
    """Stores the spec, commits to the test set (kept in the keyring until its reveal), escrows the reward.

    The five deadlines are `window` apart, the first one `window + start_margin` after now. The spec
    (and the initial model it names) also go into `publish` if given, whose URI then goes in the event.
    """
    market = session.market
    _check_terms(market, terms)
    _require_fits(spec, test_set, "test set")
    require_balance(market, session.address, terms.reward, "the reward")
    initial_file = None
    if spec.initial_model is not None:
        initial_file = fetch_verified(session.store, spec.initial_model, "initial model named by the spec")
        initial = fetch_model(session.store, spec.initial_model, "initial model named by the spec")
        from ml.models import io_signature

        if io_signature(initial.architecture) != (tuple(spec.input_shape), int(spec.num_classes)):
            raise PreflightRefusal(
                Reason.BAD_FILE, "the spec's initial model does not take the spec's inputs or give its classes."
            )
    if parent_task_id:
        _check_parent(session, parent_task_id, spec)

    from content import sha256_digest
    from ml.data import encode_dataset

    spec_file = spec.to_json_bytes()
    spec_digest = session.store.put(spec_file)
    spec_uri = _publish(session, publish, spec_digest, spec_file)
    if initial_file is not None:
        _publish(session, publish, spec.initial_model, initial_file)
    test_file = encode_dataset(test_set)
    test_digest, salt = sha256_digest(test_file), new_salt()
    commitment = test_set_commitment(market.chain_id, market.address, session.address, test_digest, salt)
    secret = TestSetSecret(test_digest, salt, commitment, test_file)
    pending = session.keyring.save_pending(market.chain_id, market.address, session.address, secret)

    start = max(market.now(), int(time.time())) + start_margin
    params = terms.task_params(spec_digest, commitment, start, terms.window, parent_task_id)
    task_id = _send(
        lambda: market.create_task(params, spec_uri, terms.reward, sender=session.account),
        lambda: session.keyring.discard_pending(market.chain_id, market.address, session.address, commitment),
    )
    path = session.keyring.assign(pending, market.chain_id, market.address, task_id, session.address)
    session.log(f"task {task_id} created; the test set secret is kept in {path}")
    return CreatedTask(task_id, spec_digest, test_digest, market.params(task_id), path)


def with_initial_model(store: Any, spec: Any, model_file: bytes) -> Any:
    """The spec naming `model_file` (put into the store) as the model contributors start from."""
    from content import sha256_digest
    from ml.modelfile import ModelFileError, decode_model

    try:
        decode_model(model_file)
    except ModelFileError as error:
        raise PreflightRefusal(Reason.BAD_FILE, f"the initial model is not a usable model file: {error}.") from error
    digest = store.put(model_file)
    assert digest == sha256_digest(model_file)
    return dataclasses.replace(spec, initial_model=digest)


def _check_terms(market: MarketClient, terms: TaskTerms) -> None:
    def bad(sentence: str) -> PreflightRefusal:
        return PreflightRefusal(Reason.BAD_PARAMETER, sentence)

    if terms.reward <= 0:
        raise bad("a task needs a reward above zero.")
    if terms.contributor_stake <= 0 or terms.verifier_stake <= 0:
        raise PreflightRefusal(Reason.STAKE_TOO_LOW, "both stakes must be above zero, or nothing is at stake.")
    if not 1 <= terms.max_contributors <= MAX_CONTRIBUTORS_CAP:
        raise bad(
            f"the most contributors a task may take is 1 to {MAX_CONTRIBUTORS_CAP}, not {terms.max_contributors}."
        )
    if not 1 <= terms.max_verifiers <= MAX_VERIFIERS_CAP:
        raise bad(f"the most verifiers a task may take is 1 to {MAX_VERIFIERS_CAP}, not {terms.max_verifiers}.")
    for name, value in (
        ("verifier fee", terms.verifier_fee_bps),
        ("baseline", terms.baseline_score),
        ("tolerance", terms.tolerance_bps),
    ):
        if not 0 <= value <= BPS:
            raise bad(f"the {name} is in basis points, 0 to {BPS}, not {value}.")
    minimum = market.min_window()
    if terms.window < minimum:
        raise bad(f"a window of {terms.window} s is shorter than this market's minimum window of {minimum} s.")


def _check_parent(session: Session, parent_task_id: int, spec: Any) -> None:
    parent = session.state(parent_task_id)
    if parent.initiator != session.address:
        raise PreflightRefusal(
            Reason.BAD_PARAMETER, f"task {parent_task_id} cannot be the parent: its initiator is {parent.initiator}."
        )
    if parent.fused_digest == bytes(32):
        raise PreflightRefusal(
            Reason.BAD_PARAMETER,
            f"task {parent_task_id} cannot be the parent yet: its fused model is not published (fuse-and-publish).",
        )
    if spec.initial_model != parent.fused_digest:
        raise PreflightRefusal(
            Reason.BAD_PARAMETER,
            f"a round after task {parent_task_id} starts from its fused model 0x{parent.fused_digest.hex()}, so the "
            "spec must name it as its initial model.",
        )


def reveal_test_set(session: Session, task_id: int, publish: Any | None = None) -> bytes:
    """Publishes the test set committed to at creation (from the keyring) and opens the commitment.

    The file goes into the session's store, and into `publish` too if given (a public store such as
    IPFS, whose URI then goes in the event).
    """
    market, state = session.market, session.state(task_id)
    require_initiator(state, session.address, "revealing the test set")
    if state.test_digest != bytes(32):
        raise PreflightRefusal(
            Reason.ALREADY_REVEALED,
            f"the test set of task {task_id} is already revealed (0x{state.test_digest.hex()}).",
        )
    require_phase(state, Phase.TEST_REVEAL, "revealing the test set")
    secret = session.keyring.load(
        market.chain_id, market.address, task_id, session.address, commitment=state.params.test_set_commitment
    )
    if not isinstance(secret, TestSetSecret):
        raise KeyringError(f"the keyring holds no test set secret for task {task_id}, but a {type(secret).__name__}.")
    opened = test_set_commitment(market.chain_id, market.address, session.address, secret.test_digest, secret.salt)
    if opened != state.params.test_set_commitment:
        raise PreflightRefusal(
            Reason.DIGEST_MISMATCH,
            f"the test set secret in the keyring does not open the commitment of task {task_id}, so it was made for "
            "another task.",
        )
    digest = session.store.put(secret.test_file)
    uri = _publish(session, publish, digest, secret.test_file)
    market.reveal_test_set(task_id, digest, secret.salt, uri, sender=session.account)
    return digest


def _publish(session: Session, publish: Any | None, digest: bytes, data: bytes) -> str:
    """Puts a file where others fetch it, at its reveal (not before); returns the URI for the event."""
    if publish is None:
        return session.store.uri(digest)
    publish.put(data)
    return publish.uri(digest)


def cancel_task(session: Session, task_id: int) -> None:
    """Cancels a task in which no model is committed yet; then everyone claims their money back."""
    state = session.state(task_id)
    require_initiator(state, session.address, "cancelling a task")
    require_phase(state, Phase.COMMIT, "cancelling a task")
    if state.committed:
        raise PreflightRefusal(
            Reason.COMMITMENTS_EXIST,
            f"task {task_id} can no longer be cancelled: {state.committed} model(s) are committed to it.",
        )
    session.market.send("cancelTask", session.market.contract.cancelTask, task_id, sender=session.account)


@dataclass(frozen=True)
class Published:
    digest: bytes
    members: int


def fuse_and_publish(
    session: Session,
    task_id: int,
    strategy: str,
    validation: Any | None = None,
    num_byzantine: int = 0,
    publish: Any | None = None,
) -> Published:
    """Fuses the paid models (weighted by their rewards), stores the fused model (also into `publish` if
    given) and records its digest."""
    from ml.fusion import OUTPUT_STRATEGIES, STRATEGIES, FusionError, fuse
    from ml.modelfile import encode_model

    market, state = session.market, session.state(task_id)
    require_initiator(state, session.address, "publishing the fused model")
    require_phase(state, Phase.FINALIZED, "publishing the fused model")
    if state.fused_digest != bytes(32):
        raise PreflightRefusal(
            Reason.ALREADY_PUBLISHED,
            f"task {task_id} already has its fused model 0x{state.fused_digest.hex()}, and it is published once.",
        )
    if strategy not in STRATEGIES:
        raise PreflightRefusal(Reason.BAD_PARAMETER, f"{strategy!r} is not a fusion strategy; use one of {STRATEGIES}.")
    if strategy == "stacking" and validation is None:
        raise PreflightRefusal(
            Reason.BAD_PARAMETER, "the stacking fusion trains on validation data: pass --validation."
        )
    paid = [s for s in market.submissions(task_id) if s.reward > 0]
    if not paid:
        raise PreflightRefusal(
            Reason.BAD_PARAMETER, f"no model of task {task_id} was paid, so there is nothing to fuse."
        )
    models = [fetch_model(session.store, s.model_digest, f"model of submission #{s.index}") for s in paid]
    try:
        fused = fuse(
            strategy,
            models,
            [float(s.reward) for s in paid],
            validation=validation if strategy in OUTPUT_STRATEGIES else None,
            num_byzantine=num_byzantine,
        )
    except FusionError as error:
        raise PreflightRefusal(
            Reason.BAD_PARAMETER, f"the paid models cannot be fused by {strategy!r}: {error}."
        ) from error
    fused_file = encode_model(fused.module, fused.architecture)
    digest = session.store.put(fused_file)
    uri = _publish(session, publish, digest, fused_file)
    market.publish_fused_model(task_id, digest, uri, sender=session.account)
    return Published(digest, len(paid))


# ------------------------------------------------------------------ contributor


def train_for_task(
    market: MarketClient,
    store: Any,
    keyring: Keyring,
    task_id: int,
    data_path: str | Path,
    overrides: dict[str, Any] | None = None,
    progress: bool = False,
) -> TrainedModel:
    """Trains the task's model on private data (from the spec's initial model if it names one); stores the file.

    Training follows the spec's hint (`training`), or `ml.TrainConfig`'s defaults, with `overrides`
    (epochs, seed, lr, ...) on top. The spec is fetched by the digest the chain recorded and checked,
    like the initial model. The trained model is remembered as the task's last trained one (what
    `commit_model` commits by default).
    """
    from ml.evaluate import accuracy_bps
    from content import digest_to_cid
    from ml.modelfile import encode_model
    from ml.models import build_model
    from ml.train import TrainConfig, set_seed, train

    state = task_state(market, task_id)
    require_phase(state, Phase.COMMIT, "training for a task")
    spec = fetch_spec(store, state)
    try:
        config = dataclasses.replace(spec.training or TrainConfig(), **(overrides or {}))
    except (TypeError, ValueError) as error:
        raise PreflightRefusal(Reason.BAD_PARAMETER, f"the training settings are not usable: {error}.") from error
    data = load_dataset_file(data_path, int(spec.num_classes))
    _require_fits(spec, data, f"data in {data_path}")
    if spec.initial_model is not None:
        initial = fetch_model(store, spec.initial_model, "initial model named by the spec")
        module, architecture = initial.module, initial.architecture
    else:
        set_seed(config.seed)
        module, architecture = build_model(spec.architecture), spec.architecture
    trained = train(module, data, config, progress=progress).model
    digest = store.put(encode_model(trained, architecture))
    result = TrainedModel(digest, digest_to_cid(digest), accuracy_bps(trained, data))
    keyring.record_trained(market.chain_id, market.address, task_id, result)
    return result


def commit_model(
    session: Session, task_id: int, model_digest: bytes | None = None, stake: int | None = None
) -> ModelSecret:
    """Commits to a model in the store (by default the last one trained for the task) and stakes.

    The digest and salt go to the keyring first: without them the commitment cannot be opened.
    """
    market, state = session.market, session.state(task_id)
    require_phase(state, Phase.COMMIT, "committing a model")
    require_newcomer(market, state, session.address, Role.CONTRIBUTOR)
    required = state.params.contributor_stake
    require_stake(required, stake, Role.CONTRIBUTOR)
    require_balance(market, session.address, required, "the contributor stake")
    if model_digest is None:
        model_digest = session.keyring.last_trained(market.chain_id, market.address, task_id).model_digest
    fetch_model(session.store, model_digest, "model file")
    salt = new_salt()
    commitment = model_commitment(market.chain_id, market.address, task_id, session.address, model_digest, salt)
    secret = ModelSecret(model_digest, salt, commitment)
    session.keyring.save(market.chain_id, market.address, task_id, session.address, secret)
    _send(
        lambda: market.commit_model(task_id, commitment, required, sender=session.account),
        lambda: session.keyring.discard(market.chain_id, market.address, task_id, session.address),
    )
    return secret


def reveal_model(session: Session, task_id: int, publish: Any | None = None) -> int:
    """Opens the commitment with the digest and salt from the keyring; returns the submission index.

    The model file is taken from the session's store (checked) and also put into `publish` if given:
    a model in a public store before its reveal could be committed to and revealed first by anyone.
    """
    market, state = session.market, session.state(task_id)
    require_phase(state, Phase.REVEAL, "revealing a model")
    require_role(market, state, session.address, Role.CONTRIBUTOR, "revealing a model")
    require_model_unrevealed(market, state, session.address)
    secret = session.keyring.load(market.chain_id, market.address, task_id, session.address)
    if not isinstance(secret, ModelSecret):
        raise KeyringError(f"the keyring holds no model secret for task {task_id}, but a {type(secret).__name__}.")
    require_digest_unrevealed(market, state, secret.model_digest)
    data = fetch_verified(session.store, secret.model_digest, "model file")
    fetch_model(session.store, secret.model_digest, "model file")
    uri = _publish(session, publish, secret.model_digest, data)
    return market.reveal_model(task_id, secret.model_digest, secret.salt, uri, sender=session.account)


# ------------------------------------------------------------------ verifier


def join_as_verifier(session: Session, task_id: int, stake: int | None = None) -> None:
    market, state = session.market, session.state(task_id)
    require_phase(state, Phase.COMMIT, "joining as a verifier")
    require_newcomer(market, state, session.address, Role.VERIFIER)
    required = state.params.verifier_stake
    require_stake(required, stake, Role.VERIFIER)
    require_balance(market, session.address, required, "the verifier stake")
    market.join_as_verifier(task_id, required, sender=session.account)


def score_submissions(session: Session, task_id: int, missing_as_zero: bool = False) -> list[int]:
    """Accuracy (bps) of every revealed model on the revealed test set, in reveal order.

    Every file is fetched by the digest the chain recorded and checked: a file that does not match
    is refused (fetch it again), a model missing from the store is refused unless `missing_as_zero`,
    and a model file that matches its digest but does not load or fit the test set scores 0.
    """
    from ml.data import DatasetError, decode_dataset
    from ml.evaluate import accuracy_bps
    from ml.modelfile import ModelFileError, decode_model

    state = session.state(task_id)
    test_bytes = fetch_verified(session.store, state.test_digest, f"test set of task {task_id}")
    try:
        test_set = decode_dataset(test_bytes)
    except DatasetError as error:
        raise PreflightRefusal(
            Reason.BAD_FILE, f"the test set of task {task_id} is not a dataset file: {error}."
        ) from error
    scores = []
    for submission in session.market.submissions(task_id):
        what = f"model of submission #{submission.index}"
        try:
            data = fetch_verified(session.store, submission.model_digest, what)
        except PreflightRefusal as refusal:
            if refusal.reason != Reason.FILE_MISSING or not missing_as_zero:
                raise
            session.log(f"{what} is not in the store: scored 0")
            scores.append(0)
            continue
        try:
            scores.append(accuracy_bps(decode_model(data, submission.model_digest).module, test_set))
        except (ModelFileError, RuntimeError, ValueError) as error:
            session.log(f"{what} does not load or does not fit the test set ({error}): scored 0")
            scores.append(0)
    return scores


def score_and_commit(session: Session, task_id: int, missing_as_zero: bool = False) -> ScoreSecret:
    """Scores every submission and commits to the scores (kept in the keyring until their reveal)."""
    market, state = session.market, session.state(task_id)
    require_phase(state, Phase.SCORE_COMMIT, "committing scores")
    require_role(market, state, session.address, Role.VERIFIER, "committing scores")
    require_scores_uncommitted(market, state, session.address)
    scores = score_submissions(session, task_id, missing_as_zero)
    salt = new_salt()
    commitment = score_commitment(market.chain_id, market.address, task_id, session.address, scores, salt)
    secret = ScoreSecret(tuple(scores), salt, commitment)
    session.keyring.save(market.chain_id, market.address, task_id, session.address, secret)
    _send(
        lambda: market.commit_scores(task_id, commitment, sender=session.account),
        lambda: session.keyring.discard(market.chain_id, market.address, task_id, session.address),
    )
    return secret


def reveal_scores(session: Session, task_id: int) -> tuple[int, ...]:
    market, state = session.market, session.state(task_id)
    require_phase(state, Phase.SCORE_REVEAL, "revealing scores")
    require_role(market, state, session.address, Role.VERIFIER, "revealing scores")
    require_scores_committed_unrevealed(market, state, session.address)
    secret = session.keyring.load(market.chain_id, market.address, task_id, session.address)
    if not isinstance(secret, ScoreSecret):
        raise KeyringError(f"the keyring holds no score secret for task {task_id}, but a {type(secret).__name__}.")
    market.reveal_scores(task_id, list(secret.scores), secret.salt, sender=session.account)
    return secret.scores


# ------------------------------------------------------------------ anyone


def finalize_task(market: MarketClient, task_id: int, sender: Any, max_steps: int = 64, log: Log = _quiet) -> int:
    """Runs finalize in batches of `max_steps` until the task is finalized; returns the transactions sent."""
    if max_steps < 1:
        raise PreflightRefusal(Reason.BAD_PARAMETER, "finalize needs at least one step per transaction.")
    state = task_state(market, task_id)
    if state.phase == Phase.FINALIZED:
        log(f"task {task_id} is already finalized")
        return 0
    require_phase(state, Phase.FINALIZING, "finalizing")
    transactions = 0
    while market.phase(task_id) == Phase.FINALIZING:
        market.send("finalize", market.contract.finalize, task_id, max_steps, sender=sender)
        transactions += 1
        log(f"finalize transaction {transactions} sent ({max_steps} steps at most)")
    return transactions


def claim(session: Session, task_id: int, to: str | None = None) -> int:
    """Pays what the account is owed in a settled task to itself, or to `to`; returns the amount."""
    market, state = session.market, session.state(task_id)
    require_settled(state, "claiming")
    if to is not None and int(to, 16) == 0:
        raise PreflightRefusal(Reason.BAD_PARAMETER, "a claim cannot be paid to the zero address.")
    if bool(market.contract.hasClaimed(task_id, session.address)):
        raise PreflightRefusal(
            Reason.ALREADY_CLAIMED, f"{session.address} has already claimed what it was owed in task {task_id}."
        )
    amount = market.owed(task_id, session.address)
    if amount == 0:
        raise PreflightRefusal(
            Reason.NOTHING_OWED, f"{session.address} is owed nothing in task {task_id}: {_why_nothing(session, state)}."
        )
    if to is None:
        market.send("claim", market.contract.claim, task_id, sender=session.account)
    else:
        market.send("claimTo", market.contract.claimTo, task_id, to_checksum_address(to), sender=session.account)
    return amount


def _why_nothing(session: Session, state: TaskState) -> str:
    role = session.market.role(state.task_id, session.address)
    if session.address == state.initiator:
        return "everything it put in went to the contributors and verifiers"
    if role == Role.CONTRIBUTOR:
        if state.phase in (Phase.CANCELLED, Phase.UNFULFILLED):
            return "no model was revealed in it, so every contributor stake went to the initiator"
        return "its model was never revealed, so its stake went to the other contributors"
    if role == Role.VERIFIER:
        return "it did not reveal its scores, or they strayed from the median beyond the tolerance"
    return "it took no part in the task"
