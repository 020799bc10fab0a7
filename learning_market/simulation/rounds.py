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
from learning_market.phases import Phase, Role
from learning_market.roles.anyone import Log
from learning_market.roles.campaign import Campaign
from learning_market.roles.contributor import Contributor
from learning_market.roles.initiator import FUSION_NAMES
from learning_market.roles.verifier import Verifier
from learning_market.simulation.participants import (
    ContributorBehaviour,
    Copier,
    CrossTaskCopier,
    CrossTaskNearCopier,
    DishonestVerifier,
    Duplicate,
    FreeRider,
    LazyInitiator,
    OffSpec,
    Poisoner,
    PrivateTrainer,
    RecordingInitiator,
    Resubmitter,
    SeatSquatter,
    SimulatedContributor,
    SimulatedVerifier,
    SybilVerifier,
    Trainer,
    VerifierBehaviour,
)
from learning_market.terms import TaskTerms
from ml import (
    ATTACKS,
    DEFAULT_FUSION,
    Attack,
    Dataset,
    DatasetRecipe,
    Model,
    PrivacyConfig,
    TaskSpec,
    accuracy_bps,
    accuracy_interval,
    attack_success_bps,
    build_model,
    contributor_seed,
    corner_trigger,
    correct_predictions,
    dataset_names,
    dataset_recipe,
    decode_model,
    encode_model,
    paired_difference,
    poison,
    set_seed,
    shard_dataset,
    split_dataset,
)

ARCHITECTURES = ("logistic", "mlp", "cnn")


