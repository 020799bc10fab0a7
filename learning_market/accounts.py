"""Funded accounts for a simulation on a local chain."""

from __future__ import annotations

from typing import Any

FUNDING = 10**24  # wei: a million ETH, far more than any simulated round moves


def local_accounts(test_accounts: Any, chain: Any, count: int) -> list[Any]:
    """`count` funded accounts from ape's `test_accounts` (generating more as needed)."""
    chosen = list(test_accounts)[:count]
    while len(chosen) < count:
        chosen.append(test_accounts.generate_test_account())
    for account in chosen:
        if account.balance < FUNDING // 2:
            chain.provider.set_balance(account.address, FUNDING)
    return chosen
