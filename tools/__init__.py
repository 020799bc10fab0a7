"""The project's tools that are Python: the contract coverage tracer and the gas benchmark."""