@dataclass(frozen=True)
class SimulationConfig:
    """A simulated market: the data, who takes part, how they train, how models are fused.

    `steps` (SGD steps a round) and `architecture` default to the dataset's measured recipe
    (`ml.dataset_recipe`); the task spec carries both. `poisoners` mount `attack`; `private` honest
    contributors train with DP-SGD at `epsilon` a round (the recipe's private round: few steps, large
    batches). `verifiers` register in the market's verifier pool (bonded), and each round's panel of
    `panel_size` members is drawn from it; the test set is cut into `terms.test_shards` shards of which
    `terms.audit_shards` are audited before anyone stakes. `lazy_initiator` withholds the rest of the
    test set: the panel scores on the audit shards."""

    dataset: str = "mnist1d"  # digits | mnist1d
    contributors: int = 4
    verifiers: int = 3  # registered in the verifier pool
    panel_size: int = 3  # drawn from the pool for each task: odd, at least 3
    rounds: int = 3
    split: str = "iid"  # iid | dirichlet | size
    alpha: float = 0.5  # concentration of the dirichlet and size splits
    fusion: str = DEFAULT_FUSION  # a named fusion of ml.FUSIONS, or a bare strategy of ml.STRATEGIES
    architecture: str | None = None  # logistic | mlp | cnn; None: the dataset's default
    steps: int | None = None  # SGD steps per contributor and round; None: the dataset's default
    seed: int = 0
    free_riders: int = 0
    copiers: int = 0
    poisoners: int = 0
    resubmitters: int = 0  # submit the round's starting model, perturbed
    duplicators: int = 0  # k addresses of one owner: the first trains, the others submit byte-variants of its model
    cross_task_copiers: int = 0  # from round 2, submit a model revealed in the previous round
    cross_task_near_copiers: int = 0  # from round 2, submit a byte-variant of a model revealed in the previous round
    off_spec: int = 0  # submit a model of another architecture than the spec's
    attack: str = "label_flip"  # what poisoners do: one of ml.ATTACKS
    private: int = 0  # honest contributors who train with differential privacy
    epsilon: float = 3.0  # their target epsilon per round (delta 1e-5)
    dishonest_verifiers: int = 0
    seat_squatters: int = 0  # pool members that never score
    sybil_seats: int = 0  # pool seats of the initiator's, on top of `verifiers`, that deny payment in its tasks
    lazy_initiator: bool = False  # withholds the test set (reveals only its audit)
    mislabelling_initiator: bool = False  # its test sets' labels are shifted by one class
    terms: TaskTerms = TaskTerms()

    def __post_init__(self) -> None:
        adversaries = (
            self.free_riders + self.copiers + self.poisoners + self.resubmitters + self.duplicators
            + self.cross_task_copiers + self.cross_task_near_copiers + self.off_spec
        )
        if self.contributors < 1 or self.rounds < 1:
            raise ValueError("need at least one contributor and one round")
        if self.panel_size < 3 or self.panel_size % 2 == 0:
            raise ValueError(f"a panel is odd and at least 3, got {self.panel_size}")
        if self.verifiers < self.panel_size:
            raise ValueError(f"{self.verifiers} verifiers in the pool cannot fill a panel of {self.panel_size}")
        if adversaries >= self.contributors:
            raise ValueError(
                f"{adversaries} adversarial contributors leave no honest one among {self.contributors}"
            )
        if self.private > self.contributors - adversaries:
            raise ValueError(
                f"{self.private} private contributors but only {self.contributors - adversaries} honest ones"
            )
        slashable = self.dishonest_verifiers + self.seat_squatters
        if slashable > self.verifiers:
            raise ValueError(
                f"{self.dishonest_verifiers} dishonest verifiers and {self.seat_squatters} seat squatters but only "
                f"{self.verifiers} verifiers"
            )
        if self.rounds > 1 and self.verifiers - slashable < self.panel_size:
            # a slashed member is never drawn again (until it exits and registers anew)
            raise ValueError(
                f"{slashable} dishonest verifiers or seat squatters are slashed out of the pool after a round, which "
                f"leaves {self.verifiers - slashable} for a panel of {self.panel_size}"
            )
        if self.sybil_seats and 3 * self.sybil_seats >= self.verifiers + self.sybil_seats:
            raise ValueError(
                f"{self.sybil_seats} sybil seats of {self.verifiers + self.sybil_seats} hold a third of the pool's "
                "bonds or more: the simulation shows an initiator below a third"
            )
        if self.dataset not in dataset_names():
            raise ValueError(f"unknown dataset {self.dataset!r}: use one of {', '.join(dataset_names())}")
        if self.architecture is not None and self.architecture not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.architecture!r}: use one of {', '.join(ARCHITECTURES)}")
        if self.fusion not in FUSION_NAMES:
            raise ValueError(f"unknown fusion {self.fusion!r}: use one of {', '.join(FUSION_NAMES)}")
        if self.attack not in ATTACKS:
            raise ValueError(f"unknown attack {self.attack!r}: use one of {', '.join(ATTACKS)}")
        if self.steps is not None and self.steps < 1:
            raise ValueError(f"steps must be at least 1, got {self.steps}")
        if not self.epsilon > 0:
            raise ValueError(f"epsilon must be positive, got {self.epsilon}")

    @property
    def recipe(self) -> DatasetRecipe:
        return dataset_recipe(self.dataset)


@dataclass
class ContributorRow:
    name: str
    behaviour: str
    local_accuracy_bps: int | None  # its model on its own shard (true labels)
    test_accuracy_bps: int | None  # its revealed model on the round's test set
    revealed: bool
    median_score: int | None
    reward: int
    stake_back: int
    refusal: str | None = None
    attack_success_bps: int | None = None  # its model under the round's targeted attack: how often its aim is met
    epsilon: float | None = None  # the DP claim in its revealed model file
    delta: float | None = None
    excluded: str | None = None  # why the fusion left its revealed model out


@dataclass
class VerifierRow:
    """A pool member in one round: whether it was drawn, how it voted (`test`: it scored on the test shards;
    `audit`: on the audit shards; None: it revealed nothing), whether its scores counted and were honest,
    what its bond lost and the fee it was paid."""

    name: str
    behaviour: str
    drawn: bool
    vote: str | None
    counted: bool
    honest: bool
    slashed: int
    fee: int


