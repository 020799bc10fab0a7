"""`python -m learning_market.agents`: the agents and their companions straight over JSON-RPC with a local
key, without ape (a process starts in about a second, where `ape run` takes several).

    python -m learning_market.agents deploy --dev-account 0 --min-window 10
    python -m learning_market.agents contributor --market 0x… --dev-account 2 --data shard.npz --tasks 1
    python -m learning_market.agents tasks --market 0x…

`--rpc` is the node (default http://127.0.0.1:8545, or $LEARNING_MARKET_RPC), `--market` the market
($LEARNING_MARKET_MARKET). The key: `--key-file` (a file holding a hex private key, mode 600),
`--keystore` (an encrypted JSON keystore, such as ape's `~/.ape/accounts/<alias>.json`, opened with
$LEARNING_MARKET_PASSPHRASE), or `--dev-account N` (the local node's development account N, refused on
any other network).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from learning_market.agents.cli import Front, add_agent_commands, data_group, say
from learning_market.agents.keys import dev_account, key_file_account, keystore_account
from learning_market.errors import LearningMarketError, NetworkError
from learning_market.market import MarketClient
from learning_market.nodes import RpcNode, deploy_market
from learning_market.options import ADDRESS, AMOUNT, EXISTING_FILE, deployment_options, explained, open_files
from learning_market.rpc import JsonRpc
from learning_market.terms import PoolTerms

DEFAULT_RPC = "http://127.0.0.1:8545"


def rpc_option(function: Callable) -> Callable:
    return click.option(
        "--rpc", envvar="LEARNING_MARKET_RPC", default=DEFAULT_RPC, show_default=True,
        help="The node's JSON-RPC URL [env LEARNING_MARKET_RPC].",
    )(function)


def market_option(function: Callable) -> Callable:
    return click.option(
        "--market", "market_address", envvar="LEARNING_MARKET_MARKET", type=ADDRESS, required=True,
        help="The market's address [env LEARNING_MARKET_MARKET].",
    )(function)


def key_options(function: Callable) -> Callable:
    for option in reversed([
        click.option("--key-file", type=EXISTING_FILE, help="A file holding the account's hex private key."),
        click.option("--keystore", type=EXISTING_FILE,
                     help="An encrypted JSON keystore; its passphrase in $LEARNING_MARKET_PASSPHRASE."),
        click.option("--dev-account", type=click.IntRange(min=0), help="Development account N of a local node."),
    ]):
        function = option(function)
    return function


def connection_options(function: Callable) -> Callable:
    return rpc_option(market_option(key_options(function)))


def signer(options: dict[str, Any], node_is_local: Callable[[], bool]) -> Any:
    """The account of `--key-file`, `--keystore` or `--dev-account` (exactly one), taken out of `options`."""
    key_file, keystore, dev = options.pop("key_file"), options.pop("keystore"), options.pop("dev_account")
    given = [name for name, value in (("--key-file", key_file), ("--keystore", keystore), ("--dev-account", dev))
             if value is not None]
    if len(given) != 1:
        raise LearningMarketError(
            "give the account's key in exactly one way: --key-file, --keystore or --dev-account"
            + (f" (not {' and '.join(given)})." if given else ".")
        )
    if key_file is not None:
        return key_file_account(key_file)
    if keystore is not None:
        return keystore_account(keystore, None)
    if not node_is_local():
        raise LearningMarketError(
            "--dev-account keys are public and only for a local development node: give --key-file or --keystore."
        )
    return dev_account(dev)


def connect(rpc: str, market_address: str) -> MarketClient:
    """The market at `market_address` on the node at `rpc`; refused in a sentence if there is no contract."""
    node = RpcNode(rpc, market_address)
    if not node.code(market_address):
        raise NetworkError(f"there is no contract at {market_address} on the node at {rpc}: check --market and --rpc.")
    return MarketClient(node)


def open_market(options: dict[str, Any], with_account: bool) -> tuple[MarketClient, Any]:
    market = connect(options.pop("rpc"), options.pop("market_address"))
    account = signer(options, lambda: market.is_local) if with_account else None
    return market, account


def command(group: click.Group, name: str, **kwargs: Any) -> Callable[[Callable], click.Command]:
    return group.command(name, **kwargs)


@click.group()
def cli() -> None:
    """Autonomous participants of the learning market, and what goes with them, over JSON-RPC."""


add_agent_commands(cli, Front(connection_options, open_market, command))


@cli.command(short_help="Deploy the market and its verifier pool from the build (ape compile)")
@rpc_option
@key_options
@deployment_options
def deploy(rpc: str, min_window: int, verifier_bond: int, slash_amount: int, unbonding_period: int, forfeit_bps: int,
           **keys: Any) -> None:
    """Deploys LearningMarket (which deploys its verifier pool) and prints both addresses."""
    with explained():
        terms = PoolTerms(verifier_bond, slash_amount, unbonding_period)
        account = signer(keys, lambda: RpcNode(rpc, "0x" + "00" * 20).is_local)
        address = deploy_market(rpc, account, min_window, terms, forfeit_bps)
        pool = MarketClient(RpcNode(rpc, address)).pool_address
    click.echo(f"market address: {address}")
    click.echo(f"verifier pool: {pool}")


@cli.command(short_help="List the open tasks, their terms and windows in local time")
@rpc_option
@market_option
@click.option("--all", "settled", is_flag=True, help="Also the settled tasks.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="The latest tasks only.")
def tasks(rpc: str, market_address: str, settled: bool, limit: int) -> None:
    """Prints every open task: phase and how long it lasts, reward, stakes, takers and each window."""
    from learning_market.overview import format_tasks, market_tasks

    with explained():
        market = connect(rpc, market_address)
        click.echo(format_tasks(market_tasks(market, settled, limit), market.address))


@cli.command(short_help="Print a task: deadlines, submissions, verifiers, the fused model's accuracy")
@rpc_option
@market_option
@click.option("--task", "task_id", type=click.IntRange(min=1), required=True)
@click.option("--account-address", type=ADDRESS, help="Also say what this address is owed.")
@click.option("--store", default=None, help="Where the test set and the fused model are (for its accuracy).")
@click.option("--fetch", default=None, help="Fetch them from here when --store lacks them.")
def inspect(rpc: str, market_address: str, task_id: int, account_address: str | None, store: str | None,
            fetch: str | None) -> None:
    """The task's parameters, deadlines, phase, submissions and verifiers; with --store, the fused model's
    accuracy on the task's test set."""
    from learning_market.overview import format_overview, with_fused_accuracy

    with explained():
        market = connect(rpc, market_address)
        click.echo(format_overview(with_fused_accuracy(market, task_id, account_address, open_files(store, fetch))))


@cli.command(short_help="Fund an account on a local node (anvil_setBalance)")
@rpc_option
@click.option("--to", "address", type=ADDRESS, required=True, help="The account to fund.")
@click.option("--amount", type=AMOUNT, default="100 ether", show_default=True, help="Its new balance.")
def fund(rpc: str, address: str, amount: int) -> None:
    """Sets an account's balance on a local development node (anvil); refused on any other network."""
    with explained():
        node = RpcNode(rpc, address)
        if not node.is_local:
            raise LearningMarketError(f"the node at {rpc} is not a local development node: send ETH instead.")
        JsonRpc(rpc).call("anvil_setBalance", address, hex(amount))
        say(f"{address} now holds {node.balance(address):,} wei")


cli.add_command(data_group, "data")


if __name__ == "__main__":
    cli(prog_name="python -m learning_market.agents")
