"""Measures behind the scoring rules' defaults: how far apart honest models are, how close
resubmissions are, what each rule pays each kind of participant, Shapley's sampling error, and
how often the start's cap binds (honest starts, and starts fit to the test shards the audit missed).

Real training on the digits, IID and label-skewed (Dirichlet) shards, several seeds and rounds (each
round starts from the uniform average of the last round's honest models, as in FedAvg):

    .venv/bin/python -m ml.scoring_benchmark --seeds 0,1,2 --rounds 3 --out scoring-tables.md
"""

from __future__ import annotations

import argparse
import copy
import itertools
import math
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from tqdm import tqdm

from ml.contribution import exact_shapley, shapley
from ml.data import Dataset, flip_labels, load_digits, shard_dataset, split_dataset
from ml.fusion import fuse_models
from ml.models import Architecture, Model, build_model
from ml.scoring import BPS, PublicModel, ScoringRules, coalition_value, score_models, start_cap
from ml.similarity import (
    correct_predictions,
    exact_norm,
    output_distance,
    parameter_distance,
    view_model,
)
from ml.spec import TaskSpec
from ml.train import TrainConfig, set_seed, train

ARCHITECTURES: dict[str, Architecture] = {
    "mlp": {"name": "mlp", "input_shape": [1, 8, 8], "num_classes": 10, "hidden_sizes": [64]},
    "cnn": {"name": "cnn", "input_shape": [1, 8, 8], "num_classes": 10, "channels": [8, 16]},
}
SCHEMES = ("iid", "dirichlet")
HONEST_EPOCHS = (1, 5, 20)  # a little, the simulation's and the ML benchmark's training
ROUND_EPOCHS = 5  # the honest models whose average starts the next round
TRAINING = TrainConfig(epochs=ROUND_EPOCHS, batch_size=32, lr=0.05)
START_NOISE = (1e-3, 1e-2, 3e-2, 1e-1)  # relative to the start's norm
COPY_NOISE = (1e-3, 1e-2, 5e-2, 2e-1)  # relative to the copied model's update
JUNK_STEPS = (1, 5, 20)
SHAPLEY_PERMUTATIONS = (16, 32, 64, 128, 256)
BASELINE = 1000  # the contract's baselineScore in these tasks: chance on ten classes


# ---------------------------------------------------------------- resubmissions


def perturbed(model: Model, relative: float, scale: float, seed: int) -> Model:
    """A copy plus Gaussian noise whose norm is `relative` * `scale`."""
    generator = torch.Generator().manual_seed(seed)
    tensors = model.module.state_dict()
    noise = [
        torch.randn(t.shape, generator=generator, dtype=torch.float64) for t in tensors.values()
    ]
    norm = math.sqrt(sum(float((n**2).sum()) for n in noise))
    copied = copy.deepcopy(model)
    with torch.no_grad():
        for tensor, direction in zip(copied.module.state_dict().values(), noise):
            tensor.add_((direction * (relative * scale / norm)).to(tensor.dtype))
    return copied


def byte_variant(model: Model) -> Model:
    """A copy with the lowest mantissa bit of every weight flipped: new bytes, same model."""
    copied = copy.deepcopy(model)
    with torch.no_grad():
        for tensor in copied.module.state_dict().values():
            tensor.copy_((tensor.view(torch.int32) ^ 1).view(torch.float32))
    return copied


def junk_tuned(model: Model, steps: int, seed: int, config: TrainConfig = TRAINING) -> Model:
    """A copy trained for `steps` SGD steps on uniform noise images with random labels."""
    generator = torch.Generator().manual_seed(seed)
    input_shape, num_classes = model.architecture["input_shape"], model.architecture["num_classes"]
    size = config.batch_size * steps
    junk = Dataset(
        torch.rand((size, *input_shape), generator=generator).numpy(),
        torch.randint(0, num_classes, (size,), generator=generator).numpy(),
        num_classes,
    )
    return trained(model, junk, replace(config, epochs=1, seed=seed))