@dataclass
class RoundReport:
    round: int
    task_id: int
    phase: str
    contributors: list[ContributorRow]
    verifiers: list[VerifierRow]
    audit_shards: list[int]  # the shards drawn for the audit (of terms.test_shards)
    basis: str | None  # what the counted scores were computed on: Test or Audit (None: not finalized)
    start_median: int  # the panel's median score of the round's starting model
    baseline: int  # max(the task's baselineScore, start_median): what a model must beat to be paid
    contested: bool  # no quorum on a median: nobody gains, the reward is burned
    slashed: int  # taken from the panel's bonds, paid into this task
    burned: int  # wei of this task that stay burned in the market
    initiator_refund: int
    initiator_net: int  # refund - reward, plus its sybil seats' fees less their slashes
    test_examples: int  # the round's own test set, fresh each round
    best_single: str | None  # the contributor whose revealed model is most accurate on it
    best_single_bps: int | None
    fused_bps: int | None
    fused_interval: tuple[float, float] | None  # 95% (Wilson), in %
    fused_vs_best: str | None  # fused minus best single, in points, with its paired 95% interval
    verdict: str | None  # ">", "<", or "~" (the test set cannot tell)
    fused_members: int
    kept_initial: bool  # no paid model could be fused: the round's initial model was kept
    attack_success_bps: int | None  # of the fused model, for a targeted attack
    deposited: int
    paid_out: int
    market_balance_after: int

    @property
    def conserved(self) -> bool:
        """Everything paid in (reward, stakes, slashed bonds) was paid out or burned."""
        return self.deposited == self.paid_out + self.burned


@dataclass(frozen=True)
class Holdings:
    """What the market and its pool hold at the end, beside what they should: the market, every task's
    deposits not paid out (burned wei stay there); the pool, the bonds of its members."""

    market_balance: int
    tasks_held: int
    total_burned: int
    pool_balance: int
    bonds: int

    @property
    def conserved(self) -> bool:
        return self.market_balance == self.tasks_held and self.pool_balance == self.bonds


@dataclass
class SimulationReport:
    config: dict[str, Any]
    market: str
    rounds: list[RoundReport] = field(default_factory=list)
    gas: list[dict[str, Any]] = field(default_factory=list)
    holdings: Holdings | None = None

    @property
    def conserved(self) -> bool:
        """Every task paid out or burned what it took in; the market holds exactly its tasks' remainders and
        the pool exactly its members' bonds."""
        return all(r.conserved for r in self.rounds) and self.holdings is not None and self.holdings.conserved


@dataclass(frozen=True)
class SimulationData:
    """Private shards, the initiator's validation set, one fresh test set per round (a revealed test set is
    public), and the attack the poisoners mount."""

    shards: list[Dataset]
    validation: Dataset
    tests: list[Dataset]
    attack: Attack


def simulation_data(config: SimulationConfig) -> SimulationData:
    """The dataset cut as its recipe says: train (shards), validation, and the test part, split into one
    test set per round (MNIST-1D: 6,000 test examples, 2,000 a round over three rounds)."""
    recipe = config.recipe
    train, validation, test_pool = split_dataset(
        recipe.load(), recipe.val_fraction, recipe.test_fraction, seed=config.seed
    )
    shards = shard_dataset(train, config.contributors, config.split, seed=config.seed, alpha=config.alpha)
    tests = shard_dataset(test_pool, config.rounds, "iid", seed=config.seed + 1)
    return SimulationData(shards, validation, tests, _attack(config, train))


def _attack(config: SimulationConfig, train: Dataset) -> Attack:
    """The poisoners' attack, as the ml benchmark mounts it: half of their examples for a partial flip or a
    backdoor (trigger in the last features), 3 -> 8 for a targeted flip, and a model-replacement update scaled
    by contributors / poisoners."""
    kind = config.attack
    fraction = 0.5 if kind in ("partial_flip", "backdoor", "scaled_backdoor") else 1.0
    trigger = corner_trigger(train) if kind in ("backdoor", "scaled_backdoor") else ()
    scale = config.contributors / max(1, config.poisoners) if kind == "scaled_backdoor" else 1.0
    return Attack(kind, fraction=fraction, source=3, target=8, trigger=trigger, scale=scale)


