"""A participant's data file: `ape run data build --source digits --shard 1 --of 4 --out shard.npz`,
`ape run data check --data shard.npz --spec spec.json`."""

from learning_market.agents.cli import data_group as cli

__all__ = ["cli"]
