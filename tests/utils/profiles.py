"""Hypothesis sizes for the invariant and property tests, chosen by `HYPOTHESIS_PROFILE`.

- `ci` (default): what the project suite runs; the stateful test takes about 2-3 minutes
  on 2 cores, each property file well under 30 s.
- `deep`: a long hunt before a release or after touching the contracts' money paths
  (about an hour for the stateful test):

      HYPOTHESIS_PROFILE=deep ape test tests/invariants tests/properties -q

The profiles are plain settings objects applied by these tests only, not registered with
Hypothesis: registering a profile named `ci` would replace Hypothesis's built-in `ci`
profile, which Hypothesis loads for every test when the `CI` variable is set. Anything not
set here (derandomize, database, ...) comes from Hypothesis's active profile, so on a CI
runner the runs are derandomized as Hypothesis does by default there.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SIZES = {
    #      stateful examples, steps per example, property examples (pure calls, transactions)
    "ci": (40, 100, 100, 50),
    "deep": (500, 100, 5_000, 1_000),
}

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in _SIZES:
    raise ValueError(f"HYPOTHESIS_PROFILE={PROFILE!r}: use one of {sorted(_SIZES)}")
_stateful_examples, _steps, _property_examples, _transaction_examples = _SIZES[PROFILE]

# Chain calls take milliseconds, not microseconds: no per-example deadline.
STATEFUL = settings(
    max_examples=_stateful_examples,
    stateful_step_count=_steps,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Ape's autouse isolation fixture is function-scoped; property examples that change state
# restore a chain snapshot themselves (tests/utils/isolation.py); the others only call pure
# or view functions.
PROPERTIES = settings(
    max_examples=_property_examples,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# For properties whose every example sends a transaction (and snapshots and reverts the chain).
PROPERTIES_WITH_TRANSACTIONS = settings(PROPERTIES, max_examples=_transaction_examples)
