"""Fixtures for the whole suite: the market, the roles, and a task factory."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import ape_test.accounts
import pytest

from tests.utils.market import DEFAULT_REWARD, MIN_WINDOW, TaskHandle, open_task


def _cache_test_account_keys() -> None:
    """Derives each test account's key from the mnemonic once per run.

    To print a reverted transaction's call trace, ape asks whether the called address is one
    of its accounts; with anvil, that re-derives all the test keys from the mnemonic in pure
    Python each time: about a second per revert without this cache.
    """
    derive = ape_test.accounts.generate_dev_accounts
    if not hasattr(derive, "cache_info"):
        ape_test.accounts.generate_dev_accounts = functools.cache(derive)


_cache_test_account_keys()


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models train fastest on one thread; two threads on a busy two-core machine crawl."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def initiator(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def contributors(accounts):
    return accounts[2:10]


@pytest.fixture(scope="session")
def verifiers(accounts):
    return accounts[10:15]


@pytest.fixture(scope="session")
def outsider(accounts):
    return accounts[15]


@pytest.fixture(scope="session")
def market(project, deployer):
    return deployer.deploy(project.LearningMarket, MIN_WINDOW)


@pytest.fixture
def create_task(market, chain, initiator) -> Callable[..., TaskHandle]:
    """Creates a task; keyword arguments override TaskParams fields (by their Solidity names)."""

    def create(reward: int = DEFAULT_REWARD, sender: Any = None, label: str = "test", **overrides: Any) -> TaskHandle:
        return open_task(market, chain, sender or initiator, reward, label, **overrides)

    return create