def mislabelled(test_set: Dataset) -> Dataset:
    """The test set with every label shifted by one class: what a mislabelling initiator commits to."""
    return Dataset(test_set.x, (test_set.y + 1) % test_set.num_classes, test_set.num_classes)


def _verifier_behaviours(config: SimulationConfig) -> list[VerifierBehaviour]:
    honest = config.verifiers - config.dishonest_verifiers - config.seat_squatters
    return (
        [VerifierBehaviour.HONEST] * honest
        + [VerifierBehaviour.DISHONEST] * config.dishonest_verifiers
        + [VerifierBehaviour.SQUATTER] * config.seat_squatters
        + [VerifierBehaviour.SYBIL] * config.sybil_seats
    )


def _behaviours(config: SimulationConfig) -> list[ContributorBehaviour]:
    honest = config.contributors - config.free_riders - config.copiers - config.poisoners - config.resubmitters \
        - config.duplicators - config.cross_task_copiers - config.cross_task_near_copiers - config.off_spec
    return (
        [ContributorBehaviour.HONEST] * (honest - config.private)
        + [ContributorBehaviour.PRIVATE] * config.private
        + [ContributorBehaviour.POISONER] * config.poisoners
        + [ContributorBehaviour.FREE_RIDER] * config.free_riders
        + [ContributorBehaviour.COPIER] * config.copiers
        + [ContributorBehaviour.RESUBMITTER] * config.resubmitters
        + [ContributorBehaviour.DUPLICATOR] * config.duplicators
        + [ContributorBehaviour.CROSS_TASK_COPIER] * config.cross_task_copiers
        + [ContributorBehaviour.CROSS_TASK_NEAR_COPIER] * config.cross_task_near_copiers
        + [ContributorBehaviour.OFF_SPEC] * config.off_spec
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
    needed = 1 + config.contributors + config.verifiers + config.sybil_seats
    if len(accounts) < needed:
        raise ValueError(f"the simulation needs {needed} accounts, the network offers {len(accounts)}")
    market = MarketClient(ApeNode(contract, chain))

    def keyring(name: str) -> Keyring:
        return Keyring(keyrings / name)

    data = simulation_data(config)
    recipe = config.recipe
    # The models are tiny: one thread trains them fastest, and beside other work it does not thrash.
    torch.set_num_threads(1)
    set_seed(config.seed)
    architecture = recipe.architectures[config.architecture or recipe.default_architecture]
    initial = store.put(encode_model(build_model(architecture), architecture))
    spec = TaskSpec(
        input_shape=list(data.validation.input_shape),
        num_classes=data.validation.num_classes,
        metric="accuracy",
        architecture=architecture,
        training=dataclasses.replace(recipe.training, steps=config.steps or recipe.training.steps),
        initial_model=initial,
    )
    terms = dataclasses.replace(
        config.terms,
        max_contributors=max(config.terms.max_contributors, config.contributors),
        panel_size=config.panel_size,
    )
    shared = {"store": store, "allow_private_uri": True}  # the store is everyone's: its paths may go on chain
    tests = [mislabelled(t) for t in data.tests] if config.mislabelling_initiator else data.tests
    campaign = Campaign(spec, tests, terms, start_margin=0, from_block=market.block_number())
    initiator = (LazyInitiator if config.lazy_initiator else RecordingInitiator)(
        market, accounts[0], keyring=keyring("initiator"), fusion=config.fusion, validation=data.validation,
        campaign=campaign, **shared,
    )
    contributors = _contributors(config, market, accounts, data, keyring, shared)
    verifiers = []
    for j, behaviour in enumerate(_verifier_behaviours(config)):
        account, name = accounts[1 + config.contributors + j], f"verifier-{j + 1}"
        common = {"keyring": keyring(name), **shared}
        role: Verifier
        if behaviour is VerifierBehaviour.DISHONEST:
            role = DishonestVerifier(market, account, seed=config.seed + 100 + j, **common)
        elif behaviour is VerifierBehaviour.SQUATTER:
            role = SeatSquatter(market, account, **common)
        elif behaviour is VerifierBehaviour.SYBIL:
            role = SybilVerifier(market, account, owner=initiator.address, **common)
        else:
            role = Verifier(market, account, **common)
        verifiers.append(SimulatedVerifier(name, role, behaviour))
    for v in verifiers:  # bonded once, before any task: a member is drawn only for panels requested later
        if not market.pool_member(v.address).registered:
            market.register(sender=v.role.account)
    log(f"{len(verifiers)} verifiers registered in the pool at {market.pool_address} (bond "
        f"{market.verifier_bond:,} wei each); panels of {config.panel_size}")

    say = log if actions else _quiet
    start = campaign.from_block
    agents = [Agent("initiator", initiator, say=say, grace=0, tasks=config.rounds, from_block=start)] + [
        # a contributor whose audit check refuses a round's task has still seen that round through
        Agent(c.name, c.role, say=say, grace=None, tasks=config.rounds, from_block=start, count_unjoined=True)
        for c in contributors
    ] + [
        Agent(v.name, v.role, say=say, grace=None, tasks=config.rounds, from_block=start, count_unjoined=True)
        for v in verifiers
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
            _report(index + 1, task_id, market, initiator, contributors, verifiers, agents, data.tests[index],
                    data.attack if config.poisoners else None)
        )
    report.gas = market.gas.rows()
    report.holdings = holdings(market, [v.address for v in verifiers])
    return report


def holdings(market: MarketClient, members: Sequence[str]) -> Holdings:
    """The market's and the pool's balances beside what every task and every bond says they hold."""
    tasks = [market.task(task_id) for task_id in range(1, market.task_count() + 1)]
    return Holdings(
        market_balance=market.balance(market.address),
        tasks_held=sum(t.deposited - t.paid_out for t in tasks),
        total_burned=market.total_burned(),
        pool_balance=market.balance(market.pool_address),
        bonds=sum(market.pool_member(member).bond for member in members),
    )


def _quiet(_: str) -> None:
    """Says nothing."""


def _contributors(
    config: SimulationConfig,
    market: MarketClient,
    accounts: Sequence[Any],
    data: SimulationData,
    keyring: Any,
    shared: dict[str, Any],
) -> list[SimulatedContributor]:
    contributors: list[SimulatedContributor] = []
    private_round = config.recipe.private_training
    for i, behaviour in enumerate(_behaviours(config)):
        name, account, shard = f"contributor-{i + 1}", accounts[1 + i], data.shards[i]
        common = {"keyring": keyring(name), **shared}
        trainer = {"seed": config.seed, "index": i, **common}
        attack = None
        if behaviour is ContributorBehaviour.COPIER:
            victim = next(c.role for c in contributors if c.behaviour is ContributorBehaviour.HONEST)
            role: Contributor = Copier(market, account, victim=victim, **common)
        elif behaviour is ContributorBehaviour.FREE_RIDER:
            role = FreeRider(market, account, data=shard, **trainer)
        elif behaviour is ContributorBehaviour.RESUBMITTER:
            role = Resubmitter(market, account, data=shard, **trainer)
        elif behaviour is ContributorBehaviour.DUPLICATOR:
            first = next((c.role for c in contributors if c.behaviour is ContributorBehaviour.DUPLICATOR), None)
            # the group's first address trains; every other one submits a byte-variant of its model
            role = Trainer(market, account, data=shard, **trainer) if first is None else \
                Duplicate(market, account, data=shard, original=first, **trainer)
        elif behaviour is ContributorBehaviour.CROSS_TASK_COPIER:
            role = CrossTaskCopier(market, account, data=shard, **trainer)
        elif behaviour is ContributorBehaviour.CROSS_TASK_NEAR_COPIER:
            role = CrossTaskNearCopier(market, account, data=shard, **trainer)
        elif behaviour is ContributorBehaviour.OFF_SPEC:
            role = OffSpec(market, account, data=shard, **trainer)
        elif behaviour is ContributorBehaviour.POISONER:
            attack = data.attack
            poisoned = poison(shard, attack, seed=contributor_seed(config.seed, 0, i))
            role = Poisoner(market, account, data=poisoned, attack=attack, **trainer)
        elif behaviour is ContributorBehaviour.PRIVATE:
            # the recipe's private round (few steps of large batches), at this simulation's epsilon
            training = {
                "steps": private_round.steps,
                "batch_size": private_round.batch_size,
                "lr": private_round.lr,
                "privacy": dataclasses.replace(
                    private_round.privacy or PrivacyConfig(config.epsilon), target_epsilon=config.epsilon
                ),
            }
            role = PrivateTrainer(market, account, data=shard, training=training, **trainer)
        else:
            role = Trainer(market, account, data=shard, **trainer)
        contributors.append(SimulatedContributor(name, role, shard, behaviour, attack))
    return contributors


IDLE_BLOCKS = 3  # blocks mined while no agent acts before the clock moves: a draw waits for its seed's successor


def drive(agents: Sequence[Agent], market: MarketClient, between: Any = None) -> None:
    """Every agent ticks in turn until all are done. When none acted, a block is mined (a step waiting
    for a block: a draw needs the block after its seed block), up to `IDLE_BLOCKS` times; when still none
    acts, the chain's clock moves past the next deadline any agent waits for. `between` is called after
    every agent's tick (the round announcements)."""
    idle = 0
    while not all(agent.done for agent in agents):
        acted = False
        for agent in agents:
            acted = agent.tick() or acted
            if between is not None:
                between()
        if acted:
            idle = 0
        elif idle < IDLE_BLOCKS:
            market.mine()
            idle += 1
        else:
            deadline = min((d for a in agents if (d := a.next_deadline()) is not None), default=None)
            if deadline is None:
                waiting = [a.name for a in agents if not a.done]
                raise SimulationStuck(f"no agent acts and no deadline lies ahead; not done: {', '.join(waiting)}")
            market.advance_past(deadline)
            idle = 0


def _config_dict(config: SimulationConfig) -> dict[str, Any]:
    fields = {k: v for k, v in vars(config).items() if k != "terms"}
    return {**fields, "terms": vars(config.terms)}


def _report(
    number: int,
    task_id: int,
    market: MarketClient,
    initiator: RecordingInitiator,
    contributors: list[SimulatedContributor],
    verifiers: list[SimulatedVerifier],
    agents: Sequence[Agent],
    test_set: Dataset,
    attack: Attack | None,
) -> RoundReport:
    """One round's figures, read back from the chain, the model files, the keyrings and the agents' records;
    every accuracy on the round's own test set, the fused model's beside the best single one's with 95%
    intervals."""
    task, phase = market.task(task_id), market.phase(task_id)
    params, store = task.params, initiator.need_store()
    paid = market.claims(task_id)
    refusals = {
        a.name: r.error for a in agents for r in a.records if r.task_id == task_id and r.kind == "refused" and r.error
    }
    submissions = {s.contributor: s for s in market.submissions(task_id)}

    def model(digest: bytes) -> Model:
        return decode_model(store.get(digest), digest)

    revealed = {c.address: model(s.model_digest) for c in contributors if (s := submissions.get(c.address))}
    test_accuracy = {address: accuracy_bps(m.module, test_set) for address, m in revealed.items()}
    fusion = initiator.fusions.get(task_id)
    exclusions = {e.index: e.reason for e in fusion.excluded} if fusion is not None else {}
    contributor_rows = []
    for c in contributors:
        keyring, submission = c.role.need_keyring(), submissions.get(c.address)
        trained = (
            keyring.last_trained(market.chain_id, market.address, task_id)
            if keyring.has_trained(market.chain_id, market.address, task_id)
            else None
        )
        got = paid.get(c.address, 0)
        stake_back = min(got, params.contributor_stake)  # a contributor's claim is its stake, then its reward
        own = revealed.get(c.address)
        claim = own.privacy if own is not None else None
        contributor_rows.append(
            ContributorRow(
                name=c.name,
                behaviour=c.behaviour.value if c.attack is None else f"{c.behaviour.value}: {c.attack.kind}",
                local_accuracy_bps=None if trained is None else accuracy_bps(model(trained.model_digest).module,
                                                                             c.shard),
                test_accuracy_bps=test_accuracy.get(c.address),
                revealed=submission is not None,
                median_score=submission.median_score if submission is not None and phase == Phase.FINALIZED else None,
                reward=got - stake_back,
                stake_back=stake_back,
                refusal=refusals.get(c.name) or (
                    "its audit check refused to stake" if trained is not None and submission is None
                    and market.role(task_id, c.address) != Role.CONTRIBUTOR else None
                ),
                attack_success_bps=attack_success_bps(own.module, test_set, attack)
                if own is not None and attack is not None
                else None,
                epsilon=None if claim is None else claim.epsilon,
                delta=None if claim is None else claim.delta,
                excluded=exclusions.get(submission.index) if submission is not None else None,
            )
        )
    panel = {m.member: m for m in market.panel(task_id)}
    slash = market.slash_amount
    verifier_rows = []
    for v in verifiers:
        member = panel.get(v.address)
        verifier_rows.append(
            VerifierRow(
                name=v.name,
                behaviour=v.behaviour.value,
                drawn=member is not None,
                vote=None if member is None or not member.revealed else "test" if member.test_set_available
                else "audit",
                counted=member is not None and member.counted,
                honest=member is not None and member.honest,
                slashed=slash if member is not None and member.slashed else 0,
                fee=paid.get(v.address, 0),
            )
        )
    settlement = task.settlement
    finalized = phase == Phase.FINALIZED
    best = max(revealed, key=lambda address: test_accuracy[address], default=None)  # the first of the best
    names = {c.address: c.name for c in contributors}
    fused_bps = fused_interval = fused_vs_best = verdict = success = None
    if task.fused_digest != bytes(32):
        fused = model(task.fused_digest).module
        fused_correct = correct_predictions(fused, test_set)
        fused_bps = accuracy_bps(fused, test_set)
        interval = accuracy_interval(fused_correct)
        fused_interval = (round(interval.low, 2), round(interval.high, 2))
        if best is not None:
            difference = paired_difference(fused_correct, correct_predictions(revealed[best].module, test_set))
            fused_vs_best, verdict = str(difference), difference.verdict
        if attack is not None:
            success = attack_success_bps(fused, test_set, attack)
    return RoundReport(
        round=number,
        task_id=task_id,
        phase=str(phase),
        contributors=contributor_rows,
        verifiers=verifier_rows,
        audit_shards=task.audit_indices,
        basis=str(settlement.basis) if finalized else None,
        start_median=settlement.start_median,
        baseline=settlement.baseline,
        contested=settlement.contested,
        slashed=settlement.slashed,
        burned=task.burned,
        initiator_refund=paid.get(initiator.address, 0),
        initiator_net=paid.get(initiator.address, 0) - task.reward + sum(
            v.fee - v.slashed for v in verifier_rows if v.behaviour == VerifierBehaviour.SYBIL.value
        ),
        test_examples=len(test_set),
        best_single=None if best is None else names[best],
        best_single_bps=None if best is None else test_accuracy[best],
        fused_bps=fused_bps,
        fused_interval=fused_interval,
        fused_vs_best=fused_vs_best,
        verdict=verdict,
        fused_members=0 if fusion is None else fusion.members,
        kept_initial=fusion is not None and fusion.kept_initial,
        attack_success_bps=success,
        deposited=task.deposited,
        paid_out=task.paid_out,
        market_balance_after=market.balance(market.address),
    )
