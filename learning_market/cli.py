"""What the ape scripts share: the command on a network (a network that cannot be reached said in a
sentence), the wiring of a role object from the options, and the claim every role has. The options
themselves are ape-free (`learning_market.options`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from ape.cli import ConnectedProviderCommand, account_option, ape_cli_context, network_option

from learning_market.checks import eth
from learning_market.errors import NetworkError
from learning_market.keyring import Keyring
from learning_market.market import MarketClient
from learning_market.nodes import ApeNode
from learning_market.options import (
    ADDRESS,
    AMOUNT,
    explained,
    market_option,
    open_files,
    publish_option,
    store_options,
)
from learning_market.roles.anyone import Participant

RoleT = TypeVar("RoleT", bound=Participant)


class MarketCommand(ConnectedProviderCommand):
    """An ape command on a network; a network that cannot be reached is said in one sentence."""

    STARTED = "learning_market.started"  # set in the context once the network is connected

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        body = self.callback
        if body is not None:

            @functools.wraps(body)
            def connected(*args: Any, **kwargs: Any) -> Any:
                click.get_current_context().meta[self.STARTED] = True
                return body(*args, **kwargs)

            self.callback = connected

    def invoke(self, ctx: click.Context) -> Any:
        from ape.exceptions import ApeException

        try:
            return super().invoke(ctx)
        except ApeException as error:
            if ctx.meta.get(self.STARTED):
                raise
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0].rstrip(".")
            raise click.ClickException(
                f"The network cannot be reached ({reason}): start the node, or check --network."
            ) from error


def command(group: click.Group, name: str | None = None, **kwargs: Any) -> Callable[[Callable], click.Command]:
    """A subcommand of a role's group on a network, with ape's context (`-v` for its debug output)."""

    def decorate(function: Callable) -> click.Command:
        function = network_option()(ape_cli_context()(function))
        return group.command(name, cls=MarketCommand, **kwargs)(function)

    return decorate


def task_option(function: Callable) -> Callable:
    return click.option("--task", "task_id", type=click.IntRange(min=1), required=True, help="The task's id.")(
        function
    )


def sender_options(function: Callable) -> Callable:
    """`--account`, `--market` and `--task`: who acts, where, on what."""
    return account_option()(market_option(task_option(function)))


def to_option(function: Callable) -> Callable:
    return click.option("--to", type=ADDRESS, help="Pay this address instead (claimTo).")(function)


def stake_option(function: Callable) -> Callable:
    return click.option(
        "--stake", type=AMOUNT, help="The stake you agree to lock; refused unless it is the task's."
    )(function)


# ------------------------------------------------------------------ wiring


def connect(market_address: str) -> MarketClient:
    """The market at `market_address` on the connected network."""
    from ape import chain, project

    network = chain.provider.network.name
    try:
        code = chain.provider.get_code(market_address)
    except Exception as error:  # noqa: BLE001 - any failure of the node here means it cannot be asked
        raise NetworkError(f"the network {network} cannot be asked for the market's code ({error}).") from error
    if not code:
        raise NetworkError(
            f"there is no contract at {market_address} on {network}: check --market and --network."
        )
    contract = project.LearningMarket.at(market_address, fetch_from_explorer=False, detect_proxy=False)
    return MarketClient(ApeNode(contract, chain))


def role(
    kind: type[RoleT],
    account: Any,
    market_address: str,
    store: str | None = None,
    fetch: str | None = None,
    keyring_dir: Path | None = None,
    publish: str | None = None,
    allow_private_uri: bool = False,
) -> RoleT:
    """A role object for `account` in the market at `market_address`, with its store, keyring and
    publish store; logs to stdout."""
    return kind(
        connect(market_address),
        account,
        open_files(store, fetch),
        Keyring(keyring_dir),
        log=click.echo,
        publish=open_files(publish),
        allow_private_uri=allow_private_uri,
    )


def acting(kind: type[Participant], *, files: bool = False, publish: bool = False) -> Callable[[Callable], Callable]:
    """The options of a step taken by `kind` (`--account`, `--market`, `--task`; with `files` also
    `--store`, `--fetch` and `--keyring`; with `publish` also `--publish` and `--allow-private-uri`),
    wired: the command's body gets the role object as `me` and runs inside `explained()`."""

    wiring = ("store", "fetch", "keyring_dir", "publish", "allow_private_uri")

    def decorate(body: Callable) -> Callable:
        @functools.wraps(body)
        def step(*args: Any, account: Any, market_address: str, **options: Any) -> Any:
            where = {name: options.pop(name) for name in wiring if name in options}
            with explained():
                me = role(kind, account, market_address, **where)
                return body(*args, me=me, **options)

        wired = sender_options(step)
        if publish:
            wired = publish_option(wired)
        return store_options(wired) if files else wired

    return decorate


# ------------------------------------------------------------------ the command every role has


@click.command(cls=MarketCommand, short_help="Claim what an account is owed in a task")
@ape_cli_context()
@network_option()
@acting(Participant)
@to_option
def claim_command(cli_ctx: Any, me: Participant, task_id: int, to: str | None) -> None:
    """Pays the account (initiator, contributor or verifier) everything it is owed in the task, once it
    is settled."""
    amount = me.claim(task_id, to)
    cli_ctx.logger.success(f"claimed {eth(amount)} in task {task_id}" + (f", paid to {to}" if to else ""))
