"""The scoring rules verifiers compute off chain: pay for contribution, not for score.

Every panel member runs `score_models` on the same inputs (the spec, its starting model, the revealed
models in reveal order, the evaluation shards and the task's on-chain seed) and must get the same
integers, since the contract flags a member whose score strays from the median. So: one torch
thread, evaluation mode, float64 forward passes in fixed batches, order-independent sums
(`math.fsum`) for every float measure, integer counts and exact fractions for every score.

The starting model (index 0) scores its accuracy on the evaluation set, but no more than what the
public audit shards support: its accuracy there plus `start_audit_z` standard errors of the
difference (`start_cap`). The initiator knows its test set and fixes the start before the audit is
drawn; a start fit to the shards the audit missed would otherwise raise the baseline above every
submission and take the reward back. Contributors see the audit before they stake, so they know
how high the start can set the bar. Unavailable audit shards support nothing: the start counts 0.

The rules, in order, for each submission:
1. `architecture`: a model whose input or classes differ from the spec's, or (when the spec
   requires its architecture) whose architecture differs, scores 0.
2. `near_duplicate`: a model near the starting model, a model public before its commit (revealed
   in any task of the market, or published as a fused model: `PublicModel`) or an earlier reveal
   of the task scores 0.
3. the base score: accuracy in basis points on the evaluation set.
4. `marginal` (unless "none"): max(baselineScore, the start's score) plus the model's
   contribution to the fused model of the eligible submissions (leave-one-out or Shapley), so
   that the contract's weight, max(0, score - max(baselineScore, start's median)), is exactly
   max(0, contribution) whenever the panel agrees on the start. When the start's cap binds,
   what the start scores above it goes to the eligible players in proportion to their gain over
   the start on the audit shards: the initiator's fit pays the contributors who generalise better
   than the start, not copies of the start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch

from ml.contribution import leave_one_out, shapley
from ml.data import Dataset
from ml.fusion import OUTPUT_STRATEGIES, fuse_models
from ml.models import Model, architecture_json, io_signature
from ml.similarity import (
    ModelView,
    correct_predictions,
    exact_norm,
    output_distance,
    parameter_distance,
    view_model,
)

if TYPE_CHECKING:
    from ml.spec import TaskSpec

BPS = 10_000
RULE_NAMES = ("contribution",)
RULES_VERSION = 2  # 2: the start capped by its audit accuracy; near-copies of any public model
MARGINAL_METHODS = ("none", "leave_one_out", "shapley")
# fusions that draw no random numbers and train nothing: every verifier fuses alike
MARGINAL_FUSIONS = ("average", "ensemble")
SEED_BYTES = 32
MAX_START_AUDIT_Z = 10
# shares of the fused model in the mixtures of a coalition's value (the rest is the start)
START_MIXTURES = (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4))


class ScoringError(ValueError):
    """Scoring rules or scoring inputs that are not well formed; `field` names the culprit."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class ScoringRules:
    """The spec's `scoring` section: which rules, which version, and their parameters.

    The defaults come from the measurements of `python -m ml.scoring_benchmark` (docs/scoring.md).
    """

    name: str = "contribution"
    version: int = RULES_VERSION
    # a submission of another architecture than the spec's scores 0
    require_architecture: bool = True
    # near the start: ||theta - theta_start|| <= this * ||theta_start||
    start_parameter_ratio: float = 0.005
    # near the start: mean total-variation distance of predictions <= this
    start_output_distance: float = 0.005
    # near a public model or an earlier reveal j:
    # ||theta - theta_j|| <= this * ||theta - theta_start||
    copy_parameter_ratio: float = 0.1
    # near a public model or an earlier reveal j: mean total-variation distance <= this
    copy_output_distance: float = 0.005
    # the start scores at most its audit accuracy plus this many standard errors of the
    # difference between its accuracies on the test and the audit shards (0..10): an honest
    # start exceeds 3 with probability about 0.13 %
    start_audit_z: float = 3.0
    # marginal rule: eligible models within this * their own update of a group's first member
    # join its group, one player whose contribution they share (0: every model plays alone)
    group_parameter_ratio: float = 0.25
    # marginal rule: a coalition is worth its best mixture with the start (START_MIXTURES), so
    # that pulling the fused model toward the start, free to the initiator, is nobody's merit
    mix_with_start: bool = True
    # "none" (accuracy), "leave_one_out" or "shapley"
    marginal: str = "shapley"
    # Shapley: exact when 2^n <= permutations * n, else this many orders drawn from the task's seed
    permutations: int = 128
    # how a coalition of submissions is fused for the marginal rule
    fusion: str = "average"

    def __post_init__(self) -> None:
        if self.name not in RULE_NAMES:
            raise ScoringError(
                "name", f"unknown scoring rules {self.name!r}; expected {RULE_NAMES}"
            )
        if self.version != RULES_VERSION:
            raise ScoringError(
                "version",
                f"unsupported version {self.version!r} of {self.name!r}; this code reads {RULES_VERSION}",
            )
        for flag in ("require_architecture", "mix_with_start"):
            if not isinstance(getattr(self, flag), bool):
                raise ScoringError(flag, f"must be true or false, got {getattr(self, flag)!r}")
        for field in (
            "start_parameter_ratio",
            "start_output_distance",
            "copy_parameter_ratio",
            "copy_output_distance",
            "group_parameter_ratio",
        ):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ScoringError(field, f"must be a number in [0, 1), got {value!r}")
            object.__setattr__(self, field, float(value))
        z = self.start_audit_z
        if isinstance(z, bool) or not isinstance(z, (int, float)) or not 0 <= z <= MAX_START_AUDIT_Z:
            raise ScoringError(
                "start_audit_z", f"must be a number in [0, {MAX_START_AUDIT_Z}], got {z!r}"
            )
        object.__setattr__(self, "start_audit_z", float(z))
        if self.marginal not in MARGINAL_METHODS:
            raise ScoringError(
                "marginal", f"must be one of {MARGINAL_METHODS}, got {self.marginal!r}"
            )
        if (
            isinstance(self.permutations, bool)
            or not isinstance(self.permutations, int)
            or not (1 <= self.permutations <= 10_000)
        ):
            raise ScoringError(
                "permutations", f"must be an integer in [1, 10000], got {self.permutations!r}"
            )
        if self.fusion not in MARGINAL_FUSIONS:
            raise ScoringError("fusion", f"must be one of {MARGINAL_FUSIONS}, got {self.fusion!r}")
        if self.fusion not in OUTPUT_STRATEGIES and not self.require_architecture:
            raise ScoringError(
                "fusion",
                f"{self.fusion!r} fuses parameters, so it needs require_architecture: true; "
                "with other architectures allowed, fuse by 'ensemble'",
            )

    def to_json(self) -> dict[str, Any]:
        """The section as a JSON object (every field explicit, so a spec pins its thresholds)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, section: Any) -> ScoringRules:
        """The rules in a spec's `scoring` object; absent fields take their defaults."""
        if not isinstance(section, dict):
            raise ScoringError("scoring", f"must be an object, got {section!r}")
        known = list(cls().to_json())
        for key in section:
            if key not in known:
                raise ScoringError(key, f"unknown field; expected some of {known}")
        return cls(**section)


