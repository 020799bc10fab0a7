"""Whole market rounds on a local chain, run by the same agents as the real network
(`learning_market.agents`) over the role layer (`learning_market.roles`).

Real training on real data, every role, every phase; every participant is an agent acting on what is
due; when none has anything to do, the chain's clock moves past the next deadline, never by sleeping.
Adversaries are thin wrappers around the honest roles (`participants`). Nothing outside this package
imports it: the real-network path is the agents and the role layer alone.
"""