def permuted(model: Model, seed: int) -> Model:
    """A copy with the first hidden layer's units (or channels) shuffled: same function."""
    copied = copy.deepcopy(model)
    layers = [
        m for m in copied.module.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))
    ]
    first, second = layers[0], layers[1]
    order = torch.randperm(
        first.out_channels if isinstance(first, torch.nn.Conv2d) else first.out_features,
        generator=torch.Generator().manual_seed(seed),
    )
    with torch.no_grad():
        first.weight.copy_(first.weight[order])
        first.bias.copy_(first.bias[order])
        if isinstance(second, torch.nn.Conv2d):
            second.weight.copy_(second.weight[:, order])
        else:  # after a conv stack, the flattened features come channel by channel
            width = second.in_features // len(order)
            columns = (order[:, None] * width + torch.arange(width)).reshape(-1)
            second.weight.copy_(second.weight[:, columns])
    return copied


def trained(start: Model, data: Dataset, config: TrainConfig) -> Model:
    """A copy of `start` trained on `data`."""
    model = copy.deepcopy(start)
    train(model.module, data, config, progress=False)
    return model


def average(models: Sequence[Model]) -> Model:
    """The uniform parameter average: the next round's starting model."""
    return fuse_models("average", models, [1.0] * len(models)).model


# ---------------------------------------------------------------- rounds of honest training


@dataclass(frozen=True)
class Round:
    """One round of one setting: its start, honest models by epochs, and the data."""

    architecture: str
    scheme: str
    seed: int
    number: int
    start: Model
    honest: dict[int, list[Model]]  # epochs -> one model per shard
    same_shard: dict[int, Model]  # epochs -> shard 0 trained again with another seed
    previous: list[Model]  # the last round's honest models (empty in round 1)
    shards: list[Dataset]
    test: Dataset


def rounds(architecture: str, scheme: str, seed: int, count: int, contributors: int) -> list[Round]:
    """`count` rounds of `contributors` honest contributors, each on its own shard."""
    train_set, _, test = split_dataset(load_digits(), 0.15, 0.25, seed)
    shards = shard_dataset(train_set, contributors, scheme, seed, alpha=0.5)
    set_seed(seed)
    spec_architecture = ARCHITECTURES[architecture]
    start = Model(build_model(spec_architecture), spec_architecture)
    result: list[Round] = []
    previous: list[Model] = []
    for number in range(1, count + 1):
        base = seed * 10_000 + number * 100
        honest = {
            epochs: [
                trained(start, shard, replace(TRAINING, epochs=epochs, seed=base + i))
                for i, shard in enumerate(shards)
            ]
            for epochs in HONEST_EPOCHS
        }
        same_shard = {
            epochs: trained(start, shards[0], replace(TRAINING, epochs=epochs, seed=base + 99))
            for epochs in HONEST_EPOCHS
        }
        result.append(
            Round(
                architecture,
                scheme,
                seed,
                number,
                start,
                honest,
                same_shard,
                previous,
                shards,
                test,
            )
        )
        previous = honest[ROUND_EPOCHS]
        start = average(previous)
    return result


# ---------------------------------------------------------------- table 1: near-duplicate measures


@dataclass
class Measured:
    """Each case's (parameter measure, output measure) for one row of the table."""

    label: str
    against: str  # "start" or "earlier"
    honest: bool
    cases: list[tuple[float, float]]


