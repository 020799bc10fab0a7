"""Claims what an account is owed in a settled task, whatever its role: `ape run claim --market 0x… --task 1`."""

from learning_market.cli import claim_command as cli

__all__ = ["cli"]
