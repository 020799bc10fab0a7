"""The role layer: each role's steps written once, driven by the simulation, the scripts and agents.

- `anyone.Participant`: any account; finalizes a task and claims what it is owed;
- `initiator.Initiator`: creates a task, reveals its test set, fuses and publishes, cancels;
- `contributor.Contributor`: trains on private data, commits to a model, reveals it;
- `verifier.Verifier`: joins a task, scores every model, commits and reveals the scores.

Each role object takes its collaborators explicitly (the market client, the content store, the
keyring, the account, a log) and holds no other state: what must survive between steps is in the
keyring and on chain. Every step reads the chain, checks (`learning_market.checks`, one sentence
per refusal, nothing sent), acts and persists; `check_<step>` runs the checks alone, and `due`
says for every step whether it can run now, is not due yet, or is done, without sending anything.

The submodules are imported by name (`from learning_market.roles.anyone import Participant`), so
that finalizing or claiming never loads torch.
"""