def measure_round(r: Round) -> list[tuple[str, str, bool, float, float]]:
    """(label, against, honest, parameter measure, output measure) of every case in a round."""
    start = view_model(r.start, r.test)
    start_norm = exact_norm(start.parameters)
    rows: list[tuple[str, str, bool, float, float]] = []

    def against_start(label: str, model: Model, honest: bool) -> None:
        view = view_model(model, r.test)
        distance = parameter_distance(view, start)
        assert distance is not None
        rows.append((label, "start", honest, distance / start_norm, output_distance(view, start)))

    def against_earlier(
        label: str, model: Model, earlier: Model, honest: bool, side: str = "earlier"
    ) -> None:
        view, other = view_model(model, r.test), view_model(earlier, r.test)
        apart, update = parameter_distance(view, other), parameter_distance(view, start)
        assert apart is not None and update is not None
        rows.append((label, side, honest, apart / update, output_distance(view, other)))

    for epochs, models in r.honest.items():
        for model in models:
            against_start(f"honest, {epochs} epoch(s)", model, True)
        for i in range(len(models)):
            for j in range(i):
                against_earlier(f"honest pair, {epochs} epoch(s)", models[i], models[j], True)
        against_earlier(
            f"same shard, other seed, {epochs} epoch(s)", r.same_shard[epochs], models[0], True
        )
    norm = start_norm
    for k, relative in enumerate(START_NOISE):
        against_start(
            f"start + noise {relative:g} of its norm", perturbed(r.start, relative, norm, k), False
        )
    against_start("start, byte-variant", byte_variant(r.start), False)
    for steps in JUNK_STEPS:
        against_start(
            f"start + {steps} step(s) on junk", junk_tuned(r.start, steps, r.seed + steps), False
        )
    against_start("start, hidden units permuted", permuted(r.start, r.seed), False)

    for epochs, models in r.honest.items():
        for i, model in enumerate(models):
            for j, parent in enumerate(r.previous):
                kind = "same shard" if i == j else "other shard"
                against_earlier(f"honest, {kind}, {epochs} epoch(s)", model, parent, True, "parent")
    if r.previous:
        stale = r.previous[1 % len(r.previous)]
        against_earlier("its byte-variant", byte_variant(stale), stale, False, "parent")
        against_earlier(
            "it + 5 steps on junk", junk_tuned(stale, 5, r.seed + 50), stale, False, "parent"
        )

    original = r.honest[ROUND_EPOCHS][0]
    update = exact_norm(view_model(original, r.test).parameters - start.parameters)
    for k, relative in enumerate(COPY_NOISE):
        against_earlier(
            f"copy + noise {relative:g} of its update",
            perturbed(original, relative, update, k),
            original,
            False,
        )
    against_earlier("copy, byte-variant", byte_variant(original), original, False)
    for steps in JUNK_STEPS[:2]:
        against_earlier(
            f"copy + {steps} step(s) on junk",
            junk_tuned(original, steps, r.seed + steps),
            original,
            False,
        )
    against_earlier("copy, hidden units permuted", permuted(original, r.seed), original, False)
    return rows


def near_duplicate_table(
    rows: list[tuple[str, str, bool, float, float]], rules: ScoringRules
) -> str:
    """Min / median / max of each measure per case; how many cases the rules flag (score 0) and,
    of the others, how many the marginal rule groups with the earlier model (they share)."""
    cases_of: dict[tuple[str, str, bool], list[tuple[float, float]]] = {}
    for label, against, honest, parameters, outputs in rows:
        cases_of.setdefault((label, against, honest), []).append((parameters, outputs))
    sides = (
        ("start", rules.start_parameter_ratio, rules.start_output_distance, None),
        (
            "earlier",
            rules.copy_parameter_ratio,
            rules.copy_output_distance,
            rules.group_parameter_ratio,
        ),
        ("parent", rules.copy_parameter_ratio, rules.copy_output_distance, None),
    )
    titles = {
        "start": "against the starting model: ||θ − θ_start|| / ||θ_start||, output distance to it",
        "earlier": (
            "against an earlier reveal j: ||θ − θ_j|| / ||θ − θ_start||, output distance to j"
        ),
        "parent": (
            "against a model j of the parent task (last round, same shards): "
            "||θ − θ_j|| / ||θ − θ_start||, output distance to j"
        ),
    }
    lines = []
    for against, parameter_limit, output_limit, group_limit in sides:
        lines += [
            f"**{titles[against]}** (flagged when parameters <= {parameter_limit:g} or outputs "
            f"<= {output_limit:g}"
            + (f"; grouped when parameters <= {group_limit:g})" if group_limit else ")"),
            "",
            (
                "| case | kind | cases | parameters: min / median / max | outputs: min / median / max "
                "| flagged | grouped |"
            ),
            "|---|---|---:|---|---|---:|---:|",
        ]
        for (label, side, honest), cases in cases_of.items():
            if side != against:
                continue
            flagged = [p <= parameter_limit or o <= output_limit for p, o in cases]
            grouped = (
                str(sum(not f and p <= group_limit for f, (p, _) in zip(flagged, cases)))
                if group_limit
                else "-"
            )
            lines.append(
                f"| {label} | {'honest' if honest else 'resubmission'} | {len(cases)} | "
                f"{_spread([p for p, _ in cases])} | {_spread([o for _, o in cases])} | "
                f"{sum(flagged)} | {grouped} |"
            )
        lines.append("")
    return "\n".join(lines)


