"""The key an agent signs with on the light entry point (no ape): a file holding a private key, an
encrypted keystore (ape's accounts are keystores: `~/.ape/accounts/<alias>.json`), or, on a local
development node only, one of its well-known development accounts."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from learning_market.errors import LearningMarketError

# anvil's (and ape's test) mnemonic: its keys are public, so they are refused on any real network
DEV_MNEMONIC = "test test test test test test test test test test test junk"
PASSPHRASE_VARIABLE = "LEARNING_MARKET_PASSPHRASE"


class KeySourceError(LearningMarketError):
    """A key that cannot be read; the sentence says which and why."""


def dev_account(index: int) -> Any:
    """Development account `index` of the test mnemonic (anvil funds the first ten)."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def key_file_account(path: Path) -> Any:
    """The account of a file holding one hex private key; refused if others may read the file."""
    from eth_account import Account

    try:
        mode = path.stat().st_mode
        text = path.read_text().strip()
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise KeySourceError(f"the key file {path} cannot be read: {reason}.") from error
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeySourceError(f"the key file {path} may be read by others (mode {stat.S_IMODE(mode):o}): chmod 600 it.")
    try:
        return Account.from_key(text)
    except (ValueError, TypeError) as error:
        raise KeySourceError(f"{path} does not hold a private key (64 hex digits): {error}.") from error


def keystore_account(path: Path, passphrase: str | None) -> Any:
    """The account of an encrypted keystore (JSON), unlocked with `passphrase` (or the environment's
    LEARNING_MARKET_PASSPHRASE)."""
    from eth_account import Account

    passphrase = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_VARIABLE)
    if passphrase is None:
        raise KeySourceError(f"the keystore {path} needs its passphrase: set {PASSPHRASE_VARIABLE}.")
    try:
        keystore = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise KeySourceError(f"the keystore {path} cannot be read as JSON: {error}.") from error
    try:
        return Account.from_key(Account.decrypt(keystore, passphrase))
    except (ValueError, TypeError, KeyError) as error:
        raise KeySourceError(f"the keystore {path} does not open with that passphrase ({error}).") from error
