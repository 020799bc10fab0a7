"""What the role scripts share: their options and argument types, the wiring of a role object from
them, and every refusal as one sentence (never a traceback) for what a user can get wrong."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from ape.cli import ConnectedProviderCommand, account_option, ape_cli_context, network_option
from eth_utils import is_address, to_checksum_address

from content import CidError, StoreError, cid_to_digest, open_store
from learning_market.checks import eth
from learning_market.errors import LearningMarketError, NetworkError
from learning_market.keyring import DEFAULT_ROOT, Keyring
from learning_market.market import MarketClient
from learning_market.nodes import ApeNode
from learning_market.roles.anyone import Participant

DEFAULT_STORE = DEFAULT_ROOT / "store"
RoleT = TypeVar("RoleT", bound=Participant)


class AmountType(click.ParamType):
    """An amount of ETH: wei (`10000000000000000`) or with a unit (`0.01 ether`, `10 gwei`)."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        from ape import convert
        from ape.exceptions import ConversionError

        try:
            amount = int(convert(str(value).strip(), int))
        except (ConversionError, ValueError):
            self.fail(f"{value!r} is not an amount: give wei (10000000000000000) or a unit (0.01 ether)", param, ctx)
        if amount < 0:
            self.fail(f"{value!r} is negative", param, ctx)
        return amount


class AddressType(click.ParamType):
    """A 20-byte hex address, returned checksummed."""

    name = "address"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if not is_address(str(value)):
            self.fail(f"{value!r} is not an address (0x and 40 hex digits)", param, ctx)
        return to_checksum_address(str(value))


class DigestType(click.ParamType):
    """A SHA-256 digest as 0x and 64 hex digits, or as its IPFS CIDv1 (`bafkrei...`)."""

    name = "digest"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> bytes:
        if isinstance(value, bytes):
            return value
        text = str(value).strip()
        if text.startswith("b"):
            try:
                return cid_to_digest(text)
            except CidError as error:
                self.fail(str(error), param, ctx)
        hexdigits = text.removeprefix("0x")
        if len(hexdigits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in hexdigits):
            self.fail(f"{value!r} is not a SHA-256 digest (0x and 64 hex digits) or a CIDv1", param, ctx)
        return bytes.fromhex(hexdigits)


AMOUNT = AmountType()
ADDRESS = AddressType()
DIGEST = DigestType()
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


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


def market_option(function: Callable) -> Callable:
    return click.option("--market", "market_address", type=ADDRESS, required=True, help="The market's address.")(
        function
    )


def task_option(function: Callable) -> Callable:
    return click.option("--task", "task_id", type=click.IntRange(min=1), required=True, help="The task's id.")(
        function
    )


def sender_options(function: Callable) -> Callable:
    """`--account`, `--market` and `--task`: who acts, where, on what."""
    return account_option()(market_option(task_option(function)))


def store_options(function: Callable) -> Callable:
    """`--store` (where files are kept), `--fetch` (where missing ones come from), `--keyring`."""
    function = click.option(
        "--keyring",
        "keyring_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"Where commitment secrets are kept [default: {DEFAULT_ROOT}].",
    )(function)
    function = click.option(
        "--fetch",
        default=None,
        help="Fetch files missing from --store from here (an IPFS node's RPC URL or a shared directory).",
    )(function)
    return click.option(
        "--store",
        default=str(DEFAULT_STORE),
        show_default=True,
        help="Content store: a directory, or the http(s) URL of an IPFS node's RPC API.",
    )(function)


def publish_option(function: Callable) -> Callable:
    """`--publish` (where others fetch the files revealed) and `--allow-private-uri`."""
    function = click.option(
        "--allow-private-uri",
        is_flag=True,
        help="Without --publish, write the private store's file:// URI on chain anyway.",
    )(function)
    return click.option(
        "--publish",
        default=None,
        help="Also put the file into this store at the reveal (e.g. an IPFS node's RPC URL); its URI goes "
        "in the event. Keep --store private until then.",
    )(function)


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


def open_files(location: str | None, fetch: str | None = None) -> Any:
    """The content store at `location` (None: no store), fetching from `fetch` what it lacks."""
    if location is None:
        return None
    try:
        return open_store(location, fetch)
    except StoreError as error:
        raise LearningMarketError(str(error)) from error


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


@contextmanager
def explained() -> Iterator[None]:
    """Turns every error a user can act on (`LearningMarketError`) into one sentence, without a traceback."""
    try:
        yield
    except LearningMarketError as refusal:
        raise click.ClickException(refusal.sentence) from refusal


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
