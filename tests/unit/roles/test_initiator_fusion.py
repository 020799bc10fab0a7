"""The initiator's fusion step (issue 12): the paid set is what gets fused; a model the fusion cannot take
is left out with its reason, never failing the round; when nothing can be fused the round keeps its initial
model. A finalized task is read from a stand-in for the market (the step reads the task and its
submissions, nothing else), the files from a real store."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import torch
from eth_utils import to_checksum_address

from content import LocalStore
from learning_market.checks import PreflightRefusal, Reason
from learning_market.market import Settlement, Submission, TaskView
from learning_market.phases import Basis, Phase, TaskParams
from learning_market.roles.initiator import FUSION_NAMES, Initiator, fusion_plan
from ml import (
    FUSIONS,
    Exclusion,
    FusionSettings,
    Model,
    TaskSpec,
    build_model,
    decode_model,
    encode_model,
    fuse_models,
    load_digits,
    set_seed,
    split_dataset,
)

ARCHITECTURE = {"name": "mlp", "input_shape": [1, 8, 8], "num_classes": 10, "hidden_sizes": [16]}
OTHER = {"name": "mlp", "input_shape": [1, 8, 8], "num_classes": 10, "hidden_sizes": [8]}
BOSS = to_checksum_address("0x" + "b0" * 20)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@dataclass
class FinalizedTask:
    """The market as the fusion step reads it: task 1, finalized, with `submissions`."""

    spec_digest: bytes
    submissions_: list[Submission] = field(default_factory=list)
    address: str = to_checksum_address("0x" + "aa" * 20)

    def task_count(self) -> int:
        return 1

    def now(self) -> int:
        return 10**9

    def task(self, task_id: int) -> TaskView:
        params = TaskParams(self.spec_digest, bytes(32), 1, 2, 3, 4, 5, 6, 10**16, 4, 3, 1_000, 1_000, 300, 4, 1)
        settlement = Settlement(0, 0, 1_000, Basis.TEST, 0, 0, 0, 3, 3, 3, 0, 0, 0, False)
        return TaskView(params, BOSS, Phase.FINALIZED, 10**18, 4, 4, 6, 0b1, True, True, 7, 6, 3, 3, bytes(32),
                        0, 0, 0, settlement)

    def submissions(self, task_id: int) -> list[Submission]:
        return self.submissions_


@dataclass(frozen=True)
class Account:
    address: str = BOSS


def _model(architecture: dict, seed: int) -> Model:
    set_seed(seed)
    return Model(build_model(architecture), architecture)


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "store")


@pytest.fixture
def initial() -> Model:
    return _model(ARCHITECTURE, 0)


@pytest.fixture
def task(store, initial):
    """A finalized task whose spec starts from `initial`; `submit(model, reward)` reveals a model (a Model,
    or raw bytes put in the store as they are)."""
    spec = TaskSpec(input_shape=(1, 8, 8), num_classes=10, architecture=ARCHITECTURE,
                    initial_model=store.put(encode_model(initial.module, ARCHITECTURE)))
    market = FinalizedTask(store.put(spec.to_json_bytes()))

    def submit(model: Model | bytes, reward: int) -> None:
        data = model if isinstance(model, bytes) else encode_model(model.module, model.architecture)
        index = len(market.submissions_)
        market.submissions_.append(Submission(index, f"0x{index + 1:040x}", store.put(data), 5_000, reward))

    return market, spec, submit


def _boss(market: FinalizedTask, store: LocalStore) -> Initiator:
    return Initiator(market, Account(), store)  # type: ignore[arg-type]


def _same_tensors(a: Model, b: Model) -> bool:
    left, right = a.module.state_dict(), b.module.state_dict()
    return left.keys() == right.keys() and all(torch.equal(left[k], right[k]) for k in left)


def test_fuse__unpaid_and_off_architecture_models__left_out_with_reasons_the_paid_rest_fused(task, store, initial):
    market, _, submit = task
    models = [_model(ARCHITECTURE, 1), _model(ARCHITECTURE, 2), _model(OTHER, 3), _model(ARCHITECTURE, 4)]
    for model, reward in zip(models, [300, 0, 500, 200]):
        submit(model, reward)

    fused = _boss(market, store).fuse(1, "average")

    expected = fuse_models("average", [models[0], models[3]], [300.0, 200.0], architecture=ARCHITECTURE,
                           initial=initial).model
    assert (fused.fused, fused.members, fused.kept_initial) == ((0, 3), 2, False)
    assert fused.excluded == (
        Exclusion(1, "not paid (weight 0)"),
        Exclusion(2, 'architecture {"hidden_sizes":[8],"input_shape":[1,8,8],"name":"mlp","num_classes":10}, '
                     'average fuses parameters of {"hidden_sizes":[16],"input_shape":[1,8,8],"name":"mlp",'
                     '"num_classes":10} only'),
    )
    assert _same_tensors(fused.model, expected)
    assert store.get(fused.digest) == fused.file
    assert _same_tensors(decode_model(fused.file, fused.digest), expected)
    assert fused.summary("average") == (
        f"fused 2 paid model(s) by 'average' into 0x{fused.digest.hex()[:12]}…; excluded #1: not paid (weight 0); "
        f"excluded #2: {fused.excluded[1].reason}"
    )


def test_fuse__no_paid_model_can_be_fused__the_round_keeps_its_initial_model(task, store):
    market, spec, submit = task
    submit(_model(OTHER, 1), 400)
    submit(_model(ARCHITECTURE, 2), 0)

    fused = _boss(market, store).fuse(1, "krum")

    assert (fused.fused, fused.kept_initial, fused.digest) == ((), True, spec.initial_model)
    assert [e.index for e in fused.excluded] == [0, 1]
    assert fused.excluded[0].reason.startswith('architecture {"hidden_sizes":[8]')
    assert fused.summary("krum").startswith(
        f"no paid model could be fused by 'krum': the initial model 0x{spec.initial_model.hex()[:12]}… is kept; "
        "excluded #0: architecture"
    )


def test_fuse__a_paid_file_that_is_not_a_model__left_out_with_the_reason(task, store):
    market, _, submit = task
    good = _model(ARCHITECTURE, 1)
    submit(good, 100)
    submit(b"not a model file", 100)

    fused = _boss(market, store).fuse(1, "average")

    (exclusion,) = fused.excluded
    assert fused.fused == (0,) and exclusion.index == 1
    assert exclusion.reason.startswith(
        f"the model of submission #1 0x{market.submissions_[1].model_digest.hex()} is not a usable model file:"
    )


def test_fuse__ensemble_distilled__the_next_round_starts_from_the_task_architecture_at_the_same_size(
    task, store, initial
):
    market, _, submit = task
    for seed in (1, 2, 3):
        submit(_model(ARCHITECTURE, seed), 100 * seed)
    _, validation, _ = split_dataset(load_digits(), val_fraction=0.1, test_fraction=0.2, seed=0)

    fused = _boss(market, store).fuse(1, "ensemble+distil", validation)

    assert fused.fused == (0, 1, 2) and fused.model.architecture == ARCHITECTURE
    assert len(fused.file) == len(encode_model(initial.module, ARCHITECTURE))
    assert not _same_tensors(fused.model, initial)


@pytest.mark.parametrize("fusion", ["stacking", "ensemble+distil", "stacking+distil"])
def test_fuse__a_fusion_that_trains_without_validation_data__refused_in_a_sentence(task, store, fusion):
    market, _, submit = task
    submit(_model(ARCHITECTURE, 1), 100)

    with pytest.raises(PreflightRefusal) as refused:
        _boss(market, store).fuse(1, fusion)

    assert refused.value.reason is Reason.BAD_PARAMETER
    assert str(refused.value) == f"the {fusion!r} fusion trains on validation data: pass --validation."


def test_fuse__nothing_paid__refused_in_a_sentence(task, store):
    market, _, submit = task
    submit(_model(ARCHITECTURE, 1), 0)

    with pytest.raises(PreflightRefusal) as refused:
        _boss(market, store).fuse(1, "average")

    assert refused.value.reason is Reason.NOTHING_PAID
    assert str(refused.value) == "no model of task 1 was paid, so there is nothing to fuse."


def test_fusion_plan__named_fusions_bare_strategies_and_krums_tolerance():
    assert (*FUSIONS, "median", "trimmed_mean", "ensemble", "stacking") == FUSION_NAMES
    assert fusion_plan("krum") == ("krum", FusionSettings(num_byzantine=3))
    assert fusion_plan("krum", num_byzantine=1) == ("krum", FusionSettings(num_byzantine=1))
    assert fusion_plan("median+clip") == ("median", FusionSettings(clip_updates=True))
    assert fusion_plan("median") == ("median", FusionSettings())
    assert fusion_plan("ensemble+distil") == FUSIONS["ensemble+distil"]


def test_fusion_plan__unknown_name__refused_naming_the_choices():
    with pytest.raises(PreflightRefusal) as refused:
        fusion_plan("mean")

    assert refused.value.reason is Reason.BAD_PARAMETER
    assert str(refused.value) == f"'mean' is not a fusion; use one of {', '.join(FUSION_NAMES)}."

