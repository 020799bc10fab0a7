"""Whole market rounds on a local chain, composed from the role layer (`learning_market.roles`).

Real training on real data, every role, every phase; time moves with the chain's clock (advanced
past each deadline), never by sleeping. Adversaries are thin wrappers around the honest roles
(`participants`). Nothing outside this package imports it: the real-network path is the role
layer alone.
"""
