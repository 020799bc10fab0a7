"""Autonomous participants on any ape network and account: `ape run agent <contributor|verifier|initiator|keeper>`.

The same agents as `python -m learning_market.agents` (which starts faster, over JSON-RPC with a local key);
here the account is an ape account (`--account alice`, or `TEST::3` on a local network). An account whose
keyfile is encrypted signs unattended with its passphrase in $APE_ACCOUNTS_<alias>_PASSPHRASE.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click
from ape.cli import account_option, network_option
from ape.logging import logger

from learning_market.agents.cli import Front, add_agent_commands
from learning_market.cli import MarketCommand, connect
from learning_market.market import MarketClient
from learning_market.options import market_option


def connection_options(function: Callable) -> Callable:
    return network_option()(account_option()(market_option(function)))


def open_market(options: dict[str, Any], with_account: bool) -> tuple[MarketClient, Any]:
    account = options.pop("account")
    passphrase = os.environ.get(f"APE_ACCOUNTS_{getattr(account, 'alias', '')}_PASSPHRASE")
    if passphrase and hasattr(account, "set_autosign"):
        account.set_autosign(True, passphrase=passphrase)  # an agent signs without a person at the keyboard
    logger.set_level("WARNING")  # the agent's own line names each transaction and its gas: not twice
    return connect(options.pop("market_address")), account if with_account else None


def command(group: click.Group, name: str, **kwargs: Any) -> Callable[[Callable], click.Command]:
    return group.command(name, cls=MarketCommand, **kwargs)


@click.group()
def cli() -> None:
    """Autonomous participants: each finds tasks in the market's events and acts in every window by itself."""


add_agent_commands(cli, Front(connection_options, open_market, command))
