"""Harness contracts that expose the market's internal libraries, deployed once per session."""

import pytest


@pytest.fixture(scope="session")
def median_harness(project, deployer):
    return deployer.deploy(project.MedianHarness)


@pytest.fixture(scope="session")
def reward_split_harness(project, deployer):
    return deployer.deploy(project.RewardSplitHarness)


@pytest.fixture(scope="session")
def commitments_harness(project, deployer):
    return deployer.deploy(project.CommitmentsHarness)


@pytest.fixture(scope="session")
def other_commitments_harness(project, deployer):
    """A second deployment: the same library bound to another address."""
    return deployer.deploy(project.CommitmentsHarness)


@pytest.fixture(scope="session")
def score_book_harness(project, deployer):
    return deployer.deploy(project.ScoreBookHarness)


@pytest.fixture(scope="session")
def randomness_harness(project, deployer):
    return deployer.deploy(project.RandomnessHarness)
