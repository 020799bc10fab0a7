"""What the role scripts share: their options, argument types, and refusals as one-sentence errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from eth_utils import is_address, to_checksum_address

from learning_market.keyring import DEFAULT_ROOT, Keyring

DEFAULT_STORE = DEFAULT_ROOT / "store"


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
            from content import CidError, cid_to_digest

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


def market_option() -> Any:
    return click.option("--market", "market_address", type=ADDRESS, required=True, help="The market's address.")


def task_option() -> Any:
    return click.option("--task", "task_id", type=click.IntRange(min=1), required=True, help="The task's id.")


def store_option() -> Any:
    """`--store` (where files are kept) and `--fetch` (where missing ones are fetched from)."""

    def decorate(command: Any) -> Any:
        command = click.option(
            "--fetch",
            default=None,
            help="Fetch files missing from --store from here (an IPFS node's RPC URL or a shared directory).",
        )(command)
        return click.option(
            "--store",
            default=str(DEFAULT_STORE),
            show_default=True,
            help="Content store: a directory, or the http(s) URL of an IPFS node's RPC API.",
        )(command)

    return decorate


def publish_option() -> Any:
    return click.option(
        "--publish",
        default=None,
        help="Also put the file into this store at the reveal (e.g. an IPFS node's RPC URL); its URI goes "
        "in the event. Keep --store private until then.",
    )


def keyring_option() -> Any:
    return click.option(
        "--keyring",
        "keyring_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"Where commitment secrets are kept [default: {DEFAULT_ROOT}].",
    )


def open_store(location: str, fetch: str | None = None) -> Any:
    """A LocalStore for a directory, an IpfsHttpStore for an http(s) URL; fetching from `fetch` what it lacks."""
    from content import open_store as open_content_store

    return open_content_store(location, fetch)


def open_keyring(directory: Path | None) -> Keyring:
    return Keyring(directory)


def session(
    account: Any,
    market_address: str,
    store: str | None = None,
    keyring_dir: Path | None = None,
    fetch: str | None = None,
) -> Any:
    """One account acting in the market at `market_address`, with its store and keyring; logs to stdout."""
    from learning_market.steps import Session

    content = open_store(store, fetch) if store is not None else None
    return Session(connect(market_address), account, content, open_keyring(keyring_dir), log=click.echo)


def connect(market_address: str) -> Any:
    """The market at `market_address` on the connected network, as a `MarketClient`."""
    from ape import chain, project
    from ape.exceptions import ContractNotFoundError

    from learning_market.market import MarketClient

    try:
        contract = project.LearningMarket.at(market_address, fetch_from_explorer=False, detect_proxy=False)
    except ContractNotFoundError as error:
        raise click.ClickException(
            f"there is no contract at {market_address} on {chain.provider.network.name}: check --market and --network."
        ) from error
    return MarketClient(contract, chain)


@contextmanager
def explained() -> Iterator[None]:
    """Turns every refusal (pre-flight, the market's, the keyring's, the store's, a bad file) into one sentence."""
    from ml.data import DatasetError
    from content import StoreError

    from learning_market.checks import PreflightRefusal
    from learning_market.keyring import KeyringError
    from learning_market.market import ClockError
    from learning_market.refusals import MarketRefusal

    from learning_market.refusals import explain

    try:
        yield
    except MarketRefusal as refusal:
        raise click.ClickException(
            f"The market refused {refusal.action}: {explain(refusal.error, refusal.inputs)}"
        ) from refusal
    except (PreflightRefusal, KeyringError, ClockError, StoreError, DatasetError) as refusal:
        sentence = str(refusal)
        raise click.ClickException(sentence[:1].upper() + sentence[1:]) from refusal