def margins(rows: list[tuple[str, str, bool, float, float]], rules: ScoringRules) -> str:
    """For each threshold: the smallest honest measure it is compared with, and the margin.

    Honest excludes a model trained again on the same shard with another seed (no new data),
    shown apart; the copy thresholds also meet each honest model against the parent task's.
    """
    lines = [
        (
            "| threshold | value | compared with | smallest honest | honest / threshold | "
            "smallest same shard, other seed |"
        ),
        "|---|---:|---|---:|---:|---:|",
    ]
    for name, sides, column in (
        ("start_parameter_ratio", ("start",), 3),
        ("start_output_distance", ("start",), 4),
        ("copy_parameter_ratio", ("earlier", "parent"), 3),
        ("copy_output_distance", ("earlier", "parent"), 4),
        ("group_parameter_ratio", ("earlier",), 3),
    ):
        limit = getattr(rules, name)
        retrained = [row for row in rows if "same shard, other seed" in row[0]]
        honest = [row for row in rows if row[2] and row[1] in sides and row not in retrained]
        smallest = min(row[column] for row in honest)
        same = [row[column] for row in retrained if row[1] in sides]
        lines.append(
            f"| `{name}` | {limit:g} | {' and '.join(sides)} | {smallest:.4g} | "
            f"{smallest / limit:.1f}x | " + (f"{min(same):.4g} |" if same else "n/a |")
        )
    return "\n".join(lines) + "\n"


def _spread(values: Sequence[float]) -> str:
    return f"{min(values):.3g} / {statistics.median(values):.3g} / {max(values):.3g}"


# ---------------------------------------------------------------- table 2: what each rule pays


def participants(r: Round) -> list[tuple[str, Model]]:
    """A task in a round: honest contributors (5 epochs), then each kind of cheat, in reveal order.

    Members of a group share a label: the table shows the group's total.
    """
    honest = r.honest[ROUND_EPOCHS]
    start_norm = exact_norm(view_model(r.start, r.test).parameters)
    original = honest[0]
    update_norm = exact_norm(
        view_model(original, r.test).parameters - view_model(r.start, r.test).parameters
    )
    poisoned = trained(
        r.start, flip_labels(r.shards[-1], seed=r.seed), replace(TRAINING, seed=r.seed + 7)
    )
    cast = [(f"honest {i + 1}", model) for i, model in enumerate(honest[:-1])]
    cast += [
        ("start + noise 1e-2", perturbed(r.start, 1e-2, start_norm, 1)),
        ("start + 5 steps on junk", junk_tuned(r.start, 5, r.seed + 5)),
        ("poisoner (flipped labels)", poisoned),
    ]
    cast += [
        ("3 copies of honest 1 (total)", perturbed(original, 1e-2, update_norm, 10 + k))
        for k in range(3)
    ]
    if r.previous:
        cast += [
            ("last round's model, byte-variant", byte_variant(r.previous[1 % len(r.previous)])),
            (
                "last round's model + 5 steps on junk",
                junk_tuned(r.previous[2 % len(r.previous)], 5, r.seed + 50),
            ),
        ]
    return cast


def parents(r: Round) -> list[PublicModel]:
    """The models of the parent task (last round), public before every reveal of this one."""
    return [PublicModel(f"the parent task's #{k}", model) for k, model in enumerate(r.previous)]


def contract_weight(score: int, start_score: int) -> int:
    """What the contract pays a submission by: max(0, score - max(baselineScore, start's score))."""
    return max(0, score - max(BASELINE, start_score))


def payout_rows(
    r: Round, methods: dict[str, ScoringRules], seed: bytes
) -> dict[str, dict[str, int]]:
    """Each participant's contract weight under each set of rules."""
    cast = participants(r)
    weights: dict[str, dict[str, int]] = {label: {} for label, _ in cast}
    spec_architecture = ARCHITECTURES[r.architecture]
    for method, rules in methods.items():
        spec = TaskSpec(
            input_shape=(1, 8, 8),
            num_classes=10,
            architecture=spec_architecture,
            scoring=rules,
        )
        scores = score_models(
            spec,
            r.start,
            [model for _, model in cast],
            r.test,
            seed,
            baseline_bps=BASELINE,
            public_models=parents(r),
        ).bps
        for (label, _), score in zip(cast, scores[1:]):
            weights[label][method] = weights[label].get(method, 0) + contract_weight(
                score, scores[0]
            )
    return weights


