"""Whole market rounds on a local chain: the configuration, the rounds, and their report."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from content import ContentStore
from learning_market.agents.agent import Agent
from learning_market.keyring import Keyring
from learning_market.market import MarketClient
from learning_market.nodes import ApeNode
from learning_market.phases import Phase
from learning_market.roles.anyone import Log
from learning_market.roles.campaign import Campaign
from learning_market.roles.contributor import Contributor
from learning_market.roles.initiator import Initiator
from learning_market.roles.verifier import Verifier
from learning_market.simulation.participants import (
    ContributorBehaviour,
    Copier,
    DishonestVerifier,
    FreeRider,
    LazyInitiator,
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
    flip_labels,
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


class SimulationStuck(RuntimeError):
    """No agent has anything to do, none is done, and no deadline lies ahead: a bug of a role or agent."""


def run_simulation(
    config: SimulationConfig,
    contract: Any,
    chain: Any,
    accounts: Sequence[Any],
    store: ContentStore,
    keyrings: Path,
    log: Log = print,
    actions: bool = True,
) -> SimulationReport:
    """Runs `config.rounds` rounds on the market `contract`: the initiator's agent runs a campaign, each
    round from the last fused model, and every participant's agent acts on what is due until all are done.

    Everyone shares `store` (a stand-in for IPFS); each participant keeps its secrets in its own keyring
    under `keyrings`. `log` gets a line per round and, with `actions`, a line per agent action.
    """
    needed = 1 + config.contributors + config.verifiers
    if len(accounts) < needed:
        raise ValueError(f"the simulation needs {needed} accounts, the network offers {len(accounts)}")
    market = MarketClient(ApeNode(contract, chain))

    def keyring(name: str) -> Keyring:
        return Keyring(keyrings / name)

    shards, validation, tests = _data(config)
    # The models are tiny: one thread trains them fastest, and beside other work it does not thrash.
    torch.set_num_threads(1)
    set_seed(config.seed)
    architecture = _architecture(config.architecture, validation)
    initial = store.put(encode_model(build_model(architecture), architecture))
    spec = TaskSpec(
        input_shape=list(validation.input_shape),
        num_classes=validation.num_classes,
        metric="accuracy",
        architecture=architecture,
        initial_model=initial,
    )
    terms = dataclasses.replace(
        config.terms,
        max_contributors=max(config.terms.max_contributors, config.contributors),
        max_verifiers=max(config.terms.max_verifiers, config.verifiers, 1),
    )
    shared = {"store": store, "allow_private_uri": True}  # the store is everyone's: its paths may go on chain
    campaign = Campaign(spec, tests, terms, start_margin=0, from_block=market.block_number())
    initiator = (LazyInitiator if config.lazy_initiator else Initiator)(
        market, accounts[0], keyring=keyring("initiator"), fusion=config.fusion, validation=validation,
        byzantine=config.poisoners, campaign=campaign, **shared,
    )
    contributors = _contributors(config, market, accounts, shards, keyring, shared)
    dishonest = set(range(config.verifiers - config.dishonest_verifiers, config.verifiers))
    verifiers = []
    for j in range(config.verifiers):
        account, name = accounts[1 + config.contributors + j], f"verifier-{j + 1}"
        role = (
            DishonestVerifier(market, account, keyring=keyring(name), seed=config.seed + 100 + j, **shared)
            if j in dishonest
            else Verifier(market, account, keyring=keyring(name), **shared)
        )
        behaviour = VerifierBehaviour.DISHONEST if j in dishonest else VerifierBehaviour.HONEST
        verifiers.append(SimulatedVerifier(name, role, behaviour))

    say = log if actions else _quiet
    start = campaign.from_block
    agents = [Agent("initiator", initiator, say=say, grace=0, tasks=config.rounds, from_block=start)] + [
        Agent(p.name, p.role, say=say, grace=None, tasks=config.rounds, from_block=start)
        for p in [*contributors, *verifiers]
    ]
    announced: set[int] = set()

    def announce() -> None:
        """Says once when each round's task appears."""
        for index, task_id in sorted(campaign.rounds.items()):
            if task_id not in announced:
                announced.add(task_id)
                task = market.task(task_id)
                log(f"round {index + 1}: task {task_id} created (reward {task.reward:,} wei, parent task "
                    f"{task.params.parent_task_id})")

    drive(agents, market, announce)

    report = SimulationReport(config=_config_dict(config), market=market.address)
    for index in range(config.rounds):
        task_id = campaign.rounds[index]
        report.rounds.append(
            _report(index + 1, task_id, market, initiator, contributors, verifiers, agents, tests[index])
        )
    report.gas = market.gas.rows()
    return report


def _quiet(_: str) -> None:
    """Says nothing."""


