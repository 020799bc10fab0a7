"""Long-running participants: one process per participant that finds tasks in the market's events and
acts in every window of every task it takes part in, by itself, on a real network or in the simulation.

- `agent.Agent`: the loop (discover, ask the role what is due, act, log), knowing nothing of the
  mechanism: that is the role objects' (`learning_market.roles`);
- `progress.Progress`: what an agent remembers between runs (an optimisation: chain and keyring suffice);
- `runner.run`: an agent in real time, with backoff when the node fails and a clean stop on SIGTERM;
- `cli`: the commands, for `python -m learning_market.agents` (straight over JSON-RPC with a local key,
  starting in a second) and `ape run agent` (any ape network and account);
- `keys`: the local keys of the light entry point.
"""