def payout_table(
    results: dict[tuple[str, int], list[dict[str, dict[str, int]]]], methods: list[str]
) -> str:
    """Mean weight (bps over the start) of each participant, per scheme and round."""
    header = " | ".join(f"{m}: weight | {m}: share" for m in methods)
    lines = [
        f"| shards | round | participant | {header} |",
        "|---|---:|---|" + "---:|" * (2 * len(methods)),
    ]
    for (scheme, number), per_seed in results.items():
        labels = list(dict.fromkeys(label for weights in per_seed for label in weights))
        totals = {m: [sum(w[m] for w in weights.values()) for weights in per_seed] for m in methods}
        for label in labels:
            cells = []
            for m in methods:
                values = [weights[label][m] for weights in per_seed if label in weights]
                shares = [
                    weights[label][m] / total
                    for weights, total in zip(per_seed, totals[m])
                    if label in weights and total > 0
                ]
                cells.append(
                    f"{np.mean(values):.0f} | {100 * np.mean(shares) if shares else 0:.0f}%"
                )
            lines.append(f"| {scheme} | {number} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- table 3: replication


def families(r: Round) -> list[tuple[str, list[Model]]]:
    """Ways to turn honest 1's model (or data) into three submissions."""
    original = r.honest[ROUND_EPOCHS][0]
    update = exact_norm(
        view_model(original, r.test).parameters - view_model(r.start, r.test).parameters
    )
    result = [
        (
            f"+ 2 copies, noise {relative:g} of its update",
            [original] + [perturbed(original, relative, update, 20 + k) for k in range(2)],
        )
        for relative in (1e-2, 5e-2, 2e-1)
    ]
    retrains = [
        trained(
            r.start, r.shards[0], replace(TRAINING, seed=r.seed * 10_000 + r.number * 100 + 90 + k)
        )
        for k in range(2)
    ]
    result.append(("+ 2 retrains on its data, other seeds", [original] + retrains))
    return result


def replication_rows(
    r: Round, methods: dict[str, ScoringRules], seed: bytes
) -> dict[str, dict[str, float]]:
    """Per family: the total weight of its three members / honest 1's weight alone."""
    others = r.honest[ROUND_EPOCHS][1:]
    spec_architecture = ARCHITECTURES[r.architecture]
    ratios: dict[str, dict[str, float]] = {}
    for method, rules in methods.items():
        spec = TaskSpec(
            input_shape=(1, 8, 8),
            num_classes=10,
            architecture=spec_architecture,
            scoring=rules,
        )
        alone = score_models(
            spec,
            r.start,
            [r.honest[ROUND_EPOCHS][0], *others],
            r.test,
            seed,
            baseline_bps=BASELINE,
            public_models=parents(r),
        ).bps
        single = contract_weight(alone[1], alone[0])
        for label, family in families(r):
            scores = score_models(
                spec,
                r.start,
                [*family, *others],
                r.test,
                seed,
                baseline_bps=BASELINE,
                public_models=parents(r),
            ).bps
            total = sum(contract_weight(score, scores[0]) for score in scores[1 : 1 + len(family)])
            ratios.setdefault(label, {})[method] = total / single if single else math.inf
    return ratios


def replication_table(rows: list[dict[str, dict[str, float]]], methods: list[str]) -> str:
    """Mean and max over settings of the family's total / the original alone."""
    lines = [
        "| honest 1 submits itself | " + " | ".join(f"{m}: mean / max" for m in methods) + " |",
        "|---|" + "---:|" * len(methods),
    ]
    for label in rows[0]:
        cells = []
        for m in methods:
            values = [row[label][m] for row in rows if math.isfinite(row[label][m])]
            cells.append(f"{np.mean(values):.2f} / {max(values):.2f}" if values else "n/a")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- table 4: Shapley sampling error


def shapley_error_rows(r: Round, players: int, seeds: Sequence[bytes]) -> dict[int, list[float]]:
    """|Monte Carlo - exact| Shapley contribution (bps), per number of sampled orders.

    Every coalition is fused and evaluated once; the exact and the sampled values read that table.
    """
    models = [m for epochs in (ROUND_EPOCHS, 20, 1) for m in r.honest[epochs]][:players]
    rules = ScoringRules()
    start = correct_predictions(r.start, r.test)
    table = {
        coalition: coalition_value(rules, r.start, start, [models[k] for k in coalition], r.test)
        for coalition in (
            tuple(i for i in range(players) if mask >> i & 1) for mask in range(2**players)
        )
    }
    scale = BPS / len(r.test)
    exact = exact_shapley(players, table.__getitem__)
    errors: dict[int, list[float]] = {p: [] for p in SHAPLEY_PERMUTATIONS}
    for permutations in SHAPLEY_PERMUTATIONS:
        for seed in seeds:
            sampled = shapley(players, table.__getitem__, permutations, seed)
            errors[permutations] += [float(abs(a - b) * scale) for a, b in zip(sampled, exact)]
    return errors


def shapley_error_table(errors: dict[int, list[float]], players: int) -> str:
    lines = [
        f"| permutations ({players} players) | mean abs. error (bps) | max abs. error (bps) |",
        "|---:|---:|---:|",
    ]
    for permutations, values in errors.items():
        lines.append(f"| {permutations} | {np.mean(values):.1f} | {max(values):.0f} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- table 5: the start's cap

CAP_SHARDS, CAP_AUDITED, CAP_FIT = 8, 2, 4  # the test split cut as a task's test set; shards fit
FIT_EPOCHS = 100


def fit_to(start: Model, shards: Sequence[Dataset], noise: Dataset, seed: int) -> Model:
    """The start trained to learn `shards` by heart, beside as many `noise` examples with random labels (so
    that it generalises poorly): an initiator's start fit to the test shards it hopes the audit misses."""
    count = min(sum(len(s) for s in shards), len(noise))
    labels = np.random.default_rng(seed).integers(0, noise.num_classes, count)
    memorised = Dataset(
        np.concatenate([*(s.x for s in shards), noise.x[: len(labels)]]),
        np.concatenate([*(s.y for s in shards), labels]),
        noise.num_classes,
    )
    model = copy.deepcopy(start)
    train(model.module, memorised, replace(TRAINING, epochs=FIT_EPOCHS, seed=seed), progress=False)
    return model


def start_cap_rows(r: Round, z: float) -> list[tuple[str, bool, int, int]]:
    """(kind, capped, margin bps, accuracy - cap bps) for every audit of `CAP_AUDITED` of the test split's
    `CAP_SHARDS` shards: for honest starts (the round's start and its honest models, none fit to the test
    set), and for the round's start fit to `CAP_FIT` shards, over the audits that miss them all."""
    shards = shard_dataset(r.test, CAP_SHARDS, "iid", r.seed)
    fitted = fit_to(r.start, shards[:CAP_FIT], r.shards[0], r.seed)
    starts = [("honest", m) for m in [r.start, *(m for models in r.honest.values() for m in models)]]
    rows = []
    for kind, model in [*starts, ("fit", fitted)]:
        correct = [correct_predictions(model, shard) for shard in shards]
        for audit in itertools.combinations(range(CAP_SHARDS), CAP_AUDITED):
            if kind == "fit" and min(audit) < CAP_FIT:
                continue
            rest = [i for i in range(CAP_SHARDS) if i not in audit]
            test_correct, test_size = sum(correct[i] for i in rest), sum(len(shards[i]) for i in rest)
            cap = start_cap(z, sum(correct[i] for i in audit), sum(len(shards[i]) for i in audit),
                            test_correct, test_size)
            accuracy = test_correct * BPS // test_size
            rows.append((kind, accuracy > cap.bps, cap.margin_bps, accuracy - cap.bps))
    return rows


def start_cap_table(rows: list[tuple[str, bool, int, int]]) -> str:
    lines = [
        "| start | audits | capped | margin (bps): min / median / max "
        "| test accuracy - cap (bps): min / median / max |",
        "|---|---:|---:|---|---|",
    ]
    for kind, label in (("honest", "honest (not fit to the test set)"),
                        ("fit", f"fit to {CAP_FIT} of {CAP_SHARDS} shards, audit missed them")):
        picked = [row for row in rows if row[0] == kind]
        if not picked:
            continue
        margins, over = [row[2] for row in picked], [row[3] for row in picked]
        lines.append(
            f"| {label} | {len(picked)} | {sum(row[1] for row in picked)} | "
            f"{min(margins)} / {statistics.median(margins):g} / {max(margins)} | "
            f"{min(over)} / {statistics.median(over):g} / {max(over)} |"
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line, run every measurement, print (and optionally write) the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seeds", default="0,1,2", help="comma-separated seeds (split, shards, start)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per setting")
    parser.add_argument("--contributors", type=int, default=5, help="honest contributors per round")
    parser.add_argument("--architectures", default="mlp,cnn", help=f"some of {list(ARCHITECTURES)}")
    parser.add_argument(
        "--shapley-players",
        type=int,
        default=12,
        help="players in the sampling-error table (<= 3 x contributors, <= 17)",
    )
    parser.add_argument("--out", help="also write the tables (markdown) to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    seeds = [int(s) for s in args.seeds.split(",")]
    architectures = args.architectures.split(",")
    unknown = [a for a in architectures if a not in ARCHITECTURES]
    if unknown:
        parser.error(f"unknown architecture(s) {unknown}; expected some of {list(ARCHITECTURES)}")
    if args.rounds < 1 or args.contributors < 2:
        parser.error("needs --rounds >= 1 and --contributors >= 2 (pairs of honest models)")
    if not 1 <= args.shapley_players <= min(17, 3 * args.contributors):
        parser.error(
            f"--shapley-players must lie in [1, {min(17, 3 * args.contributors)}]: the honest "
            "models of one round (three per contributor), at most 17 for the exact values"
        )
    error_round = min(2, args.rounds)
    rules = ScoringRules()
    methods = {
        "accuracy": ScoringRules(marginal="none"),
        "leave-one-out": ScoringRules(marginal="leave_one_out"),
        "Shapley, no groups": ScoringRules(group_parameter_ratio=0.0),
        "Shapley": ScoringRules(),
    }
    task_seeds = [bytes([s]) * 32 for s in range(1, 11)]
    sections: list[str] = []
    settings = [(a, s, seed) for a in architectures for s in SCHEMES for seed in seeds]
    measured: dict[str, list[tuple[str, str, bool, float, float]]] = {a: [] for a in architectures}
    payouts: dict[str, dict[tuple[str, int], list[dict[str, dict[str, int]]]]] = {
        a: {} for a in architectures
    }
    replication: dict[str, list[dict[str, dict[str, float]]]] = {a: [] for a in architectures}
    errors: dict[int, list[float]] = {p: [] for p in SHAPLEY_PERMUTATIONS}
    caps: dict[str, list[tuple[str, bool, int, int]]] = {a: [] for a in architectures}
    for architecture, scheme, seed in tqdm(settings, desc="settings", file=sys.stderr):
        for r in rounds(architecture, scheme, seed, args.rounds, args.contributors):
            measured[architecture] += measure_round(r)
            caps[architecture] += start_cap_rows(r, rules.start_audit_z)
            payouts[architecture].setdefault((scheme, r.number), []).append(
                payout_rows(r, methods, task_seeds[0])
            )
            replication[architecture].append(replication_rows(r, methods, task_seeds[0]))
            if architecture == architectures[0] and r.number == error_round:
                for permutations, values in shapley_error_rows(
                    r, args.shapley_players, task_seeds
                ).items():
                    errors[permutations] += values
    for architecture in architectures:
        sections += [
            (
                f"### Near-duplicate measures: {architecture}, digits, seeds {args.seeds}, "
                f"rounds 1-{args.rounds}, {args.contributors} contributors\n"
            ),
            near_duplicate_table(measured[architecture], rules),
            margins(measured[architecture], rules),
            (
                "### Weights paid (max(0, score - max(baseline, start's score)), bps, mean over "
                f"seeds) and share of the total: {architecture}\n"
            ),
            payout_table(payouts[architecture], list(methods)),
            (
                f"### Replication: the total weight of three submissions / the original's alone "
                f"({architecture}, over every setting and round)\n"
            ),
            replication_table(replication[architecture], list(methods)),
            (
                f"### The start's cap (audit accuracy + {rules.start_audit_z:g} standard errors): {architecture}, "
                f"every audit of {CAP_AUDITED} of {CAP_SHARDS} test shards\n"
            ),
            start_cap_table(caps[architecture]),
        ]
    sections += [
        (
            f"### Monte Carlo Shapley: error against the exact value ({architectures[0]}, round "
            f"{error_round}, every seed and scheme, {len(task_seeds)} task seeds)\n"
        ),
        shapley_error_table(errors, args.shapley_players),
    ]
    text = "\n".join(sections)
    print(text)
    if args.out:
        with open(args.out, "w") as file:
            file.write(text)


if __name__ == "__main__":
    main()
