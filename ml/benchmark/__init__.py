"""The ML benchmarks: one command per table, `python -m ml.benchmark <table> [options]`.

architectures  central accuracy of each architecture on each dataset
oneshot        one round: every contributor, every fusion strategy, poisoned or not
rounds         the fused model round after round, per dataset, split and fusion
attacks        clean accuracy and attack success per attack and fusion, over rounds
privacy        accuracy against epsilon: one contributor alone, and every contributor in rounds
"""
