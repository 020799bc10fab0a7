"""Whole market rounds on a local chain: the configuration, the rounds, and their report."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from content import ContentStore
from learning_market.checks import PreflightRefusal, Reason
from learning_market.keyring import Keyring
from learning_market.market import MarketClient
from learning_market.nodes import ApeNode
from learning_market.phases import Phase, TaskParams
from learning_market.refusals import MarketRefusal
from learning_market.roles.anyone import Log, Participant
from learning_market.roles.contributor import Contributor
from learning_market.roles.initiator import FusedModel, Initiator
from learning_market.roles.verifier import Verifier
from learning_market.simulation.participants import (
    ContributorBehaviour,
    SimulatedContributor,
    SimulatedVerifier,
    VerifierBehaviour,
)
from learning_market.terms import TaskTerms
from ml import (
    Dataset,
    TaskSpec,
    accuracy_bps,
    build_model,
    decode_model,
    encode_model,
    load_digits,
    set_seed,
    shard_dataset,
    split_dataset,
)


@dataclass(frozen=True)
class SimulationConfig:
    """A simulated market: who takes part, how the data is split, how models are fused."""

    contributors: int = 4
    verifiers: int = 3
    rounds: int = 3
    split: str = "iid"  # iid | dirichlet | size
    alpha: float = 0.5  # concentration of the dirichlet and size splits
    fusion: str = "average"  # a strategy of ml.fusion
    architecture: str = "mlp"  # logistic | mlp | cnn
    seed: int = 0
    epochs: int = 5  # short local training keeps the models near their common start: averaging works (FedAvg)
    free_riders: int = 0
    copiers: int = 0
    poisoners: int = 0
    dishonest_verifiers: int = 0
    lazy_initiator: bool = False
    terms: TaskTerms = TaskTerms()

    def __post_init__(self) -> None:
        adversaries = self.free_riders + self.copiers + self.poisoners
        if self.contributors < 1 or self.verifiers < 0 or self.rounds < 1:
            raise ValueError("need at least one contributor and one round, and no negative verifier count")
        if adversaries >= self.contributors:
            raise ValueError(
                f"{adversaries} adversarial contributors leave no honest one among {self.contributors}"
            )
        if self.dishonest_verifiers > self.verifiers:
            raise ValueError(f"{self.dishonest_verifiers} dishonest verifiers but only {self.verifiers} verifiers")
        if self.copiers and self.contributors - adversaries < 1:
            raise ValueError("a copier needs an honest contributor to copy")


@dataclass
class ContributorRow:
    name: str
    behaviour: str
    local_accuracy_bps: int | None  # its model on its own shard
    test_accuracy_bps: int | None  # its revealed model on the round's test set
    revealed: bool
    median_score: int | None
    reward: int
    stake_back: int
    refusal: str | None = None


@dataclass
class VerifierRow:
    name: str
    behaviour: str
    honest: bool
    fee: int
    stake_back: int


@dataclass
class RoundReport:
    round: int
    task_id: int
    phase: str
    contributors: list[ContributorRow]
    verifiers: list[VerifierRow]
    initiator_refund: int
    best_single_bps: int | None
    fused_bps: int | None
    fused_members: int
    deposited: int
    paid_out: int
    market_balance_after: int

    @property
    def conserved(self) -> bool:
        """Everything paid in was paid out, and the task holds nothing."""
        return self.deposited == self.paid_out


@dataclass
class SimulationReport:
    config: dict[str, Any]
    market: str
    rounds: list[RoundReport] = field(default_factory=list)
    gas: list[dict[str, Any]] = field(default_factory=list)

    @property
    def conserved(self) -> bool:
        return all(r.conserved for r in self.rounds)


def _data(config: SimulationConfig) -> tuple[list[Dataset], Dataset, list[Dataset]]:
    """Private shards, the initiator's validation set and one fresh test set per round."""
    digits = load_digits()
    train, validation, test_pool = split_dataset(digits, val_fraction=0.1, test_fraction=0.3, seed=config.seed)
    shards = shard_dataset(train, config.contributors, config.split, seed=config.seed, alpha=config.alpha)
    # A revealed test set is public: each round gets its own, never seen before.
    tests = shard_dataset(test_pool, config.rounds, "iid", seed=config.seed + 1)
    return shards, validation, tests


def _behaviours(config: SimulationConfig) -> list[ContributorBehaviour]:
    honest = config.contributors - config.free_riders - config.copiers - config.poisoners
    return (
        [ContributorBehaviour.HONEST] * honest
        + [ContributorBehaviour.POISONER] * config.poisoners
        + [ContributorBehaviour.FREE_RIDER] * config.free_riders
        + [ContributorBehaviour.COPIER] * config.copiers
    )