@dataclass(frozen=True)
class PublicModel:
    """A model public in the market: one revealed in another task (the parent's included) or
    published as a fused model. A submission in `compared_with` (reveal indices from 0: those
    committed after the model was public, which could have copied it; None: every submission) that
    nearly copies it scores 0. `model` is None for a file that could not be fetched or decoded:
    there is nothing to compare with."""

    label: str
    model: Model | None
    compared_with: frozenset[int] | None = None


@dataclass(frozen=True)
class StartCap:
    """How far the audit lets the start count: its accuracy on the audit shards, the margin of
    `start_audit_z` standard errors (both in bps, the margin rounded up), and their sum, the cap."""

    audit_bps: int
    margin_bps: int

    @property
    def bps(self) -> int:
        return self.audit_bps + self.margin_bps


def start_cap(z: float, audit_correct: int, audit_size: int, test_correct: int, test_size: int) -> StartCap:
    """The start's cap: its audit accuracy plus z standard errors of the difference of two
    accuracies (pooled: p (1 - p) (1/audit + 1/test)), in exact integer arithmetic so that every
    verifier gets the same integers."""
    if min(audit_size, test_size) <= 0:
        raise ScoringError("start_cap", "needs audit and test examples")
    pooled, size = audit_correct + test_correct, audit_size + test_size
    variance = Fraction(pooled * (size - pooled), size * size) * Fraction(size, audit_size * test_size)
    squared = Fraction(z) ** 2 * BPS**2 * variance  # the margin's square, in bps^2
    margin = math.isqrt(squared.numerator // squared.denominator)
    while margin * margin < squared:
        margin += 1
    return StartCap(audit_correct * BPS // audit_size, margin)


@dataclass(frozen=True)
class ModelScore:
    """One model's score in basis points and why; `accuracy_bps` is None if it was not evaluated."""

    bps: int
    reason: str
    accuracy_bps: int | None


@dataclass(frozen=True)
class Scores:
    """The starting model's score (index 0), then one per submission in reveal order."""

    models: tuple[ModelScore, ...]

    @property
    def bps(self) -> list[int]:
        """The scores a verifier commits to and reveals, in the contract's order."""
        return [model.bps for model in self.models]


def score_models(
    spec: TaskSpec,
    start: Model,
    submissions: Sequence[Model | None],
    evaluation: Dataset | Sequence[Dataset],
    seed: bytes,
    *,
    baseline_bps: int,
    public_models: Sequence[PublicModel],
    audit: Dataset | Sequence[Dataset] | None = None,
) -> Scores:
    """Score the starting model and every revealed model by the spec's scoring rules.

    `submissions` are the decoded model files in reveal order (None for a file that could not be
    fetched or decoded: it scores 0). `evaluation` is the test set, or the audit shards when the
    test set is unavailable, as one dataset or as shards. `seed` is the task's public randomness
    (`taskSeed` on chain, 32 bytes), used only by the Shapley rule's sampled orders.
    `baseline_bps` is the task's `baselineScore`: a marginal score is max(baseline, the start's
    score) plus the contribution, so that the contract's weight is exactly max(0, contribution).
    `public_models` are the models public in the market (`PublicModel`): a near-copy of one, by a
    submission committed after it was public, scores 0 (the chain refuses only an identical
    digest). `audit` is the audit shards when `evaluation` is the test set: the start scores at most
    what they support (`start_cap`), and what it scores above that goes to the submissions that
    beat it on the audit shards; [] when the audit shards are unavailable (the start then counts
    0); None when `evaluation` is the audit shards themselves. Every panel member must pass the
    same lists to get the same scores.
    """
    rules = spec.scoring
    examples = _evaluation_set(evaluation, spec)
    _check_inputs(spec, start, submissions, seed, baseline_bps, public_models)
    size = len(examples)
    with _one_torch_thread():
        start_view = view_model(start, examples)
        audited = _evaluation_set(audit, spec) if audit is not None and len(audit) else None
        start_audit = correct_predictions(start, audited) if audited is not None else 0
        cap = (
            None if audit is None
            else StartCap(0, 0) if audited is None
            else start_cap(rules.start_audit_z, start_audit, len(audited), start_view.correct, size)
        )
        public = [
            (p.label, view_model(cast(Model, p.model), examples), p.compared_with)
            for p in public_models
            if p.model is not None and _fits(spec, p.model)
        ]
        views, reasons = _gate(spec, rules, start_view, public, submissions, examples)
        eligible = [i for i, reason in enumerate(reasons) if reason is None]
        accuracy_bps = start_view.accuracy_bps(size)
        capped = cap is not None and cap.bps < accuracy_bps
        # what the start scores above its cap, in examples, and each eligible model's gain over the
        # start on the audit shards, by which the players share it
        excess = start_view.correct - Fraction(cap.bps * size, BPS) if capped and cap else Fraction(0)
        gains = (
            {i: max(0, correct_predictions(cast(Model, submissions[i]), audited) - start_audit) for i in eligible}
            if excess and audited is not None else {}
        )
        contributions = (
            None
            if rules.marginal == "none"
            else _contributions(
                rules, start, start_view, eligible, submissions, views, examples, seed, excess, gains
            )
        )
    start_bps, start_reason = accuracy_bps, "the starting model: accuracy"
    if capped and cap:
        start_bps = cap.bps
        start_reason = (
            f"the starting model: accuracy {accuracy_bps} bps capped at its audit accuracy {cap.audit_bps} "
            f"+ {cap.margin_bps} bps ({rules.start_audit_z:g} standard errors)"
            if audited is not None
            else f"the starting model: accuracy {accuracy_bps} bps counted 0: its audit shards are unavailable"
        )
    reference = max(baseline_bps, start_bps)
    models = [ModelScore(start_bps, start_reason, accuracy_bps)]
    for i, (view, reason) in enumerate(zip(views, reasons)):
        accuracy = view.accuracy_bps(size) if view is not None else None
        if reason is not None:
            models.append(ModelScore(0, reason, accuracy))
        elif contributions is None:
            models.append(ModelScore(cast(int, accuracy), "accuracy", accuracy))
        else:
            share, group = contributions[i]
            contribution = math.floor(share * BPS / size)
            reason = (
                f"max(baseline, start) {contribution:+d} bps: its "
                f"{rules.marginal.replace('_', '-')} contribution to the fused model"
            )
            if len(group) > 1:
                reason += f", shared by the alike {', '.join(f'#{m}' for m in group)}"
            models.append(ModelScore(min(BPS, max(0, reference + contribution)), reason, accuracy))
    return Scores(tuple(models))


def _check_inputs(
    spec: TaskSpec,
    start: Model,
    submissions: Sequence[Model | None],
    seed: bytes,
    baseline_bps: int,
    public_models: Sequence[PublicModel],
) -> None:
    if not isinstance(start, Model) or not _fits(spec, start):
        raise ScoringError(
            "start", f"must be a decoded Model taking the spec's input and classes, got {start!r}"
        )
    if not isinstance(seed, bytes) or len(seed) != SEED_BYTES:
        raise ScoringError("seed", f"must be the task's 32 bytes of randomness, got {seed!r}")
    if (
        isinstance(baseline_bps, bool)
        or not isinstance(baseline_bps, int)
        or not 0 <= baseline_bps <= BPS
    ):
        raise ScoringError(
            "baseline_bps", f"must be the task's baselineScore, 0..{BPS}, got {baseline_bps!r}"
        )
    for index, public in enumerate(public_models):
        if not isinstance(public, PublicModel):
            raise ScoringError(f"public_models[{index}]", f"must be a PublicModel, got {public!r}")
    publics = [public.model for public in public_models]
    for name, models in (("submissions", submissions), ("public_models", publics)):
        for index, model in enumerate(models):
            if model is not None and not isinstance(model, Model):
                raise ScoringError(
                    f"{name}[{index}]", f"must be a decoded Model or None, got {model!r}"
                )


def _fits(spec: TaskSpec, model: Model) -> bool:
    return io_signature(model.architecture) == (spec.input_shape, spec.num_classes)


def _evaluation_set(evaluation: Dataset | Sequence[Dataset], spec: TaskSpec) -> Dataset:
    shards = [evaluation] if isinstance(evaluation, Dataset) else list(evaluation)
    if not shards or not all(isinstance(shard, Dataset) for shard in shards):
        raise ScoringError(
            "evaluation", "must be a Dataset or a non-empty list of Datasets (the shards)"
        )
    for index, shard in enumerate(shards):
        if (shard.input_shape, shard.num_classes) != (spec.input_shape, spec.num_classes):
            raise ScoringError(
                "evaluation",
                f"shard {index} holds {list(shard.input_shape)} examples with "
                f"{shard.num_classes} classes, the spec says {list(spec.input_shape)} with "
                f"{spec.num_classes}: score on the task's own shards",
            )
    if len(shards) == 1:
        return shards[0]
    return Dataset(
        np.concatenate([shard.x for shard in shards]),
        np.concatenate([shard.y for shard in shards]),
        spec.num_classes,
    )


@contextlib.contextmanager
def _one_torch_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _gate(
    spec: TaskSpec,
    rules: ScoringRules,
    start: ModelView,
    public: list[tuple[str, ModelView, int]],
    submissions: Sequence[Model | None],
    evaluation: Dataset,
) -> tuple[list[ModelView | None], list[str | None]]:
    """Each submission's view (None if it cannot be evaluated) and why it scores 0 (None: it
    does not), by the architecture and near-duplicate rules, in reveal order."""
    required = architecture_json(spec.architecture)
    views: list[ModelView | None] = []
    reasons: list[str | None] = []
    for index, model in enumerate(submissions):
        if model is None:
            views.append(None)
            reasons.append("no model: the file could not be fetched or decoded")
            continue
        if not _fits(spec, model):
            signature = io_signature(model.architecture)
            views.append(None)
            reasons.append(
                f"off-spec input or classes: takes {list(signature[0])} with {signature[1]} "
                f"classes, the spec says {list(spec.input_shape)} with {spec.num_classes}"
            )
            continue
        view = view_model(model, evaluation)
        if rules.require_architecture and view.architecture != required:
            reason: str | None = (
                f"off-spec architecture: {view.architecture}, the spec requires {required}"
            )
        else:
            before = [(label, other) for label, other, compared in public if compared is None or index in compared]
            reason = _near_duplicate(rules, view, start, before, views)
        views.append(view)
        reasons.append(reason)
    return views, reasons


def _near_duplicate(
    rules: ScoringRules,
    view: ModelView,
    start: ModelView,
    public: list[tuple[str, ModelView]],
    earlier: list[ModelView | None],
) -> str | None:
    """Why `view` is a near-duplicate of the start, of a model public before it or of an earlier
    reveal, or None."""
    update = parameter_distance(view, start)
    start_norm = exact_norm(start.parameters)
    ratio = None if update is None else _ratio(update, start_norm)
    distance = output_distance(view, start)
    if (ratio is not None and ratio <= rules.start_parameter_ratio) or (
        distance <= rules.start_output_distance
    ):
        return (
            f"near-duplicate of the starting model (parameter distance {_show(ratio)} of the "
            f"start's norm, output distance {distance:.4g})"
        )
    references = public + [
        (f"#{k}", other) for k, other in enumerate(earlier, start=1) if other is not None
    ]
    for name, other in references:
        apart = parameter_distance(view, other)
        ratio = None if apart is None or update is None else _ratio(apart, update)
        distance = output_distance(view, other)
        if (ratio is not None and ratio <= rules.copy_parameter_ratio) or (
            distance <= rules.copy_output_distance
        ):
            return (
                f"near-duplicate of {name} (parameter distance {_show(ratio)} of its own "
                f"update, output distance {distance:.4g})"
            )
    return None


def _ratio(distance: float, scale: float) -> float:
    if scale > 0:
        return distance / scale
    return 0.0 if distance == 0 else math.inf


def _show(ratio: float | None) -> str:
    return "n/a (another architecture)" if ratio is None else f"{ratio:.4g}"


def coalition_value(
    rules: ScoringRules,
    start: Model,
    start_correct: int,
    members: Sequence[Model],
    evaluation: Dataset,
) -> int:
    """Evaluation examples a coalition's model classifies right: its members fused by
    `rules.fusion` with equal weights, or (`mix_with_start`) the best of that model, its mixtures
    with the start (START_MIXTURES) and the start alone. The empty coalition is the start."""
    if not members:
        return start_correct
    fused = fuse_models(rules.fusion, members, [1.0] * len(members)).model
    if not rules.mix_with_start:
        return correct_predictions(fused, evaluation)
    mixtures = [
        fuse_models(rules.fusion, [start, fused], [float(1 - share), float(share)]).model
        for share in START_MIXTURES
    ]
    return max(start_correct, *(correct_predictions(m, evaluation) for m in [*mixtures, fused]))


def _groups(rules: ScoringRules, start: ModelView, views: list[ModelView]) -> list[list[int]]:
    """Models cut into groups, in reveal order: a model joins the first group whose first member
    is within `group_parameter_ratio` of the model's own update, else starts a group."""
    groups: list[list[int]] = []
    for k, view in enumerate(views):
        update = parameter_distance(view, start)
        for group in groups:
            apart = parameter_distance(view, views[group[0]])
            if (
                apart is not None
                and update is not None
                and _ratio(apart, update) <= rules.group_parameter_ratio
            ):
                group.append(k)
                break
        else:
            groups.append([k])
    return groups


def _contributions(
    rules: ScoringRules,
    start_model: Model,
    start: ModelView,
    eligible: list[int],
    submissions: Sequence[Model | None],
    views: list[ModelView | None],
    evaluation: Dataset,
    seed: bytes,
    excess: Fraction,
    gains: dict[int, int],
) -> dict[int, tuple[Fraction, list[int]]]:
    """For each eligible submission: its contribution to the fused model, in evaluation
    examples, and the score indices of its group. A group of alike models is one player, whose
    contribution its members share equally. `excess` (what the start scores above its cap) goes to
    the players in proportion to their members' mean gain over the start on the audit shards
    (`gains`, in examples): nobody's if no model beat the start there."""
    players = [cast(Model, submissions[i]) for i in eligible]
    groups = _groups(rules, start, [cast(ModelView, views[i]) for i in eligible])

    def value(coalition: tuple[int, ...]) -> int:
        members = [players[k] for g in coalition for k in groups[g]]
        return coalition_value(rules, start_model, start.correct, members, evaluation)

    if rules.marginal == "leave_one_out":
        per_group = leave_one_out(len(groups), value)
    else:
        per_group = shapley(len(groups), value, rules.permutations, seed)
    group_gains = [Fraction(sum(gains.get(eligible[k], 0) for k in group), len(group)) for group in groups]
    total_gain = sum(group_gains, Fraction(0))
    return {
        eligible[k]: (
            (contribution + (excess * gain / total_gain if total_gain else 0)) / len(group),
            [1 + eligible[m] for m in group],
        )
        for group, contribution, gain in zip(groups, per_group, group_gains)
        for k in group
    }
