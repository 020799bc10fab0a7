"""The options and argument types every command shares, with no ape in them (the agents' light entry
point starts without it): amounts, addresses, digests, the content store, the keyring and the publish
store; and every refusal as one sentence (never a traceback) for what a user can get wrong."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
from eth_utils import is_address, to_checksum_address

from content import CidError, StoreError, cid_to_digest, open_store
from learning_market.errors import LearningMarketError
from learning_market.keyring import DEFAULT_ROOT
from learning_market.terms import DEFAULT_FORFEIT_BPS, DEFAULT_POOL_TERMS, TaskTerms

DEFAULT_STORE = DEFAULT_ROOT / "store"


class AmountType(click.ParamType):
    """An amount of ETH: wei (`10000000000000000`) or with a unit (`0.01 ether`, `10 gwei`)."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        amount = parse_amount(str(value))
        if amount is None:
            self.fail(f"{value!r} is not an amount: give wei (10000000000000000) or a unit (0.01 ether)", param, ctx)
        if amount < 0:
            self.fail(f"{value!r} is negative", param, ctx)
        return amount


UNITS = {"wei": 1, "gwei": 10**9, "ether": 10**18, "eth": 10**18}


def parse_amount(text: str) -> int | None:
    """Wei from `10000000000000000`, `0.01 ether`, `10 gwei` or `1 ETH`; None if it is not an amount or not
    a whole number of wei."""
    words = text.strip().lower().split()
    if not 1 <= len(words) <= 2 or (len(words) == 2 and words[1] not in UNITS):
        return None
    try:
        number = Decimal(words[0]) * UNITS[words[1] if len(words) == 2 else "wei"]
    except InvalidOperation:
        return None
    return int(number) if number == number.to_integral_value() else None


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


def market_option(function: Callable) -> Callable:
    return click.option("--market", "market_address", type=ADDRESS, required=True, help="The market's address.")(
        function
    )


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


def training_options(function: Callable) -> Callable:
    """`--data` (the private training data) and the overrides of the spec's training hint."""
    overrides = (
        ("--batch-size", click.IntRange(min=1)),
        ("--lr", float),
        ("--seed", click.IntRange(min=0)),
        ("--epochs", click.IntRange(min=1)),
    )
    for name, kind in overrides:
        function = click.option(name, type=kind, help="Overrides the spec's training hint.")(function)
    return click.option(
        "--data",
        "data_path",
        type=EXISTING_FILE,
        required=True,
        help="Private training data: .npz (x, y) or a dataset file. It never leaves this machine.",
    )(function)


def deployment_options(function: Callable) -> Callable:
    """The market's constructor terms: `--min-window`, its pool's `--verifier-bond`, `--slash-amount` and
    `--unbonding-period`, and `--forfeit-bps`."""
    options = (
        click.option("--min-window", type=click.IntRange(min=1, max=2**64 - 1), default=3_600, show_default=True,
                     help="Shortest window between two deadlines, in seconds (hours on a real network)."),
        click.option("--verifier-bond", type=AMOUNT, default=str(DEFAULT_POOL_TERMS.verifier_bond),
                     show_default=True, help="The bond of one seat in the verifier pool (wei, or with a unit)."),
        click.option("--slash-amount", type=AMOUNT, default=str(DEFAULT_POOL_TERMS.slash_amount), show_default=True,
                     help="What a panel member loses when it does not reveal or strays (at most the bond)."),
        click.option("--unbonding-period", type=click.IntRange(min=1, max=2**64 - 1),
                     default=DEFAULT_POOL_TERMS.unbonding_period, show_default=True,
                     help="Seconds between a member's exit request and its withdrawal."),
        click.option("--forfeit-bps", type=click.IntRange(min=0, max=9_999), default=DEFAULT_FORFEIT_BPS,
                     show_default=True,
                     help="Share of the reward burned when a task ends without a model (cancelled, void, "
                     "unfulfilled)."),
    )
    for option in reversed(options):
        function = option(function)
    return function


def task_terms_options(function: Callable) -> Callable:
    """What an initiator offers and asks besides the reward: stakes, panel, shards, fee, baseline, tolerance and
    the window of each phase."""
    terms = TaskTerms()
    options = (
        click.option("--contributor-stake", type=AMOUNT, default=str(terms.contributor_stake), show_default=True),
        click.option("--max-contributors", type=int, default=terms.max_contributors, show_default=True),
        click.option("--panel-size", type=int, default=terms.panel_size, show_default=True,
                     help="Verifiers drawn from the pool to score (odd, 3 to 63)."),
        click.option("--test-shards", type=int, default=terms.test_shards, show_default=True,
                     help="K: shards the test set is cut into (2 to 32), each committed under its own salt."),
        click.option("--audit-shards", type=int, default=terms.audit_shards, show_default=True,
                     help="A: shards drawn at random and revealed before anyone stakes (1 to K-1)."),
        click.option("--fee-bps", type=int, default=terms.verifier_fee_bps, show_default=True,
                     help="Honest panel members' share of the reward."),
        click.option("--baseline", type=int, default=terms.baseline_score, show_default=True,
                     help="Accuracy (bps) that earns nothing."),
        click.option("--tolerance", type=int, default=terms.tolerance_bps, show_default=True,
                     help="How far (bps) from the median is honest."),
        click.option("--window", type=click.IntRange(min=1), default=None,
                     help="Seconds per phase [default: the market's minimum window]."),
    )
    for option in reversed(options):
        function = option(function)
    return function


def open_files(location: str | None, fetch: str | None = None) -> Any:
    """The content store at `location` (None: no store), fetching from `fetch` what it lacks."""
    if location is None:
        return None
    try:
        return open_store(location, fetch)
    except StoreError as error:
        raise LearningMarketError(str(error)) from error


@contextmanager
def explained() -> Iterator[None]:
    """Turns every error a user can act on (`LearningMarketError`) into one sentence, without a traceback."""
    try:
        yield
    except LearningMarketError as refusal:
        raise click.ClickException(refusal.sentence) from refusal