def run_simulation(
    config: SimulationConfig,
    contract: Any,
    chain: Any,
    accounts: Sequence[Any],
    store: ContentStore,
    keyrings: Path,
    log: Log = print,
    progress: bool = True,
) -> SimulationReport:
    """Runs `config.rounds` rounds on the market `contract`; each round starts from the last fused model.

    Everyone shares `store` (a stand-in for IPFS); each participant keeps its secrets in its own
    keyring under `keyrings`.
    """
    needed = 1 + config.contributors + config.verifiers
    if len(accounts) < needed:
        raise ValueError(f"the simulation needs {needed} accounts, the network offers {len(accounts)}")
    market = MarketClient(ApeNode(contract, chain))

    def keyring(name: str) -> Keyring:
        return Keyring(keyrings / name)

    shards, validation, tests = _data(config)
    initiator = Initiator(market, accounts[0], store, keyring("initiator"))
    contributors = [
        SimulatedContributor(
            f"contributor-{i + 1}",
            Contributor(market, accounts[1 + i], store, keyring(f"contributor-{i + 1}")),
            shards[i],
            {"epochs": config.epochs, "seed": config.seed + i},
            behaviour,
        )
        for i, behaviour in enumerate(_behaviours(config))
    ]
    dishonest = set(range(config.verifiers - config.dishonest_verifiers, config.verifiers))
    verifiers = [
        SimulatedVerifier(
            f"verifier-{j + 1}",
            Verifier(market, accounts[1 + config.contributors + j], store, keyring(f"verifier-{j + 1}")),
            VerifierBehaviour.DISHONEST if j in dishonest else VerifierBehaviour.HONEST,
            seed=config.seed + 100 + j,
        )
        for j in range(config.verifiers)
    ]

    # The models are tiny: one thread trains them fastest, and beside other work it does not thrash.
    torch.set_num_threads(1)
    set_seed(config.seed)
    num_classes = validation.num_classes
    architecture = _architecture(config.architecture, validation)
    initial = store.put(encode_model(build_model(architecture), architecture))
    report = SimulationReport(config=_config_dict(config), market=market.address)
    parent = 0
    for round_number in range(1, config.rounds + 1):
        spec = TaskSpec(
            input_shape=list(validation.input_shape),
            num_classes=num_classes,
            metric="accuracy",
            architecture=architecture,
            initial_model=initial,
        )
        round_ = Round(round_number, config, market, initiator, contributors, verifiers, validation, log, progress)
        round_report, fused_digest = round_.run(spec, tests[round_number - 1], parent)
        report.rounds.append(round_report)
        # The next round starts from this round's fused model, or starts over from the same one.
        if fused_digest is not None:
            initial, parent = fused_digest, round_report.task_id
        else:
            parent = 0
    report.gas = market.gas.rows()
    return report


def _architecture(name: str, data: Dataset) -> dict[str, Any]:
    shape, classes = list(data.input_shape), data.num_classes
    if name == "logistic":
        return {"name": "logistic", "input_shape": shape, "num_classes": classes}
    if name == "mlp":
        return {"name": "mlp", "input_shape": shape, "num_classes": classes, "hidden_sizes": [64]}
    if name == "cnn":
        return {"name": "cnn", "input_shape": shape, "num_classes": classes, "channels": [8, 16]}
    raise ValueError(f"unknown architecture {name!r}: expected logistic, mlp or cnn")


def _config_dict(config: SimulationConfig) -> dict[str, Any]:
    fields = {k: v for k, v in vars(config).items() if k != "terms"}
    return {**fields, "terms": vars(config.terms)}


def _claim(participant: Participant, task_id: int) -> int:
    """What the participant is paid in the settled task (0 when it is owed nothing)."""
    try:
        return participant.claim(task_id)
    except PreflightRefusal as refusal:
        if refusal.reason != Reason.NOTHING_OWED:
            raise
        return 0


