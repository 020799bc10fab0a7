"""Contract coverage for ape on anvil: see tools/coverage/plugin.py."""