def _contributors(
    config: SimulationConfig,
    market: MarketClient,
    accounts: Sequence[Any],
    shards: list[Dataset],
    keyring: Any,
    shared: dict[str, Any],
) -> list[SimulatedContributor]:
    contributors: list[SimulatedContributor] = []
    for i, behaviour in enumerate(_behaviours(config)):
        name, account = f"contributor-{i + 1}", accounts[1 + i]
        training = {"epochs": config.epochs, "seed": config.seed + i}
        common = {"keyring": keyring(name), "training": training, **shared}
        if behaviour is ContributorBehaviour.COPIER:
            victim = next(c.role for c in contributors if c.behaviour is ContributorBehaviour.HONEST)
            role: Contributor = Copier(market, account, victim=victim, **common)
        elif behaviour is ContributorBehaviour.FREE_RIDER:
            role = FreeRider(market, account, data=shards[i], **common)
        elif behaviour is ContributorBehaviour.POISONER:
            role = Contributor(market, account, data=flip_labels(shards[i], seed=training["seed"]), **common)
        else:
            role = Contributor(market, account, data=shards[i], **common)
        contributors.append(SimulatedContributor(name, role, shards[i], behaviour))
    return contributors


def drive(agents: Sequence[Agent], market: MarketClient, between: Any = None) -> None:
    """Every agent ticks in turn until all are done. When none acted, one block is mined (a step waiting
    for a block); when still none acts, the chain's clock moves past the next deadline any agent waits
    for. `between` is called after every agent's tick (the round announcements)."""
    idle = 0
    while not all(agent.done for agent in agents):
        acted = False
        for agent in agents:
            acted = agent.tick() or acted
            if between is not None:
                between()
        if acted:
            idle = 0
        elif idle == 0:
            market.mine()
            idle = 1
        else:
            deadline = min((d for a in agents if (d := a.next_deadline()) is not None), default=None)
            if deadline is None:
                waiting = [a.name for a in agents if not a.done]
                raise SimulationStuck(f"no agent acts and no deadline lies ahead; not done: {', '.join(waiting)}")
            market.advance_past(deadline)
            idle = 0


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


def _report(
    number: int,
    task_id: int,
    market: MarketClient,
    initiator: Initiator,
    contributors: list[SimulatedContributor],
    verifiers: list[SimulatedVerifier],
    agents: Sequence[Agent],
    test_set: Dataset,
) -> RoundReport:
    """One round's figures, read back from the chain, the keyrings and the agents' records."""
    task, phase = market.task(task_id), market.phase(task_id)
    params, store = task.params, initiator.need_store()
    paid = market.claims(task_id)
    refusals = {
        a.name: r.error for a in agents for r in a.records if r.task_id == task_id and r.kind == "refused" and r.error
    }
    submissions = {s.contributor: s for s in market.submissions(task_id)}

    def accuracy(digest: bytes, data: Dataset) -> int:
        return accuracy_bps(decode_model(store.get(digest), digest).module, data)

    test_accuracy = {c.address: accuracy(s.model_digest, test_set) for c in contributors
                     if (s := submissions.get(c.address)) is not None}
    contributor_rows = []
    for c in contributors:
        keyring, submission = c.role.need_keyring(), submissions.get(c.address)
        trained = (
            keyring.last_trained(market.chain_id, market.address, task_id)
            if keyring.has_trained(market.chain_id, market.address, task_id)
            else None
        )
        got = paid.get(c.address, 0)
        stake_back = params.contributor_stake if submission is not None and got else 0
        contributor_rows.append(
            ContributorRow(
                name=c.name,
                behaviour=c.behaviour.value,
                local_accuracy_bps=None if trained is None else accuracy(trained.model_digest, c.shard),
                test_accuracy_bps=test_accuracy.get(c.address),
                revealed=submission is not None,
                median_score=submission.median_score if submission is not None and phase == Phase.FINALIZED else None,
                reward=got - stake_back,
                stake_back=stake_back,
                refusal=refusals.get(c.name),
            )
        )
    statuses = {v.verifier: v for v in market.verifiers(task_id)}
    verifier_rows = []
    for v in verifiers:
        got = paid.get(v.address, 0)
        stake_back = params.verifier_stake if got >= params.verifier_stake else 0
        verifier_rows.append(
            VerifierRow(
                name=v.name,
                behaviour=v.behaviour.value,
                honest=statuses[v.address].honest if phase == Phase.FINALIZED else got > 0,
                fee=got - stake_back,
                stake_back=stake_back,
            )
        )
    fused_bps, fused_members = None, 0
    if task.fused_digest != bytes(32):
        fused_bps = accuracy(task.fused_digest, test_set)
        fused_members = sum(1 for s in submissions.values() if s.reward > 0)
    return RoundReport(
        round=number,
        task_id=task_id,
        phase=str(phase),
        contributors=contributor_rows,
        verifiers=verifier_rows,
        initiator_refund=paid.get(initiator.address, 0),
        best_single_bps=max(test_accuracy.values()) if test_accuracy else None,
        fused_bps=fused_bps,
        fused_members=fused_members,
        deposited=task.deposited,
        paid_out=task.paid_out,
        market_balance_after=market.balance(market.address),
    )