@dataclass
class Round:
    """One task from creation to the fused model, every participant taking its steps in turn."""

    number: int
    config: SimulationConfig
    market: MarketClient
    initiator: Initiator
    contributors: list[SimulatedContributor]
    verifiers: list[SimulatedVerifier]
    validation: Dataset
    log: Log
    progress: bool

    def run(self, spec: TaskSpec, test_set: Dataset, parent: int) -> tuple[RoundReport, bytes | None]:
        market, initiator, number, log = self.market, self.initiator, self.number, self.log
        terms = self.config.terms
        terms = dataclasses.replace(
            terms,
            max_contributors=max(terms.max_contributors, len(self.contributors)),
            max_verifiers=max(terms.max_verifiers, len(self.verifiers), 1),
        )
        task_id = initiator.create_task(spec, test_set, terms, parent_task_id=parent, start_margin=0).task_id
        params = market.params(task_id)
        log(f"round {number}: task {task_id} created (reward {terms.reward:,} wei, parent task {parent})")

        log(f"round {number}: training {len(self.contributors)} contributors on their private shards")
        for contributor in self.contributors:
            contributor.train(task_id, self.progress)
        victim = next(c for c in self.contributors if c.behaviour is ContributorBehaviour.HONEST)
        for contributor in self.contributors:
            contributor.commit(task_id, victim)
        for verifier in self.verifiers:
            verifier.role.join(task_id)
        market.advance_past(params.commit_deadline)

        refusals: dict[str, str] = {}
        for contributor in self.contributors:
            try:
                contributor.reveal(task_id, victim)
            except MarketRefusal as refusal:
                refusals[contributor.name] = refusal.error
                log(f"round {number}: {contributor.name} ({contributor.behaviour.value}): {refusal}")
        market.advance_past(params.reveal_deadline)

        if market.phase(task_id) == Phase.TEST_REVEAL:
            if self.config.lazy_initiator:
                log(f"round {number}: the initiator never reveals the test set: the task is abandoned")
                market.advance_past(params.test_reveal_deadline)
            else:
                self._score(task_id, params)

        phase = market.phase(task_id)
        paid = {p.address: _claim(p.role, task_id) for p in [*self.contributors, *self.verifiers]}
        refund = _claim(initiator, task_id)

        fused_digest, fused_bps, fused_members = None, None, 0
        if phase == Phase.FINALIZED and any(s.reward > 0 for s in market.submissions(task_id)):
            fused = self._fuse(task_id)
            initiator.publish_fused(task_id, fused)
            fused_digest, fused_members = fused.digest, fused.members
            fused_bps = accuracy_bps(fused.model.module, test_set)
            log(f"round {number}: fused {fused.members} paid model(s) by {self.config.fusion!r}")

        report = self._report(task_id, phase, paid, refusals, refund, test_set, params)
        report.fused_bps, report.fused_members = fused_bps, fused_members
        return report, fused_digest

    def _score(self, task_id: int, params: TaskParams) -> None:
        """The test set revealed, every verifier scores, commits and reveals; then finalize."""
        market, number = self.market, self.number
        self.initiator.reveal_test_set(task_id)
        self.log(f"round {number}: test set revealed; {len(self.verifiers)} verifiers score the submissions")
        for verifier in self.verifiers:
            verifier.commit_scores(task_id)
        market.advance_past(params.score_commit_deadline)
        for verifier in self.verifiers:
            verifier.role.reveal_scores(task_id)
        market.advance_past(params.score_reveal_deadline)
        transactions = self.initiator.finalize(task_id)
        self.log(f"round {number}: finalized in {transactions} transaction(s)")

    def _fuse(self, task_id: int) -> FusedModel:
        """The paid models fused; krum tolerates as many poisoners as there are, or as it can."""
        paid = sum(1 for s in self.market.submissions(task_id) if s.reward > 0)
        tolerated = min(self.config.poisoners, max(0, (paid - 3) // 2))
        return self.initiator.fuse(task_id, self.config.fusion, self.validation, num_byzantine=tolerated)

    def _report(
        self,
        task_id: int,
        phase: Phase,
        paid: dict[str, int],
        refusals: dict[str, str],
        refund: int,
        test_set: Dataset,
        params: TaskParams,
    ) -> RoundReport:
        market = self.market
        submissions = {s.contributor: s for s in market.submissions(task_id)}
        store = self.initiator.need_store()
        test_accuracy = {
            c.address: accuracy_bps(decode_model(store.get(s.model_digest), s.model_digest).module, test_set)
            for c in self.contributors
            if (s := submissions.get(c.address)) is not None
        }
        contributor_rows = []
        for c in self.contributors:
            submission = submissions.get(c.address)
            stake_back = params.contributor_stake if submission is not None and paid[c.address] else 0
            contributor_rows.append(
                ContributorRow(
                    name=c.name,
                    behaviour=c.behaviour.value,
                    local_accuracy_bps=c.local_accuracy_bps,
                    test_accuracy_bps=test_accuracy.get(c.address),
                    revealed=submission is not None,
                    median_score=(
                        submission.median_score if submission is not None and phase == Phase.FINALIZED else None
                    ),
                    reward=paid[c.address] - stake_back,
                    stake_back=stake_back,
                    refusal=refusals.get(c.name),
                )
            )
        statuses = {v.verifier: v for v in market.verifiers(task_id)}
        verifier_rows = []
        for v in self.verifiers:
            stake_back = params.verifier_stake if paid[v.address] >= params.verifier_stake else 0
            verifier_rows.append(
                VerifierRow(
                    name=v.name,
                    behaviour=v.behaviour.value,
                    honest=statuses[v.address].honest if phase == Phase.FINALIZED else paid[v.address] > 0,
                    fee=paid[v.address] - stake_back,
                    stake_back=stake_back,
                )
            )
        task = market.task(task_id)
        return RoundReport(
            round=self.number,
            task_id=task_id,
            phase=str(phase),
            contributors=contributor_rows,
            verifiers=verifier_rows,
            initiator_refund=refund,
            best_single_bps=max(test_accuracy.values()) if test_accuracy else None,
            fused_bps=None,
            fused_members=0,
            deposited=task.deposited,
            paid_out=task.paid_out,
            market_balance_after=market.balance(market.address),
        )
